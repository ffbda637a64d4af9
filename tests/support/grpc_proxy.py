"""A real gRPC hop between a client and the service that records the metadata of every call.

Tests observe what reaches the service (the forwarded `authorization`) without mocking gRPC: the proxy is a
grpc.aio server passing raw bytes, statuses and their details through unchanged. It can listen with TLS
(optionally requiring client certificates) in front of the plaintext service, and answer the first attempts of
chosen methods with UNAVAILABLE itself, as a restarting replica would, to show which calls a client retries.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from voxbridge.memory.v1 import memory_service_pb2

SERVICE = memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"]
STREAMING = {f"/{SERVICE.full_name}/{m.name}": m.server_streaming for m in SERVICE.methods}
_NOT_FORWARDED = ("user-agent", "grpc-")


@dataclass
class RecordingProxy:
    port: int
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (method name, metadata)
    # Method name -> how many of its next attempts get UNAVAILABLE without reaching the service.
    fail_next: dict[str, int] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def metadata_of(self, method: str) -> list[dict[str, str]]:
        return [metadata for name, metadata in self.calls if name == method]


class _Forwarder(grpc.GenericRpcHandler):
    def __init__(
        self,
        channel: grpc.aio.Channel,
        record: Callable[[str, dict[str, str]], None],
        fail_next: dict[str, int],
    ) -> None:
        self._channel = channel
        self._record = record
        self._fail_next = fail_next

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Any:
        method: str = handler_call_details.method
        if method not in STREAMING:
            return None
        if STREAMING[method]:
            return grpc.unary_stream_rpc_method_handler(self._stream(method))
        return grpc.unary_unary_rpc_method_handler(self._unary(method))

    async def _forwarded(self, method: str, context: Any) -> tuple[tuple[str, str], ...]:
        metadata = tuple((k, v) for k, v in context.invocation_metadata() if not k.startswith(_NOT_FORWARDED))
        name = method.rsplit("/", 1)[-1]
        self._record(name, dict(metadata))
        if self._fail_next.get(name, 0) > 0:
            self._fail_next[name] -= 1
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the proxy fails this attempt")
        return metadata

    def _unary(self, method: str) -> Any:
        call = self._channel.unary_unary(method)

        async def forward(request: bytes, context: Any) -> bytes:
            try:
                metadata = await self._forwarded(method, context)
                response: bytes = await call(request, metadata=metadata)
                return response
            except grpc.aio.AioRpcError as error:
                await _pass_on(context, error)
                raise

        return forward

    def _stream(self, method: str) -> Any:
        call = self._channel.unary_stream(method)

        async def forward(request: bytes, context: Any) -> AsyncIterator[bytes]:
            stream = call(request, metadata=await self._forwarded(method, context))
            try:
                async for message in stream:
                    yield message
            except grpc.aio.AioRpcError as error:
                await _pass_on(context, error)
            finally:
                stream.cancel()

        return forward


async def _pass_on(context: Any, error: grpc.aio.AioRpcError) -> None:
    """Ends the call as the service ended it, rich details (grpc-status-details-bin) included."""
    trailing = tuple((k, v) for k, v in (error.trailing_metadata() or ()) if k == "grpc-status-details-bin")
    await context.abort(error.code(), error.details() or "", trailing)


@contextlib.asynccontextmanager
async def recording_proxy(
    target: str, *, credentials: grpc.ServerCredentials | None = None
) -> AsyncIterator[RecordingProxy]:
    async with grpc.aio.insecure_channel(target) as channel:
        proxy = RecordingProxy(port=0)
        server = grpc.aio.server()
        forwarder = _Forwarder(channel, lambda m, md: proxy.calls.append((m, md)), proxy.fail_next)
        server.add_generic_rpc_handlers((forwarder,))
        listen = "127.0.0.1:0"
        proxy.port = server.add_secure_port(listen, credentials) if credentials else server.add_insecure_port(listen)
        await server.start()
        try:
            yield proxy
        finally:
            await server.stop(0)
