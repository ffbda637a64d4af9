"""Bulk imports (BatchCreateFacts) and answers as of a time: history imported later keeps its dates."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from google.protobuf import timestamp_pb2
from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service
from tests.support.rpc import rpc_failure


def at(year: int, month: int, day: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime(year, month, day, 12, tzinfo=UTC))
    return stamp


async def test_a_batch_is_stored_in_order_all_or_nothing_and_idempotent(service: Service) -> None:
    stub = service.stub
    facts = [
        fact_pb2.Fact(text="Plays the cello"),
        fact_pb2.Fact(fact_key="city", fact_value="Oslo"),
        fact_pb2.Fact(user_id="alice", text="Has two cats", session_id="import-1"),
        fact_pb2.Fact(fact_key="city", fact_value="Bergen"),  # later in the batch: supersedes Oslo
    ]
    request = pb.BatchCreateFactsRequest(user_id="alice", facts=facts, request_id="import-2026-11")
    stored = (await stub.BatchCreateFacts(request)).facts
    assert [f.text for f in stored] == ["Plays the cello", "city: Oslo", "Has two cats", "city: Bergen"]
    assert all(f.source == fact_pb2.FACT_SOURCE_IMPORTED for f in stored) and stored[2].session_id == "import-1"
    assert stored[1].HasField("valid_to") and stored[3].supersedes_fact_id == stored[1].id
    again = (await stub.BatchCreateFacts(request)).facts
    assert [f.id for f in again] == [f.id for f in stored]  # a retry stores nothing twice
    different = await rpc_failure(
        stub.BatchCreateFacts(pb.BatchCreateFactsRequest(user_id="alice", facts=facts[:2], request_id="import-2026-11"))
    )
    assert different.code == grpc.StatusCode.ALREADY_EXISTS

    bad = [fact_pb2.Fact(text="Fine"), fact_pb2.Fact(fact_key="only a key"), fact_pb2.Fact(user_id="bob", text="x")]
    failure = await rpc_failure(stub.BatchCreateFacts(pb.BatchCreateFactsRequest(user_id="alice", facts=bad)))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in failure.field_violations} == {"facts[1].fact_value", "facts[2].user_id"}
    too_many = [fact_pb2.Fact(text=f"fact {i}") for i in range(1001)]
    failure = await rpc_failure(stub.BatchCreateFacts(pb.BatchCreateFactsRequest(user_id="alice", facts=too_many)))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and "at most 1000" in failure.message
    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))
    assert len(listed.facts) == 4  # nothing of the refused batches


async def test_answers_as_of_a_time_from_history_imported_out_of_order(service: Service) -> None:
    stub = service.stub
    # Imported newest first: the older statement must become the version before, not close the newer one.
    await stub.CreateFact(
        pb.CreateFactRequest(
            fact=fact_pb2.Fact(user_id="alice", fact_key="city", fact_value="Paris", valid_from=at(2025, 6, 1))
        )
    )
    await stub.CreateFact(
        pb.CreateFactRequest(
            fact=fact_pb2.Fact(user_id="alice", fact_key="city", fact_value="Berlin", valid_from=at(2024, 1, 1))
        )
    )
    await stub.CreateFact(
        pb.CreateFactRequest(fact=fact_pb2.Fact(user_id="alice", text="Works as a baker", valid_from=at(2024, 3, 1)))
    )

    async def context(as_of: timestamp_pb2.Timestamp | None) -> list[str]:
        request = pb.GetContextRequest(user_id="alice", query="where do I live and work?", limit=10)
        if as_of is not None:
            request.as_of.CopyFrom(as_of)
        return sorted(s.fact.text for s in (await stub.GetContext(request)).facts)

    assert await context(None) == ["Works as a baker", "city: Paris"]
    assert await context(at(2024, 12, 31)) == ["Works as a baker", "city: Berlin"]
    assert await context(at(2024, 2, 1)) == ["city: Berlin"]
    assert await context(at(2023, 1, 1)) == []
    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", as_of=at(2024, 12, 31)))
    assert sorted(f.text for f in listed.facts) == ["Works as a baker", "city: Berlin"]
    berlin = next(f for f in listed.facts if f.fact_key == "city")
    assert berlin.valid_to.ToDatetime(tzinfo=UTC) == datetime(2025, 6, 1, 12, tzinfo=UTC)
    block = (await stub.GetContext(pb.GetContextRequest(user_id="alice", query="city", as_of=at(2024, 12, 31)))).context
    assert "city: Berlin (since 2024-01-01;" in block

    future = timestamp_pb2.Timestamp()
    future.FromDatetime(datetime(2999, 1, 1, tzinfo=UTC))
    failure = await rpc_failure(stub.GetContext(pb.GetContextRequest(user_id="alice", query="x", as_of=future)))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and failure.field_violations[0][0] == "as_of"
