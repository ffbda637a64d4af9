"""GetContext through the client library, as a bot sees it, and how fast it degrades when the service is gone.

    python benchmarks/client_get_context.py [--facts 1000] [--calls 500] [--down-calls 20]

The service runs in its own process (`memory-service serve`, embedded database); this process is the bot.
Prints JSON:

* `library`: MemoryClient.get_context with its default 100 ms deadline, `calls` sequential calls with fresh
  queries for a user with `facts` facts (p50/p95/p99, and how many degraded);
* `raw_stub`: the same calls on the generated stub without the library (what the library adds);
* `library_with_token_interceptor`: a client holding a token on a plaintext channel (the interceptor that adds
  `authorization`; the benchmark's service has authentication off and ignores it);
* `degraded_frozen`: the service process stopped with SIGSTOP (the connection is up, nothing answers): each
  call ends at the deadline;
* `degraded_stopped`: the service process exited (the port refuses connections).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voxbridge.memory.client import MemoryClient
from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.get_context_latency import QUERIES, TOPICS
from benchmarks.harness import serving_process, summarize_ms

USER = "bench-user"


async def timed_library(memory: MemoryClient, calls: int, label: str) -> dict[str, Any]:
    latencies: list[float] = []
    reasons: dict[str, int] = {}
    for i in range(calls):
        query = f"{QUERIES[i % len(QUERIES)]} ({label} {i})"  # unique: every call embeds
        begin = time.perf_counter()
        context = await memory.get_context(USER, query)
        latencies.append(time.perf_counter() - begin)
        if context.degraded:
            reasons[context.reason] = reasons.get(context.reason, 0) + 1
    return {**summarize_ms(latencies), "degraded": sum(reasons.values()), "degraded_reasons": reasons}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--down-calls", type=int, default=20)
    args = parser.parse_args()

    async with serving_process() as server:
        memory = MemoryClient(server.address)
        assert await memory.wait_ready(30)
        for start in range(0, args.facts, 500):
            batch = [
                fact_pb2.Fact(
                    user_id=USER,
                    fact_key=f"{TOPICS[i % len(TOPICS)]} note {i}",
                    fact_value=f"detail {i} about {TOPICS[(i * 7) % len(TOPICS)]}",
                )
                for i in range(start, min(start + 500, args.facts))
            ]
            await memory.stub.BatchCreateFacts(pb.BatchCreateFactsRequest(user_id=USER, facts=batch), timeout=300)
        for query in QUERIES:  # warm-up (model, connection, caches); timed calls then use fresh texts
            await memory.get_context(USER, query, deadline=10)

        library = await timed_library(memory, args.calls, "library")
        raw: list[float] = []
        for i in range(args.calls):
            request = pb.GetContextRequest(user_id=USER, query=f"{QUERIES[i % len(QUERIES)]} (raw {i})")
            begin = time.perf_counter()
            await server.stub.GetContext(request, timeout=5)
            raw.append(time.perf_counter() - begin)
        async with MemoryClient(server.address, token="vbm_benchmark-token") as with_token:
            await with_token.wait_ready(10)
            token_figures = await timed_library(with_token, args.calls, "token")

        server.process.send_signal(signal.SIGSTOP)
        frozen = await timed_library(memory, args.down_calls, "frozen")
        server.process.send_signal(signal.SIGCONT)
        server.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(server.process.wait(), 60)
        stopped = await timed_library(memory, args.down_calls, "stopped")
        await memory.close()

    print(
        json.dumps(
            {
                "benchmark": "client_get_context",
                "facts": args.facts,
                "calls": args.calls,
                "deadline_ms": 100,
                "library": library,
                "raw_stub": summarize_ms(raw),
                "library_with_token_interceptor": token_figures,
                "degraded_frozen": frozen,
                "degraded_stopped": stopped,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
