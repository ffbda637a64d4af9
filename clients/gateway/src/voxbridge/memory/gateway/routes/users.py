"""A user as a whole: settings, stats, the export download and erasure."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote

import grpc
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from google.protobuf import field_mask_pb2, json_format
from voxbridge.memory.gateway import convert, models
from voxbridge.memory.gateway.calls import ApiCaller, StreamCaller
from voxbridge.memory.gateway.errors import ERROR_RESPONSES, GatewayError, log
from voxbridge.memory.gateway.models import FieldViolation
from voxbridge.memory.gateway.paths import UserId
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import user_pb2

router = APIRouter(prefix="/api/users/{user_id}", tags=["users"], responses=ERROR_RESPONSES)

SETTINGS_FIELDS = ("extraction_enabled", "retention_days", "display_name")
COUNT_PAGE_SIZE = 500  # ListFacts' largest page
END_OF_STREAM = grpc.aio.EOF  # type: ignore[attr-defined]  # grpc-stubs lack it


@router.get("/settings", response_model=models.UserSettings)
async def get_settings(user_id: UserId, call: ApiCaller) -> models.UserSettings:
    request = pb.GetUserSettingsRequest(user_id=user_id)
    return convert.settings(await call.stub.GetUserSettings(request, metadata=call.metadata, timeout=call.timeout))


@router.patch("/settings", response_model=models.UserSettings)
async def edit_settings(user_id: UserId, body: models.SettingsEdit, call: ApiCaller) -> models.UserSettings:
    """Changes the fields present in the body, and only those."""
    paths = [name for name in SETTINGS_FIELDS if name in body.model_fields_set]
    settings = user_pb2.UserSettings(
        user_id=user_id,
        extraction_enabled=body.extraction_enabled,
        retention_days=body.retention_days,
        display_name=body.display_name,
    )
    request = pb.UpdateUserSettingsRequest(settings=settings, update_mask=field_mask_pb2.FieldMask(paths=paths))
    return convert.settings(await call.stub.UpdateUserSettings(request, metadata=call.metadata, timeout=call.timeout))


@router.get("/stats", response_model=models.UserStats)
async def stats(user_id: UserId, call: ApiCaller) -> models.UserStats:
    """Current facts by scope and agent, and the user's extraction queue counts.

    The service keeps no per-user fact counters, so the facts are counted page by page (500 a call).
    """
    per_agent: dict[str, int] = {}
    global_facts, token = 0, ""
    while True:
        request = pb.ListFactsRequest(user_id=user_id, page_size=COUNT_PAGE_SIZE, page_token=token)
        page = await call.stub.ListFacts(request, metadata=call.metadata, timeout=call.timeout)
        for fact in page.facts:
            if fact.agent_id:
                per_agent[fact.agent_id] = per_agent.get(fact.agent_id, 0) + 1
            else:
                global_facts += 1
        token = page.next_page_token
        if not token:
            break
    queue = await call.stub.GetQueueStats(
        pb.GetQueueStatsRequest(user_id=user_id), metadata=call.metadata, timeout=call.timeout
    )
    agent_facts = sum(per_agent.values())
    counts = models.FactCounts(
        total=global_facts + agent_facts,
        global_facts=global_facts,
        agent_facts=agent_facts,
        per_agent=dict(sorted(per_agent.items())),
    )
    return models.UserStats(facts=counts, queue=convert.queue_stats(queue))


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "One ExportRecord per line."}},
)
async def export(user_id: UserId, call: StreamCaller) -> StreamingResponse:
    """Everything held about the user (ExportUser), as a JSON-lines download: one ExportRecord per line.

    The first chunk is read before answering, so a refusal (unknown, not allowed, not implemented) is an
    HTTP error; a failure later cuts the download short rather than leaving a silently partial file.
    """
    stream = call.stub.ExportUser(pb.ExportUserRequest(user_id=user_id), metadata=call.metadata)
    try:
        first = await stream.read()
    except BaseException:
        stream.cancel()
        raise

    async def lines() -> AsyncIterator[bytes]:
        chunk = first
        try:
            while chunk is not END_OF_STREAM:
                for record in chunk.records:
                    yield json_format.MessageToJson(
                        record, preserving_proto_field_name=True, indent=None, ensure_ascii=False
                    ).encode()
                    yield b"\n"
                chunk = await stream.read()
        except grpc.aio.AioRpcError as error:
            log.warning("export of a user cut short: %s %s", error.code().name, error.details())
            raise
        finally:
            stream.cancel()

    return StreamingResponse(
        lines(), media_type="application/x-ndjson", headers={"Content-Disposition": _attachment(user_id)}
    )


@router.delete("", response_model=models.ErasureReceipt)
async def forget(
    user_id: UserId,
    call: ApiCaller,
    confirm: Annotated[str, Query(description="The user id again, exactly: erasure cannot be undone.")] = "",
) -> models.ErasureReceipt:
    """Erases everything held about the user (ForgetUser) and returns a receipt of counts."""
    if confirm != user_id:
        raise GatewayError(
            400,
            "CONFIRMATION_MISMATCH",
            "to erase a user, repeat the user id exactly in `confirm`",
            [FieldViolation(field="confirm", description="must equal the user id")],
        )
    response = await call.stub.ForgetUser(
        pb.ForgetUserRequest(user_id=user_id), metadata=call.metadata, timeout=call.timeout
    )
    return convert.receipt(response.receipt)


def _attachment(user_id: str) -> str:
    """A safe ASCII filename, plus the exact one (RFC 6266 filename*) for browsers that read it."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", user_id).strip("_")[:80] or "user"
    exact = quote(f"memory-export-{user_id}.jsonl", safe="")
    return f"attachment; filename=\"memory-export-{ascii_name}.jsonl\"; filename*=UTF-8''{exact}"
