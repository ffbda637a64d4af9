"""The queue cannot lose a turn: concurrent workers, SIGKILLed workers, paused workers, failing LLMs, lost LISTEN."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.database import events_numbered
from tests.support.fake_llm import Call, FakeLlm, Reply, add_every_new_fact, facts_reply
from tests.support.harness import Service, running_service, with_llm
from tests.support.processes import kill, service_env, start
from tests.support.waiting import eventually, finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED
FAILED = extraction_pb2.EXTRACTION_STATUS_FAILED


def sql(database_url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(query, args or None).fetchall()  # type: ignore[arg-type]


def worker_env(database_url: str, data_dir: Path, llm: FakeLlm, **extra: str) -> dict[str, str]:
    """The environment of a `memory-service worker` process on the test database, with a 2 s lease."""
    return service_env(
        {
            "MEMORY_DATABASE_URL": database_url,
            "MEMORY_DATA_DIR": str(data_dir),
            "MEMORY_LLM_BASE_URL": llm.base_url,
            "MEMORY_LLM_MODEL": "fake-model",
            "MEMORY_TASK_LEASE_SECONDS": "2",
            **extra,
        }
    )


async def queue_many(service: Service, count: int, users: int, message: str = "Visited place number {i}") -> list[str]:
    ids: list[str] = []
    for start_at in range(0, count, 50):
        chunk = range(start_at, min(start_at + 50, count))
        tasks = await asyncio.gather(
            *(
                service.stub.QueueExtraction(
                    pb.QueueExtractionRequest(user_id=f"user-{i % users}", user_message=message.format(i=i))
                )
                for i in chunk
            )
        )
        ids += [t.id for t in tasks]
    return ids


async def all_done(database_url: str, expected: int, within: float) -> None:
    async def probe() -> bool:
        [(done,)] = await asyncio.to_thread(
            sql, database_url, "SELECT count(*) FROM extraction_tasks WHERE status IN ('completed', 'failed')"
        )
        return bool(done == expected)

    await eventually(probe, within=within, every=0.25)


async def test_four_workers_do_a_thousand_tasks_each_exactly_once(service: Service, database_url: str) -> None:
    ids = await queue_many(service, 1000, users=100)
    for n in range(4):
        service.start_worker(name=f"worker-{n}")
    await all_done(database_url, 1000, within=240)

    await events_numbered(database_url)
    rows = sql(database_url, "SELECT status, attempts, worker_id FROM extraction_tasks")
    twice = sql(
        database_url,
        """SELECT e.id, e.task_id::text, e.type, e.attempt, e.payload::text, e.created_at::text FROM memory_events e
           WHERE e.task_id IN (SELECT id FROM extraction_tasks WHERE attempts > 1) ORDER BY e.id""",
    )
    assert {(status, attempts) for status, attempts, _ in rows} == {("completed", 1)}, twice
    assert len({worker for _, _, worker in rows}) == 4  # all four took part
    events = Counter(sql(database_url, "SELECT task_id::text, type FROM memory_events"))
    for task_id in ids:  # one lease per task, never two at once
        assert (events[(task_id, "processing")], events[(task_id, "completed")]) == (1, 1)
    [(facts, distinct_tasks)] = sql(database_url, "SELECT count(*), count(DISTINCT source_task_id) FROM facts")
    assert facts == distinct_tasks == 1000


async def test_sigkilled_worker_processes_lose_nothing_and_duplicate_nothing(
    service: Service, database_url: str, tmp_path: Path
) -> None:
    await crash_workers_at_random(service, database_url, tmp_path, tasks=240, processes=3, kills=6, seed=7)


@pytest.mark.soak
@pytest.mark.timeout(1200)
async def test_soak_many_kills_over_thousands_of_tasks(service: Service, database_url: str, tmp_path: Path) -> None:
    await crash_workers_at_random(service, database_url, tmp_path, tasks=3000, processes=4, kills=40, seed=11)


async def crash_workers_at_random(
    service: Service, database_url: str, tmp_path: Path, *, tasks: int, processes: int, kills: int, seed: int
) -> None:
    """Worker processes extract while some are SIGKILLed and restarted; then every turn must be done once."""
    with FakeLlm() as llm:
        # Slow enough that kills land mid-task; each turn yields one fact of its own.
        llm.script.on_facts = lambda call: dataclasses.replace(facts_reply(f"Fact of {call.user_message}"), delay=0.15)
        llm.script.on_reconcile = add_every_new_fact
        env = worker_env(database_url, tmp_path, llm, MEMORY_MAINTENANCE_SECONDS="0.5")
        await queue_many(service, tasks, users=max(tasks // 4, 1), message="Turn {i}")
        workers = [start(["worker"], env, tmp_path / f"worker-{n}.log") for n in range(processes)]
        rng = random.Random(seed)
        done_kills = 0
        try:
            deadline = time.monotonic() + 240 + tasks / 10
            while time.monotonic() < deadline:
                [(done,)] = sql(database_url, "SELECT count(*) FROM extraction_tasks WHERE status = 'completed'")
                if done == tasks:
                    break
                await asyncio.sleep(rng.uniform(1.0, 2.5))
                if done_kills < kills and done > 20:
                    victim = rng.randrange(len(workers))
                    kill(workers[victim])  # SIGKILL: no cleanup, no goodbye
                    done_kills += 1
                    workers[victim] = start(["worker"], env, tmp_path / f"worker-{victim}.log")
        finally:
            for process in workers:
                kill(process)
        assert done_kills >= min(kills, 3)
        rows = sql(database_url, "SELECT status, count(*) FROM extraction_tasks GROUP BY status")
        assert rows == [("completed", tasks)], rows
        [(facts, distinct_tasks, current)] = sql(
            database_url,
            "SELECT count(*), count(DISTINCT source_task_id), count(*) FILTER (WHERE valid_to IS NULL) FROM facts",
        )
        assert facts == distinct_tasks == current == tasks  # every turn once: none lost, none twice
        [(retried,)] = sql(database_url, "SELECT count(*) FROM extraction_tasks WHERE attempts > 1")
        assert retried > 0  # some leases really expired and were re-claimed


async def test_a_paused_worker_that_wakes_up_late_writes_nothing(
    settings: Any, sentence_model: Any, database_url: str, tmp_path: Path
) -> None:
    with FakeLlm() as llm:
        answered = 0

        def on_facts(call: Call) -> Reply:
            nonlocal answered
            answered += 1
            return dataclasses.replace(facts_reply(f"Name is Zed ({answered})"), delay=0.5 if answered == 1 else 0)

        llm.script.on_facts = on_facts
        configured = with_llm(settings, llm.base_url)
        configured = dataclasses.replace(configured, worker=dataclasses.replace(configured.worker, lease_seconds=2.0))
        async with running_service(configured, sentence_model) as service:
            env = worker_env(database_url, tmp_path, llm)
            paused = start(["worker", "--concurrency", "1"], env, tmp_path / "paused.log")
            try:
                task = await service.stub.QueueExtraction(
                    pb.QueueExtractionRequest(user_id="zed", user_message="Call me Zed")
                )
                await eventually(lambda: asyncio.sleep(0, result=bool(llm.calls)), within=90)
                os.kill(paused.pid, signal.SIGSTOP)  # frozen mid-task, holding the lease
                await asyncio.sleep(3)  # the lease (2 s) expires
                service.start_worker(name="rescuer")
                done = await finished_task(service, task.id, task.user_id)
                assert done.status == COMPLETED and done.attempts == 2
                os.kill(paused.pid, signal.SIGCONT)  # wakes up believing it still holds the task
                await asyncio.sleep(3)
            finally:
                kill(paused)
            facts = sql(database_url, "SELECT text FROM facts")
            assert facts == [("Name is Zed (2)",)]  # only the rescuer's result, nothing from the paused worker
            await events_numbered(database_url)
            events = sql(database_url, "SELECT type FROM memory_events WHERE type = 'completed'")
            assert len(events) == 1
            log = (tmp_path / "paused.log").read_text()
            assert "lease lost" in log, log[-2000:]


async def test_an_llm_that_keeps_answering_garbage_gets_three_attempts_with_growing_gaps(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, database_url: str
) -> None:
    fake_llm.script.on_facts = lambda call: Reply("I am not JSON at all")
    configured = with_llm(settings, fake_llm.base_url)
    configured = dataclasses.replace(configured, worker=dataclasses.replace(configured.worker, retry_base_seconds=0.3))
    async with running_service(configured, sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        done = await finished_task(service, task.id, task.user_id)
    assert done.status == FAILED and done.attempts == 3
    assert (done.error, done.error_reason) == ("LLM answer was not valid JSON", "LLM_BAD_ANSWER")
    times = [c.at for c in fake_llm.calls_of("facts")]
    assert len(times) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps[0] >= 0.3 and gaps[1] > gaps[0]
    await events_numbered(database_url)
    types = [t for (t,) in sql(database_url, "SELECT type FROM memory_events ORDER BY id")]
    assert types == ["queued", "processing", "retrying", "processing", "retrying", "processing", "failed"]
    assert not sql(database_url, "SELECT 1 FROM memory_events WHERE payload::text LIKE %s", "%sk-test%")
    assert not sql(database_url, "SELECT 1 FROM extraction_tasks WHERE last_error LIKE %s", "%sk-test%")


async def test_malformed_answers_and_timeouts_are_retried(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm
) -> None:
    replies = iter([Reply(raw_body=b"{not json"), Reply("no json here at all"), facts_reply("Likes trains")])
    fake_llm.script.on_facts = lambda call: next(replies)
    configured = with_llm(settings, fake_llm.base_url)
    configured = dataclasses.replace(configured, worker=dataclasses.replace(configured.worker, retry_base_seconds=0.05))
    async with running_service(configured, sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message="I like trains")
        )
        done = await finished_task(service, task.id, task.user_id)
        assert done.status == COMPLETED and done.attempts == 3 and done.counts.facts_added == 1

    slow = iter([dataclasses.replace(facts_reply("Likes boats"), delay=2.0), facts_reply("Likes boats")])
    fake_llm.script.on_facts = lambda call: next(slow)
    timing_out = with_llm(settings, fake_llm.base_url, timeout_seconds=0.5)
    timing_out = dataclasses.replace(timing_out, worker=dataclasses.replace(timing_out.worker, retry_base_seconds=0.05))
    async with running_service(timing_out, sentence_model, workers=1) as service:
        task = await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="bob", user_message="I like boats"))
        done = await finished_task(service, task.id, task.user_id)
        assert done.status == COMPLETED and done.attempts == 2 and done.error == "LLM request timed out"


async def test_tasks_still_finish_when_the_listen_connection_is_killed(service: Service, database_url: str) -> None:
    service.start_worker()
    listeners = await eventually(
        lambda: asyncio.to_thread(
            sql,
            database_url,
            "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND datname = current_database()",
            "LISTEN%",
        )
    )
    for (pid,) in listeners:
        sql(database_url, "SELECT pg_terminate_backend(%s)", pid)
    ids = await queue_many(service, 5, users=5)
    for i, task_id in enumerate(ids):
        assert (await finished_task(service, task_id, f"user-{i % 5}", within=30)).status == COMPLETED


async def test_get_context_keeps_answering_while_200_extractions_run(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm
) -> None:
    """The event loop stays free (latency figures: benchmarks/extraction.py); here only success is asserted."""
    fake_llm.script.on_facts = lambda call: dataclasses.replace(facts_reply(f"Fact of {call.user_message}"), delay=0.2)
    fake_llm.script.on_reconcile = add_every_new_fact
    async with running_service(with_llm(settings, fake_llm.base_url), sentence_model, workers=2) as service:
        await service.stub.CreateFact(pb.CreateFactRequest(fact={"user_id": "bot-user", "text": "Likes jazz"}))  # type: ignore[arg-type]
        ids = await queue_many(service, 200, users=40)
        answered = 0
        while True:
            found = await service.stub.GetContext(
                pb.GetContextRequest(user_id="bot-user", query=f"music tonight? {answered}"), timeout=5
            )
            assert found.facts[0].fact.text == "Likes jazz"
            answered += 1
            stats = await service.stub.GetQueueStats(pb.GetQueueStatsRequest())
            if stats.pending == 0 and stats.processing == 0:
                break
        assert answered > 10
        for i, task_id in enumerate(ids[:20]):
            assert (await finished_task(service, task_id, f"user-{i % 40}")).status == COMPLETED
