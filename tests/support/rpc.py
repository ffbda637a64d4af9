"""Helpers to call the real server and read rich error details."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from voxbridge.memory.v1 import fact_pb2, memory_service_pb2


@dataclass
class RpcFailure:
    code: grpc.StatusCode
    message: str
    reason: str
    metadata: dict[str, str]
    field_violations: list[tuple[str, str]]
    retry_delay: float | None


async def rpc_failure(call: Awaitable[Any]) -> RpcFailure:
    """Awaits a call that must fail and returns what the status says."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return parse_error(error)
    raise AssertionError("the call succeeded but was expected to fail")


def parse_error(error: grpc.aio.AioRpcError) -> RpcFailure:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    reason, metadata, violations, retry = "", {}, [], None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations = [(v.field, v.description) for v in bad.field_violations]
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                info_retry = error_details_pb2.RetryInfo()
                detail.Unpack(info_retry)
                retry = info_retry.retry_delay.ToTimedelta().total_seconds()
    return RpcFailure(error.code(), error.details() or "", reason, metadata, violations, retry)


def new_fact(user_id: str, **fields: Any) -> memory_service_pb2.CreateFactRequest:
    request_id = fields.pop("request_id", "")
    return memory_service_pb2.CreateFactRequest(fact=fact_pb2.Fact(user_id=user_id, **fields), request_id=request_id)
