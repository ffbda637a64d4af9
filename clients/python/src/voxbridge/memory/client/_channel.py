"""The channel a bot opens: keepalive that the server permits, retries of idempotent calls, TLS and a token."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

log = logging.getLogger("voxbridge.memory.client")

DEFAULT_TARGET = "127.0.0.1:50051"
SERVICE = "voxbridge.memory.v1.MemoryService"

# Calls gRPC may repeat on UNAVAILABLE without changing the outcome: the reads, and the writes a request id makes
# idempotent (this library always sends one; a caller of `MemoryClient.stub` should too). Left out on purpose:
# UpdateFact, DeleteFact, ForgetUser, RequeueExtractions, RegisterAgent, UpdateUserSettings (writes without a request
# id), PreviewExtraction (one attempt may wait a whole LLM timeout), and WatchExtractions, which resumes by itself
# from its cursor (see watch_extractions).
RETRIED_READS = (
    "GetContext",
    "GetFact",
    "ListFacts",
    "GetFactHistory",
    "GetExtraction",
    "ListExtractions",
    "GetQueueStats",
    "GetAgent",
    "ListAgents",
    "GetUserSettings",
    "ExportUser",  # a stream: retried only until its first message arrives
)
RETRIED_WRITES = ("CreateFact", "BatchCreateFacts", "QueueExtraction")


def service_config() -> str:
    """gRPC service config: a retry policy on UNAVAILABLE for the idempotent RPCs, with retry throttling.

    Retries happen inside the call's own deadline, so GetContext's short deadline still bounds it. Throttling
    stops retrying (each call gets one attempt) once most recent calls failed, so a service that is down is not
    hammered with retries by every bot at once.
    """
    names = [{"service": SERVICE, "method": method} for method in (*RETRIED_READS, *RETRIED_WRITES)]
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": names,
                    "retryPolicy": {
                        "maxAttempts": 4,
                        "initialBackoff": "0.05s",
                        "maxBackoff": "1s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ],
            "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
        }
    )


def channel_options() -> list[tuple[str, Any]]:
    return [
        # Keepalive as the server expects it (it permits a ping every 10 s, with or without calls): a ping every
        # 30 s keeps an idle bot's connection warm through NATs and proxies, so the first GetContext after a
        # quiet minute does not spend its 100 ms deadline reconnecting; a dead peer is noticed within 10 s.
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),  # keep pinging an idle connection (the default stops after 2)
        # After a restart of the service, reconnect within a second or two rather than after gRPC's default
        # backoff, which grows to two minutes; every turn meanwhile would go without memory.
        ("grpc.initial_reconnect_backoff_ms", 250),
        ("grpc.min_reconnect_backoff_ms", 250),
        ("grpc.max_reconnect_backoff_ms", 2_000),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", service_config()),
    ]


def is_loopback_target(target: str) -> bool:
    """Whether a gRPC target only reaches this machine (a token over plaintext stays on it)."""
    if target.startswith(("unix:", "unix-abstract:")):
        return True
    address = target
    for prefix in ("dns:///", "dns:", "ipv4:", "ipv6:"):
        if address.startswith(prefix):
            address = address[len(prefix) :]
            break
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the service is and how to reach it: the same MEMORY_* settings the gateway accepts."""

    target: str = DEFAULT_TARGET
    token: str | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls: bool | None = None  # None: TLS when a CA or a client certificate is given; True: the system's roots

    def __post_init__(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("a client certificate (tls_cert) and its key (tls_key) go together: give both or neither")
        if self.tls is False and (self.tls_ca is not None or self.tls_cert is not None):
            raise ValueError("tls=False contradicts tls_ca/tls_cert")
        if self.token is not None and not self.token.strip():
            raise ValueError("token is empty")

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls) or self.tls_ca is not None or self.tls_cert is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ConnectionSettings:
        def value(name: str) -> str | None:
            text = environ.get(name, "").strip()
            return text or None

        def path(name: str) -> Path | None:
            text = value(name)
            return Path(text) if text else None

        return cls(
            target=value("MEMORY_TARGET") or DEFAULT_TARGET,
            token=value("MEMORY_TOKEN"),
            tls_ca=path("MEMORY_TLS_CA"),
            tls_cert=path("MEMORY_TLS_CERT"),
            tls_key=path("MEMORY_TLS_KEY"),
        )


if TYPE_CHECKING:  # generic in grpc-stubs only
    _UnaryUnary = grpc.aio.UnaryUnaryClientInterceptor[Any, Any]
    _UnaryStream = grpc.aio.UnaryStreamClientInterceptor[Any, Any]
    _StreamUnary = grpc.aio.StreamUnaryClientInterceptor[Any, Any]
    _StreamStream = grpc.aio.StreamStreamClientInterceptor[Any, Any]
else:
    _UnaryUnary = grpc.aio.UnaryUnaryClientInterceptor
    _UnaryStream = grpc.aio.UnaryStreamClientInterceptor
    _StreamUnary = grpc.aio.StreamUnaryClientInterceptor
    _StreamStream = grpc.aio.StreamStreamClientInterceptor


class _BearerToken:
    """Adds `authorization: Bearer <token>` to a call's metadata on a plaintext channel.

    gRPC refuses call credentials on an insecure channel, so plaintext needs interceptors; over TLS the token
    travels as call credentials instead (composite channel credentials).
    """

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(*self._header)
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )


# grpc.aio files each interceptor under the first kind it is an instance of, so every kind needs its own object.
class _UnaryUnaryToken(_BearerToken, _UnaryUnary):
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(self._details(client_call_details), request)


class _UnaryStreamToken(_BearerToken, _UnaryStream):
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(self._details(client_call_details), request)


class _StreamUnaryToken(_BearerToken, _StreamUnary):
    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(client_call_details), request_iterator)


class _StreamStreamToken(_BearerToken, _StreamStream):
    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(client_call_details), request_iterator)


def token_interceptors(token: str) -> list[Any]:
    return [kind(token) for kind in (_UnaryUnaryToken, _UnaryStreamToken, _StreamUnaryToken, _StreamStreamToken)]


def open_channel(settings: ConnectionSettings) -> grpc.aio.Channel:
    options = channel_options()
    token = settings.token.strip() if settings.token else None
    if settings.uses_tls:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=settings.tls_ca.read_bytes() if settings.tls_ca else None,
            private_key=settings.tls_key.read_bytes() if settings.tls_key else None,
            certificate_chain=settings.tls_cert.read_bytes() if settings.tls_cert else None,
        )
        if token:
            credentials = grpc.composite_channel_credentials(credentials, grpc.access_token_call_credentials(token))
        return grpc.aio.secure_channel(settings.target, credentials, options=options)
    if not token:
        return grpc.aio.insecure_channel(settings.target, options=options)
    if not is_loopback_target(settings.target):
        log.warning(
            "sending the bearer token to %s without TLS: anyone on the network path can read it; "
            "set tls_ca (MEMORY_TLS_CA) once the service has a certificate",
            settings.target,
        )
    return grpc.aio.insecure_channel(settings.target, options=options, interceptors=token_interceptors(token))
