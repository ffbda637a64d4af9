"""Helpers to call the real server and read rich error details."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
from voxbridge.memory.client import MemoryClientError, error_from_rpc
from voxbridge.memory.v1 import fact_pb2, memory_service_pb2

RpcFailure = MemoryClientError  # code, message, reason, metadata, field_violations, retry_delay


async def rpc_failure(call: Awaitable[Any]) -> RpcFailure:
    """Awaits a call that must fail and returns what the status says."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return parse_error(error)
    raise AssertionError("the call succeeded but was expected to fail")


def parse_error(error: grpc.aio.AioRpcError) -> RpcFailure:
    """What the status says, read by the client library's own parser (so it is tested too)."""
    return error_from_rpc(error)


def new_fact(user_id: str, **fields: Any) -> memory_service_pb2.CreateFactRequest:
    request_id = fields.pop("request_id", "")
    return memory_service_pb2.CreateFactRequest(fact=fact_pb2.Fact(user_id=user_id, **fields), request_id=request_id)
