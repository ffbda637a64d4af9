"""A real service for benchmarks: embedded PostgreSQL in a temp dir, the gRPC server on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from voxbridge.memory.v1 import memory_service_pb2_grpc

from memory_service.app import Core, open_core, running_server
from memory_service.config import Settings
from memory_service.extraction.mem0_logic import disable_mem0_phone_home
from memory_service.logging_setup import configure_logging


@dataclasses.dataclass
class Bench:
    core: Core
    stub: memory_service_pb2_grpc.MemoryServiceStub
    address: str
    channel: grpc.aio.Channel


@contextlib.asynccontextmanager
async def bench_service(*, preloaded_model: Any | None = None, **env: str) -> AsyncIterator[Bench]:
    """The whole service on the embedded database (or MEMORY_DATABASE_URL), quiet logs.

    preloaded_model: a SentenceTransformer the caller already loaded (and uses itself), not loaded twice.
    """
    configure_logging("WARNING", "text")
    with tempfile.TemporaryDirectory(prefix="vbm-bench-", dir="/tmp") as data_dir:
        disable_mem0_phone_home(Path(data_dir) / "mem0")
        # MEMORY_* variables of the caller apply (MEMORY_DATABASE_URL, tuning knobs); the script's own win.
        inherited = {k: v for k, v in os.environ.items() if k.startswith("MEMORY_")}
        environ = {"MEMORY_DATA_DIR": data_dir, "MEMORY_LOG_LEVEL": "WARNING", **inherited, **env}
        settings = Settings.from_environ(environ)
        async with (
            open_core(settings, preloaded_model=preloaded_model) as core,
            running_server(core, listen="127.0.0.1:0") as server,
        ):
            address = f"127.0.0.1:{server.port}"
            async with grpc.aio.insecure_channel(address) as channel:
                yield Bench(core, memory_service_pb2_grpc.MemoryServiceStub(channel), address, channel)


def summarize_ms(samples: Sequence[float]) -> dict[str, Any]:
    """p50/p95/p99/mean/max of latencies given in seconds, in milliseconds."""
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)

    return {
        "count": len(ordered),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


@dataclasses.dataclass
class ServerProcess:
    process: asyncio.subprocess.Process
    address: str
    stub: memory_service_pb2_grpc.MemoryServiceStub
    log_path: Path


@contextlib.asynccontextmanager
async def server_process(**env: str) -> AsyncIterator[memory_service_pb2_grpc.MemoryServiceStub]:
    """`memory-service serve` in its own process (as in production), on its own embedded database.

    The benchmark then only acts as a client (the voice bot), so the server's
    figures are not shared with the client's own CPU use.
    """
    async with serving_process(**env) as server:
        yield server.stub


@contextlib.asynccontextmanager
async def serving_process(**env: str) -> AsyncIterator[ServerProcess]:
    """server_process, with the process and its address (to freeze or stop it under a client)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="vbm-bench-", dir="/tmp") as data_dir:
        log_path = Path(data_dir) / "server.log"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_") or k == "MEMORY_DATABASE_URL"}
        process_env = {**inherited, "MEMORY_LOG_LEVEL": "WARNING", "GRPC_ENABLE_FORK_SUPPORT": "false", **env}
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "memory_service", "serve", "--listen", address, "--data-dir", data_dir,
                env=process_env, stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                health = health_pb2_grpc.HealthStub(channel)
                for _ in range(600):
                    try:
                        answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                        if answer.status == health_pb2.HealthCheckResponse.SERVING:
                            break
                    except grpc.aio.AioRpcError:
                        await asyncio.sleep(0.2)
                else:
                    raise RuntimeError("the server did not start: " + log_path.read_text()[-2000:])
                yield ServerProcess(process, address, memory_service_pb2_grpc.MemoryServiceStub(channel), log_path)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGCONT)  # in case the caller froze it
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
