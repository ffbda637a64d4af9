"""MemoryService handlers: convert the request, await one use case, convert the answer back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from voxbridge.memory.v1 import (
    export_pb2,
    extraction_pb2,
    fact_pb2,
    memory_service_pb2,
    memory_service_pb2_grpc,
    user_pb2,
)

from memory_service.domain import Turn
from memory_service.errors import InvalidArgument, ResourceExhausted
from memory_service.grpc_api import convert
from memory_service.request_context import call_deadline
from memory_service.service.context import ContextService
from memory_service.service.extraction import ExtractionService
from memory_service.service.facts import FactService
from memory_service.service.privacy import PrivacyService
from memory_service.service.queue import QueueService
from memory_service.service.users import SettingsInput, UserService

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
# Records per ExportUserResponse: a few hundred KB, well under the message size limit.
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class Services:
    """The use cases a servicer translates to; built once by the composition root."""

    context: ContextService
    facts: FactService
    extraction: ExtractionService
    queue: QueueService
    users: UserService
    privacy: PrivacyService


class MemoryServicer(memory_service_pb2_grpc.MemoryServiceServicer):  # type: ignore[misc]  # generated, untyped
    def __init__(self, services: Services, *, stream_write_timeout: float = 30.0) -> None:
        self._s = services
        self._stream_write_timeout = stream_write_timeout

    async def GetContext(
        self, request: memory_service_pb2.GetContextRequest, context: Context
    ) -> memory_service_pb2.GetContextResponse:
        found = await self._s.context.get_context(
            request.user_id,
            request.agent_id,
            request.query,
            limit=request.limit,
            min_relevance=request.min_relevance,
            as_of=convert.time_of(request, "as_of"),
            deadline=call_deadline.get(),  # the interceptor's reading of the call's deadline
        )
        return memory_service_pb2.GetContextResponse(
            facts=[fact_pb2.ScoredFact(fact=convert.fact(s.fact), relevance=s.relevance) for s in found.facts],
            context=found.rendered,
        )

    async def CreateFact(self, request: memory_service_pb2.CreateFactRequest, context: Context) -> fact_pb2.Fact:
        created = await self._s.facts.create(convert.fact_input(request.fact), request.request_id)
        return convert.fact(created)

    async def BatchCreateFacts(
        self, request: memory_service_pb2.BatchCreateFactsRequest, context: Context
    ) -> memory_service_pb2.BatchCreateFactsResponse:
        created = await self._s.facts.create_batch(
            request.user_id, [convert.fact_input(f) for f in request.facts], request.request_id
        )
        return memory_service_pb2.BatchCreateFactsResponse(facts=[convert.fact(f) for f in created])

    async def GetFact(self, request: memory_service_pb2.GetFactRequest, context: Context) -> fact_pb2.Fact:
        return convert.fact(await self._s.facts.get(request.user_id, request.fact_id))

    async def ListFacts(
        self, request: memory_service_pb2.ListFactsRequest, context: Context
    ) -> memory_service_pb2.ListFactsResponse:
        page = await self._s.facts.list_page(
            request.user_id,
            agent_id=request.agent_id,
            include_invalid=request.include_invalid,
            page_size=request.page_size,
            page_token=request.page_token,
            as_of=convert.time_of(request, "as_of"),
        )
        return memory_service_pb2.ListFactsResponse(
            facts=[convert.fact(f) for f in page.items], next_page_token=page.next_page_token
        )

    async def UpdateFact(self, request: memory_service_pb2.UpdateFactRequest, context: Context) -> fact_pb2.Fact:
        updated = await self._s.facts.update(
            request.fact.user_id,
            request.fact.id,
            list(request.update_mask.paths),
            convert.fact_input(request.fact),
            request.request_id,
        )
        return convert.fact(updated)

    async def DeleteFact(
        self, request: memory_service_pb2.DeleteFactRequest, context: Context
    ) -> memory_service_pb2.DeleteFactResponse:
        await self._s.facts.delete(request.user_id, request.fact_id)
        return memory_service_pb2.DeleteFactResponse()

    async def GetFactHistory(
        self, request: memory_service_pb2.GetFactHistoryRequest, context: Context
    ) -> memory_service_pb2.GetFactHistoryResponse:
        return convert.fact_history(await self._s.facts.history(request.user_id, request.fact_id))

    async def QueueExtraction(
        self, request: memory_service_pb2.QueueExtractionRequest, context: Context
    ) -> extraction_pb2.ExtractionTask:
        turn = Turn(
            request.user_id,
            request.agent_id,
            request.user_message,
            request.ai_response,
            convert.time_of(request, "occurred_at"),
            request.session_id,
        )
        return convert.task(await self._s.extraction.queue(turn, request.request_id))

    async def GetExtraction(
        self, request: memory_service_pb2.GetExtractionRequest, context: Context
    ) -> extraction_pb2.ExtractionTask:
        return convert.task(await self._s.extraction.get(request.task_id, request.user_id))

    async def ListExtractions(
        self, request: memory_service_pb2.ListExtractionsRequest, context: Context
    ) -> memory_service_pb2.ListExtractionsResponse:
        page = await self._s.queue.list_page(
            request.user_id,
            convert.task_statuses(request.statuses),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return memory_service_pb2.ListExtractionsResponse(
            tasks=[convert.task(t) for t in page.items], next_page_token=page.next_page_token
        )

    async def RequeueExtractions(
        self, request: memory_service_pb2.RequeueExtractionsRequest, context: Context
    ) -> memory_service_pb2.RequeueExtractionsResponse:
        requeued = await self._s.queue.requeue(request.user_id, list(request.task_ids))
        return memory_service_pb2.RequeueExtractionsResponse(task_ids=[str(t.id) for t in requeued])

    async def WatchExtractions(self, request: memory_service_pb2.WatchExtractionsRequest, context: Context) -> None:
        # context.write with a timeout instead of `yield`: a client that stops
        # reading blocks the write, and must be cut off rather than held forever.
        events = self._s.extraction.watch(request.user_id, request.after_event_id)
        try:
            async for event in events:
                try:
                    await asyncio.wait_for(context.write(convert.event(event)), self._stream_write_timeout)
                except TimeoutError:
                    resume = max(event.id - 1, 0)
                    raise ResourceExhausted(
                        f"the stream stopped being read for {self._stream_write_timeout:.0f}s; "
                        f"resume with after_event_id={resume}",
                        retry_after=1.0,
                        reason="SUBSCRIBER_TOO_SLOW",
                        metadata={"resume_after_event_id": str(resume)},
                    ) from None
        finally:
            await events.aclose()

    async def PreviewExtraction(
        self, request: memory_service_pb2.PreviewExtractionRequest, context: Context
    ) -> memory_service_pb2.PreviewExtractionResponse:
        turn = Turn(request.user_id, request.agent_id, request.user_message, request.ai_response)
        return convert.plan(await self._s.extraction.preview(turn))

    async def GetQueueStats(
        self, request: memory_service_pb2.GetQueueStatsRequest, context: Context
    ) -> memory_service_pb2.GetQueueStatsResponse:
        return convert.queue_stats(await self._s.queue.stats(request.user_id), self._s.extraction.mode)

    async def RegisterAgent(self, request: memory_service_pb2.RegisterAgentRequest, context: Context) -> user_pb2.Agent:
        if request.agent.memory_scope not in user_pb2.MemoryScope.values():
            raise InvalidArgument.field("agent.memory_scope", f"unknown memory scope {request.agent.memory_scope}")
        registered = await self._s.users.register_agent(
            request.agent.agent_id, convert.scope(request.agent.memory_scope), request.agent.display_name
        )
        return convert.agent(registered)

    async def GetAgent(self, request: memory_service_pb2.GetAgentRequest, context: Context) -> user_pb2.Agent:
        return convert.agent(await self._s.users.get_agent(request.agent_id))

    async def ListAgents(
        self, request: memory_service_pb2.ListAgentsRequest, context: Context
    ) -> memory_service_pb2.ListAgentsResponse:
        page = await self._s.users.list_agents(page_size=request.page_size, page_token=request.page_token)
        return memory_service_pb2.ListAgentsResponse(
            agents=[convert.agent(a) for a in page.items], next_page_token=page.next_page_token
        )

    async def GetUserSettings(
        self, request: memory_service_pb2.GetUserSettingsRequest, context: Context
    ) -> user_pb2.UserSettings:
        return convert.user_settings(await self._s.users.get_settings(request.user_id))

    async def UpdateUserSettings(
        self, request: memory_service_pb2.UpdateUserSettingsRequest, context: Context
    ) -> user_pb2.UserSettings:
        updated = await self._s.users.update_settings(
            request.settings.user_id,
            list(request.update_mask.paths),
            SettingsInput(
                extraction_enabled=request.settings.extraction_enabled,
                retention_days=request.settings.retention_days,
                display_name=request.settings.display_name,
            ),
        )
        return convert.user_settings(updated)

    async def ExportUser(self, request: memory_service_pb2.ExportUserRequest, context: Context) -> None:
        chunk: list[export_pb2.ExportRecord] = []
        records = self._s.privacy.export(request.user_id)
        try:
            async for record in records:
                chunk.append(convert.export_record(record))
                if len(chunk) >= EXPORT_CHUNK:
                    await self._write(context, memory_service_pb2.ExportUserResponse(records=chunk))
                    chunk = []
            if chunk:
                await self._write(context, memory_service_pb2.ExportUserResponse(records=chunk))
        finally:
            await records.aclose()

    async def ForgetUser(
        self, request: memory_service_pb2.ForgetUserRequest, context: Context
    ) -> memory_service_pb2.ForgetUserResponse:
        receipt = await self._s.privacy.forget(request.user_id)
        return memory_service_pb2.ForgetUserResponse(receipt=convert.erasure_receipt(receipt))

    async def _write(self, context: Context, message: Any) -> None:
        """A stream write that gives up on a reader who stopped reading (its snapshot holds a connection)."""
        try:
            await asyncio.wait_for(context.write(message), self._stream_write_timeout)
        except TimeoutError:
            raise ResourceExhausted(
                f"the stream stopped being read for {self._stream_write_timeout:.0f}s",
                retry_after=1.0,
                reason="SUBSCRIBER_TOO_SLOW",
            ) from None
