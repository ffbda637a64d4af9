"""Scale-out on one database: 2 server replicas against 1, and 2 worker processes against 1.

    python benchmarks/scale_out.py [--users 200] [--facts-per-user 100] [--seconds 30]
                                   [--concurrency 16] [--tasks 400]

GetContext: a fresh database (embedded PostgreSQL, or MEMORY_DATABASE_URL's
server) seeded with users x facts-per-user facts; `memory-service serve --no-worker`
processes; one client process per replica, each keeping `concurrency` GetContext
calls in flight (2 s deadlines) for `seconds`. Reported: calls/s and p50/p99 with 1
and 2 replicas, and their ratios.

Extraction: `--tasks` verbatim turns of distinct users queued by SQL, then 1 or 2
`memory-service worker` processes started and timed until the queue is drained
(each worker warms its model before the turns are released). Reported: tasks/s
and the ratio.

Everything runs on this one machine, so the ratios say what the service does
with more processes when the cores are shared; on separate machines each
replica brings its own cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from benchmarks.load_mix import WORDS, percentile, seed, sentence, wait_serving

ROOT = Path(__file__).resolve().parents[1]


async def get_context_client(
    address: str, seconds: float, concurrency: int, users: int, seed_value: int
) -> dict[str, Any]:
    import random

    import grpc
    from voxbridge.memory.v1 import memory_service_pb2 as pb
    from voxbridge.memory.v1 import memory_service_pb2_grpc

    rng = random.Random(seed_value)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.monotonic() + seconds
    async with grpc.aio.insecure_channel(address) as channel:
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)

        async def lane() -> None:
            while time.monotonic() < stop_at:
                request = pb.GetContextRequest(
                    user_id=f"user-{rng.randrange(1, users + 1)}", agent_id="bot", query=sentence(rng)
                )
                started = time.perf_counter()
                try:
                    await stub.GetContext(request, timeout=2.0)
                    latencies.append(time.perf_counter() - started)
                except grpc.aio.AioRpcError as error:
                    errors[error.code().name] = errors.get(error.code().name, 0) + 1

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return {"latencies": latencies, "errors": errors}


def free_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@contextlib.asynccontextmanager
async def processes(commands: list[list[str]], env: dict[str, str], logs: Path) -> AsyncIterator[list[Any]]:
    started = []
    try:
        for i, command in enumerate(commands):
            with (logs / f"process-{i}.log").open("wb") as out:
                started.append(
                    await asyncio.create_subprocess_exec(
                        *command, cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
                    )
                )
        yield started
    finally:
        for process in started:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 60)


async def spawn_client(address: str, args: argparse.Namespace, env: dict[str, str], seed_value: int) -> Any:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", address, "--seconds", str(args.seconds),
        "--concurrency", str(args.concurrency), "--users", str(args.users), "--seed", str(seed_value),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def get_context_run(replicas: int, args: argparse.Namespace, env: dict[str, str], logs: Path) -> dict[str, Any]:
    addresses = [free_address() for _ in range(replicas)]
    servers = [
        [sys.executable, "-m", "memory_service", "serve", "--no-worker", "--listen", address] for address in addresses
    ]
    async with processes(servers, env, logs):
        for address in addresses:
            await wait_serving(address)
        clients = [await spawn_client(address, args, env, i) for i, address in enumerate(addresses)]
        outputs = [json.loads((await c.communicate())[0]) for c in clients]
    latencies = sorted(x for o in outputs for x in o["latencies"])
    errors: dict[str, int] = {}
    for output in outputs:
        for code, n in output["errors"].items():
            errors[code] = errors.get(code, 0) + n
    return {
        "replicas": replicas,
        "calls_in_flight": replicas * args.concurrency,
        "calls_per_second": round(len(latencies) / args.seconds, 1),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "errors": errors,
    }


async def extraction_run(
    workers: int, url: str, args: argparse.Namespace, env: dict[str, str], logs: Path
) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE extraction_tasks CASCADE")
        # Queued not yet due: the workers load their models first, then every task is released at once.
        conn.execute(
            "INSERT INTO users (user_id) SELECT 'worker-user-' || g FROM generate_series(1, %(n)s) g "
            "ON CONFLICT DO NOTHING",
            {"n": args.tasks},
        )
        conn.execute(
            """
            INSERT INTO extraction_tasks (user_id, agent_id, user_message, ai_response, occurred_at, due_at, max_attempts)
            SELECT 'worker-user-' || g, 'bot', 'I really like ' || (%(words)s::text[])[1 + g %% %(k)s] || ' ' || g,
                   'Good to know!', now(), now() + interval '1 hour', 3
            FROM generate_series(1, %(n)s) g
            """,
            {"n": args.tasks, "words": list(WORDS), "k": len(WORDS)},
        )
    command = [sys.executable, "-m", "memory_service", "worker"]
    async with processes([command] * workers, env, logs):
        await asyncio.sleep(args.warmup)  # the models load and export before the clock starts
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE extraction_tasks SET due_at = now() WHERE status = 'pending'")
            began = time.monotonic()
            while True:
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE status IN ('pending', 'processing')) FROM extraction_tasks"
                ).fetchone()
                if row is not None and row[0] == 0:
                    break
                if time.monotonic() - began > 600:
                    raise RuntimeError("the workers did not drain the queue in 10 minutes")
                await asyncio.sleep(0.1)
            elapsed = time.monotonic() - began
            done = conn.execute("SELECT count(*) FROM extraction_tasks WHERE status = 'completed'").fetchone()
    return {"workers": workers, "tasks": args.tasks, "completed": done[0] if done else 0,
            "seconds": round(elapsed, 2), "tasks_per_second": round(args.tasks / elapsed, 1)}  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from memory_service.db.dsn import with_database
    from memory_service.db.migrate import upgrade_to_head
    from tests.support.database import postgres_server

    with postgres_server() as admin_url, tempfile.TemporaryDirectory(prefix="vbm-scale-", dir="/tmp") as data_dir:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS memory_scale_out WITH (FORCE)")
            conn.execute("CREATE DATABASE memory_scale_out")
        url = with_database(admin_url, "memory_scale_out")
        upgrade_to_head(url)
        seed(url, args.users, args.facts_per_user)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
        env |= {"MEMORY_DATABASE_URL": url, "MEMORY_DATA_DIR": data_dir, "MEMORY_LOG_LEVEL": "WARNING",
                "GRPC_ENABLE_FORK_SUPPORT": "false", "MEMORY_POLL_SECONDS": "0.5"}  # fmt: skip
        logs = Path(data_dir)
        one, two = [await get_context_run(n, args, env, logs) for n in (1, 2)]
        single, double = [await extraction_run(n, url, args, env, logs) for n in (1, 2)]
    return {
        "benchmark": "scale_out",
        "cpu_cores": os.cpu_count(),
        "facts": args.users * args.facts_per_user,
        "get_context": {"one_replica": one, "two_replicas": two,
                        "throughput_ratio": round(two["calls_per_second"] / one["calls_per_second"], 2),
                        "p99_ratio": round(two["p99_ms"] / one["p99_ms"], 2)},
        "extraction": {"one_worker": single, "two_workers": double,
                       "throughput_ratio": round(double["tasks_per_second"] / single["tasks_per_second"], 2)},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--facts-per-user", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--warmup", type=float, default=20, help="seconds for the workers to load their models")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        result = asyncio.run(get_context_client(args.client, args.seconds, args.concurrency, args.users, args.seed))
        print(json.dumps(result))
        return
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
