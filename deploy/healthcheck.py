"""The image's HEALTHCHECK: grpc.health.v1 Check against the server in this container.

Exit 0 when it answers SERVING, or when no `memory-service serve` runs here (the same image runs
`worker` and `migrate`, which have no gRPC port); exit 1 otherwise. Kubernetes ignores this and
uses its native gRPC probes (deploy/kubernetes/server.yaml).
"""

import os
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def server_runs_here() -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"memory-service") for arg in args) and b"serve" in args:
            return True
    return False


def target() -> str:
    listen = os.environ.get("MEMORY_LISTEN", "127.0.0.1:50051")
    if listen.startswith("unix:"):
        return listen
    host, _, port = listen.rpartition(":")
    return f"127.0.0.1:{port}" if host in ("", "0.0.0.0", "[::]", "::") else listen


def main() -> int:
    if not server_runs_here():
        return 0
    with grpc.insecure_channel(target()) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
        except grpc.RpcError as exc:
            print(f"health check failed: {exc.code().name}", file=sys.stderr)
            return 1
    print(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
    return 0 if response.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
