"""What every handler calls the service with: the stub, the caller's own credentials, a deadline.

The gateway holds no privilege of its own: the caller's `Authorization` header goes to the service as
`authorization` metadata on every call, so the service decides what the caller may see.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from voxbridge.memory.gateway.errors import GatewayError
from voxbridge.memory.v1 import memory_service_pb2_grpc

Metadata = tuple[tuple[str, str], ...]
# gRPC metadata values must be printable ASCII; anything else is refused here, not as a 500 from grpcio.
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class Caller:
    """One HTTP request's way to the service."""

    stub: memory_service_pb2_grpc.MemoryServiceStub
    metadata: Metadata
    timeout: float


def _caller(request: Request, authorization: str | None) -> Caller:
    request_id = request.headers.get("x-request-id", "")
    if not _SAFE_REQUEST_ID.match(request_id):
        request_id = uuid.uuid4().hex
    metadata: list[tuple[str, str]] = [("x-request-id", request_id)]
    if authorization:
        if not _PRINTABLE_ASCII.match(authorization):
            raise GatewayError(401, "MALFORMED_AUTHORIZATION", "the Authorization header is not printable ASCII")
        metadata.append(("authorization", authorization))
    state = request.app.state
    return Caller(state.stub, tuple(metadata), state.settings.call_timeout_seconds)


def api_caller(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Bearer <token>`, forwarded to the service as it is.")
    ] = None,
) -> Caller:
    return _caller(request, authorization)


def stream_caller(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Bearer <token>`, forwarded to the service as it is.")
    ] = None,
    access_token: Annotated[
        str | None,
        Query(description="For clients that cannot set headers (EventSource, a plain link); the header wins."),
    ] = None,
) -> Caller:
    if not authorization and access_token:
        authorization = f"Bearer {access_token}"
    return _caller(request, authorization)


ApiCaller = Annotated[Caller, Depends(api_caller)]
StreamCaller = Annotated[Caller, Depends(stream_caller)]
