"""`memory-gateway`: serves the HTTP API and the web UI in front of a memory service."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from voxbridge.memory.gateway.app import create_app
from voxbridge.memory.gateway.config import GatewaySettings, TlsSettings, split_host_port


@dataclass(frozen=True)
class Command:
    host: str
    port: int
    settings: GatewaySettings
    log_level: str


def parse_args(argv: Sequence[str], environ: Mapping[str, str]) -> Command:
    parser = argparse.ArgumentParser(prog="memory-gateway", description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT to serve HTTP on (127.0.0.1:8080)")
    parser.add_argument("--target", default="127.0.0.1:50051", help="the memory service, HOST:PORT (127.0.0.1:50051)")
    parser.add_argument(
        "--tls-ca",
        type=Path,
        default=_path(environ, "MEMORY_TLS_CA"),
        help="CA certificate to trust for the service (env MEMORY_TLS_CA); enables TLS",
    )
    parser.add_argument(
        "--tls-cert",
        type=Path,
        default=_path(environ, "MEMORY_TLS_CERT"),
        help="client certificate for mutual TLS (env MEMORY_TLS_CERT)",
    )
    parser.add_argument(
        "--tls-key",
        type=Path,
        default=_path(environ, "MEMORY_TLS_KEY"),
        help="the client certificate's private key (env MEMORY_TLS_KEY)",
    )
    parser.add_argument("--call-timeout", type=float, default=10.0, help="seconds a unary call may take (10)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)  # fmt: skip
    try:
        listen = split_host_port(args.listen)
        split_host_port(args.target)
        tls = TlsSettings(ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key)
    except ValueError as error:
        parser.error(str(error))
    for path in (tls.ca, tls.cert, tls.key):
        if path is not None and not path.is_file():
            parser.error(f"no such file: {path}")
    settings = GatewaySettings(target=args.target, tls=tls, call_timeout_seconds=args.call_timeout)
    return Command(listen[0], listen[1], settings, args.log_level)


def main(argv: Sequence[str] | None = None) -> None:
    command = parse_args(sys.argv[1:] if argv is None else argv, os.environ)
    url = f"http://{command.host}:{command.port}/"
    print(f"memory-gateway on {url} for the memory service at {command.settings.target}", flush=True)
    # ws="none": the gateway has no WebSocket routes, and an optional websockets install must not matter.
    uvicorn.run(
        create_app(command.settings),
        host=command.host,
        port=command.port,
        ws="none",
        log_level=command.log_level,
        access_log=command.log_level == "debug",
    )


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name)
    return Path(value) if value else None
