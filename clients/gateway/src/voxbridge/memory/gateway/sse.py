"""Server-Sent Events relay of WatchExtractions, resumable with Last-Event-ID.

Frames: `ready` first (its id is the starting cursor), then one frame per stored event, named after its type
(`queued`, `completed`, ...) with `id:` = event_id; `heartbeat` frames (no id) on idle streams; and `failure`
last when the gRPC stream ends with an error. A failure that can be resumed (RESOURCE_EXHAUSTED, UNAVAILABLE)
carries `id:` and `resume_after_event_id` = the last event relayed and a `retry:` delay, so a reconnect with
Last-Event-ID loses and repeats nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import grpc
from voxbridge.memory.client import error_from_rpc
from voxbridge.memory.gateway import convert
from voxbridge.memory.gateway.calls import Caller
from voxbridge.memory.gateway.errors import error_detail
from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

RESUMABLE = (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)
HEARTBEAT = extraction_pb2.EXTRACTION_EVENT_TYPE_HEARTBEAT
DEFAULT_RETRY_MS = 2000
# Newer than any event: the service answers OUT_OF_RANGE with the newest id in its metadata.
_BEYOND_THE_LOG = 2**63 - 1


def frame(event: str, data: Any, *, event_id: int | None = None, retry_ms: int | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    lines.append(f"data: {text}")  # one line: JSON without newlines
    return ("\n".join(lines) + "\n\n").encode()


async def latest_event_id(call: Caller, user_id: str) -> int:
    """The newest event id, so a new watcher sees only what happens from now on (no replay of old events)."""
    probe = call.stub.WatchExtractions(
        pb.WatchExtractionsRequest(user_id=user_id, after_event_id=_BEYOND_THE_LOG),
        metadata=call.metadata,
        timeout=call.timeout,
    )
    try:
        await probe.read()
    except grpc.aio.AioRpcError as error:
        failure = error_from_rpc(error)
        if failure.code == grpc.StatusCode.OUT_OF_RANGE and "latest_event_id" in failure.metadata:
            return int(failure.metadata["latest_event_id"])
        raise
    finally:
        probe.cancel()
    raise RuntimeError("WatchExtractions accepted a cursor beyond the newest event")


async def relay(call: Caller, user_id: str, after: int) -> AsyncIterator[bytes]:
    stream = call.stub.WatchExtractions(
        pb.WatchExtractionsRequest(user_id=user_id, after_event_id=after), metadata=call.metadata
    )
    cursor = after
    try:
        await stream.wait_for_connection()  # "ready" means the watch has reached the service
        yield frame("ready", {"after_event_id": after}, event_id=after, retry_ms=DEFAULT_RETRY_MS)
        async for event in stream:
            if event.type == HEARTBEAT:
                yield frame("heartbeat", {"event_id": event.event_id})
                continue
            cursor = event.event_id
            yield frame(convert.event_type(event.type), convert.event(event).model_dump_json(), event_id=cursor)
    except grpc.aio.AioRpcError as error:
        detail = error_detail(error)
        resumable = error.code() in RESUMABLE
        retry_ms = DEFAULT_RETRY_MS
        if detail.retry_after_seconds is not None:
            retry_ms = max(1, math.ceil(detail.retry_after_seconds * 1000))
        payload = {"error": detail.model_dump(mode="json"), "resume_after_event_id": cursor if resumable else None}
        yield frame("failure", payload, event_id=cursor if resumable else None, retry_ms=retry_ms)
    finally:
        stream.cancel()
