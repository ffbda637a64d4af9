"""A real service for tests: core + gRPC server on a free port + a channel and stub, on a fresh database."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from voxbridge.memory.v1 import memory_service_pb2_grpc

from memory_service.app import Core, open_core, running_server
from memory_service.config import LlmSettings, Settings
from memory_service.extraction.worker import Worker

BASE_ENV = {
    "MEMORY_LOG_FORMAT": "text",
    "MEMORY_POLL_SECONDS": "0.5",
    "MEMORY_GRACE_SECONDS": "2",
    "MEMORY_RETRY_BASE_SECONDS": "0.2",
    "MEMORY_TASK_LEASE_SECONDS": "5",
    "MEMORY_MAINTENANCE_SECONDS": "1",
    "MEMORY_HEARTBEAT_SECONDS": "1",
    "MEMORY_POOL_MIN_SIZE": "1",
    # The session's preloaded sentence-transformers model serves these tests; auto would export to ONNX in
    # every test's own data dir. ONNX tests ask for it with the shared export (conftest's onnx_data_dir).
    "MEMORY_EMBEDDING_BACKEND": "torch",
}


def make_settings(database_url: str, data_dir: Path, **env: str) -> Settings:
    environ = {**BASE_ENV, "MEMORY_DATABASE_URL": database_url, "MEMORY_DATA_DIR": str(data_dir), **env}
    return Settings.from_environ(environ)


def with_llm(settings: Settings, base_url: str, **overrides: Any) -> Settings:
    llm = LlmSettings(
        provider="openai",
        model="fake-model",
        base_url=base_url,
        api_key="sk-test-secret-key",
        api_version=None,
        timeout_seconds=overrides.pop("timeout_seconds", 5.0),
        json_mode=True,
    )
    return dataclasses.replace(settings, llm=llm, **overrides)


@dataclass
class Service:
    core: Core
    port: int
    channel: grpc.aio.Channel
    stub: memory_service_pb2_grpc.MemoryServiceStub
    _workers: list[tuple[asyncio.Event, asyncio.Task[None]]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start_worker(self, *, name: str | None = None) -> Worker:
        worker = self.core.new_worker(name=name)
        stop = asyncio.Event()
        self._workers.append((stop, asyncio.create_task(worker.run(stop, grace_seconds=2))))
        return worker

    async def stop_workers(self) -> None:
        for stop, _ in self._workers:
            stop.set()
        for _, task in self._workers:
            await task
        self._workers.clear()


@contextlib.asynccontextmanager
async def running_service(settings: Settings, model: Any, *, workers: int = 0) -> AsyncIterator[Service]:
    async with open_core(settings, preloaded_model=model) as core, running_server(core, listen="127.0.0.1:0") as server:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        service = Service(core, server.port, channel, memory_service_pb2_grpc.MemoryServiceStub(channel))
        for _ in range(workers):
            service.start_worker()
        try:
            yield service
        finally:
            await service.stop_workers()
            await channel.close()
