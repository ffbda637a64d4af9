"""Exporting a big user: time and peak memory of `memory-service export` and of the server streaming ExportUser.

    python benchmarks/export_scale.py [--facts 1000 10000 30000]

For each size, one user gets that many current facts, each with a superseded
earlier version and their history (so 2 x facts fact rows and 3 x facts history
entries), plus as many finished tasks and events. Then:
- the CLI exports to a file in its own process: wall time, peak RSS (ru_maxrss);
- a `memory-service serve` process streams ExportUser to a client: wall time and
  the server's RSS before and at its highest during the stream (sampled).
Memory that stays flat across sizes is the point. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
import psycopg
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import memory_service_pb2_grpc

from memory_service.db.dsn import with_database
from memory_service.db.migrate import upgrade_to_head
from tests.support.database import postgres_server

ROOT = Path(__file__).resolve().parents[1]


def seed(url: str, facts: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (user_id) VALUES ('big-user')")
        conn.execute(
            """
            WITH vector AS (SELECT array_agg(random())::vector AS v FROM generate_series(1, 384)),
            old AS (
                INSERT INTO facts (user_id, fact_key, fact_value, text, source, embedding, embedding_model,
                                   valid_from, valid_to)
                SELECT 'big-user', 'topic ' || g, 'old value ' || g, 'topic ' || g || ': old value ' || g, 'manual',
                       vector.v, 'all-MiniLM-L6-v2', now() - interval '2 days', now() - interval '1 day'
                FROM generate_series(1, %(n)s) g, vector
                RETURNING id, fact_key, text
            ),
            new AS (
                INSERT INTO facts (user_id, fact_key, fact_value, text, source, embedding, embedding_model,
                                   supersedes_fact_id, valid_from)
                SELECT 'big-user', old.fact_key, 'new value', old.fact_key || ': new value', 'manual', vector.v,
                       'all-MiniLM-L6-v2', old.id, now() - interval '1 day'
                FROM old, vector
                RETURNING id, supersedes_fact_id, text
            )
            INSERT INTO fact_history (fact_id, user_id, change_type, old_text, new_text)
            SELECT supersedes_fact_id, 'big-user', 'created', NULL, 'an earlier value' FROM new
            UNION ALL SELECT supersedes_fact_id, 'big-user', 'superseded', 'an earlier value', text FROM new
            UNION ALL SELECT id, 'big-user', 'created', NULL, text FROM new
            """,
            {"n": facts},
        )
        conn.execute(
            """INSERT INTO extraction_tasks (user_id, user_message, max_attempts, status, finished_at)
               SELECT 'big-user', 'turn ' || g, 3, 'completed', now() FROM generate_series(1, %(n)s) g""",
            {"n": facts},
        )
        conn.execute("VACUUM ANALYZE")


def environment(url: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    return env | {
        "MEMORY_DATABASE_URL": url,
        "MEMORY_DATA_DIR": data_dir,
        "MEMORY_LOG_LEVEL": "WARNING",
        "GRPC_ENABLE_FORK_SUPPORT": "false",
    }


async def cli_export(url: str, data_dir: str, output: Path) -> dict[str, Any]:
    began = time.monotonic()
    peak = 0.0
    with output.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "memory_service", "export", "big-user",
            cwd=ROOT, env=environment(url, data_dir), stdout=out,
        )  # fmt: skip
        while process.returncode is None:  # VmHWM: the process's own high-water mark, while it lives
            peak = max(peak, memory_mib(process.pid, "VmHWM"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 0.02)
    assert process.returncode == 0
    lines, size = await asyncio.to_thread(file_stats, output)
    return {
        "seconds": round(time.monotonic() - began, 2),
        "lines": lines,
        "bytes": size,
        "peak_rss_mib": peak,
    }


def file_stats(path: Path) -> tuple[int, int]:
    with path.open() as lines:
        return sum(1 for _ in lines), path.stat().st_size


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    """A /proc/<pid>/status memory figure (VmRSS now, VmHWM the peak) in MiB; 0 once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def grpc_export(url: str, data_dir: str) -> dict[str, Any]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "memory_service", "serve", "--no-worker", "--listen", f"127.0.0.1:{port}",
        cwd=ROOT, env=environment(url, data_dir),
    )  # fmt: skip
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 120)
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            await asyncio.sleep(1)
            before = memory_mib(process.pid)
            peak, records = before, 0
            began = time.monotonic()
            async for chunk in stub.ExportUser(pb.ExportUserRequest(user_id="big-user")):
                records += len(chunk.records)
                peak = max(peak, memory_mib(process.pid))
            seconds = time.monotonic() - began
        return {
            "seconds": round(seconds, 2),
            "records": records,
            "server_rss_before_mib": before,
            "server_rss_peak_mib": peak,
        }
    finally:
        process.terminate()
        await process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, nargs="+", default=[1000, 10000, 30000])
    args = parser.parse_args()
    results: dict[str, Any] = {"runs": []}
    with postgres_server() as admin_url, tempfile.TemporaryDirectory(prefix="vbm-export-") as scratch:
        for facts in args.facts:
            name = f"export_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = with_database(admin_url, name)
            try:
                upgrade_to_head(url)
                seed(url, facts)
                run = {
                    "current_facts": facts,
                    "cli": await cli_export(url, scratch, Path(scratch) / f"{facts}.jsonl"),
                    "grpc": await grpc_export(url, scratch),
                }
                results["runs"].append(run)
                print(json.dumps(run), file=sys.stderr)
            finally:
                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
