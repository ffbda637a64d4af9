"""A real service for benchmarks: embedded PostgreSQL in a temp dir, the gRPC server on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
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
    """A running `memory-service serve`: its process (to freeze or stop it), stub, address and log file."""

    process: asyncio.subprocess.Process
    stub: memory_service_pb2_grpc.MemoryServiceStub
    channel: grpc.aio.Channel
    address: str
    log_path: Path
    final_log: str = ""  # the whole log, kept once the process has exited (its folder is gone then)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mib(self) -> float:
        """The server process's resident memory now."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmRSS line")

    def log_records(self) -> list[dict[str, Any]]:
        """The server's JSON log lines so far (all of them once it has exited)."""
        text = self.final_log or self.log_path.read_text(errors="replace")
        records = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records


@contextlib.asynccontextmanager
async def server_process(
    *, data_dir: Path | None = None, **env: str
) -> AsyncIterator[memory_service_pb2_grpc.MemoryServiceStub]:
    """`memory-service serve` in its own process (as in production); see running_server_process."""
    async with running_server_process(data_dir=data_dir, **env) as server:
        yield server.stub


@contextlib.asynccontextmanager
async def running_server_process(*, data_dir: Path | None = None, **env: str) -> AsyncIterator[ServerProcess]:
    """`memory-service serve` in its own process (as in production), on its own embedded database.

    The benchmark then only acts as a client (the voice bot), so the server's
    figures are not shared with the client's own CPU use. data_dir: a folder kept
    between runs (with MEMORY_DATABASE_URL set it only holds the ONNX export,
    which then happens once); default a fresh temporary one.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="vbm-bench-", dir="/tmp") as scratch:
        data_dir = data_dir or Path(scratch)
        log_path = Path(scratch) / "server.log"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_") or k == "MEMORY_DATABASE_URL"}
        process_env = {**inherited, "MEMORY_LOG_LEVEL": "WARNING", "GRPC_ENABLE_FORK_SUPPORT": "false", **env}
        running: ServerProcess | None = None
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "memory_service", "serve", "--listen", address, "--data-dir", str(data_dir),
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
                stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
                running = ServerProcess(process, stub, channel, address, log_path)
                yield running
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGCONT)  # in case the caller froze it
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
            if running is not None:
                running.final_log = log_path.read_text(errors="replace")


serving_process = running_server_process  # the name the client benchmark knows it by
