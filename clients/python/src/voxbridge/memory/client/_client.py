"""MemoryClient: the calls a voice or chat bot makes, with deadlines, request ids and graceful degradation."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from voxbridge.memory.client._channel import DEFAULT_TARGET, ConnectionSettings, open_channel
from voxbridge.memory.client._errors import error_from_rpc
from voxbridge.memory.client._watch import Cursor, ExtractionWatch
from voxbridge.memory.v1 import fact_pb2, memory_service_pb2, memory_service_pb2_grpc

log = logging.getLogger("voxbridge.memory.client")

# Worth another try of a call made idempotent by its request id: the service or the path to it is down or busy,
# or this attempt ran out of time (the next one finds the first one's result if it got through).
_RETRY_QUEUEING = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED)


@dataclass(frozen=True)
class Context:
    """What GetContext found; `degraded` says the memory was skipped (time ran out, service down, any error)."""

    rendered: str = ""
    facts: list[fact_pb2.ScoredFact] = field(default_factory=list)
    degraded: bool = False
    reason: str = ""  # why it degraded: the service's reason, else the gRPC code, else CLIENT_ERROR


class MemoryClient:
    """One channel to the service. Use as an async context manager, or call close().

    `target` is HOST:PORT (any gRPC target). `token` is sent as `authorization: Bearer <token>` on every call.
    TLS is on when `tls_ca` (the CA that signed the server's certificate) or a client certificate is given, or
    with `tls=True` (the system's trusted roots); `tls_cert` + `tls_key` add a client certificate (mutual TLS).
    A token over plaintext is sent as asked, to a loopback target silently, elsewhere with a logged warning.
    """

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        token: str | None = None,
        tls_ca: str | Path | None = None,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        tls: bool | None = None,
        context_timeout: float = 0.1,
        call_timeout: float = 5.0,
        queue_retry_seconds: float = 30.0,
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        self.settings = ConnectionSettings(
            target=target,
            token=token,
            tls_ca=_path(tls_ca),
            tls_cert=_path(tls_cert),
            tls_key=_path(tls_key),
            tls=tls,
        )
        self._channel = channel or open_channel(self.settings)
        self._stub = memory_service_pb2_grpc.MemoryServiceStub(self._channel)
        self.context_timeout = context_timeout  # GetContext's deadline: a voice turn's budget for memory
        self.call_timeout = call_timeout  # every other call's deadline, per attempt
        self.queue_retry_seconds = queue_retry_seconds  # how long a turn keeps being offered to a service that is down
        self._background: set[asyncio.Task[str | None]] = set()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> MemoryClient:
        """A client configured like the gateway: MEMORY_TARGET (default 127.0.0.1:50051), MEMORY_TOKEN,
        MEMORY_TLS_CA, MEMORY_TLS_CERT and MEMORY_TLS_KEY. Keyword options (context_timeout, ...) pass through."""
        settings = ConnectionSettings.from_env(os.environ if environ is None else environ)
        return cls(
            settings.target,
            token=settings.token,
            tls_ca=settings.tls_ca,
            tls_cert=settings.tls_cert,
            tls_key=settings.tls_key,
            **options,
        )

    async def __aenter__(self) -> MemoryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, *, drain_seconds: float = 5.0) -> None:
        """Waits up to drain_seconds for turns still being queued in the background, then closes the channel."""
        if self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=drain_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("closing with %d turn(s) not queued for extraction", len(pending))
                await asyncio.wait(pending)
        await self._channel.close(None)

    async def wait_ready(self, within: float = 5.0) -> bool:
        """Connects now (so the first turn does not pay for it) and says whether the service could be reached
        within `within` seconds. Never raises: a bot starts and answers without memory while the service is down."""
        try:
            await asyncio.wait_for(self._channel.channel_ready(), within)
        except Exception:  # a timeout, a closed client
            return False
        return True

    @property
    def stub(self) -> memory_service_pb2_grpc.MemoryServiceStub:
        """The generated stub, for every other RPC, on the same channel (token, TLS, keepalive and retries)."""
        return self._stub

    async def get_context(
        self,
        user_id: str,
        query: str,
        *,
        agent_id: str = "",
        limit: int = 5,
        min_relevance: float = 0.0,
        deadline: float | None = None,
    ) -> Context:
        """The rendered <user_memories> block for a prompt. Never raises: a voice reply must not wait.

        `deadline` (default context_timeout, 100 ms) bounds the whole call, retries included. On any failure
        (deadline, service down, refused token, bad input, a bug here) it logs and returns an empty Context
        with degraded=True, so the bot answers without memory. Cancelling the caller still cancels it.
        """
        request_id = uuid.uuid4().hex
        try:
            request = memory_service_pb2.GetContextRequest(
                user_id=user_id, agent_id=agent_id, query=query, limit=limit, min_relevance=min_relevance
            )
            response = await self._stub.GetContext(
                request, timeout=deadline or self.context_timeout, metadata=(("x-request-id", request_id),)
            )
        except grpc.aio.AioRpcError as exc:
            error = error_from_rpc(exc)
            log.warning(
                "memory skipped for this reply: %s",
                error.code.name,
                extra={"request_id": request_id, "reason": error.reason},
            )
            return Context(degraded=True, reason=error.reason or error.code.name)
        except Exception as exc:  # the voice path must never see an exception from memory
            log.warning(
                "memory skipped for this reply: %s", type(exc).__name__, exc_info=True, extra={"request_id": request_id}
            )
            return Context(degraded=True, reason="CLIENT_ERROR")
        return Context(rendered=response.context, facts=list(response.facts))

    async def queue_extraction(
        self,
        user_id: str,
        user_message: str,
        ai_response: str = "",
        *,
        agent_id: str = "",
        session_id: str = "",
        occurred_at: datetime | None = None,
        request_id: str | None = None,
    ) -> str:
        """Queues a turn and returns the task id.

        `occurred_at` (when the turn was said) defaults to now, taken once: every retry sends the same time and
        the same `request_id` (default: a fresh UUID), so however late a retry gets through, the service stores
        the turn once, dated when it was said and applied in that order. UNAVAILABLE, RESOURCE_EXHAUSTED and
        DEADLINE_EXCEEDED are retried with backoff (at least the service's retry delay) for up to
        queue_retry_seconds; other errors raise MemoryClientError at once. Calling again with a request id
        already used returns the task it made when the words are the same and occurred_at is left out or the
        same (REQUEST_ID_REUSED otherwise).
        """
        return await self._queue(
            user_id,
            user_message,
            ai_response,
            agent_id=agent_id,
            session_id=session_id,
            occurred_at=occurred_at or datetime.now(UTC),
            time_given=occurred_at is not None,
            request_id=request_id or uuid.uuid4().hex,
        )

    def queue_extraction_soon(
        self,
        user_id: str,
        user_message: str,
        ai_response: str = "",
        *,
        agent_id: str = "",
        session_id: str = "",
        occurred_at: datetime | None = None,
        request_id: str | None = None,
    ) -> asyncio.Task[str | None]:
        """Fire and forget: queues the turn in the background (with queue_extraction's retries) and returns at
        once. The turn is dated now, when this is called, however late it gets through. The task's result is
        the task id, or None when the turn could not be queued (logged, never raised). close() waits for it."""
        when = occurred_at or datetime.now(UTC)
        request_id = request_id or uuid.uuid4().hex

        async def send() -> str | None:
            try:
                return await self._queue(
                    user_id,
                    user_message,
                    ai_response,
                    agent_id=agent_id,
                    session_id=session_id,
                    occurred_at=when,
                    time_given=occurred_at is not None,
                    request_id=request_id,
                )
            except Exception as error:
                log.warning("turn not queued for extraction: %s", error, extra={"request_id": request_id})
                return None

        task = asyncio.create_task(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _queue(
        self,
        user_id: str,
        user_message: str,
        ai_response: str,
        *,
        agent_id: str,
        session_id: str,
        occurred_at: datetime,
        time_given: bool,
        request_id: str,
    ) -> str:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC))
        request = memory_service_pb2.QueueExtractionRequest(
            user_id=user_id,
            agent_id=agent_id,
            user_message=user_message,
            ai_response=ai_response,
            request_id=request_id,
            occurred_at=stamp,
            session_id=session_id,
        )
        give_up_at = time.monotonic() + self.queue_retry_seconds
        failures = 0
        while True:
            try:
                task = await self._stub.QueueExtraction(
                    request, timeout=self.call_timeout, metadata=(("x-request-id", request_id),)
                )
                return str(task.id)
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc)
                if error.reason == "REQUEST_ID_REUSED" and not time_given and request.HasField("occurred_at"):
                    # The caller repeats a request id of theirs, dated by default: the service keeps the first
                    # call's time for a repeat that names none, and tells a different turn apart by its words.
                    request.ClearField("occurred_at")
                    continue
                if error.code not in _RETRY_QUEUEING:
                    raise error from exc
                delay = min(5.0, 0.2 * 2**failures) * random.uniform(0.5, 1.0)
                delay = max(delay, min(error.retry_delay or 0.0, 30.0))
                if time.monotonic() + delay > give_up_at:
                    raise error from exc
                failures += 1
                log.info(
                    "turn not queued yet (%s); retrying in %.2fs",
                    error.code.name,
                    delay,
                    extra={"request_id": request_id},
                )
                await asyncio.sleep(delay)

    def watch_extractions(
        self,
        user_id: str = "",
        *,
        after_event_id: Cursor = 0,
        heartbeats: bool = False,
        initial_backoff: float = 0.2,
        max_backoff: float = 5.0,
        give_up_after: float | None = None,
    ) -> ExtractionWatch:
        """Extraction events of `user_id` ("" for every user), each once, resuming across restarts and cut-offs.

        `after_event_id`: the event id to resume after (0: from the oldest event kept), or "latest" for only
        what happens from now on. See ExtractionWatch for heartbeats, errors and the cursor.
        """
        return ExtractionWatch(
            self._stub,
            user_id,
            after_event_id=after_event_id,
            heartbeats=heartbeats,
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
            give_up_after=give_up_after,
            probe_timeout=self.call_timeout,
        )


def _path(value: str | Path | None) -> Path | None:
    return Path(value) if value is not None and str(value) else None
