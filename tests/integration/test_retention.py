"""Settings that bind and retention that holds: turned-off extraction stores nothing, old words go."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import grpc
import psycopg
from google.protobuf import field_mask_pb2
from voxbridge.memory.v1 import extraction_pb2, fact_pb2, user_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.extraction.retention import Retention
from tests.support.database import events_numbered
from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.harness import Service, running_service, with_llm
from tests.support.rpc import new_fact, rpc_failure
from tests.support.waiting import eventually, finished_task

SKIPPED = extraction_pb2.EXTRACTION_STATUS_SKIPPED


def sql(database_url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(query, args or None)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


async def set_settings(service: Service, user: str, **fields: Any) -> user_pb2.UserSettings:
    return await service.stub.UpdateUserSettings(  # type: ignore[no-any-return]
        pb.UpdateUserSettingsRequest(
            settings=user_pb2.UserSettings(user_id=user, **fields),
            update_mask=field_mask_pb2.FieldMask(paths=list(fields)),
        )
    )


async def test_turning_extraction_off_skips_queued_and_in_flight_turns(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, database_url: str
) -> None:
    fake_llm.script.on_facts = lambda call: dataclasses.replace(facts_reply("Likes trains"), delay=1.5)
    async with running_service(with_llm(settings, fake_llm.base_url, timeout_seconds=30), sentence_model) as service:
        tasks = [
            await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message=f"I like {t}"))
            for t in ("trains", "boats", "planes")
        ]
        service.start_worker()
        await eventually(lambda: asyncio.sleep(0, result=bool(fake_llm.calls)))  # the first one is in flight
        settings_now = await set_settings(service, "alice", extraction_enabled=False)
        assert not settings_now.extraction_enabled
        done = [await finished_task(service, t.id, "alice") for t in tasks]
    assert [t.status for t in done] == [SKIPPED] * 3
    assert {t.skipped_reason for t in done} == {"extraction is turned off for the user"}
    assert all(t.user_message == "" for t in done)  # their words are gone at once
    assert sql(database_url, "SELECT count(*) FROM facts") == [(0,)]  # nothing from them is stored
    await events_numbered(database_url)
    skipped_events = sql(database_url, "SELECT count(*) FROM memory_events WHERE type = 'skipped'")
    assert skipped_events == [(3,)]


async def test_settings_are_read_back_and_validated(service: Service) -> None:
    updated = await set_settings(service, "alice", retention_days=30, display_name="Alice A.")
    assert (updated.retention_days, updated.display_name, updated.extraction_enabled) == (30, "Alice A.", True)
    read = await service.stub.GetUserSettings(pb.GetUserSettingsRequest(user_id="alice"))
    assert read == updated
    for fields in ({"retention_days": -1}, {"retention_days": 40_000}, {"display_name": "x" * 201}):
        failure = await rpc_failure(set_settings(service, "alice", **fields))
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT, fields


async def test_a_users_retention_erases_older_facts_and_turns(service: Service, database_url: str) -> None:
    stub = service.stub
    old = await stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Berlin"))
    young = await stub.CreateFact(new_fact("alice", text="Likes tea"))
    bobs = await stub.CreateFact(new_fact("bob", text="Likes coffee"))
    task = await stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I moved house"))
    sql(database_url, "UPDATE facts SET valid_from = now() - interval '40 days' WHERE id IN (%s, %s)", old.id, bobs.id)
    sql(database_url, "UPDATE extraction_tasks SET created_at = now() - interval '40 days' WHERE id = %s", task.id)
    await set_settings(service, "alice", retention_days=30)  # bob keeps everything

    removed = await Retention(service.core.db, service.core.embedder, service.core.settings.retention).run_once()
    assert removed["expired_facts"] == 1
    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))
    assert [f.id for f in listed.facts] == [young.id]
    assert [f.id for f in (await stub.ListFacts(pb.ListFactsRequest(user_id="bob"))).facts] == [bobs.id]
    tombstones = sql(
        database_url, "SELECT fact_id::text, change_type, old_text FROM fact_history WHERE user_id = 'alice'"
    )
    assert (old.id, "expired", None) in tombstones
    assert sql(database_url, "SELECT user_message FROM extraction_tasks WHERE id = %s", task.id) == [("",)]
    history = await stub.GetFactHistory(pb.GetFactHistoryRequest(user_id="alice", fact_id=young.id))
    assert [c.type for c in history.changes] == [fact_pb2.FACT_CHANGE_TYPE_CREATED]


async def test_finished_turns_lose_their_words_after_the_grace_period_and_old_tasks_go(
    service: Service, database_url: str
) -> None:
    service.start_worker()
    done = await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I like tea"))
    failed = await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="bob", user_message="I like jam"))
    ancient = await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="carol", user_message="Hi there"))
    for task in (done, failed, ancient):
        await finished_task(service, task.id, task.user_id)
    sql(database_url, "UPDATE extraction_tasks SET finished_at = now() - interval '20 minutes' WHERE id = %s", done.id)
    sql(
        database_url,
        "UPDATE extraction_tasks SET status = 'failed', finished_at = now() - interval '20 minutes' WHERE id = %s",
        failed.id,
    )
    sql(database_url, "UPDATE extraction_tasks SET finished_at = now() - interval '40 days' WHERE id = %s", ancient.id)

    removed = await Retention(service.core.db, service.core.embedder, service.core.settings.retention).run_once()
    assert removed["tasks"] == 1 and removed["task_texts"] >= 1
    kept = dict(sql(database_url, "SELECT id::text, user_message FROM extraction_tasks"))
    assert kept == {done.id: "", failed.id: "I like jam"}  # a failed turn is kept for a week, to be requeued
