"""A user's conversation turns: queue one, list and read tasks, queue counts, and the live event stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from voxbridge.memory.gateway import convert, models, sse
from voxbridge.memory.gateway.calls import ApiCaller, StreamCaller
from voxbridge.memory.gateway.errors import ERROR_RESPONSES, GatewayError
from voxbridge.memory.gateway.models import FieldViolation
from voxbridge.memory.gateway.paths import TaskId, UserId
from voxbridge.memory.v1 import memory_service_pb2 as pb

router = APIRouter(prefix="/api/users/{user_id}", tags=["extractions"], responses=ERROR_RESPONSES)


@router.post("/extractions", response_model=models.ExtractionTask, status_code=202)
async def queue_turn(user_id: UserId, body: models.Turn, call: ApiCaller) -> models.ExtractionTask:
    """Queues a turn for fact extraction (QueueExtraction) and returns the task at once."""
    request = pb.QueueExtractionRequest(
        user_id=user_id,
        agent_id=body.agent_id,
        user_message=body.user_message,
        ai_response=body.ai_response,
        request_id=body.request_id,
        session_id=body.session_id,
    )
    if body.occurred_at is not None:
        request.occurred_at.FromDatetime(body.occurred_at)
    return convert.task(await call.stub.QueueExtraction(request, metadata=call.metadata, timeout=call.timeout))


@router.get("/extractions", response_model=models.TaskPage)
async def list_tasks(
    user_id: UserId,
    call: ApiCaller,
    status: Annotated[list[str], Query(description="pending, processing, completed, failed, skipped.")] = [],  # noqa: B006
    page_size: Annotated[int, Query(description="Default 50, at most 500.")] = 0,
    page_token: str = "",
) -> models.TaskPage:
    try:
        statuses = [convert.status_value(name) for name in status]
    except ValueError:
        raise GatewayError(
            400,
            "INVALID_ARGUMENT",
            f"unknown status in {status}",
            [FieldViolation(field="status", description="pending, processing, completed, failed or skipped")],
        ) from None
    request = pb.ListExtractionsRequest(user_id=user_id, statuses=statuses, page_size=page_size, page_token=page_token)
    page = await call.stub.ListExtractions(request, metadata=call.metadata, timeout=call.timeout)
    return models.TaskPage(tasks=[convert.task(t) for t in page.tasks], next_page_token=page.next_page_token)


@router.get("/extractions/{task_id}", response_model=models.ExtractionTask)
async def get_task(user_id: UserId, task_id: TaskId, call: ApiCaller) -> models.ExtractionTask:
    request = pb.GetExtractionRequest(user_id=user_id, task_id=task_id)
    return convert.task(await call.stub.GetExtraction(request, metadata=call.metadata, timeout=call.timeout))


@router.get("/queue", response_model=models.QueueStats)
async def queue_stats(user_id: UserId, call: ApiCaller) -> models.QueueStats:
    """The user's extraction queue counts (GetQueueStats)."""
    request = pb.GetQueueStatsRequest(user_id=user_id)
    return convert.queue_stats(await call.stub.GetQueueStats(request, metadata=call.metadata, timeout=call.timeout))


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}},
)
async def events(
    user_id: UserId,
    call: StreamCaller,
    after_event_id: Annotated[
        str, Query(description="An event id to resume after, or `latest` for only what happens from now on.")
    ] = "0",
    last_event_id: Annotated[
        str | None, Header(description="Set by a reconnecting EventSource; wins over after_event_id.")
    ] = None,
) -> StreamingResponse:
    """The user's extraction events, live (WatchExtractions), as Server-Sent Events.

    Errors before the stream starts are HTTP errors; afterwards the stream ends with a `failure` frame.
    """
    cursor = last_event_id if last_event_id else after_event_id
    if cursor == "latest":
        after = await sse.latest_event_id(call, user_id)
    elif cursor.isdigit():
        after = int(cursor)
    else:
        raise GatewayError(
            400,
            "INVALID_ARGUMENT",
            f"after_event_id must be an event id or `latest`, got {cursor!r}",
            [FieldViolation(field="after_event_id", description="an event id (0 or more) or `latest`")],
        )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(sse.relay(call, user_id, after), media_type="text/event-stream", headers=headers)
