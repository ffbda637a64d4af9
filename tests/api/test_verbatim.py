"""With no LLM configured, what the user said becomes a memory: QueueExtraction → GetContext works out of the box."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2
from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service
from tests.support.waiting import finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED


async def queue_and_finish(service: Service, message: str, user: str = "alice") -> extraction_pb2.ExtractionTask:
    task = await service.stub.QueueExtraction(
        pb.QueueExtractionRequest(user_id=user, user_message=message, ai_response="Got it, I'll remember that.")
    )
    return await finished_task(service, task.id, task.user_id)


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


async def test_verbatim_mode_closes_nothing_every_true_statement_stays(service: Service) -> None:
    service.start_worker()
    said = [
        "My son is 5 years old",
        "My son is allergic to nuts",
        "My favourite food is sushi",
        "My favourite food is not spicy",
        "My name is Sam",
        "My name is Samantha",  # verbatim mode cannot know this replaces Sam: only an LLM or a caller decides
    ]
    for message in said:
        done = await queue_and_finish(service, message)
        assert (done.counts.facts_added, done.counts.facts_updated, done.counts.facts_superseded) == (1, 0, 0)
    current = await service.stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert sorted(f.text for f in current.facts) == sorted(said)
    assert all(f.fact_key == "" for f in current.facts)
    age = await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="how old is my son?", limit=2))
    assert "My son is 5 years old" in [s.fact.text for s in age.facts]


async def test_turns_of_one_user_apply_in_the_order_they_were_said(service: Service) -> None:
    """Turns queued out of order (a client retrying, history imported late) apply by occurred_at."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    said = [("I adopted a cat", 0), ("I adopted a dog", 1), ("I adopted a parrot", 2), ("I adopted a turtle", 3)]
    arrival = [said[2], said[0], said[3], said[1]]
    tasks = []
    for message, minute in arrival:
        occurred = timestamp_pb2.Timestamp()
        occurred.FromDatetime(start + timedelta(minutes=minute))
        tasks.append(
            await service.stub.QueueExtraction(
                pb.QueueExtractionRequest(
                    user_id="alice", user_message=message, occurred_at=occurred, session_id="call-7"
                )
            )
        )
    for name in ("worker-a", "worker-b"):
        service.start_worker(name=name)
    for task in tasks:
        await finished_task(service, task.id, task.user_id)
    listed = await service.stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    applied = sorted(listed.facts, key=lambda f: f.created_at.ToDatetime())
    assert [f.text for f in applied] == [message for message, _ in said]  # applied in the order said
    for fact, (_, minute) in zip(applied, said, strict=True):  # and valid from when they were said
        assert fact.valid_from.ToDatetime(tzinfo=UTC) == start + timedelta(minutes=minute)
        assert fact.session_id == "call-7"
