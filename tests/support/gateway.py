"""The real gateway for tests: uvicorn serving the FastAPI app on a free port, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import uvicorn
from voxbridge.memory.gateway import GatewaySettings, create_app


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
