"""GetContext latency: p50/p95 over 200 calls for a user with 1,000 facts, through the real gRPC server.

    python benchmarks/get_context_latency.py [--facts 1000] [--calls 200] [--concurrency 1]

Prints JSON. The embedding of each query dominates; the SQL scan of the user's
1,000 facts is measured separately (search_sql_ms) to show where time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import bench_service, summarize_ms
from memory_service.db import facts as facts_sql
from memory_service.embeddings import Priority

TOPICS = ["food", "travel", "music", "work", "family", "sport", "books", "health", "pets", "films", "games", "weather"]
QUERIES = [
    "what should I cook tonight?",
    "any idea for my next holiday?",
    "play me something I'd like",
    "how was my week at the office?",
    "remind me of my sister's birthday",
    "should I go running today?",
    "recommend a novel",
    "is this dish safe for my allergy?",
    "how is my dog doing?",
    "what film should we watch?",
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(42)

    async with bench_service() as bench:
        started = time.perf_counter()
        for start in range(0, args.facts, 50):
            await asyncio.gather(
                *(
                    bench.stub.CreateFact(
                        pb.CreateFactRequest(
                            fact=fact_pb2.Fact(
                                user_id="bench-user",
                                fact_key=f"{rng.choice(TOPICS)} note {i}",
                                fact_value=f"detail {i} about {rng.choice(TOPICS)} and {rng.choice(TOPICS)}",
                            )
                        )
                    )
                    for i in range(start, min(start + 50, args.facts))
                )
            )
        seeding_s = time.perf_counter() - started
        for query in QUERIES:  # warm-up; the cache holds these texts afterwards, so timed calls use fresh ones
            await bench.stub.GetContext(pb.GetContextRequest(user_id="bench-user", query=query))

        latencies: list[float] = []
        semaphore = asyncio.Semaphore(args.concurrency)

        async def one(i: int) -> None:
            query = f"{QUERIES[i % len(QUERIES)]} (call {i})"  # unique: every call embeds
            async with semaphore:
                begin = time.perf_counter()
                await bench.stub.GetContext(pb.GetContextRequest(user_id="bench-user", query=query), timeout=5)
                latencies.append(time.perf_counter() - begin)

        wall = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(args.calls)))
        wall = time.perf_counter() - wall

        # Where the time goes: the SQL scan alone, with a precomputed query vector.
        [vector] = await bench.core.embedder.embed(["what should I cook tonight?"], Priority.INTERACTIVE)
        sql_latencies: list[float] = []
        for _ in range(args.calls):
            begin = time.perf_counter()
            async with bench.core.db.connection() as conn:
                await facts_sql.search(
                    conn,
                    "bench-user",
                    agent_ids=("",),
                    query_vector=vector,
                    query_text="what should I cook tonight?",
                    embedding_model=bench.core.embedder.model_id,
                    limit=5,
                    min_relevance=0.0,
                )
            sql_latencies.append(time.perf_counter() - begin)
        embed_latencies: list[float] = []
        for i in range(50):
            begin = time.perf_counter()
            await bench.core.embedder.embed([f"fresh embedding text number {i}"], Priority.INTERACTIVE)
            embed_latencies.append(time.perf_counter() - begin)

    print(
        json.dumps(
            {
                "benchmark": "get_context_latency",
                "facts": args.facts,
                "calls": args.calls,
                "concurrency": args.concurrency,
                "seeding_seconds": round(seeding_s, 2),
                "get_context": summarize_ms(latencies),
                "throughput_calls_per_s": round(args.calls / wall, 1),
                "search_sql_only": summarize_ms(sql_latencies),
                "embed_one_query_only": summarize_ms(embed_latencies),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
