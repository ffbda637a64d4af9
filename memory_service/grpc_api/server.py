"""The grpc.aio server: both services behind the interceptor, health checking, reflection, optional (m)TLS."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, memory_service_pb2, memory_service_pb2_grpc

from memory_service.config import ConfigError, SecuritySettings
from memory_service.errors import Unavailable
from memory_service.grpc_api.admin_servicer import AdminServicer
from memory_service.grpc_api.interceptors import Admission, ServiceInterceptor
from memory_service.grpc_api.servicer import MemoryServicer
from memory_service.grpc_api.status_mapping import status_of_error

log = logging.getLogger(__name__)

SERVICE_NAME = memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"].full_name
ADMIN_SERVICE_NAME = admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name


def server_options(max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        # HTTP/2 pings keep idle WatchExtractions streams open through NATs and proxies.
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        # A bigger request is refused by gRPC itself with RESOURCE_EXHAUSTED before it is read.
        ("grpc.max_receive_message_length", max_message_bytes),
    ]


def is_loopback(listen: str) -> bool:
    """Whether HOST:PORT only accepts connections from this machine."""
    host = listen.rsplit(":", 1)[0].strip("[]") if ":" in listen else listen
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(listen: str, security: SecuritySettings) -> None:
    """Refuses to serve other machines without authentication: anyone reaching the port could read everyone."""
    if not security.auth_required and not is_loopback(listen):
        raise ConfigError(
            f"MEMORY_AUTH=off is only allowed on a loopback address, and the server would listen on {listen}: "
            "set MEMORY_AUTH=required and create tokens with `memory-service token create --role service`, "
            "or listen on 127.0.0.1"
        )


def credentials(security: SecuritySettings) -> grpc.ServerCredentials | None:
    """TLS from MEMORY_TLS_CERT/KEY; with MEMORY_TLS_CLIENT_CA, clients must present a certificate it signed."""
    if security.tls_cert is None or security.tls_key is None:
        return None
    chain = [(security.tls_key.read_bytes(), security.tls_cert.read_bytes())]
    if security.tls_client_ca is None:
        return grpc.ssl_server_credentials(chain)
    return grpc.ssl_server_credentials(
        chain, root_certificates=security.tls_client_ca.read_bytes(), require_client_auth=True
    )


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
    servicer: MemoryServicer,
    admin: AdminServicer,
    admission: Admission,
    listen: str,
    security: SecuritySettings,
    *,
    grace_seconds: float,
) -> AsyncIterator[RunningServer]:
    """Listens on `listen` (port 0 picks a free port) and stops gracefully on exit.

    Shutdown: health NOT_SERVING first (load balancers drain), then no new calls,
    then in-flight calls get grace_seconds before they are cancelled.
    """
    check_exposure(listen, security)
    server = grpc.aio.server(
        interceptors=[ServiceInterceptor(admission)], options=server_options(security.max_message_bytes)
    )
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
    tls = credentials(security)
    port = server.add_secure_port(listen, tls) if tls is not None else server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    await server.start()
    running = RunningServer(server, health, port)
    log.info(
        "serving",
        extra={"listen": listen, "port": port, "tls": tls is not None, "auth": security.auth_required},
    )
    try:
        yield running
    finally:
        await health.enter_graceful_shutdown()
        await asyncio.shield(server.stop(grace_seconds))
        log.info("server stopped")


class _Starting(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    """Every RPC but health, while the server waits for its database: UNAVAILABLE, so clients retry."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        return grpc.unary_unary_rpc_method_handler(self._refuse)

    async def _refuse(self, request: bytes, context: Any) -> None:
        error = Unavailable("the server is starting: its database cannot be reached yet", retry_after=2.0)
        status = rpc_status.to_status(status_of_error(error))
        await context.abort(status.code, status.details, status.trailing_metadata)


@contextlib.asynccontextmanager
async def standby_server(listen: str, security: SecuritySettings) -> AsyncIterator[int]:
    """A server that only says "not yet": health NOT_SERVING, everything else UNAVAILABLE; yields its port.

    It holds the address while the database is unreachable at start, so orchestrators see a live
    process that is not ready (and keep traffic away) instead of one that crash-loops.
    """
    check_exposure(listen, security)
    server = grpc.aio.server(options=server_options(security.max_message_bytes))
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    server.add_generic_rpc_handlers([_Starting()])
    for name in ("", SERVICE_NAME, ADMIN_SERVICE_NAME):
        await health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    tls = credentials(security)
    port = server.add_secure_port(listen, tls) if tls is not None else server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    await server.start()
    log.info("standing by for the database", extra={"listen": listen, "port": port})
    try:
        yield port
    finally:
        await server.stop(0)


def with_port(listen: str, port: int) -> str:
    """HOST:PORT with the port replaced (port 0 picked one: the real server takes the same)."""
    host = listen.rsplit(":", 1)[0] if ":" in listen else listen
    return f"{host}:{port}"
