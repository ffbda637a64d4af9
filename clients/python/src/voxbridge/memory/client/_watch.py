"""watch_extractions: a WatchExtractions stream that survives restarts and cut-offs, each event exactly once."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator
from typing import Any, Literal

import grpc
from voxbridge.memory.client._errors import MemoryClientError, error_from_rpc
from voxbridge.memory.v1 import extraction_pb2, memory_service_pb2, memory_service_pb2_grpc

log = logging.getLogger("voxbridge.memory.client")

HEARTBEAT = extraction_pb2.EXTRACTION_EVENT_TYPE_HEARTBEAT
# Ends a stream in a way that resuming from the cursor fixes: the server restarting or shutting down
# (SHUTTING_DOWN), a lost connection, or this reader having fallen behind (SUBSCRIBER_TOO_SLOW).
# DEADLINE_EXCEEDED can only come from the short probe that resolves 'latest' (a stream has no deadline).
RESUMABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED)
# Newer than any event: the service answers OUT_OF_RANGE with the newest id in its metadata.
_BEYOND_THE_LOG = 2**63 - 1

Cursor = int | Literal["latest"]


class ExtractionWatch:
    """An async iterator of a user's extraction events (every user's with user_id "").

    It yields each stored event once, in event id order, and keeps going across a server restart, a lost
    connection or a cut-off for reading too slowly: it reconnects with backoff (honouring the server's retry
    delay) and resumes after the last event it yielded, dropping any event at or below that cursor. Heartbeats
    are skipped unless asked for (`heartbeats=True`); they then come through as they are, with the cursor as
    their event_id. Errors that resuming cannot fix (a cursor outside the events kept, a refused token, a bad
    request) end the iteration with MemoryClientError; so does a service unreachable for longer than
    `give_up_after` seconds, when set.

    `cursor` is the event id to resume after (persist it to continue in another process). Use it as
    `async with client.watch_extractions(...) as events: async for event in events: ...`, or iterate directly
    and call aclose(); closing the client ends it too.
    """

    def __init__(
        self,
        stub: memory_service_pb2_grpc.MemoryServiceStub,
        user_id: str,
        *,
        after_event_id: Cursor,
        heartbeats: bool,
        initial_backoff: float,
        max_backoff: float,
        give_up_after: float | None,
        probe_timeout: float,
    ) -> None:
        if after_event_id != "latest" and (not isinstance(after_event_id, int) or after_event_id < 0):
            raise ValueError(f"after_event_id must be an event id (0 or more) or 'latest', got {after_event_id!r}")
        self._stub = stub
        self._user_id = user_id
        self._cursor: int | None = None if after_event_id == "latest" else after_event_id
        self._heartbeats = heartbeats
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._give_up_after = give_up_after
        self._probe_timeout = probe_timeout
        self.reconnects = 0  # streams opened again after one ended
        self._events: AsyncGenerator[extraction_pb2.ExtractionEvent, None] = self._run()

    @property
    def cursor(self) -> int | None:
        """The id of the last event yielded (or the starting cursor); None until 'latest' is resolved."""
        return self._cursor

    def __aiter__(self) -> ExtractionWatch:
        return self

    async def __anext__(self) -> extraction_pb2.ExtractionEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        await self._events.aclose()

    async def __aenter__(self) -> ExtractionWatch:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[extraction_pb2.ExtractionEvent, None]:
        failures = 0  # consecutive attempts that got nothing from the server
        failing_since: float | None = None
        while True:
            call: Any = None
            try:
                if self._cursor is None:
                    self._cursor = await self._latest_event_id()
                call = self._stub.WatchExtractions(
                    memory_service_pb2.WatchExtractionsRequest(user_id=self._user_id, after_event_id=self._cursor),
                )
                async for event in call:  # a stream the server ends without an error is opened again
                    failures, failing_since = 0, None
                    if event.type == HEARTBEAT:
                        if self._heartbeats:
                            yield event
                        continue
                    if event.event_id <= self._cursor:
                        continue  # already yielded before a reconnect: never twice
                    self._cursor = event.event_id
                    yield event
                delay = self._initial_backoff
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc)
                if error.code not in RESUMABLE:
                    raise error from exc
                now = time.monotonic()
                failing_since = failing_since or now
                if self._give_up_after is not None and now - failing_since > self._give_up_after:
                    raise error from exc
                delay = min(self._max_backoff, self._initial_backoff * 2**failures) * random.uniform(0.5, 1.0)
                delay = max(delay, min(error.retry_delay or 0.0, self._max_backoff))
                failures += 1
                log.info(
                    "extraction watch interrupted (%s %s); resuming after event %s in %.2fs",
                    error.code.name,
                    error.reason,
                    self._cursor,
                    delay,
                    extra={"server_resume_after_event_id": error.metadata.get("resume_after_event_id")},
                )
            finally:
                if call is not None:
                    call.cancel()
            await asyncio.sleep(delay)
            self.reconnects += 1

    async def _latest_event_id(self) -> int:
        """The newest event id, so that 'latest' sees only what happens from now on."""
        probe = self._stub.WatchExtractions(
            memory_service_pb2.WatchExtractionsRequest(user_id=self._user_id, after_event_id=_BEYOND_THE_LOG),
            timeout=self._probe_timeout,
        )
        try:
            await probe.read()
        except grpc.aio.AioRpcError as exc:
            error = error_from_rpc(exc)
            if error.code == grpc.StatusCode.OUT_OF_RANGE and "latest_event_id" in error.metadata:
                return int(error.metadata["latest_event_id"])
            raise
        finally:
            probe.cancel()
        raise MemoryClientError(
            grpc.StatusCode.INTERNAL, "WatchExtractions accepted a cursor beyond the newest event", "", {}
        )
