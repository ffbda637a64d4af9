"""QueueExtraction and friends: durable, idempotent, refused when the user turned extraction off."""

from __future__ import annotations

import asyncio

import grpc
import psycopg
from google.protobuf import field_mask_pb2
from voxbridge.memory.v1 import extraction_pb2, user_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.database import events_numbered
from tests.support.harness import Service
from tests.support.rpc import rpc_failure

QUEUED = extraction_pb2.EXTRACTION_STATUS_PENDING


def turn(user: str = "alice", message: str = "My sister is called Emma", **fields: str) -> pb.QueueExtractionRequest:
    return pb.QueueExtractionRequest(user_id=user, user_message=message, ai_response="Nice!", **fields)


async def test_queue_returns_a_pending_task_at_once_with_a_queued_event(service: Service) -> None:
    task = await service.stub.QueueExtraction(turn())
    assert task.status == QUEUED and task.attempts == 0 and task.max_attempts == 3
    assert task.user_message == "My sister is called Emma" and task.HasField("created_at")
    assert await service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task.id, user_id=task.user_id)) == task

    events = service.stub.WatchExtractions(pb.WatchExtractionsRequest(user_id="alice"))
    first = await events.read()
    events.cancel()
    assert first.type == extraction_pb2.EXTRACTION_EVENT_TYPE_QUEUED and first.task_id == task.id


async def test_request_id_returns_the_same_task_and_refuses_a_different_turn(service: Service) -> None:
    stub = service.stub
    request = turn(request_id="turn-17")
    first, second = await asyncio.gather(stub.QueueExtraction(request), stub.QueueExtraction(request))
    assert first.id == second.id
    stats = await stub.GetQueueStats(pb.GetQueueStatsRequest())
    assert stats.pending == 1

    failure = await rpc_failure(stub.QueueExtraction(turn(message="Something else", request_id="turn-17")))
    assert failure.code == grpc.StatusCode.ALREADY_EXISTS and failure.reason == "REQUEST_ID_REUSED"
    assert failure.metadata["task_id"] == first.id


async def test_user_with_extraction_off_gets_failed_precondition(service: Service) -> None:
    stub = service.stub
    settings = await stub.GetUserSettings(pb.GetUserSettingsRequest(user_id="alice"))
    assert settings.extraction_enabled and not settings.HasField("updated_at")  # the defaults
    await stub.UpdateUserSettings(
        pb.UpdateUserSettingsRequest(
            settings=user_pb2.UserSettings(user_id="alice", extraction_enabled=False),
            update_mask=field_mask_pb2.FieldMask(paths=["extraction_enabled"]),
        )
    )
    failure = await rpc_failure(stub.QueueExtraction(turn()))
    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION and failure.reason == "EXTRACTION_DISABLED"
    assert (await stub.GetQueueStats(pb.GetQueueStatsRequest())).pending == 0  # nothing stored
    other = await stub.QueueExtraction(turn(user="bob"))
    assert other.status == QUEUED


async def test_concurrent_first_turns_of_a_new_user_are_each_queued_once(service: Service, database_url: str) -> None:
    # The common case is one statement that also creates the user; calls racing to create the same user
    # take the transaction path instead, and none is lost or doubled.
    tasks = await asyncio.gather(
        *(service.stub.QueueExtraction(turn(user="newcomer", message=f"Turn {i}")) for i in range(12))
    )
    assert len({t.id for t in tasks}) == 12 and all(t.status == QUEUED for t in tasks)
    await events_numbered(database_url)
    with psycopg.connect(database_url) as conn:
        [(users,)] = conn.execute("SELECT count(*) FROM users WHERE user_id = 'newcomer'").fetchall()
        queued = conn.execute(
            "SELECT task_id FROM memory_events WHERE user_id = 'newcomer' AND type = 'queued'"
        ).fetchall()
    assert users == 1
    assert sorted(str(task_id) for (task_id,) in queued) == sorted(t.id for t in tasks)


async def test_bad_turns_are_invalid_argument(service: Service) -> None:
    for request, field in (
        (turn(user=""), "user_id"),
        (turn(message="  "), "user_message"),
        (turn(message="x" * 16_001), "user_message"),
        (turn(message="nul \x00"), "user_message"),
        (turn(request_id="r" * 200), "request_id"),
        (turn(session_id="s" * 300), "session_id"),
    ):
        failure = await rpc_failure(service.stub.QueueExtraction(request))
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and failure.field_violations[0][0] == field
    for bad_id, code in (
        ("nope", grpc.StatusCode.INVALID_ARGUMENT),
        ("6f1c2a8e-2b7d-4d8e-9a51-3c1d0e5f7a90", grpc.StatusCode.NOT_FOUND),
    ):
        failure = await rpc_failure(service.stub.GetExtraction(pb.GetExtractionRequest(task_id=bad_id, user_id="u")))
        assert failure.code == code
    # A task is always addressed with its user: another user's id finds nothing.
    task = await service.stub.QueueExtraction(turn(user="alice"))
    failure = await rpc_failure(service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task.id, user_id="bob")))
    assert failure.code == grpc.StatusCode.NOT_FOUND and failure.reason == "TASK_NOT_FOUND"


async def test_settings_and_agents_validation(service: Service) -> None:
    stub = service.stub
    failure = await rpc_failure(
        stub.UpdateUserSettings(
            pb.UpdateUserSettingsRequest(
                settings=user_pb2.UserSettings(user_id="alice"), update_mask=field_mask_pb2.FieldMask(paths=["color"])
            )
        )
    )
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and "unknown setting 'color'" in failure.message

    unknown = await stub.GetAgent(pb.GetAgentRequest(agent_id="never-registered"))
    assert unknown.memory_scope == user_pb2.MEMORY_SCOPE_GLOBAL and not unknown.HasField("created_at")
    registered = await stub.RegisterAgent(
        pb.RegisterAgentRequest(agent=user_pb2.Agent(agent_id="tutor", memory_scope=user_pb2.MEMORY_SCOPE_AGENT))
    )
    assert registered.memory_scope == user_pb2.MEMORY_SCOPE_AGENT and registered.HasField("created_at")
    assert (await stub.GetAgent(pb.GetAgentRequest(agent_id="tutor"))) == registered
    failure = await rpc_failure(
        stub.RegisterAgent(pb.RegisterAgentRequest(agent=user_pb2.Agent(agent_id="x", memory_scope=99)))  # type: ignore[arg-type]
    )
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT


async def test_queue_stats(service: Service) -> None:
    for i in range(3):
        await service.stub.QueueExtraction(turn(user=f"user-{i}"))
    stats = await service.stub.GetQueueStats(pb.GetQueueStatsRequest())
    assert (stats.pending, stats.processing, stats.completed, stats.failed) == (3, 0, 0, 0)
    assert stats.oldest_pending_age.ToTimedelta().total_seconds() >= 0
    assert stats.mode == extraction_pb2.EXTRACTION_MODE_VERBATIM
