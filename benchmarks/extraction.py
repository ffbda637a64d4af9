"""Extraction figures: QueueExtraction latency, add-to-searchable lag, throughput, GetContext idle vs loaded.

    python benchmarks/extraction.py [--tasks 1000] [--calls 500]

Everything runs against the real service on the embedded database. The LLM is
the test suite's fake OpenAI-compatible server (tests/support/fake_llm.py),
answering instantly (throughput) or after a delay standing in for a real model
(the load while GetContext is measured). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voxbridge.memory.v1 import fact_pb2, memory_service_pb2_grpc
from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import server_process, summarize_ms
from tests.support.fake_llm import FakeLlm, add_every_new_fact, facts_reply

SERVER_ENV = {"MEMORY_POLL_SECONDS": "0.5", "MEMORY_WORKER_CONCURRENCY": "16"}
Stub = memory_service_pb2_grpc.MemoryServiceStub


async def queue_latency(stub: Stub, calls: int, *, pause: float = 0.0) -> dict[str, Any]:
    latencies = []
    for i in range(calls):
        begin = time.perf_counter()
        await stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id=f"queue-user-{i % 50}", user_message=f"I own {i} vinyl records")
        )
        latencies.append(time.perf_counter() - begin)
        await asyncio.sleep(pause)
    return summarize_ms(latencies)


async def searchable_lag(stub: Stub, samples: int) -> dict[str, Any]:
    """Verbatim mode: from QueueExtraction returning to GetContext returning the new fact."""
    lags = []
    for i in range(-1, samples):  # the first one warms the worker up and is not counted
        marker = f"zanzibar{i + 1}"
        begin = time.perf_counter()
        await stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="lag-user", user_message=f"My favourite island is {marker}")
        )
        while True:
            found = await stub.GetContext(pb.GetContextRequest(user_id="lag-user", query=f"island {marker}", limit=1))
            if found.facts and marker in found.facts[0].fact.text:
                break
            await asyncio.sleep(0.005)
        if i >= 0:
            lags.append(time.perf_counter() - begin)
    return summarize_ms(lags)


async def drained(stub: Stub) -> None:
    while True:
        stats = await stub.GetQueueStats(pb.GetQueueStatsRequest())
        if stats.pending == 0 and stats.processing == 0:
            return
        await asyncio.sleep(0.2)


async def queue_many(stub: Stub, count: int, prefix: str) -> None:
    for start in range(0, count, 50):
        await asyncio.gather(
            *(
                stub.QueueExtraction(
                    pb.QueueExtractionRequest(user_id=f"{prefix}-{i % 100}", user_message=f"I visited town number {i}")
                )
                for i in range(start, min(start + 50, count))
            )
        )


async def throughput(stub: Stub, tasks: int, prefix: str) -> dict[str, Any]:
    """Tasks per second through the server's in-process worker, from the first queued to the last done."""
    begin = time.perf_counter()
    await queue_many(stub, tasks, prefix)
    await drained(stub)
    seconds = time.perf_counter() - begin
    return {"tasks": tasks, "seconds": round(seconds, 2), "tasks_per_second": round(tasks / seconds, 1)}


async def one_get_context(stub: Stub, label: str) -> float:
    begin = time.perf_counter()
    await stub.GetContext(pb.GetContextRequest(user_id="ctx-user", query=f"what do I like? {label}"))
    latency = time.perf_counter() - begin
    await asyncio.sleep(0.01)  # a bot's pace, not a tight loop
    return latency


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    report: dict[str, Any] = {"benchmark": "extraction", "server": "memory-service serve in its own process"}

    async with server_process(**SERVER_ENV, MEMORY_RUN_WORKER="false") as stub:
        # The queue alone: what the bot's call costs when workers run elsewhere.
        report["queue_extraction_workers_elsewhere"] = await queue_latency(stub, args.calls)

    async with server_process(**SERVER_ENV) as stub:  # no LLM: verbatim mode, worker in the server
        # 20 turns a second while the same process extracts every one of them on 2 cores.
        report["queue_extraction_with_in_process_worker_20_per_s"] = await queue_latency(stub, args.calls, pause=0.05)
        await drained(stub)
        report["verbatim_add_to_searchable_lag"] = await searchable_lag(stub, 50)
        report["verbatim_throughput"] = await throughput(stub, args.tasks, "verbatim")

    with FakeLlm() as llm:
        llm.script.on_facts = lambda call: facts_reply(f"Fact about {call.user_message}")
        llm.script.on_reconcile = add_every_new_fact
        async with server_process(**SERVER_ENV, MEMORY_LLM_BASE_URL=llm.base_url, MEMORY_LLM_MODEL="fake") as stub:
            report["llm_throughput_fake_llm"] = await throughput(stub, args.tasks, "llm")

            for key, value in (("food", "sushi"), ("music", "jazz"), ("sport", "climbing")):
                await stub.CreateFact(
                    pb.CreateFactRequest(fact=fact_pb2.Fact(user_id="ctx-user", fact_key=key, fact_value=value))
                )
            idle = [await one_get_context(stub, f"idle {i}") for i in range(200)]
            # Load: 200 extractions in flight against an LLM that takes 1 s per call (a small local
            # model's pace), processed by the in-process worker of this very server.
            llm.script.on_facts = lambda call: dataclasses.replace(
                facts_reply(f"Fact about {call.user_message}"), delay=1.0
            )
            await queue_many(stub, 200, "load")
            busy = asyncio.create_task(drained(stub))
            loaded = []
            while not busy.done():
                loaded.append(await one_get_context(stub, f"loaded {len(loaded)}"))
            idle_summary, loaded_summary = summarize_ms(idle), summarize_ms(loaded)
            report["get_context_idle"] = idle_summary
            report["get_context_while_200_extractions_run"] = loaded_summary
            report["loaded_to_idle_ratio_p50"] = round(loaded_summary["p50_ms"] / idle_summary["p50_ms"], 2)
            report["loaded_to_idle_ratio_p95"] = round(loaded_summary["p95_ms"] / idle_summary["p95_ms"], 2)

    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
