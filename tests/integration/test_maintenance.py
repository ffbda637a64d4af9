"""Upkeep beside the workers: re-embedding after a model switch, failing dead last attempts, event retention."""

from __future__ import annotations

import dataclasses

import psycopg
from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.extraction.maintenance import Maintenance
from tests.support.database import events_numbered
from tests.support.harness import Service
from tests.support.rpc import new_fact


def maintenance_of(service: Service, retention_days: float = 7) -> Maintenance:
    retention = dataclasses.replace(service.core.settings.retention, event_days=retention_days)
    return Maintenance(service.core.db, service.core.embedder, retention, interval_seconds=60)


async def test_facts_left_with_another_models_vector_are_re_embedded(service: Service, database_url: str) -> None:
    """Stragglers of a switch (history, a write that raced the cut-over) get the active model's vector."""
    for key, value in (("name", "Alice"), ("pet", "a cat named Tom")):
        await service.stub.CreateFact(new_fact("alice", fact_key=key, fact_value=value))
    with psycopg.connect(database_url, autocommit=True) as conn:  # as if stored by a previous model
        conn.execute(
            "UPDATE facts SET embedding_model = 'old-model-768', embedding = array_fill(0.1, ARRAY[768])::vector"
        )
    hidden = await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="my cat"))
    assert list(hidden.facts) == []  # vectors of another model are never compared

    assert await maintenance_of(service).reembedding.run_once() == 2
    assert await maintenance_of(service).reembedding.run_once() == 0
    found = await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="my cat"))
    assert found.facts[0].fact.fact_key == "pet" and found.facts[0].fact.embedding_model == "all-MiniLM-L6-v2"


async def test_a_task_whose_last_attempt_died_is_failed_with_an_event(service: Service, database_url: str) -> None:
    task = await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I like tea"))
    with psycopg.connect(database_url, autocommit=True) as conn:  # its worker died holding the last attempt
        conn.execute(
            "UPDATE extraction_tasks SET status = 'processing', attempts = max_attempts, charged_attempts = max_attempts, "
            "lease_token = gen_random_uuid(), due_at = now() - interval '1 second' WHERE id = %s",
            (task.id,),
        )
    assert await maintenance_of(service).fail_expired_last_attempts() == 1
    failed = await service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task.id, user_id=task.user_id))
    assert failed.status == extraction_pb2.EXTRACTION_STATUS_FAILED and "lease expired" in failed.error
    assert failed.error_reason == "LEASE_EXPIRED"
    await events_numbered(database_url)
    with psycopg.connect(database_url) as conn:
        types = [r[0] for r in conn.execute("SELECT type FROM memory_events ORDER BY id")]
    assert types == ["queued", "failed"]


async def test_retention_prunes_old_events_and_moves_the_horizon(service: Service, database_url: str) -> None:
    for i in range(3):
        await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message=f"fact {i}"))
    await events_numbered(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE memory_events SET created_at = now() - interval '10 days' WHERE id <= 2")
    await maintenance_of(service, retention_days=7).run_once()
    with psycopg.connect(database_url) as conn:
        kept = [r[0] for r in conn.execute("SELECT id FROM memory_events ORDER BY id")]
        [(pruned_through,)] = conn.execute("SELECT pruned_through FROM memory_event_log").fetchall()
    assert kept == [3] and pruned_through == 2
