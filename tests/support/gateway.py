"""The real gateway for tests: uvicorn serving the FastAPI app on a free port, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import grpc
import httpx
import uvicorn
from voxbridge.memory.gateway import GatewaySettings, create_app
from voxbridge.memory.v1 import memory_service_pb2_grpc

from memory_service.app import open_core, running_server
from memory_service.config import Settings
from tests.support.harness import Service


@dataclass
class Gateway:
    url: str
    http: httpx.AsyncClient

    @staticmethod
    def user(user_id: str, *rest: str) -> str:
        """The API path of a user (or below it), with the id URL-encoded as one path segment."""
        return "/".join([f"/api/users/{quote(user_id, safe='')}", *rest])


@contextlib.asynccontextmanager
async def serving_gateway(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    """Serves until the block ends; the socket is bound first, so the port is known and free."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), ws="none", log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if serving.done():
                    serving.result()  # startup failed: raise why
                await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield Gateway(url, http)
    finally:
        server.should_exit = True
        await serving
        sock.close()


@contextlib.asynccontextmanager
async def service_at(settings: Settings, model: Any, port: int) -> AsyncIterator[Service]:
    """The real service on a chosen port, so a gateway can watch it stop and come back at the same address."""
    async with (
        open_core(settings, preloaded_model=model) as core,
        running_server(core, listen=f"127.0.0.1:{port}") as server,
        grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
    ):
        service = Service(core, server.port, channel, memory_service_pb2_grpc.MemoryServiceStub(channel))
        try:
            yield service
        finally:
            await service.stop_workers()
