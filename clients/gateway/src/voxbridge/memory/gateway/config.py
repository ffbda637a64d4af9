"""The gateway's settings: where the service is, how to reach it, how long a call may take."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TlsSettings:
    """TLS towards the service: a CA to trust, and a client certificate and key for mutual TLS."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ValueError("mutual TLS needs both a client certificate and its key")

    @property
    def enabled(self) -> bool:
        return self.ca is not None or self.cert is not None


@dataclass(frozen=True)
class GatewaySettings:
    """Everything create_app needs. The CLI builds it from flags and MEMORY_TLS_* variables."""

    target: str = "127.0.0.1:50051"
    tls: TlsSettings = field(default_factory=TlsSettings)
    # Unary calls only; the export download and the event stream run as long as they need.
    call_timeout_seconds: float = 10.0


def split_host_port(address: str) -> tuple[str, int]:
    """'127.0.0.1:8080' or '[::1]:8080' → (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)
