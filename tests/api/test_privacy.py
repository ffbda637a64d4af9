"""Export everything, erase provably, delete for good: through the real server."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import grpc
import psycopg
import pytest
from google.protobuf import field_mask_pb2
from voxbridge.memory.v1 import export_pb2, extraction_pb2, fact_pb2, user_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.harness import Service, running_service, with_llm
from tests.support.rpc import new_fact, rpc_failure
from tests.support.waiting import eventually, finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED


async def export_records(service: Service, user_id: str) -> list[export_pb2.ExportRecord]:
    records: list[export_pb2.ExportRecord] = []
    async for chunk in service.stub.ExportUser(pb.ExportUserRequest(user_id=user_id)):
        assert 0 < len(chunk.records) <= 500
        records += chunk.records
    return records


def kinds(records: list[export_pb2.ExportRecord]) -> list[str]:
    return [str(r.WhichOneof("record")) for r in records]


def edit_text(user: str, fact_id: str, text: str) -> pb.UpdateFactRequest:
    return pb.UpdateFactRequest(
        fact=fact_pb2.Fact(user_id=user, id=fact_id, text=text), update_mask=field_mask_pb2.FieldMask(paths=["text"])
    )


async def test_export_holds_everything_about_the_user_and_nothing_else(service: Service) -> None:
    stub = service.stub
    service.start_worker()
    await stub.RegisterAgent(
        pb.RegisterAgentRequest(agent=user_pb2.Agent(agent_id="tutor", memory_scope=user_pb2.MEMORY_SCOPE_AGENT))
    )
    city = await stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Berlin"))
    await stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Lisbon"))
    await stub.CreateFact(new_fact("alice", text="Is studying calculus", agent_id="tutor"))
    task = await stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I love sailing"))
    await finished_task(service, task.id, "alice")
    await stub.CreateFact(new_fact("bob", text="Bob's secret hobby is knitting"))

    records = await export_records(service, "alice")
    header = records[0].header
    assert kinds(records)[0] == "header" and kinds(records).count("header") == 1
    assert (header.format_version, header.user_id) == ("1", "alice") and header.HasField("snapshot_at")
    counts = header.counts
    assert (counts.facts, counts.tasks, counts.agents) == (4, 1, 1)
    assert kinds(records).count("fact") == counts.facts
    assert kinds(records).count("fact_change") == counts.fact_changes
    assert kinds(records).count("task") == counts.tasks and kinds(records).count("event") == counts.events > 0
    assert kinds(records)[1:3] == ["settings", "agent"]
    assert records[2].agent.memory_scope == user_pb2.MEMORY_SCOPE_AGENT
    facts = [r.fact for r in records if r.WhichOneof("record") == "fact"]
    assert {f.text for f in facts} == {"city: Berlin", "city: Lisbon", "Is studying calculus", "I love sailing"}
    assert any(f.id == city.id and f.HasField("valid_to") for f in facts)  # superseded versions too
    [exported_task] = [r.task for r in records if r.WhichOneof("record") == "task"]
    assert exported_task.id == task.id
    everything = str(records)
    assert "bob" not in everything.lower() and "knitting" not in everything  # never another user's data

    unknown = await export_records(service, "nobody")
    assert kinds(unknown) == ["header", "settings"] and unknown[0].header.counts.facts == 0


async def test_forget_erases_everything_returns_a_receipt_and_is_idempotent(
    service: Service, database_url: str
) -> None:
    stub = service.stub
    service.start_worker()
    fact = await stub.CreateFact(new_fact("alice", text="Has a cat", request_id="r-1"))
    await stub.UpdateFact(edit_text("alice", fact.id, "Has two cats"))
    task = await stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I like tea"))
    await finished_task(service, task.id, "alice")
    await stub.CreateFact(new_fact("bob", text="Has a dog"))

    receipt = (await stub.ForgetUser(pb.ForgetUserRequest(user_id="alice"))).receipt
    assert receipt.user_id == "alice" and receipt.ledger_id > 0 and receipt.HasField("erased_at")
    rows = dict(receipt.deleted_rows)
    assert rows["facts"] == 2 and rows["users"] == 1 and rows["extraction_tasks"] == 1
    assert rows["fact_history"] >= 3 and rows["memory_events"] >= 3 and rows["idempotency_keys"] == 1
    assert set(rows) <= {"facts", "fact_history", "fact_embeddings", "memory_events", "extraction_tasks",
                         "users", "idempotency_keys"}  # fmt: skip

    again = (await stub.ForgetUser(pb.ForgetUserRequest(user_id="alice"))).receipt
    assert dict(again.deleted_rows) == {} and again.ledger_id == 0  # an empty receipt, not an error
    assert list((await stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))).facts) == []
    assert [f.text for f in (await stub.ListFacts(pb.ListFactsRequest(user_id="bob"))).facts] == ["Has a dog"]
    with psycopg.connect(database_url) as conn:
        ledger = conn.execute("SELECT subject_hash, counts FROM erasure_ledger").fetchall()
    [(subject_hash, counts)] = ledger
    assert len(subject_hash) == 64 and "alice" not in subject_hash and counts == rows

    failure = await rpc_failure(stub.ForgetUser(pb.ForgetUserRequest(user_id="")))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
async def slow_llm_service(settings: Any, sentence_model: Any, fake_llm: FakeLlm) -> AsyncIterator[Service]:
    configured = with_llm(settings, fake_llm.base_url, timeout_seconds=30)
    async with running_service(configured, sentence_model) as service:
        yield service


async def test_a_worker_finishing_a_turn_of_an_erased_user_writes_nothing(
    slow_llm_service: Service, fake_llm: FakeLlm, database_url: str
) -> None:
    service = slow_llm_service
    fake_llm.script.on_facts = lambda call: dataclasses.replace(facts_reply("Loves sailing"), delay=2)
    service.start_worker()
    await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I love sailing"))
    await eventually(lambda: asyncio.sleep(0, result=bool(fake_llm.calls)))  # in flight
    receipt = (await service.stub.ForgetUser(pb.ForgetUserRequest(user_id="alice"))).receipt
    assert receipt.deleted_rows["extraction_tasks"] == 1
    await asyncio.sleep(3)  # the LLM answered; the worker tried to write
    with psycopg.connect(database_url) as conn:
        for table in ("users", "facts", "fact_history", "extraction_tasks", "memory_events"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


async def test_delete_fact_erases_its_text_from_every_version_and_history(service: Service, database_url: str) -> None:
    stub = service.stub
    first = await stub.CreateFact(new_fact("alice", fact_key="diagnosis", fact_value="flu"))
    second = await stub.CreateFact(new_fact("alice", fact_key="diagnosis", fact_value="bronchitis"))
    await stub.UpdateFact(edit_text("alice", second.id, "Diagnosed with pneumonia"))
    other = await stub.CreateFact(new_fact("alice", fact_key="mood", fact_value="fine"))
    await stub.GetContext(pb.GetContextRequest(user_id="alice", query="what did the doctor say? pneumonia"))
    assert [key for key in service.core.embedder.cached_texts() if key[0] == "alice"]  # the user's words, cached

    await stub.DeleteFact(pb.DeleteFactRequest(user_id="alice", fact_id=second.id))
    assert not [key for key in service.core.embedder.cached_texts() if key[0] == "alice"]  # and purged

    for fact_id in (first.id, second.id):
        failure = await rpc_failure(stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=fact_id)))
        assert failure.code == grpc.StatusCode.NOT_FOUND
    records = await export_records(service, "alice")
    dump = str(records)
    for word in ("flu", "bronchitis", "pneumonia"):
        assert word not in dump
    tombstones = [r.fact_change for r in records if r.WhichOneof("record") == "fact_change"]
    deleted = [c for c in tombstones if c.type == fact_pb2.FACT_CHANGE_TYPE_DELETED]
    assert {c.fact_id for c in deleted} == {first.id, second.id}
    assert all(c.old_text == c.new_text == "" for c in deleted)
    context = await stub.GetContext(pb.GetContextRequest(user_id="alice", query="pneumonia diagnosis", limit=50))
    assert [s.fact.id for s in context.facts] == [other.id]
    with psycopg.connect(database_url) as conn:
        leftovers = conn.execute(
            "SELECT count(*) FROM fact_history WHERE old_text LIKE '%pneumonia%' OR new_text LIKE '%pneumonia%'"
        ).fetchone()
    assert leftovers == (0,)
