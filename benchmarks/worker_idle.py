"""How many queries a worker sends when it has nothing it can do: idle, slots full, or blocked behind a turn.

    python benchmarks/worker_idle.py [--seconds 20] [--source-tree PATH]

A `memory-service worker` process (from this checkout, or from --source-tree,
e.g. a worktree of an older commit, to compare before/after) runs against a
fresh embedded database. The LLM is the test suite's fake OpenAI-compatible
server, answering after 600 s, so every task a worker claims stays in flight.
The figure is the database's committed transactions per second while only the
worker is connected (every statement outside a transaction is one), from
pg_stat_database. Prints JSON.

Scenarios:
  idle          no tasks at all
  slots_full    200 tasks of 200 users; the worker's 2 slots hold 2 of them
  user_blocked  200 tasks of one user; the first is in flight, the rest wait their turn
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from memory_service.db.dsn import with_database
from tests.support.database import postgres_server
from tests.support.fake_llm import FakeLlm, facts_reply

ROOT = Path(__file__).resolve().parents[1]


def committed(conn: psycopg.Connection[Any], database: str) -> int:
    row = conn.execute(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (database,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def fill_queue(url: str, scenario: str) -> None:
    """Tasks written with plain SQL that every schema version understands."""
    users = 200 if scenario == "slots_full" else 1
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (user_id) SELECT 'u' || g FROM generate_series(1, %s) g", (users,))
        conn.execute(
            """INSERT INTO extraction_tasks (user_id, user_message, max_attempts, created_at)
               SELECT 'u' || (1 + g %% %s), 'I like trains number ' || g, 3,
                      now() - make_interval(secs => 300 - g)
               FROM generate_series(1, 200) g""",
            (users,),
        )


async def measure(admin_url: str, tree: Path, scenario: str, seconds: float, llm: FakeLlm) -> dict[str, Any]:
    database = f"idle_{scenario}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    url = with_database(admin_url, database)
    with tempfile.TemporaryDirectory(prefix="vbm-idle-") as data_dir:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")},
            "MEMORY_DATABASE_URL": url,
            "MEMORY_DATA_DIR": data_dir,
            "MEMORY_LLM_BASE_URL": llm.base_url,
            "MEMORY_LLM_MODEL": "fake-model",
            "MEMORY_WORKER_CONCURRENCY": "2",
            "MEMORY_LOG_LEVEL": "WARNING",
            "GRPC_ENABLE_FORK_SUPPORT": "false",
            "PYTHONPATH": f"{tree}:{tree / 'clients/python/src'}",
        }
        log = Path(data_dir) / "worker.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "memory_service", "worker", cwd=tree, env=env, stdout=out, stderr=out
            )
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                for _ in range(600):  # migrated and listening
                    await asyncio.sleep(0.2)
                    if conn.execute("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'LISTEN%%'").fetchone():
                        break
                if scenario != "idle":
                    fill_queue(url, scenario)
                    conn.execute("NOTIFY memory_tasks")
                await asyncio.sleep(5)  # claims made, maintenance's first round done
                before, began = committed(conn, database), time.monotonic()
                await asyncio.sleep(seconds)
                after, elapsed = committed(conn, database), time.monotonic() - began
                in_flight = conn.execute("SELECT count(*) FROM extraction_tasks WHERE status = 'processing'").fetchone()
        finally:
            process.terminate()
            await process.wait()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return {
        "transactions_per_second": round((after - before - 2) / elapsed, 2),  # minus our own two reads
        "tasks_in_flight": in_flight[0] if in_flight else 0,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--source-tree", type=Path, default=ROOT, help="checkout whose worker to measure")
    args = parser.parse_args()
    tree = args.source_tree.resolve()
    results: dict[str, Any] = {"source_tree": str(tree), "seconds": args.seconds, "poll_seconds": 2.0}
    with postgres_server() as admin_url, FakeLlm() as llm:
        llm.script.on_facts = lambda call: dataclasses.replace(facts_reply("x"), delay=600)
        for scenario in ("idle", "slots_full", "user_blocked"):
            results[scenario] = await measure(admin_url, tree, scenario, args.seconds, llm)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
