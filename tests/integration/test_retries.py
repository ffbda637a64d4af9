"""Retries that match the failure: refusals fail at once, outages retry until the budget, shutdowns spend nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from typing import Any

import grpc
import psycopg
import pytest
from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.database import events_numbered
from tests.support.fake_llm import FakeLlm, Reply, facts_reply
from tests.support.harness import running_service, with_llm
from tests.support.processes import free_port
from tests.support.rpc import rpc_failure
from tests.support.waiting import eventually, finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED
FAILED = extraction_pb2.EXTRACTION_STATUS_FAILED
PENDING = extraction_pb2.EXTRACTION_STATUS_PENDING


def fast_retries(settings: Any, base_url: str, **worker: Any) -> Any:
    configured = with_llm(settings, base_url)
    return dataclasses.replace(
        configured, worker=dataclasses.replace(configured.worker, retry_base_seconds=0.05, **worker)
    )


async def event_types(database_url: str) -> list[str]:
    await events_numbered(database_url)
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT type FROM memory_events ORDER BY id")]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_a_refused_request_fails_at_once_with_the_reason(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, status: int
) -> None:
    fake_llm.script.on_facts = lambda call: Reply(status=status)
    async with running_service(fast_retries(settings, fake_llm.base_url), sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        done = await finished_task(service, task.id, task.user_id)
    assert (done.status, done.attempts, done.error_reason) == (FAILED, 1, "LLM_REJECTED")
    assert f"HTTP {status}" in done.error and "sk-test" not in done.error
    assert len(fake_llm.calls_of("facts")) == 1


async def test_an_outage_longer_than_max_attempts_loses_no_turn(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, database_url: str
) -> None:
    """503, 500, 429 and timeouts do not count against max_attempts (3): the turn waits the outage out."""
    failures = iter([Reply(status=503), Reply(status=500), Reply(status=502), Reply(status=429), Reply(status=503)])
    fake_llm.script.on_facts = lambda call: next(failures, facts_reply("Likes trains"))
    async with running_service(fast_retries(settings, fake_llm.base_url), sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        done = await finished_task(service, task.id, task.user_id)
    assert (done.status, done.attempts, done.max_attempts) == (COMPLETED, 6, 3)
    assert done.counts.facts_added == 1
    assert (await event_types(database_url)).count("retrying") == 5


async def test_retry_after_is_honoured(settings: Any, sentence_model: Any, fake_llm: FakeLlm) -> None:
    replies = iter([Reply(status=429, headers={"Retry-After": "1.5"})])
    fake_llm.script.on_facts = lambda call: next(replies, facts_reply("Likes trains"))
    async with running_service(fast_retries(settings, fake_llm.base_url), sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        assert (await finished_task(service, task.id, task.user_id)).status == COMPLETED
    first, second = (c.at for c in fake_llm.calls_of("facts"))
    assert second - first >= 1.5  # the backoff alone would have been 0.05 s


async def test_the_retry_budget_ends_an_outage_with_a_clear_reason(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm
) -> None:
    fake_llm.script.on_facts = lambda call: Reply(status=503)
    configured = fast_retries(settings, fake_llm.base_url, retry_budget_seconds=1.0)
    async with running_service(configured, sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        done = await finished_task(service, task.id, task.user_id)
    assert (done.status, done.error_reason) == (FAILED, "RETRY_BUDGET_SPENT")
    assert done.error.startswith("gave up after 0:00:01 of retries: LLM endpoint answered HTTP 503")
    assert len(fake_llm.calls_of("facts")) > 3  # not bounded by max_attempts


async def test_an_llm_restart_loses_no_turn(settings: Any, sentence_model: Any) -> None:
    """Connection refused while the LLM is down; the turn completes once it is back."""
    port = free_port()
    configured = fast_retries(settings, f"http://127.0.0.1:{port}/v1")
    async with running_service(configured, sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )

        async def retried_twice() -> bool:
            now = await service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task.id, user_id="alice"))
            return now.attempts >= 2 and now.status == PENDING

        await eventually(retried_twice, within=30)
        refused = await service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task.id, user_id="alice"))
        assert refused.error_reason == "LLM_UNAVAILABLE" and refused.HasField("give_up_at")
        with FakeLlm(port=port) as llm:  # the LLM is back
            llm.script.on_facts = lambda call: facts_reply("Likes trains")
            done = await finished_task(service, task.id, task.user_id)
    assert done.status == COMPLETED and done.counts.facts_added == 1


async def test_a_graceful_shutdown_gives_tasks_back_without_spending_an_attempt(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, database_url: str
) -> None:
    answers = itertools.count()

    def slow_then_quick(call: Any) -> Reply:
        first = next(answers) == 0
        return dataclasses.replace(facts_reply("Likes trains"), delay=30 if first else 0)

    fake_llm.script.on_facts = slow_then_quick
    async with running_service(fast_retries(settings, fake_llm.base_url), sentence_model) as service:
        service.start_worker(name="leaving")
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        await eventually(lambda: asyncio.sleep(0, result=bool(fake_llm.calls)), within=30)
        await service.stop_workers()  # grace 2 s, then the task is given back

        released = await service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task.id, user_id="alice"))
        assert (released.status, released.attempts) == (PENDING, 0)
        assert (await event_types(database_url))[-1] == "released"

        service.start_worker(name="staying")
        done = await finished_task(service, task.id, task.user_id)
    assert (done.status, done.attempts) == (COMPLETED, 1)


async def test_operators_list_and_requeue_failed_tasks(settings: Any, sentence_model: Any, fake_llm: FakeLlm) -> None:
    fake_llm.script.on_facts = lambda call: Reply(status=401)
    async with running_service(fast_retries(settings, fake_llm.base_url), sentence_model, workers=1) as service:
        stub = service.stub
        tasks = [
            await stub.QueueExtraction(pb.QueueExtractionRequest(user_id=user, user_message=f"I like {thing}"))
            for user, thing in (("alice", "trains"), ("alice", "boats"), ("bob", "planes"))
        ]
        for task in tasks:
            assert (await finished_task(service, task.id, task.user_id)).status == FAILED

        failed = await stub.ListExtractions(pb.ListExtractionsRequest(statuses=[FAILED], page_size=2))
        assert len(failed.tasks) == 2 and failed.next_page_token
        rest = await stub.ListExtractions(
            pb.ListExtractionsRequest(statuses=[FAILED], page_size=2, page_token=failed.next_page_token)
        )
        assert {t.id for t in [*failed.tasks, *rest.tasks]} == {t.id for t in tasks}
        alices = await stub.ListExtractions(pb.ListExtractionsRequest(user_id="alice", statuses=[FAILED, COMPLETED]))
        assert {t.id for t in alices.tasks} == {t.id for t in tasks[:2]}
        failure = await rpc_failure(stub.ListExtractions(pb.ListExtractionsRequest(statuses=[42])))  # type: ignore[list-item]
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT

        fake_llm.script.on_facts = lambda call: facts_reply(f"Likes {call.user_message.split()[-1]}")
        requeued = await stub.RequeueExtractions(pb.RequeueExtractionsRequest(user_id="alice"))
        assert set(requeued.task_ids) == {t.id for t in tasks[:2]}
        for task in tasks[:2]:
            done = await finished_task(service, task.id, task.user_id)
            assert done.status == COMPLETED and done.attempts == 2
        bob = await stub.GetExtraction(pb.GetExtractionRequest(task_id=tasks[2].id, user_id="bob"))
        assert bob.status == FAILED  # another user's task was left alone
        again = await stub.RequeueExtractions(pb.RequeueExtractionsRequest(task_ids=[tasks[0].id, tasks[2].id]))
        assert list(again.task_ids) == [tasks[2].id]  # a completed task is not failed: left as it is
        assert (await finished_task(service, tasks[2].id, "bob")).status == COMPLETED
