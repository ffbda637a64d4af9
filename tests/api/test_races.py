"""Manual edits and extraction racing on the same facts: nothing lost, no deadlock, never INTERNAL."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from voxbridge.memory.v1 import extraction_pb2, fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_llm import Call, FakeLlm, Reply, facts_reply, memory_reply
from tests.support.harness import Service, running_service, with_llm
from tests.support.rpc import new_fact
from tests.support.waiting import eventually, finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED


@pytest.fixture
async def llm_service(settings: Any, sentence_model: Any, fake_llm: FakeLlm) -> AsyncIterator[Service]:
    async with running_service(with_llm(settings, fake_llm.base_url), sentence_model) as service:
        yield service


def edit_text(user: str, fact_id: str, text: str) -> pb.UpdateFactRequest:
    return pb.UpdateFactRequest(
        fact=fact_pb2.Fact(user_id=user, id=fact_id, text=text), update_mask=field_mask_pb2.FieldMask(paths=["text"])
    )


async def test_a_plan_made_before_a_manual_edit_is_made_again_not_applied_over_it(
    llm_service: Service, fake_llm: FakeLlm
) -> None:
    stub = llm_service.stub
    tennis = await stub.CreateFact(new_fact("alice", text="Plays tennis on weekends"))
    fake_llm.script.on_facts = lambda call: facts_reply("Plays tennis every Saturday")
    prompts: list[str] = []
    planned = asyncio.Event()

    def reconcile(call: Call) -> Reply:
        prompts.append(call.prompt)
        if len(prompts) == 1:  # the first plan: slow, so the person's edit lands in between
            planned.set()
            return dataclasses.replace(
                memory_reply({"id": "0", "text": "Plays tennis every Saturday", "event": "UPDATE"}), delay=1.5
            )
        return memory_reply({"id": "0", "text": "Plays tennis on Sundays now", "event": "NONE"})

    fake_llm.script.on_reconcile = reconcile
    llm_service.start_worker()
    task = await stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="Saturday tennis!"))
    await eventually(lambda: asyncio.sleep(0, result=planned.is_set()))
    edited = await stub.UpdateFact(edit_text("alice", tennis.id, "Plays tennis on Sundays now"))

    done = await finished_task(llm_service, task.id, task.user_id)
    assert done.status == COMPLETED and done.counts.facts_updated == 0
    assert len(prompts) == 2 and "Plays tennis on Sundays now" in prompts[1]  # planned again from the edit
    current = await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=tennis.id))
    assert current == edited  # the person's edit stands, untouched
    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert [f.text for f in listed.facts] == ["Plays tennis on Sundays now"]


async def test_edits_and_extractions_racing_on_one_key_never_deadlock_or_fail_internally(
    llm_service: Service, fake_llm: FakeLlm, caplog: pytest.LogCaptureFixture
) -> None:
    stub = llm_service.stub
    rng = random.Random(7)
    await stub.CreateFact(new_fact("alice", fact_key="mood", fact_value="calm"))
    # Every extraction wants to replace whatever fact it was shown first, and to add one.
    fake_llm.script.on_facts = lambda call: facts_reply(f"Mood is {call.user_message}")
    fake_llm.script.on_reconcile = lambda call: memory_reply(
        {"id": "0", "text": f"Feels {rng.random():.6f}", "event": rng.choice(["UPDATE", "DELETE"])},
        {"id": "99", "text": f"Said something {rng.random():.6f}", "event": "ADD"},
    )
    for n in range(3):
        llm_service.start_worker(name=f"w{n}")

    outcomes: Counter[str] = Counter()

    async def call(rpc: Any) -> None:
        try:
            await rpc
            outcomes["OK"] += 1
        except grpc.aio.AioRpcError as error:
            outcomes[error.code().name] += 1

    async def edit_current_mood(i: int) -> None:
        listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
        moods = [f for f in listed.facts if f.fact_key == "mood"]
        if moods:
            await call(stub.UpdateFact(edit_text("alice", moods[0].id, f"feeling number {i}")))

    task_ids: list[str] = []

    async def queue(i: int) -> None:
        task = await stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message=f"happy {i}"))
        task_ids.append(task.id)

    work = []
    for i in range(40):
        work += [
            call(stub.CreateFact(new_fact("alice", fact_key="mood", fact_value=f"mood {i}"))),
            edit_current_mood(i),
            queue(i),
        ]
    rng.shuffle(work)
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(asyncio.gather(*work), timeout=120)
        finished = [await finished_task(llm_service, task_id, "alice", within=120) for task_id in task_ids]

    assert set(outcomes) <= {"OK", "ABORTED", "FAILED_PRECONDITION"}, outcomes  # never INTERNAL or UNKNOWN
    assert outcomes["OK"] >= 40
    assert {t.status for t in finished} == {COMPLETED}, Counter(t.error_reason for t in finished)
    assert not [r for r in caplog.records if "unexpected error" in r.getMessage() or "crashed" in r.getMessage()]
    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", page_size=500))
    assert sum(1 for f in listed.facts if f.fact_key == "mood") <= 1  # one current fact per key, always
