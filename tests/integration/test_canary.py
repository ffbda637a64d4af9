"""The proof of erasure: a canary said through every path is found nowhere after ForgetUser, logs included."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import psycopg
import pytest
from google.protobuf import field_mask_pb2
from psycopg import sql as psql
from voxbridge.memory.v1 import extraction_pb2, fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_llm import Call, FakeLlm, Reply, add_every_new_fact, facts_reply
from tests.support.harness import running_service, with_llm
from tests.support.rpc import new_fact
from tests.support.waiting import eventually, finished_task

CANARY = "zqxcanary7731"
OTHER = "zqxcanary2248"  # another user's canary: it must survive


def hits(database_url: str, needle: str) -> list[str]:
    """table.column of every value in the database that contains needle (every column of every table)."""
    found = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        columns = conn.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"""
        ).fetchall()
        for table, column in columns:
            query = psql.SQL("SELECT count(*) FROM {} WHERE {}::text LIKE %s").format(
                psql.Identifier(table), psql.Identifier(column)
            )
            row = conn.execute(query, (f"%{needle}%",)).fetchone()
            if row and row[0]:
                found.append(f"{table}.{column}")
    return found


def in_logs(records: list[logging.LogRecord], needle: str) -> list[str]:
    return [
        record.getMessage()
        for record in records
        if record.levelno >= logging.INFO and (needle in record.getMessage() or needle in str(record.__dict__))
    ]


@pytest.mark.timeout(180)
async def test_a_canary_said_every_way_leaves_no_trace_after_forget_user(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    in_flight = asyncio.Event()

    def on_facts(call: Call) -> Reply:
        if "failing" in call.user_message:
            return Reply(status=400)  # fails at once, the turn kept with its error
        if "slowly" in call.user_message:
            in_flight.set()
            return dataclasses.replace(facts_reply(f"Whispered {CANARY} slowly"), delay=3)
        return facts_reply(f"Said {CANARY} aloud")

    fake_llm.script.on_facts = on_facts
    fake_llm.script.on_reconcile = add_every_new_fact
    caplog.set_level(logging.DEBUG)
    async with running_service(with_llm(settings, fake_llm.base_url, timeout_seconds=30), sentence_model) as service:
        stub = service.stub
        service.start_worker()
        # A manual fact, with an idempotency key.
        await stub.CreateFact(new_fact("alice", text=f"My password hint is {CANARY}", request_id=f"req-{CANARY}"))
        # An edited fact: the canary in its history, before and after.
        edited = await stub.CreateFact(new_fact("alice", fact_key="nickname", fact_value=CANARY))
        await stub.UpdateFact(
            pb.UpdateFactRequest(
                fact=fact_pb2.Fact(user_id="alice", id=edited.id, text=f"Goes by {CANARY} among friends"),
                update_mask=field_mask_pb2.FieldMask(paths=["text"]),
            )
        )
        # An extracted fact, and its turn.
        done = await stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message=f"I say {CANARY} aloud", ai_response=CANARY)
        )
        await finished_task(service, done.id, "alice")
        # A failed task with its error.
        failed = await stub.QueueExtraction(
            pb.QueueExtractionRequest(user_id="alice", user_message=f"I am failing at {CANARY}")
        )
        assert (await finished_task(service, failed.id, "alice")).status == extraction_pb2.EXTRACTION_STATUS_FAILED
        # The query cache.
        await stub.GetContext(pb.GetContextRequest(user_id="alice", query=f"what is {CANARY}?"))
        # Another user says their own canary.
        await stub.CreateFact(new_fact("bob", text=f"Bob's word is {OTHER}"))
        # An in-flight task: the worker is mid-way when the erasure comes.
        await stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message=f"I say {CANARY} slowly"))
        await eventually(lambda: asyncio.sleep(0, result=in_flight.is_set()), within=30)

        seeded = hits(database_url, CANARY)
        assert {"facts.text", "fact_history.new_text", "extraction_tasks.user_message"} <= set(seeded), seeded
        assert any(text == "alice" and CANARY in query for text, query in service.core.embedder.cached_texts())

        receipt = (await stub.ForgetUser(pb.ForgetUserRequest(user_id="alice"))).receipt
        assert receipt.deleted_rows["facts"] >= 3 and receipt.deleted_rows["extraction_tasks"] == 3
        await asyncio.sleep(4)  # the slow LLM answers; the worker tries to write the in-flight turn

        assert hits(database_url, CANARY) == []  # every column of every table
        assert hits(database_url, "alice") == []  # not even the id: the ledger keeps only a keyed hash
        assert not any(CANARY in text for _, text in service.core.embedder.cached_texts())
        assert {"facts.text", "fact_history.new_text"} <= set(hits(database_url, OTHER))  # bob is untouched
        assert (await stub.ListFacts(pb.ListFactsRequest(user_id="bob"))).facts[0].text == f"Bob's word is {OTHER}"
    assert in_logs(caplog.records, CANARY) == []  # the server's logs at INFO and above never held it
