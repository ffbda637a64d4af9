"""MEMORY_TRACING=otlp: a span per RPC continuing the caller's trace, database and embedding work as children."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.observability import tracing
from tests.support.harness import make_settings, running_service
from tests.support.rpc import new_fact

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure(True, exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.configure(False)


async def test_a_call_is_one_span_in_the_callers_trace_with_its_database_and_embedding_work(
    spans: InMemorySpanExporter, database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    async with running_service(make_settings(database_url, tmp_path), sentence_model) as service:
        await service.stub.CreateFact(new_fact("alice", fact_key="pet", fact_value="a cat"))
        spans.clear()
        traceparent = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
        await service.stub.GetContext(
            pb.GetContextRequest(user_id="alice", query="which pet?"), metadata=(("traceparent", traceparent),)
        )
    finished = spans.get_finished_spans()
    (call,) = [s for s in finished if s.name == "memory/GetContext"]
    assert format(call.context.trace_id, "032x") == TRACE_ID  # continues the caller's trace
    assert call.parent is not None and format(call.parent.span_id, "016x") == CALLER_SPAN
    assert call.attributes is not None and call.attributes["rpc.grpc.status_code"] == "OK"
    children = {s.name for s in finished if s.parent is not None and s.parent.span_id == call.context.span_id}
    assert {"postgresql", "embedding"} <= children
    assert all("alice" not in str(s.attributes) for s in finished)  # no user ids in spans


async def test_tracing_turned_off_records_nothing(database_url: str, tmp_path: Path, sentence_model: Any) -> None:
    exporter = InMemorySpanExporter()
    tracing.configure(True, exporter=exporter)
    tracing.configure(False)
    async with running_service(make_settings(database_url, tmp_path), sentence_model) as service:
        await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="anything"))
    assert exporter.get_finished_spans() == ()
