"""WatchExtractions: replay then follow, gap-free in commit order, bounded for slow readers, on every replica."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from pathlib import Path
from typing import Any

import grpc
import psycopg
from voxbridge.memory.v1 import extraction_pb2 as ex
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import memory_service_pb2_grpc

from tests.support.database import events_numbered
from tests.support.harness import Service, running_service
from tests.support.processes import free_port, service_env, start, terminate, wait_serving
from tests.support.rpc import parse_error, rpc_failure
from tests.support.waiting import finished_task

HEARTBEAT = ex.EXTRACTION_EVENT_TYPE_HEARTBEAT


async def read_events(
    stub: Any, count: int, *, after: int = 0, user: str = "", within: float = 30
) -> list[ex.ExtractionEvent]:
    """The next `count` stored events of a stream (heartbeats skipped)."""
    stream = stub.WatchExtractions(pb.WatchExtractionsRequest(user_id=user, after_event_id=after))
    events: list[ex.ExtractionEvent] = []
    try:
        async with asyncio.timeout(within):
            while len(events) < count:
                event = await stream.read()
                assert event is not grpc.aio.EOF
                if event.type != HEARTBEAT:
                    events.append(event)
    finally:
        stream.cancel()
    return events


async def queue(service: Service, user: str, message: str) -> str:
    task = await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id=user, user_message=message))
    return task.id


async def test_replay_from_any_cursor_equals_the_committed_sequence(service: Service, database_url: str) -> None:
    for n in range(3):
        service.start_worker(name=f"w{n}")
    ids = await asyncio.gather(
        *(queue(service, f"user-{i % 7}", f"I collect stamps from place {i}") for i in range(40))
    )
    for i, task_id in enumerate(ids):
        await finished_task(service, task_id, f"user-{i % 7}")
    await events_numbered(database_url)
    with psycopg.connect(database_url) as conn:
        committed = [row[0] for row in conn.execute("SELECT id FROM memory_events ORDER BY id")]
    assert committed == list(range(1, len(committed) + 1))  # dense: no id skipped, even under concurrency
    assert len(committed) == 120  # queued, processing, completed for each task

    everything = await read_events(service.stub, len(committed))
    assert [e.event_id for e in everything] == committed
    by_task: dict[str, list[int]] = {}
    for event in everything:
        by_task.setdefault(event.task_id, []).append(event.type)
    assert all(
        types
        == [ex.EXTRACTION_EVENT_TYPE_QUEUED, ex.EXTRACTION_EVENT_TYPE_PROCESSING, ex.EXTRACTION_EVENT_TYPE_COMPLETED]
        for types in by_task.values()
    )
    completed = next(e for e in everything if e.type == ex.EXTRACTION_EVENT_TYPE_COMPLETED)
    assert completed.counts.facts_added == 1 and completed.attempt == 1

    rng = random.Random(3)
    for cursor in rng.sample(committed[:-1], 8):
        resumed = await read_events(service.stub, len(committed) - cursor, after=cursor)
        assert [e.event_id for e in resumed] == committed[cursor:]

    only_user = await read_events(service.stub, 18, user="user-3")  # 6 tasks, 3 events each
    assert {e.user_id for e in only_user} == {"user-3"}


async def test_live_events_follow_the_replay_without_gaps_or_repeats(service: Service) -> None:
    first = await queue(service, "alice", "I play the violin")
    stream = service.stub.WatchExtractions(pb.WatchExtractionsRequest(user_id="alice"))
    replayed = await stream.read()
    assert replayed.task_id == first and replayed.type == ex.EXTRACTION_EVENT_TYPE_QUEUED
    service.start_worker()
    second = await queue(service, "alice", "I have a cat called Miso")
    seen: list[tuple[str, int]] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < 5:
                event = await stream.read()
                if event.type != HEARTBEAT:
                    seen.append((event.task_id, event.type))
    except TimeoutError:
        raise AssertionError(f"saw only {seen} (first={first}, second={second})") from None
    stream.cancel()
    assert sorted(seen) == sorted(
        [
            (first, ex.EXTRACTION_EVENT_TYPE_PROCESSING),
            (first, ex.EXTRACTION_EVENT_TYPE_COMPLETED),
            (second, ex.EXTRACTION_EVENT_TYPE_QUEUED),
            (second, ex.EXTRACTION_EVENT_TYPE_PROCESSING),
            (second, ex.EXTRACTION_EVENT_TYPE_COMPLETED),
        ]
    )


async def test_idle_streams_get_heartbeats_carrying_the_cursor(service: Service) -> None:
    await queue(service, "alice", "I like tea")
    stream = service.stub.WatchExtractions(pb.WatchExtractionsRequest(user_id="alice"))
    queued = await stream.read()
    heartbeat = await asyncio.wait_for(stream.read(), 10)  # MEMORY_HEARTBEAT_SECONDS=1 in tests
    stream.cancel()
    assert heartbeat.type == HEARTBEAT and heartbeat.event_id == queued.event_id and heartbeat.task_id == ""


async def test_cursors_outside_the_log_are_out_of_range(service: Service, database_url: str) -> None:
    for i in range(3):
        await queue(service, "alice", f"fact number {i}")

    async def first_event_or_error(after: int) -> Any:
        stream = service.stub.WatchExtractions(pb.WatchExtractionsRequest(after_event_id=after))
        try:
            return await stream.read()
        finally:
            stream.cancel()

    failure = await rpc_failure(first_event_or_error(99))
    assert failure.code == grpc.StatusCode.OUT_OF_RANGE and failure.metadata["latest_event_id"] == "3"
    with psycopg.connect(database_url, autocommit=True) as conn:  # as retention would: events 1-2 are gone
        conn.execute("DELETE FROM memory_events WHERE id <= 2")
        conn.execute("UPDATE memory_event_log SET pruned_through = 2")
    failure = await rpc_failure(first_event_or_error(1))
    assert failure.code == grpc.StatusCode.OUT_OF_RANGE and failure.metadata["earliest_event_id"] == "3"
    assert (await first_event_or_error(0)).event_id == 3  # 0 starts at the oldest kept
    assert (await first_event_or_error(2)).event_id == 3
    failure = await rpc_failure(first_event_or_error(-5))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_subscriber_that_does_not_read_is_dropped_and_resumes_without_loss(
    settings: Any, sentence_model: Any
) -> None:
    small = dataclasses.replace(settings, stream_queue_size=5, stream_write_timeout_seconds=0.5)
    async with running_service(small, sentence_model) as service:
        stream = service.stub.WatchExtractions(pb.WatchExtractionsRequest())
        await asyncio.sleep(0.3)  # subscribed; now it reads nothing while events pour in
        for start_at in range(0, 300, 50):
            await asyncio.gather(
                *(queue(service, f"user-{i}", f"I own {i} books") for i in range(start_at, start_at + 50))
            )
        received: list[int] = []
        try:
            async with asyncio.timeout(30):
                while True:
                    event = await stream.read()
                    if event is grpc.aio.EOF:
                        raise AssertionError("the stream ended without an error")
                    if event.type != HEARTBEAT:
                        received.append(event.event_id)
        except grpc.aio.AioRpcError as error:
            failure = parse_error(error)
        assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED and failure.reason == "SUBSCRIBER_TOO_SLOW"
        assert len(received) < 300
        resume_after = int(failure.metadata["resume_after_event_id"])
        assert received == list(range(1, resume_after + 1))  # everything up to the cursor, in order
        rest = await read_events(service.stub, 300 - resume_after, after=resume_after)
        assert [e.event_id for e in rest] == list(range(resume_after + 1, 301))  # the rest: nothing lost


async def test_events_from_a_worker_reach_watchers_on_two_server_processes(
    service: Service, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = service_env(
        {"MEMORY_DATABASE_URL": database_url, "MEMORY_DATA_DIR": str(tmp_path), "MEMORY_RUN_WORKER": "false"}
    )
    other = start(["serve", "--listen", address], env, tmp_path / "replica.log")
    try:
        await asyncio.to_thread(wait_serving, address, other)
        async with grpc.aio.insecure_channel(address) as channel:
            replica = memory_service_pb2_grpc.MemoryServiceStub(channel)
            here = asyncio.ensure_future(read_events(service.stub, 3, user="alice"))
            there = asyncio.ensure_future(read_events(replica, 3, user="alice"))
            await asyncio.sleep(0.5)  # both streams are following live events
            service.start_worker()  # the worker runs in this process; the replica only listens
            task_id = await replica.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I sing"))
            for events in await asyncio.gather(here, there):
                assert [(e.task_id, e.type) for e in events] == [
                    (task_id.id, ex.EXTRACTION_EVENT_TYPE_QUEUED),
                    (task_id.id, ex.EXTRACTION_EVENT_TYPE_PROCESSING),
                    (task_id.id, ex.EXTRACTION_EVENT_TYPE_COMPLETED),
                ]
    finally:
        assert terminate(other) == 0, (tmp_path / "replica.log").read_text()[-3000:]


async def test_shutdown_ends_streams_with_a_resume_cursor(settings: Any, sentence_model: Any) -> None:
    async with running_service(settings, sentence_model) as service:
        await queue(service, "alice", "I like chess")
        channel = grpc.aio.insecure_channel(service.address)
        stream = memory_service_pb2_grpc.MemoryServiceStub(channel).WatchExtractions(pb.WatchExtractionsRequest())
        assert (await stream.read()).event_id == 1
        reader = asyncio.ensure_future(stream.read())
        await asyncio.sleep(0.2)
    try:  # the service has stopped
        while True:
            event = await reader
            assert event.type == HEARTBEAT
            reader = asyncio.ensure_future(stream.read())
    except grpc.aio.AioRpcError as error:
        failure = parse_error(error)
    await channel.close()
    assert failure.code == grpc.StatusCode.UNAVAILABLE and failure.reason == "SHUTTING_DOWN"
    assert failure.metadata["resume_after_event_id"] == "1"
