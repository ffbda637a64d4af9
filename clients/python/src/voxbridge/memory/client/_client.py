"""MemoryClient: the calls a voice or chat bot makes, with deadlines, request ids and graceful degradation."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass, field

import grpc
from voxbridge.memory.client._errors import MemoryClientError, error_from_rpc
from voxbridge.memory.v1 import fact_pb2, memory_service_pb2, memory_service_pb2_grpc

log = logging.getLogger("voxbridge.memory.client")


@dataclass(frozen=True)
class Context:
    """What GetContext found; `degraded` says the memory was skipped (time ran out, service down)."""

    rendered: str = ""
    facts: list[fact_pb2.ScoredFact] = field(default_factory=list)
    degraded: bool = False
    reason: str = ""


class MemoryClient:
    """One channel to the service. Use as an async context manager, or call close()."""

    def __init__(
        self,
        target: str,
        *,
        context_timeout: float = 0.1,
        call_timeout: float = 5.0,
        queue_attempts: int = 3,
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        self._channel = channel or grpc.aio.insecure_channel(target)
        self._stub = memory_service_pb2_grpc.MemoryServiceStub(self._channel)
        self.context_timeout = context_timeout
        self.call_timeout = call_timeout
        self.queue_attempts = queue_attempts
        self._background: set[asyncio.Task[str | None]] = set()

    async def __aenter__(self) -> MemoryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, *, drain_seconds: float = 5.0) -> None:
        """Waits briefly for queued extractions still being sent, then closes the channel."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=drain_seconds)
        await self._channel.close(None)

    @property
    def stub(self) -> memory_service_pb2_grpc.MemoryServiceStub:
        """The generated stub, for every other RPC."""
        return self._stub

    async def get_context(
        self, user_id: str, query: str, *, agent_id: str = "", limit: int = 5, deadline: float | None = None
    ) -> Context:
        """The rendered <user_memories> block for a prompt. Never raises: a voice reply must not wait.

        On any failure (deadline, service down, bad input) it logs and returns an
        empty Context with degraded=True, so the bot answers without memory.
        """
        request = memory_service_pb2.GetContextRequest(user_id=user_id, agent_id=agent_id, query=query, limit=limit)
        request_id = uuid.uuid4().hex
        try:
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
        return Context(rendered=response.context, facts=list(response.facts))

    async def queue_extraction(
        self,
        user_id: str,
        user_message: str,
        ai_response: str = "",
        *,
        agent_id: str = "",
        request_id: str | None = None,
    ) -> str:
        """Queues a turn and returns the task id. Retries UNAVAILABLE with the same request id (idempotent)."""
        request = memory_service_pb2.QueueExtractionRequest(
            user_id=user_id,
            agent_id=agent_id,
            user_message=user_message,
            ai_response=ai_response,
            request_id=request_id or uuid.uuid4().hex,
        )
        for attempt in range(1, self.queue_attempts + 1):
            try:
                task = await self._stub.QueueExtraction(
                    request, timeout=self.call_timeout, metadata=(("x-request-id", request.request_id),)
                )
                return str(task.id)
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc)
                if not error.retryable or attempt == self.queue_attempts:
                    raise error from exc
                await asyncio.sleep(0.1 * 2 ** (attempt - 1) * (1 + random.random()))
        raise AssertionError("unreachable")

    def queue_extraction_soon(
        self, user_id: str, user_message: str, ai_response: str = "", *, agent_id: str = ""
    ) -> asyncio.Task[str | None]:
        """Fire and forget: sends the turn in the background; failures are logged, never raised."""

        async def send() -> str | None:
            try:
                return await self.queue_extraction(user_id, user_message, ai_response, agent_id=agent_id)
            except MemoryClientError as error:
                log.warning("turn not queued for extraction: %s", error)
                return None

        task = asyncio.create_task(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task
