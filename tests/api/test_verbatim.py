"""With no LLM configured, what the user said becomes a memory: QueueExtraction → GetContext works out of the box."""

from __future__ import annotations

from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service
from tests.support.waiting import finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED


async def queue_and_finish(service: Service, message: str, user: str = "alice") -> extraction_pb2.ExtractionTask:
    task = await service.stub.QueueExtraction(
        pb.QueueExtractionRequest(user_id=user, user_message=message, ai_response="Got it, I'll remember that.")
    )
    return await finished_task(service, task.id)


async def test_user_message_becomes_a_searchable_fact(service: Service) -> None:
    service.start_worker()
    done = await queue_and_finish(service, "I'm allergic to peanuts")
    assert done.status == COMPLETED and done.counts.facts_added == 1 and done.attempts == 1
    found = await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="can I eat this satay sauce?"))
    assert found.facts[0].fact.text == "I'm allergic to peanuts"
    assert found.facts[0].fact.source_task_id == done.id
    # The AI's reply is context, never a memory.
    listed = await service.stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert [f.text for f in listed.facts] == ["I'm allergic to peanuts"]


async def test_near_duplicates_are_suppressed_and_fillers_skipped(service: Service) -> None:
    service.start_worker()
    await queue_and_finish(service, "I love hiking in the mountains")
    duplicate = await queue_and_finish(service, "i love hiking in the mountains!")
    assert duplicate.counts.facts_added == 0 and duplicate.counts.duplicates_skipped == 1
    filler = await queue_and_finish(service, "ok thanks")
    assert filler.skipped_reason == "nothing memorable" and filler.counts.facts_added == 0
    listed = await service.stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))
    assert len(listed.facts) == 1


async def test_a_new_value_of_an_attribute_supersedes_the_old(service: Service) -> None:
    service.start_worker()
    await queue_and_finish(service, "My name is Sam")
    renamed = await queue_and_finish(service, "My name is Samantha")
    assert renamed.counts.facts_updated == 1
    found = await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="what is my name?"))
    assert [s.fact.fact_value for s in found.facts] == ["Samantha"]
    history = await service.stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))
    assert [f.fact_value for f in history.facts] == ["Samantha", "Sam"]


async def test_turns_of_one_user_apply_in_order(service: Service) -> None:
    for name in ("worker-a", "worker-b"):
        service.start_worker(name=name)
    tasks = [
        await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message=f"I live in {city}"))
        for city in ("Berlin", "Madrid", "Oslo", "Lima", "Cairo")
    ]
    for task in tasks:
        await finished_task(service, task.id)
    found = await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="where do I live?"))
    assert [s.fact.fact_value for s in found.facts] == ["Cairo"]
