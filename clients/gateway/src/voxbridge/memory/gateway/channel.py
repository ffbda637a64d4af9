"""The grpc.aio channel to the service: plaintext, TLS with a trusted CA, or mutual TLS."""

from __future__ import annotations

import grpc
from voxbridge.memory.gateway.config import GatewaySettings, TlsSettings

CHANNEL_OPTIONS = [
    # Keepalive pings keep long WatchExtractions relays open through NATs; the server permits them every 10 s.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    # Calls fail fast (503) while the service is down; once it is back, the gateway must notice within
    # seconds, not after gRPC's default reconnect backoff has grown to two minutes.
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 5_000),
]


def channel_credentials(tls: TlsSettings) -> grpc.ChannelCredentials:
    """Without a CA the system's roots are trusted; with a certificate and key the gateway proves who it is."""
    return grpc.ssl_channel_credentials(
        root_certificates=tls.ca.read_bytes() if tls.ca else None,
        private_key=tls.key.read_bytes() if tls.key else None,
        certificate_chain=tls.cert.read_bytes() if tls.cert else None,
    )


def open_channel(settings: GatewaySettings) -> grpc.aio.Channel:
    if settings.tls.enabled:
        return grpc.aio.secure_channel(settings.target, channel_credentials(settings.tls), options=CHANNEL_OPTIONS)
    return grpc.aio.insecure_channel(settings.target, options=CHANNEL_OPTIONS)
