"""The one table from gRPC status codes to HTTP statuses, and the JSON error body every failure has."""

from __future__ import annotations

import logging
import math
from http import HTTPStatus

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from voxbridge.memory.client import MemoryClientError, error_from_rpc
from voxbridge.memory.gateway.models import ErrorBody, ErrorDetail, FieldViolation

log = logging.getLogger("voxbridge.memory.gateway")

HTTP_STATUS_OF: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
# Documented on every /api route: the error body's shape, for the failures most callers meet.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "Invalid request (with field_violations) or a state that forbids it."},
    404: {"model": ErrorBody, "description": "No such fact, task or route."},
    503: {"model": ErrorBody, "description": "The memory service is unavailable; see Retry-After."},
}
# When the service gives no RetryInfo (it could not be reached at all), ask clients to wait this long.
DEFAULT_RETRY_AFTER_SECONDS = 1.0


class GatewayError(Exception):
    """A failure the gateway itself decides (a missing confirmation, a malformed header), in the same shape."""

    def __init__(
        self, http_status: int, reason: str, message: str, field_violations: list[FieldViolation] | None = None
    ) -> None:
        super().__init__(message)
        self.detail = ErrorDetail(
            code=http_status,
            status=_status_name(http_status),
            reason=reason,
            message=message,
            field_violations=field_violations or [],
        )


def error_detail(error: grpc.aio.AioRpcError) -> ErrorDetail:
    """What a failed call says, as the HTTP error body: status, stable reason, message, violations, retry delay."""
    parsed: MemoryClientError = error_from_rpc(error)
    http_status = HTTP_STATUS_OF.get(parsed.code, 500)
    reason, message = parsed.reason, parsed.message
    if parsed.code == grpc.StatusCode.UNAVAILABLE and not reason:
        # No ErrorInfo: the service never answered (down, wrong address, TLS mismatch).
        reason, message = "SERVICE_UNREACHABLE", f"the memory service cannot be reached: {message}"
    retry_after = parsed.retry_delay
    if retry_after is None and http_status == 503:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    return ErrorDetail(
        code=http_status,
        status=parsed.code.name,
        reason=reason or parsed.code.name,
        message=message,
        field_violations=[FieldViolation(field=f, description=d) for f, d in parsed.field_violations],
        metadata=parsed.metadata,
        retry_after_seconds=retry_after,
    )


def error_response(detail: ErrorDetail) -> JSONResponse:
    headers = {}
    if detail.retry_after_seconds is not None:
        headers["Retry-After"] = str(max(1, math.ceil(detail.retry_after_seconds)))
    return JSONResponse(ErrorBody(error=detail).model_dump(mode="json"), status_code=detail.code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Every failure, whoever detects it, leaves as {"error": {...}} with a matching HTTP status."""

    @app.exception_handler(grpc.aio.AioRpcError)
    async def rpc_failed(request: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        detail = error_detail(exc)
        if detail.code >= 500:
            log.warning("%s %s: %s %s", request.method, request.url.path, detail.status, detail.message)
        return error_response(detail)

    @app.exception_handler(GatewayError)
    async def gateway_refused(request: Request, exc: GatewayError) -> JSONResponse:
        return error_response(exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        violations = [
            FieldViolation(field=".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0]),
                           description=str(error["msg"]))
            for error in exc.errors()
        ]  # fmt: skip
        return error_response(
            ErrorDetail(
                code=400,
                status="INVALID_ARGUMENT",
                reason="INVALID_ARGUMENT",
                message="; ".join(f"{v.field}: {v.description}" for v in violations),
                field_violations=violations,
            )
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        name = _status_name(exc.status_code)
        return error_response(ErrorDetail(code=exc.status_code, status=name, reason=name, message=str(exc.detail)))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            ErrorDetail(code=500, status="INTERNAL", reason="INTERNAL", message="internal error in the gateway")
        )


def _status_name(http_status: int) -> str:
    try:
        return HTTPStatus(http_status).name
    except ValueError:
        return "UNKNOWN"
