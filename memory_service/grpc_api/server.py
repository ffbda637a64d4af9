"""The grpc.aio server: MemoryService behind the interceptor, plus health checking and reflection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from grpc_reflection.v1alpha import reflection
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, memory_service_pb2, memory_service_pb2_grpc

from memory_service.grpc_api.admin_servicer import AdminServicer
from memory_service.grpc_api.interceptors import ServiceInterceptor
from memory_service.grpc_api.servicer import MemoryServicer

log = logging.getLogger(__name__)

SERVICE_NAME = memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"].full_name
ADMIN_SERVICE_NAME = admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name
SERVER_OPTIONS = [
    # HTTP/2 pings keep idle WatchExtractions streams open through NATs and proxies.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.max_receive_message_length", 4 * 1024 * 1024),
]


@dataclass
class RunningServer:
    server: grpc.aio.Server
    health: health_aio.HealthServicer
    port: int

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME, ADMIN_SERVICE_NAME):
            await self.health.set(name, status)


@contextlib.asynccontextmanager
async def serve_grpc(
    servicer: MemoryServicer, admin: AdminServicer, listen: str, *, grace_seconds: float
) -> AsyncIterator[RunningServer]:
    """Listens on `listen` (port 0 picks a free port) and stops gracefully on exit.

    Shutdown: health NOT_SERVING first (load balancers drain), then no new calls,
    then in-flight calls get grace_seconds before they are cancelled.
    """
    server = grpc.aio.server(interceptors=[ServiceInterceptor()], options=SERVER_OPTIONS)
    memory_service_pb2_grpc.add_MemoryServiceServicer_to_server(servicer, server)
    admin_pb2_grpc.add_AdminServiceServicer_to_server(admin, server)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        (
            SERVICE_NAME,
            ADMIN_SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    port = server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    await server.start()
    running = RunningServer(server, health, port)
    log.info("serving", extra={"listen": listen, "port": port})
    try:
        yield running
    finally:
        await health.enter_graceful_shutdown()
        await asyncio.shield(server.stop(grace_seconds))
        log.info("server stopped")
