"""Load shedding on the hot path: a GetContext the model cannot serve before the caller's deadline is not computed.

The model is the fake embeddings server made slow (FakeEmbeddings.delay), so "busy" is certain and what it
was asked to embed is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_embeddings import FakeEmbeddings
from tests.support.harness import Service, make_settings, running_service
from tests.support.rpc import new_fact, rpc_failure


@pytest.fixture
def remote() -> Iterator[FakeEmbeddings]:
    with FakeEmbeddings(dimensions=32) as fake:
        yield fake


@pytest.fixture
async def slow_service(
    database_url: str, tmp_path: Path, sentence_model: Any, remote: FakeEmbeddings
) -> AsyncIterator[Service]:
    settings = make_settings(
        database_url,
        tmp_path,
        MEMORY_EMBEDDING_PROVIDER="openai",
        MEMORY_EMBEDDING_MODEL="slow",
        MEMORY_EMBEDDING_BASE_URL=remote.base_url,
        MEMORY_EMBEDDING_API_KEY="sk-test",
        MEMORY_EMBEDDING_CACHE_SIZE="0",
    )
    async with running_service(settings, sentence_model) as service:
        yield service


async def learn_speed(service: Service, remote: FakeEmbeddings, delay: float) -> None:
    """The model answers in `delay` seconds, and the embedder has seen it (it knows no speed before a batch)."""
    remote.delay = delay
    await service.stub.CreateFact(new_fact("alice", text="My sister is called Julia"))


def context(query: str) -> pb.GetContextRequest:
    return pb.GetContextRequest(user_id="alice", query=query)


async def model_busy_with(service: Service, remote: FakeEmbeddings, query: str) -> asyncio.Task[Any]:
    """A GetContext without a deadline, once the model is working on it."""

    async def get_context() -> Any:
        return await service.stub.GetContext(context(query))

    call = asyncio.create_task(get_context())
    while query not in remote.texts_embedded():
        await asyncio.sleep(0.005)
    return call


async def test_a_call_the_busy_model_cannot_serve_in_time_is_refused_at_once_and_never_computed(
    slow_service: Service, remote: FakeEmbeddings
) -> None:
    await learn_speed(slow_service, remote, 0.25)  # alone, a query would make a 0.4 s deadline...
    busy = await model_busy_with(slow_service, remote, "what is my sister called?")

    # ...but not behind the one the model is busy with.
    failure = await rpc_failure(slow_service.stub.GetContext(context("where does Julia live?"), timeout=0.4))

    # Refused by the embedder's admission, not by the deadline running out (that would be DEADLINE_EXCEEDED).
    assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert failure.reason == "OVERLOADED"
    assert failure.retry_delay is not None and failure.retry_delay > 0
    assert (await busy).facts[0].fact.text == "My sister is called Julia"
    assert "where does Julia live?" not in remote.texts_embedded()
    assert slow_service.core.embedder.active.stats.refused == 1


async def test_a_deadline_too_short_for_an_idle_model_is_deadline_exceeded_not_overloaded(
    slow_service: Service, remote: FakeEmbeddings
) -> None:
    await learn_speed(slow_service, remote, 0.5)
    failure = await rpc_failure(slow_service.stub.GetContext(context("where does Julia live?"), timeout=0.3))
    assert failure.code == grpc.StatusCode.DEADLINE_EXCEEDED  # a retry would not help: no RetryInfo
    assert failure.retry_delay is None
    assert "where does Julia live?" not in remote.texts_embedded()


async def test_a_call_whose_deadline_passes_while_it_waits_is_dropped_uncomputed(
    slow_service: Service, remote: FakeEmbeddings
) -> None:
    await learn_speed(slow_service, remote, 0.01)
    remote.delay = 0.6  # then it slows down: the next call is admitted, and waits past its deadline
    busy = await model_busy_with(slow_service, remote, "what is my sister called?")

    failure = await rpc_failure(slow_service.stub.GetContext(context("where does Julia live?"), timeout=0.2))

    assert failure.code == grpc.StatusCode.DEADLINE_EXCEEDED
    await busy
    await slow_service.stub.GetContext(context("anything else?"))  # the model has moved past the queue
    assert "where does Julia live?" not in remote.texts_embedded()


async def test_calls_without_a_deadline_are_never_refused(slow_service: Service, remote: FakeEmbeddings) -> None:
    await learn_speed(slow_service, remote, 0.2)
    answers = await asyncio.gather(*(slow_service.stub.GetContext(context(f"question {i}")) for i in range(6)))
    assert all(answer.facts for answer in answers)
    assert slow_service.core.embedder.active.stats.refused == 0
