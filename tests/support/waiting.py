"""Waiting for the real system to reach a state (tests assert outcomes, never durations)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service

T = TypeVar("T")
FINISHED = (
    extraction_pb2.EXTRACTION_STATUS_COMPLETED,
    extraction_pb2.EXTRACTION_STATUS_FAILED,
    extraction_pb2.EXTRACTION_STATUS_SKIPPED,
)


async def eventually(probe: Callable[[], Awaitable[T | None]], *, within: float = 30.0, every: float = 0.05) -> T:
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not reached within {within}s (last value: {value!r})")
        await asyncio.sleep(every)


async def finished_task(
    service: Service, task_id: str, user_id: str, *, within: float = 30.0
) -> extraction_pb2.ExtractionTask:
    async def probe() -> extraction_pb2.ExtractionTask | None:
        task = await service.stub.GetExtraction(pb.GetExtractionRequest(task_id=task_id, user_id=user_id))
        return task if task.status in FINISHED else None

    return await eventually(probe, within=within)
