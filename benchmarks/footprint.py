"""Server memory: RSS with the default model after warm-up, and whether it grows under a long load.

    python benchmarks/footprint.py [--minutes 10] [--callers 16] [--turns-per-second 10]

`memory-service serve` in its own process with its defaults (ONNX all-MiniLM-L6-v2, embedding cache on, the
in-process worker in verbatim mode) on the retrieval set's conversations (20 users, 480 memories each) in a
PostgreSQL of its own. After a warm-up of 1,000 GetContext calls the load runs for --minutes: --callers
concurrent GetContext callers with unique questions (every call embeds; the cache fills and stays at its size)
and QueueExtraction at --turns-per-second (the worker stores each turn as a fact). RSS is sampled every 10
seconds. Prints JSON: RSS after start, after warm-up, at minute 1 and at the end, the growth from minute 1 to
the end per minute (a least-squares slope over the samples), calls served and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
import psycopg
from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import ServerProcess, running_server_process
from benchmarks.mem0_comparison import MODEL_DIR, load_data, load_ours
from memory_service.db.dsn import with_database
from tests.support.database import postgres_server

SAMPLE_SECONDS = 10.0


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return cov / var * 60 if var else 0.0


async def load(
    server: ServerProcess, questions: list[dict[str, Any]], args: argparse.Namespace, stop_at: float
) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    numbers = itertools.count()

    async def caller() -> None:
        while time.monotonic() < stop_at:
            i = next(numbers)
            q = questions[i % len(questions)]
            try:
                # A new text each time (the round through the questions is numbered): every call embeds.
                text = f"{q['text']} ({i // len(questions)})"
                await server.stub.GetContext(pb.GetContextRequest(user_id=q["user_id"], query=text), timeout=2)
                outcomes["get_context"] += 1
            except grpc.aio.AioRpcError as exc:
                outcomes[f"get_context_{exc.code().name}"] += 1

    async def turns() -> None:
        for i in itertools.count():
            if time.monotonic() >= stop_at:
                return
            q = questions[i % len(questions)]
            try:
                await server.stub.QueueExtraction(
                    pb.QueueExtractionRequest(user_id=q["user_id"], user_message=f"Note {i}: {q['answer']}"),
                    timeout=5,
                )
                outcomes["queue_extraction"] += 1
            except grpc.aio.AioRpcError as exc:
                outcomes[f"queue_extraction_{exc.code().name}"] += 1
            await asyncio.sleep(1 / args.turns_per_second)

    await asyncio.gather(turns(), *(caller() for _ in range(args.callers)))
    return outcomes


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--turns-per-second", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()

    memories, vectors, questions = load_data(args.users, 480)
    report: dict[str, Any] = {"benchmark": "footprint", "minutes": args.minutes, "load_average_at_start": None}
    with postgres_server() as admin:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vbm_footprint WITH (FORCE)")
            conn.execute("CREATE DATABASE vbm_footprint")
        dsn = with_database(admin, "vbm_footprint")
        await load_ours(dsn, memories, vectors)
        MODEL_DIR.mkdir(exist_ok=True)
        async with running_server_process(data_dir=MODEL_DIR, MEMORY_DATABASE_URL=dsn) as server:
            report["rss_mib_after_start"] = server.rss_mib()
            for i in range(1000):
                q = questions[i % len(questions)]
                await server.stub.GetContext(pb.GetContextRequest(user_id=q["user_id"], query=f"{q['text']} w{i}"))
            report["rss_mib_after_warm_up_1000_calls"] = server.rss_mib()
            report["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]

            began = time.monotonic()
            stop_at = began + args.minutes * 60
            samples: list[tuple[float, float]] = []
            running = asyncio.create_task(load(server, questions, args, stop_at))
            while not running.done():
                await asyncio.wait({running}, timeout=SAMPLE_SECONDS)
                samples.append((round(time.monotonic() - began, 1), server.rss_mib()))
            outcomes = running.result()
            after_minute = [s for s in samples if s[0] >= 60] or samples
            report.update(
                {
                    "rss_mib_at_minute_1": after_minute[0][1],
                    "rss_mib_at_end": samples[-1][1],
                    "rss_mib_max": max(m for _, m in samples),
                    "growth_mib_per_minute_after_minute_1": round(slope_per_minute(after_minute), 3),
                    "calls": dict(outcomes),
                    "get_context_per_s": round(outcomes["get_context"] / (args.minutes * 60), 1),
                    "rss_samples_mib": [m for _, m in samples],
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                }
            )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
