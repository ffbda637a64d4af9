"""One interceptor for every MemoryService and AdminService call: admission, deadlines, errors → rich statuses.

Admission, in order, before a handler runs:
  1. the bytes must be a valid message of the RPC's request type (else INVALID_ARGUMENT,
     without a traceback in the logs: a cheap way to flood them otherwise);
  2. the caller's bearer token (when MEMORY_AUTH=required), else UNAUTHENTICATED;
  3. the caller's rate (a token bucket per token), else RESOURCE_EXHAUSTED + RetryInfo;
  4. the caller's reach (access.RULES), else PERMISSION_DENIED — before any existence check;
  5. room on the server (calls and streams in flight), else RESOURCE_EXHAUSTED + RetryInfo.
Health checking and reflection pass through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from google.rpc import status_pb2
from grpc_status import rpc_status

from memory_service.domain import Principal
from memory_service.errors import InvalidArgument, MemoryServiceError, ResourceExhausted
from memory_service.grpc_api.access import Gate
from memory_service.grpc_api.limits import RateLimiter, Slots
from memory_service.grpc_api.status_mapping import deadline_status, internal_status, status_code_of, status_of_error
from memory_service.observability import metrics, tracing
from memory_service.request_context import call_deadline, request_id_var

log = logging.getLogger(__name__)
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

SERVICE_PREFIXES = ("/voxbridge.memory.v1.MemoryService/", "/voxbridge.memory.v1.AdminService/")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class _Undecodable:
    """What the deserializer hands the handler instead of raising (grpc would answer UNKNOWN)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


class Admission:
    """The checks every call passes before its handler runs (see the module docstring)."""

    def __init__(self, gate: Gate, limiter: RateLimiter, slots: Slots) -> None:
        self.gate = gate
        self.limiter = limiter
        self.slots = slots

    async def admit(self, method: str, request: Any, context: Context) -> Principal:
        principal = await self.gate.authenticate(context.invocation_metadata())
        if isinstance(request, _Undecodable):
            raise InvalidArgument.field("request", f"the bytes sent are not a valid {request.type_name} message")
        # Limits are per token. Without auth (loopback only) every caller is this machine's own
        # processes: they share the server-wide bound on calls in flight, not a rate.
        wait = self.limiter.take(principal.name) if self.gate.required else None
        if wait is not None:
            raise ResourceExhausted(
                f"too many calls from token {principal.name!r}; "
                f"at most {self.limiter.rate:g} a second, bursts of {self.limiter.burst:g}",
                retry_after=wait,
                reason="RATE_LIMITED",
            )
        self.gate.authorize(principal, method, request)
        return principal

    @contextlib.asynccontextmanager
    async def room(self, stream: bool) -> AsyncIterator[None]:
        if not self.slots.enter(stream):
            limit = self.slots.streams if stream else self.slots.calls
            raise ResourceExhausted(
                f"the server has {limit} {'streams' if stream else 'calls'} in flight; retry shortly",
                retry_after=0.5 if not stream else 5.0,
                reason="SERVER_BUSY",
            )
        in_flight = metrics.rpc_in_flight.labels("stream" if stream else "unary")
        in_flight.inc()
        try:
            yield
        finally:
            in_flight.dec()
            self.slots.leave(stream)


class ServiceInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Wraps MemoryService and AdminService handlers with admission, deadlines and the status table."""

    def __init__(self, admission: Admission) -> None:
        self._admission = admission

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or not method.startswith(SERVICE_PREFIXES):
            return handler
        name = method.rsplit("/", 1)[-1]
        deserializer = _never_raising(handler.request_deserializer)
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(name, handler.unary_unary, self._admission),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(name, handler.unary_stream, self._admission),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


def _never_raising(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None
    type_name = getattr(getattr(deserialize, "__self__", None), "__name__", "request")

    def safe(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception:  # DecodeError and friends: the handler answers INVALID_ARGUMENT
            return _Undecodable(type_name)

    return safe


def _request_id(context: Context) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and _SAFE_REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


def _wrap_unary(
    name: str, behavior: Callable[..., Awaitable[Any]], admission: Admission
) -> Callable[..., Awaitable[Any]]:
    async def handle(request: Any, context: Context) -> Any:
        request_id = _request_id(context)
        token = request_id_var.set(request_id)
        remaining = context.time_remaining()
        deadline_token = call_deadline.set(None if remaining is None else time.monotonic() + remaining)
        started = time.perf_counter()
        code = "OK"
        scope = contextlib.ExitStack()
        scope.enter_context(tracing.server_span(name, context.invocation_metadata()))
        try:
            await admission.admit(name, request, context)
            async with admission.room(stream=False):
                # The caller stops waiting at its deadline; stop working then too.
                async with asyncio.timeout(context.time_remaining()):
                    return await behavior(request, context)
        except MemoryServiceError as error:
            code = status_code_of(error).name
            await _abort(context, name, error, started)
        except TimeoutError:
            code = "DEADLINE_EXCEEDED"
            log.info("deadline exceeded", extra={"method": name, "ms": _ms(started)})
            await _abort_with(context, deadline_status())
        except asyncio.CancelledError:
            code = "CANCELLED"  # the caller hung up
            raise
        except Exception as exc:
            if _is_abort(exc):
                code = _code_of(context)
                raise
            code = "INTERNAL"
            log.exception("unexpected error", extra={"method": name})
            await _abort_with(context, internal_status(request_id))
        finally:
            metrics.rpc_duration.labels(name, code).observe(time.perf_counter() - started)
            tracing.set_status_code(code)
            scope.close()
            log.debug("call", extra={"method": name, "ms": _ms(started)})
            call_deadline.reset(deadline_token)
            request_id_var.reset(token)

    return handle


def _wrap_stream(name: str, behavior: Callable[..., Any], admission: Admission) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(behavior):
        raise TypeError(f"{name}: streaming handlers write with context.write so slow readers can be cut off")

    async def handle(request: Any, context: Context) -> None:
        request_id = _request_id(context)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        code = "OK"
        scope = contextlib.ExitStack()
        scope.enter_context(tracing.server_span(name, context.invocation_metadata()))
        try:
            await admission.admit(name, request, context)
            async with admission.room(stream=True):
                await behavior(request, context)
        except MemoryServiceError as error:
            code = status_code_of(error).name
            await _abort(context, name, error, started)
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except Exception as exc:
            if _is_abort(exc):
                code = _code_of(context)
                raise
            code = "INTERNAL"
            log.exception("unexpected error in stream", extra={"method": name})
            await _abort_with(context, internal_status(request_id))
        finally:
            metrics.rpc_duration.labels(name, code).observe(time.perf_counter() - started)
            tracing.set_status_code(code)
            scope.close()
            request_id_var.reset(token)

    return handle


async def _abort(context: Context, name: str, error: MemoryServiceError, started: float) -> None:
    status = status_of_error(error)
    level = logging.WARNING if status.code in (13, 14) else logging.INFO
    log.log(level, "call failed", extra={"method": name, "reason": error.reason, "ms": _ms(started)})
    await _abort_with(context, status)


async def _abort_with(context: Context, status: status_pb2.Status) -> None:
    """Ends the call with the status; its details travel in the grpc-status-details-bin trailer."""
    grpc_status = rpc_status.to_status(status)
    await context.abort(grpc_status.code, grpc_status.details, grpc_status.trailing_metadata)


def _code_of(context: Context) -> str:
    """The status a handler ended its own call with (context.abort), for the metrics."""
    code = context.code() if hasattr(context, "code") else None
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"


def _is_abort(exc: BaseException) -> bool:
    # context.abort() unwinds the handler with this exception; it must pass through.
    return isinstance(exc, grpc.aio.AbortError)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
