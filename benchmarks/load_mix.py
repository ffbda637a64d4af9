"""A voice-like load for minutes: 80% GetContext, 15% QueueExtraction, 5% fact CRUD, from several processes.

    python benchmarks/load_mix.py [--users 1000] [--facts-per-user 100] [--seconds 300]
                                  [--processes 3] [--concurrency 8]

A `memory-service serve` process (with its in-process worker, verbatim extraction)
runs on a fresh database (the embedded one, or MEMORY_DATABASE_URL) seeded with
users x facts-per-user current facts (random unit vectors: the load, not the
ranking, is measured here). Client processes, each a grpc.aio loop with
`concurrency` calls in flight, send the mix with 2 s deadlines; queries are mostly
new sentences, as a voice bot's are. Every 10 s the server's RSS and the database's
connection count are sampled. Prints JSON: per RPC count, errors by status,
p50/p99; throughput; RSS and connections of the first minute against the last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

ROOT = Path(__file__).resolve().parents[1]
WORDS = (
    "coffee tea hiking piano chess sister brother dog cat Lisbon Berlin Tokyo guitar running swimming "
    "pasta sushi cycling painting novels jazz football tennis garden bakery physics history yoga camping "
    "birthday anniversary allergy peanuts vegan job nurse teacher engineer moving apartment car train"
).split()
DEADLINE = 2.0


def seed(url: str, users: int, per_user: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (user_id) SELECT 'user-' || g FROM generate_series(1, %s) g", (users,))
        # One random unit vector per fact; words from the vocabulary so keyword search has work too.
        conn.execute(
            """
            INSERT INTO facts (user_id, fact_key, fact_value, text, source, embedding, embedding_model)
            SELECT 'user-' || u, 'topic ' || f,
                   w.word || ' ' || f,
                   'The user mentioned ' || w.word || ' (' || f || ')', 'manual',
                   l2_normalize(ARRAY(SELECT random() - 0.5 FROM generate_series(1, 384) WHERE u * f > 0)::vector),
                   'all-MiniLM-L6-v2'
            FROM generate_series(1, %(users)s) u, generate_series(1, %(per)s) f,
                 LATERAL (SELECT (%(words)s::text[])[1 + (u * 31 + f * 7) %% %(n)s] AS word) w
            """,
            {"users": users, "per": per_user, "words": list(WORDS), "n": len(WORDS)},
        )
        conn.execute("VACUUM ANALYZE")


def sentence(rng: random.Random) -> str:
    return f"do you remember what I said about {rng.choice(WORDS)} and {rng.choice(WORDS)} {rng.randrange(10**6)}?"


async def client(address: str, seconds: float, concurrency: int, users: int, seed_value: int) -> dict[str, Any]:
    import grpc
    from google.protobuf import field_mask_pb2
    from voxbridge.memory.v1 import fact_pb2, memory_service_pb2_grpc
    from voxbridge.memory.v1 import memory_service_pb2 as pb

    rng = random.Random(seed_value)
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    created: list[tuple[str, str]] = []
    stop_at = time.monotonic() + seconds

    async with grpc.aio.insecure_channel(address) as channel:
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)

        async def one_call() -> None:
            user = f"user-{rng.randrange(1, users + 1)}"
            roll = rng.random()
            if roll < 0.80:
                name = "GetContext"
                call = stub.GetContext(pb.GetContextRequest(user_id=user, agent_id="bot", query=sentence(rng)),
                                       timeout=DEADLINE)  # fmt: skip
            elif roll < 0.95:
                name = "QueueExtraction"
                call = stub.QueueExtraction(
                    pb.QueueExtractionRequest(user_id=user, agent_id="bot",
                                              user_message=f"I really like {rng.choice(WORDS)}",
                                              ai_response="Good to know!"),
                    timeout=DEADLINE,
                )  # fmt: skip
            elif roll < 0.97 or not created:
                name = "CreateFact"
                fact = fact_pb2.Fact(user_id=user, fact_key=f"load {rng.randrange(10**9)}",
                                     fact_value=rng.choice(WORDS))  # fmt: skip
                call = stub.CreateFact(pb.CreateFactRequest(fact=fact), timeout=DEADLINE)
            elif roll < 0.98:
                name = "ListFacts"
                call = stub.ListFacts(pb.ListFactsRequest(user_id=user, page_size=20), timeout=DEADLINE)
            elif roll < 0.99:
                name = "UpdateFact"
                owner, fact_id = rng.choice(created)
                fact = fact_pb2.Fact(id=fact_id, user_id=owner, fact_value=rng.choice(WORDS))
                mask = field_mask_pb2.FieldMask(paths=["fact_value"])
                call = stub.UpdateFact(pb.UpdateFactRequest(fact=fact, update_mask=mask), timeout=DEADLINE)
            else:
                name = "DeleteFact"
                owner, fact_id = created.pop(rng.randrange(len(created)))
                call = stub.DeleteFact(pb.DeleteFactRequest(user_id=owner, fact_id=fact_id), timeout=DEADLINE)
            started = time.perf_counter()
            try:
                answer = await call
                statuses[name]["OK"] += 1
                latencies[name].append(time.perf_counter() - started)
                if name == "CreateFact":
                    created.append((answer.user_id, answer.id))
                elif name == "UpdateFact":  # an update supersedes: the id to use from now on is the new one
                    created[:] = [(o, i) for o, i in created if i != fact_id] + [(answer.user_id, answer.id)]
            except grpc.aio.AioRpcError as error:
                statuses[name][error.code().name] += 1

        async def lane() -> None:
            while time.monotonic() < stop_at:
                await one_call()

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return {"latencies": latencies, "statuses": {k: dict(v) for k, v in statuses.items()}}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(ordered: list[float], p: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from memory_service.db.dsn import with_database
    from memory_service.db.migrate import upgrade_to_head
    from tests.support.database import postgres_server

    with postgres_server() as admin_url, tempfile.TemporaryDirectory(prefix="vbm-load-", dir="/tmp") as data_dir:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS memory_load WITH (FORCE)")
            conn.execute("CREATE DATABASE memory_load")
        url = with_database(admin_url, "memory_load")
        upgrade_to_head(url)
        began = time.monotonic()
        seed(url, args.users, args.facts_per_user)
        seeded_s = round(time.monotonic() - began, 1)

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        address = f"127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
        env |= {"MEMORY_DATABASE_URL": url, "MEMORY_DATA_DIR": data_dir, "MEMORY_LOG_LEVEL": "WARNING",
                "GRPC_ENABLE_FORK_SUPPORT": "false"}  # fmt: skip
        log = Path(data_dir) / "server.log"
        with log.open("wb") as out:
            server = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "memory_service", "serve", "--listen", address,
                cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        try:
            await wait_serving(address)
            clients = [await spawn_client(args, address, env, i) for i in range(args.processes)]
            samples: list[dict[str, float]] = []
            started = time.monotonic()
            waiting = [asyncio.create_task(c.communicate()) for c in clients]
            while not all(w.done() for w in waiting):
                with psycopg.connect(url, autocommit=True) as conn:
                    row = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    ).fetchone()
                connections = int(row[0]) - 1 if row else 0  # not this sampler's own
                samples.append({"t_s": round(time.monotonic() - started, 1), "server_rss_mib": rss_mib(server.pid),
                                "connections": connections})  # fmt: skip
                await asyncio.wait([w for w in waiting if not w.done()], timeout=10)
            outputs = [json.loads((await w)[0]) for w in waiting]
        finally:
            server.send_signal(signal.SIGTERM)
            await asyncio.wait_for(server.wait(), 60)

    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for output in outputs:
        for name, values in output["latencies"].items():
            latencies[name].extend(values)
        for name, counts in output["statuses"].items():
            statuses[name].update(counts)
    per_rpc = {}
    for name in sorted(statuses):
        ordered = sorted(latencies[name])
        per_rpc[name] = {
            "count": sum(statuses[name].values()),
            "statuses": dict(statuses[name]),
            **({"p50_ms": percentile(ordered, 50), "p99_ms": percentile(ordered, 99)} if ordered else {}),
        }
    total = sum(sum(c.values()) for c in statuses.values())
    errors = sum(n for c in statuses.values() for code, n in c.items() if code != "OK")
    first = [s for s in samples if s["t_s"] <= 60] or samples[:1]
    last = [s for s in samples if s["t_s"] >= samples[-1]["t_s"] - 60] or samples[-1:]
    return {
        "benchmark": "load_mix",
        "users": args.users,
        "facts": args.users * args.facts_per_user,
        "seed_seconds": seeded_s,
        "seconds": args.seconds,
        "client_processes": args.processes,
        "calls_in_flight": args.processes * args.concurrency,
        "calls": total,
        "calls_per_second": round(total / args.seconds, 1),
        "error_rate": round(errors / total, 5) if total else None,
        "rpcs": per_rpc,
        "server_rss_mib": {"first_minute": round(statistics.fmean(s["server_rss_mib"] for s in first), 1),
                           "last_minute": round(statistics.fmean(s["server_rss_mib"] for s in last), 1),
                           "max": max(s["server_rss_mib"] for s in samples)},
        "db_connections": {"first_minute_max": max(s["connections"] for s in first),
                           "last_minute_max": max(s["connections"] for s in last)},
        "samples": samples,
    }  # fmt: skip


async def spawn_client(
    args: argparse.Namespace, address: str, env: dict[str, str], seed_value: int
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", address, "--seconds", str(args.seconds),
        "--concurrency", str(args.concurrency), "--users", str(args.users), "--seed", str(seed_value),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def wait_serving(address: str) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for _ in range(600):
            with contextlib.suppress(grpc.aio.AioRpcError):
                answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--facts-per-user", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        result = asyncio.run(client(args.client, args.seconds, args.concurrency, args.users, args.seed))
        print(json.dumps(result))
        return
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
