"""The bot's client library against the real server: degradation, idempotent retries, typed errors, the watch
iterator, the channel's retry policy, tokens and TLS."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from voxbridge.memory.client import ConnectionSettings, MemoryClient, MemoryClientError
from voxbridge.memory.v1 import extraction_pb2 as ex
from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.domain import TokenRole
from memory_service.service.tokens import TokenService
from tests.support.certificates import Certificates, make_certificates
from tests.support.grpc_proxy import recording_proxy
from tests.support.harness import Service, make_settings, running_service
from tests.support.processes import free_port
from tests.support.rpc import new_fact
from tests.support.waiting import finished_task

QUEUED, PROCESSING, COMPLETED = (
    ex.EXTRACTION_EVENT_TYPE_QUEUED,
    ex.EXTRACTION_EVENT_TYPE_PROCESSING,
    ex.EXTRACTION_EVENT_TYPE_COMPLETED,
)


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


async def test_get_context_degrades_on_errors_that_are_not_rpc_errors(service: Service) -> None:
    memory = MemoryClient(service.address, context_timeout=5)
    context = await memory.get_context("alice", 42)  # type: ignore[arg-type]  # protobuf raises TypeError
    assert context.degraded and context.reason == "CLIENT_ERROR"
    await memory.close()
    context = await memory.get_context("alice", "hello")  # a closed channel raises UsageError
    assert context.degraded and context.reason == "CLIENT_ERROR"


async def test_turns_are_dated_when_said_and_carry_their_session(service: Service) -> None:
    said = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)
    async with MemoryClient(service.address) as memory:
        dated = await memory.queue_extraction("alice", "I moved to Oslo", occurred_at=said, session_id="call-7")
        before = datetime.now(UTC)
        background = memory.queue_extraction_soon("alice", "I like skiing", "Nice!", session_id="call-7")
        soon = await background
        assert soon is not None
        # A repeat of the caller's own request id with the default time finds the first task (the service keeps
        # the first call's time for a repeat that names none).
        first = await memory.queue_extraction("alice", "I play golf", request_id="my-id")
        assert await memory.queue_extraction("alice", "I play golf", request_id="my-id") == first
    task = await service.stub.GetExtraction(pb.GetExtractionRequest(user_id="alice", task_id=dated))
    assert task.occurred_at.ToDatetime(UTC) == said and task.session_id == "call-7"
    task = await service.stub.GetExtraction(pb.GetExtractionRequest(user_id="alice", task_id=soon))
    assert task.session_id == "call-7" and task.request_id
    assert before - timedelta(seconds=1) < task.occurred_at.ToDatetime(UTC) <= task.created_at.ToDatetime(UTC)


async def collect(
    events: AsyncIterator[ex.ExtractionEvent], count: int, within: float = 30
) -> list[ex.ExtractionEvent]:
    seen: list[ex.ExtractionEvent] = []
    async with asyncio.timeout(within):
        while len(seen) < count:
            seen.append(await anext(events))
    return seen


async def test_watch_yields_stored_events_in_order_and_heartbeats_on_request(service: Service) -> None:
    async with MemoryClient(service.address) as memory:
        first = await memory.queue_extraction("alice", "I play the violin")
        await memory.queue_extraction("bob", "I play the drums")
        async with memory.watch_extractions("alice") as events:
            assert [(e.task_id, e.type) for e in await collect(events, 1)] == [(first, QUEUED)]
            service.start_worker()
            second = await memory.queue_extraction("alice", "I have a cat called Miso")
            seen = await collect(events, 5)
            assert sorted((e.task_id, e.type) for e in seen) == sorted(
                [(first, PROCESSING), (first, COMPLETED), (second, QUEUED), (second, PROCESSING), (second, COMPLETED)]
            )
            ids = [e.event_id for e in seen]
            assert ids == sorted(ids) and events.cursor == ids[-1] and events.reconnects == 0
        async with memory.watch_extractions("alice", after_event_id=events.cursor or 0, heartbeats=True) as idle:
            heartbeat = await anext(idle)  # MEMORY_HEARTBEAT_SECONDS=1 in tests
            assert heartbeat.type == ex.EXTRACTION_EVENT_TYPE_HEARTBEAT and heartbeat.event_id == events.cursor


async def test_watch_from_latest_sees_only_what_happens_next(service: Service) -> None:
    async with MemoryClient(service.address) as memory:
        await memory.queue_extraction("alice", "I sail on Sundays")
        async with memory.watch_extractions("alice", after_event_id="latest") as events:
            reading = asyncio.ensure_future(collect(events, 1))
            while events.cursor is None:  # 'latest' resolved: the stream follows from there
                await asyncio.sleep(0.02)
            newer = await memory.queue_extraction("alice", "I collect stamps")
            assert [(e.task_id, e.type) for e in await reading] == [(newer, QUEUED)]
        with pytest.raises(MemoryClientError) as raised:  # errors that resuming cannot fix end the iteration
            await anext(memory.watch_extractions("alice", after_event_id=10_000))
        assert raised.value.code == grpc.StatusCode.OUT_OF_RANGE and raised.value.metadata["latest_event_id"] == "2"
        with pytest.raises(ValueError):
            memory.watch_extractions("alice", after_event_id=-1)


async def test_a_watch_can_give_up_on_a_service_that_stays_away() -> None:
    async with MemoryClient(f"127.0.0.1:{free_port()}") as memory:  # nothing listens
        events = memory.watch_extractions("alice", give_up_after=0.5, initial_backoff=0.05)
        with pytest.raises(MemoryClientError) as raised:
            await anext(events)
        assert raised.value.code == grpc.StatusCode.UNAVAILABLE and events.reconnects >= 1
        assert not await memory.wait_ready(0.2)


async def test_watch_cut_off_for_reading_slowly_resumes_without_loss_or_repeats(
    settings: Any, sentence_model: Any
) -> None:
    small = dataclasses.replace(settings, stream_queue_size=5, stream_write_timeout_seconds=0.5)
    async with running_service(small, sentence_model) as service, MemoryClient(service.address) as memory:
        for n in range(3):
            await memory.queue_extraction(f"user-{n}", f"I own {n} books")
        events = memory.watch_extractions()
        assert [e.event_id for e in await collect(events, 3)] == [1, 2, 3]  # subscribed and following
        for start_at in range(0, 300, 50):  # meanwhile the reader reads nothing: the server cuts it off
            await asyncio.gather(
                *(memory.queue_extraction(f"user-{i}", f"I own {i} books") for i in range(start_at, start_at + 50))
            )
        rest = await collect(events, 300)
        await events.aclose()
    assert [e.event_id for e in rest] == list(range(4, 304))
    assert events.reconnects >= 1


async def test_the_channel_retries_idempotent_calls_only(service: Service) -> None:
    created = await service.stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Rome"))
    async with recording_proxy(service.address) as proxy, MemoryClient(proxy.address, context_timeout=5) as memory:
        proxy.fail_next.update(GetContext=1, ListFacts=2, QueueExtraction=2, UpdateFact=1, DeleteFact=1)
        context = await memory.get_context("alice", "where do I live?")
        assert not context.degraded and "Rome" in context.rendered
        listed = await memory.stub.ListFacts(pb.ListFactsRequest(user_id="alice"), timeout=5)
        assert [f.id for f in listed.facts] == [created.id]
        task_id = await memory.queue_extraction("alice", "I like tea")
        assert [name for name, _ in proxy.calls].count("QueueExtraction") == 3  # one task, one request id
        assert len({md["x-request-id"] for md in proxy.metadata_of("QueueExtraction")}) == 1
        update = pb.UpdateFactRequest(
            fact=fact_pb2.Fact(user_id="alice", id=created.id, fact_value="Oslo"),
            update_mask={"paths": ["fact_value"]},
        )
        for call in (
            memory.stub.UpdateFact(update, timeout=5),
            memory.stub.DeleteFact(pb.DeleteFactRequest(user_id="alice", fact_id=created.id), timeout=5),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await call
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    attempts = {name: [n for n, _ in proxy.calls].count(name) for name, _ in proxy.calls}
    assert attempts == {"GetContext": 2, "ListFacts": 3, "QueueExtraction": 3, "UpdateFact": 1, "DeleteFact": 1}
    task = await service.stub.GetExtraction(pb.GetExtractionRequest(user_id="alice", task_id=task_id))
    assert task.user_message == "I like tea"


def test_settings_from_the_environment(tmp_path: Path) -> None:
    assert ConnectionSettings.from_env({}) == ConnectionSettings(target="127.0.0.1:50051")
    ca = tmp_path / "ca.pem"
    settings = ConnectionSettings.from_env(
        {"MEMORY_TARGET": "memory.internal:443", "MEMORY_TOKEN": " vbm_secret\n", "MEMORY_TLS_CA": str(ca)}
    )
    assert (settings.target, settings.token, settings.tls_ca, settings.uses_tls) == (
        "memory.internal:443",
        "vbm_secret",
        ca,
        True,
    )
    assert not ConnectionSettings.from_env({"MEMORY_TLS_CA": ""}).uses_tls
    with pytest.raises(ValueError, match="go together"):
        ConnectionSettings.from_env({"MEMORY_TLS_CERT": str(tmp_path / "client.pem")})


@pytest.fixture
async def secured(
    database_url: str, tmp_path: Path, sentence_model: Any
) -> AsyncIterator[tuple[Service, Certificates, dict[str, str]]]:
    """A service with MEMORY_AUTH=required and mutual TLS, and tokens for a service and for two users."""
    certificates = make_certificates(tmp_path / "certs")
    settings = make_settings(
        database_url,
        tmp_path,
        MEMORY_AUTH="required",
        MEMORY_TLS_CERT=str(certificates.server_cert),
        MEMORY_TLS_KEY=str(certificates.server_key),
        MEMORY_TLS_CLIENT_CA=str(certificates.ca),
    )
    async with running_service(settings, sentence_model) as service:
        tokens = TokenService(service.core.db)
        secrets = {}
        for name, role, user in (
            ("bot", TokenRole.SERVICE, ""),
            ("alice", TokenRole.USER, "alice"),
            ("bob", TokenRole.USER, "bob"),
        ):
            _, secrets[name] = await tokens.create(role, user, name)
        yield service, certificates, secrets


async def test_token_and_mutual_tls(secured: tuple[Service, Certificates, dict[str, str]]) -> None:
    service, certificates, secrets = secured
    environ = {
        "MEMORY_TARGET": service.address,
        "MEMORY_TOKEN": secrets["bot"],
        "MEMORY_TLS_CA": str(certificates.ca),
        "MEMORY_TLS_CERT": str(certificates.client_cert),
        "MEMORY_TLS_KEY": str(certificates.client_key),
    }
    async with MemoryClient.from_env(environ, context_timeout=5) as memory:
        assert await memory.wait_ready()
        task_id = await memory.queue_extraction("alice", "I speak Portuguese")
        async with memory.watch_extractions("alice") as events:  # the token rides on streams too
            assert [(e.task_id, e.type) for e in await collect(events, 1)] == [(task_id, QUEUED)]
        await memory.stub.CreateFact(new_fact("alice", fact_key="language", fact_value="Portuguese"), timeout=5)
        context = await memory.get_context("alice", "which language do I speak?")
        assert not context.degraded and "Portuguese" in context.rendered

    mutual = {"tls_cert": certificates.client_cert, "tls_key": certificates.client_key}
    async with MemoryClient(
        service.address, token=secrets["alice"], tls_ca=certificates.ca, context_timeout=5, **mutual
    ) as alice:
        assert "Portuguese" in (await alice.get_context("alice", "which language do I speak?")).rendered
        refused = await alice.get_context("bob", "anything?")  # a user token reaches its own user only
        assert refused.degraded and refused.reason == "PERMISSION_DENIED"
    async with MemoryClient(service.address, tls_ca=certificates.ca, context_timeout=5, **mutual) as anonymous:
        refused = await anonymous.get_context("alice", "anything?")
        assert refused.degraded and refused.reason == "MISSING_TOKEN"
    async with MemoryClient(service.address, token=secrets["bot"], tls_ca=certificates.ca, context_timeout=5) as bare:
        assert (await bare.get_context("alice", "anything?")).degraded  # no client certificate: no handshake
        assert not await bare.wait_ready(0.5)
    async with MemoryClient(service.address, token=secrets["bot"], context_timeout=5) as plaintext:
        assert (await plaintext.get_context("alice", "anything?")).reason == "UNAVAILABLE"


async def test_a_token_over_plaintext_reaches_the_service(
    database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    settings = make_settings(database_url, tmp_path, MEMORY_AUTH="required")
    async with running_service(settings, sentence_model) as service:
        _, secret = await TokenService(service.core.db).create(TokenRole.SERVICE, "", "bot")
        async with MemoryClient.from_env({"MEMORY_TARGET": service.address, "MEMORY_TOKEN": secret}) as memory:
            task_id = await memory.queue_extraction("alice", "I run marathons")
            async with memory.watch_extractions("alice") as events:
                assert [e.task_id for e in await collect(events, 1)] == [task_id]
            assert not (await memory.get_context("alice", "what sport?", deadline=5)).degraded
        async with MemoryClient(service.address, token="vbm_not-a-token") as stranger:
            refused = await stranger.get_context("alice", "what sport?", deadline=5)
            assert refused.degraded and refused.reason == "INVALID_TOKEN"
