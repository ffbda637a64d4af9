"""One interceptor for every MemoryService call: request ids, deadlines, and domain errors → rich statuses."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from google.rpc import status_pb2
from grpc_status import rpc_status

from memory_service.errors import MemoryServiceError
from memory_service.grpc_api.status_mapping import deadline_status, internal_status, status_of_error
from memory_service.request_context import request_id_var

log = logging.getLogger(__name__)
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

SERVICE_PREFIXES = ("/voxbridge.memory.v1.MemoryService/", "/voxbridge.memory.v1.AdminService/")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ServiceInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Wraps MemoryService and AdminService handlers; health and reflection pass through untouched."""

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
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(name, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(name, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


def _request_id(context: Context) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and _SAFE_REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


def _wrap_unary(name: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def handle(request: Any, context: Context) -> Any:
        request_id = _request_id(context)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            remaining = context.time_remaining()
            # The caller stops waiting at its deadline; stop working then too.
            async with asyncio.timeout(remaining):
                return await behavior(request, context)
        except MemoryServiceError as error:
            await _abort(context, name, error, started)
        except TimeoutError:
            log.info("deadline exceeded", extra={"method": name, "ms": _ms(started)})
            await _abort_with(context, deadline_status())
        except Exception as exc:
            if _is_abort(exc):
                raise
            log.exception("unexpected error", extra={"method": name})
            await _abort_with(context, internal_status(request_id))
        finally:
            log.debug("call", extra={"method": name, "ms": _ms(started)})
            request_id_var.reset(token)

    return handle


def _wrap_stream(name: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(behavior):
        raise TypeError(f"{name}: streaming handlers write with context.write so slow readers can be cut off")

    async def handle(request: Any, context: Context) -> None:
        request_id = _request_id(context)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            await behavior(request, context)
        except MemoryServiceError as error:
            await _abort(context, name, error, started)
        except Exception as exc:
            if _is_abort(exc):
                raise
            log.exception("unexpected error in stream", extra={"method": name})
            await _abort_with(context, internal_status(request_id))
        finally:
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


def _is_abort(exc: BaseException) -> bool:
    # context.abort() unwinds the handler with this exception; it must pass through.
    return isinstance(exc, grpc.aio.AbortError)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
