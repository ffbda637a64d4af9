"""Typed errors: the gRPC status code plus the service's stable ErrorInfo reason."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


class MemoryClientError(Exception):
    """A call failed. `reason` is the service's stable code (FACT_NOT_FOUND, EXTRACTION_DISABLED, ...)."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        reason: str,
        metadata: dict[str, str],
        *,
        field_violations: list[tuple[str, str]] | None = None,
        retry_delay: float | None = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}" + (f" ({reason})" if reason else ""))
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = metadata
        self.field_violations = field_violations or []  # (field, description) for INVALID_ARGUMENT
        self.retry_delay = retry_delay  # seconds the service asks to wait, for UNAVAILABLE and RESOURCE_EXHAUSTED

    @property
    def retryable(self) -> bool:
        return self.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


def error_from_rpc(error: grpc.aio.AioRpcError) -> MemoryClientError:
    """Reads the google.rpc.Status details the service attaches: ErrorInfo, BadRequest, RetryInfo."""
    reason, metadata = "", {}
    violations: list[tuple[str, str]] = []
    retry_delay = None
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations = [(v.field, v.description) for v in bad_request.field_violations]
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
    return MemoryClientError(
        error.code(), error.details() or "", reason, metadata, field_violations=violations, retry_delay=retry_delay
    )
