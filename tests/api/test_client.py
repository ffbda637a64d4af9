"""The bot's client library against the real server: degradation, idempotent retries, typed errors."""

from __future__ import annotations

import time

import grpc
import pytest
from voxbridge.memory.client import MemoryClient, MemoryClientError

from tests.support.harness import Service
from tests.support.processes import free_port
from tests.support.rpc import new_fact
from tests.support.waiting import finished_task


async def test_get_context_and_queue_extraction(service: Service) -> None:
    await service.stub.CreateFact(new_fact("alice", fact_key="name", fact_value="Alice"))
    async with MemoryClient(service.address, context_timeout=5) as memory:
        context = await memory.get_context("alice", "what is my name?")
        assert not context.degraded and context.rendered.startswith("<user_memories>\n- name: Alice")
        task_id = await memory.queue_extraction("alice", "I love sailing", "Sounds fun!", request_id="turn-1")
        assert await memory.queue_extraction("alice", "I love sailing", "Sounds fun!", request_id="turn-1") == task_id
        background = memory.queue_extraction_soon("bob", "I play chess")
    assert (await background) is not None  # close() waited for it
    service.start_worker()
    assert (await finished_task(service, task_id, "alice")).counts.facts_added == 1


async def test_get_context_degrades_to_an_empty_context() -> None:
    async with MemoryClient(f"127.0.0.1:{free_port()}", context_timeout=0.1) as memory:  # nothing listens
        started = time.monotonic()
        context = await memory.get_context("alice", "hello")
        assert context.degraded and context.rendered == "" and context.reason in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
        assert time.monotonic() - started < 2


async def test_errors_carry_the_stable_reason(service: Service) -> None:
    async with MemoryClient(service.address) as memory:
        context = await memory.get_context("", "hello")  # a bad request still never raises
        assert context.degraded and context.reason == "INVALID_ARGUMENT"
        await memory.queue_extraction("alice", "first turn", request_id="dup")
        with pytest.raises(MemoryClientError) as raised:
            await memory.queue_extraction("alice", "another turn", request_id="dup")
        assert raised.value.code == grpc.StatusCode.ALREADY_EXISTS and raised.value.reason == "REQUEST_ID_REUSED"
        assert not raised.value.retryable
