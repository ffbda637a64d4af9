"""The FastAPI application: the /api routers, the web UI at /, offline API docs, one channel to the service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from voxbridge.memory.gateway.channel import open_channel
from voxbridge.memory.gateway.config import GatewaySettings
from voxbridge.memory.gateway.errors import install_error_handlers
from voxbridge.memory.gateway.paths import SegmentPreservingPaths
from voxbridge.memory.gateway.routes import agents, extractions, facts, users
from voxbridge.memory.v1 import memory_service_pb2_grpc

STATIC = Path(str(resources.files("voxbridge.memory.gateway") / "static"))
# The page loads nothing from elsewhere; the browser enforces it too.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
}


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway for one service. The channel opens at startup, inside the server's event loop."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        channel = open_channel(settings)
        app.state.stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        try:
            yield
        finally:
            await channel.close(None)

    app = FastAPIOffline(
        title="VoxBridge Memory gateway",
        summary="HTTP/JSON for the VoxBridge Memory service, with a web UI at /.",
        version="0.1.0",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for module in (facts, users, extractions, agents):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    app.add_middleware(SegmentPreservingPaths)
    return app
