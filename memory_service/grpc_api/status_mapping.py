"""The one table from domain errors to gRPC status codes, with google.rpc error details."""

from __future__ import annotations

from datetime import timedelta

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from memory_service import errors

ERROR_DOMAIN = "memory.voxbridge.dev"

STATUS_OF: dict[type[errors.MemoryServiceError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.Conflict: grpc.StatusCode.ABORTED,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.OutOfRange: grpc.StatusCode.OUT_OF_RANGE,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.NotImplementedYet: grpc.StatusCode.UNIMPLEMENTED,
}


def status_code_of(error: errors.MemoryServiceError) -> grpc.StatusCode:
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return grpc.StatusCode.INTERNAL


def rich_status(
    code: grpc.StatusCode,
    message: str,
    reason: str,
    metadata: dict[str, str] | None = None,
    details: list[any_pb2.Any] | None = None,
) -> status_pb2.Status:
    """A google.rpc.Status whose first detail is always an ErrorInfo with a stable reason."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata or {})
    return status_pb2.Status(code=code.value[0], message=message, details=[_pack(info), *(details or [])])


def status_of_error(error: errors.MemoryServiceError) -> status_pb2.Status:
    code = status_code_of(error)
    details: list[any_pb2.Any] = []
    if isinstance(error, errors.InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        details.append(_pack(bad_request))
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromTimedelta(timedelta(seconds=retry_after))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return rich_status(code, error.message, error.reason, error.metadata, details)


def internal_status(request_id: str) -> status_pb2.Status:
    return rich_status(
        grpc.StatusCode.INTERNAL,
        f"internal error; the server logged it with request id {request_id}",
        "INTERNAL",
        {"request_id": request_id},
    )


def deadline_status() -> status_pb2.Status:
    return rich_status(
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "the call's deadline ran out before the answer was ready",
        "DEADLINE_EXCEEDED",
    )


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed
