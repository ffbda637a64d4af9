"""The client library against a service in its own process that is frozen, stopped, restarted and killed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from voxbridge.memory.client import MemoryClient
from voxbridge.memory.v1 import extraction_pb2 as ex
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.database import events_numbered
from tests.support.processes import free_port, kill, service_env, start, terminate, wait_serving

QUEUED, PROCESSING, COMPLETED = (
    ex.EXTRACTION_EVENT_TYPE_QUEUED,
    ex.EXTRACTION_EVENT_TYPE_PROCESSING,
    ex.EXTRACTION_EVENT_TYPE_COMPLETED,
)


class ServerProcess:
    """`memory-service serve` on a fixed address, so it can be stopped and started again where clients expect it."""

    def __init__(self, database_url: str, data_dir: Path, logs: Path) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        # The shared ONNX export makes a start take about a second instead of loading torch.
        self._env = service_env(
            {"MEMORY_DATABASE_URL": database_url, "MEMORY_DATA_DIR": str(data_dir), "MEMORY_EMBEDDING_BACKEND": "onnx"}
        )
        self._logs = logs
        self._starts = 0
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self._starts += 1
        log = self._logs / f"server-{self._starts}.log"
        self.process = start(["serve", "--listen", self.address], self._env, log)
        await asyncio.to_thread(wait_serving, self.address, self.process)

    def stop(self) -> None:
        assert self.process is not None
        assert terminate(self.process) == 0, self.log_tail()

    def kill(self) -> None:
        assert self.process is not None
        kill(self.process)

    def log_tail(self) -> str:
        return (self._logs / f"server-{self._starts}.log").read_text()[-3000:]


@pytest.fixture
async def server(database_url: str, onnx_data_dir: Path, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    running = ServerProcess(database_url, onnx_data_dir, tmp_path)
    await running.start()
    try:
        yield running
    finally:
        if running.process is not None:
            kill(running.process)


@contextlib.contextmanager
def frozen(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """The process stopped by SIGSTOP: its port still accepts connections, but nothing answers."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


async def collect(
    events: AsyncIterator[ex.ExtractionEvent], count: int, within: float = 60
) -> list[ex.ExtractionEvent]:
    seen: list[ex.ExtractionEvent] = []
    async with asyncio.timeout(within):
        while len(seen) < count:
            seen.append(await anext(events))
    return seen


async def test_get_context_degrades_when_the_server_is_frozen_or_stopped(server: ServerProcess) -> None:
    async with MemoryClient(server.address, context_timeout=0.1) as memory:
        assert await memory.wait_ready()
        await memory.stub.CreateFact(pb.CreateFactRequest(fact={"user_id": "alice", "text": "I love jazz"}), timeout=10)
        assert "jazz" in (await memory.get_context("alice", "what music do I like?", deadline=10)).rendered
        assert server.process is not None
        with frozen(server.process):  # the connection is up, the answer never comes: the deadline ends it
            context = await memory.get_context("alice", "what music do I like?")
            assert context.degraded and context.rendered == "" and context.reason == "DEADLINE_EXCEEDED"
        server.stop()  # nothing listens any more: refused at once, retried within the deadline, then degraded
        for _ in range(3):
            context = await memory.get_context("alice", "what music do I like?")
            assert context.degraded and context.reason in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
        await server.start()
        assert await memory.wait_ready(30)  # the channel reconnects by itself
        assert "jazz" in (await memory.get_context("alice", "what music do I like?", deadline=10)).rendered


async def test_a_watch_resumes_across_restarts_without_loss_or_repeats(
    server: ServerProcess, database_url: str
) -> None:
    async with MemoryClient(server.address, context_timeout=5) as memory:
        events = memory.watch_extractions("alice")
        first = await memory.queue_extraction("alice", "I play the cello")
        seen = await collect(events, 3)
        assert [(e.task_id, e.type) for e in seen] == [(first, QUEUED), (first, PROCESSING), (first, COMPLETED)]

        # A graceful stop ends the stream with SHUTTING_DOWN and a resume cursor. A turn said meanwhile is
        # queued in the background, dated when it was said, and gets through once the server is back.
        server.stop()
        said = datetime.now(UTC)
        during = memory.queue_extraction_soon("alice", "I moved to Porto", "Lovely city!")
        await asyncio.sleep(0.5)  # the client is retrying against a closed port
        restarted = datetime.now(UTC)
        await server.start()
        second = await during
        assert second is not None
        seen += await collect(events, 3)

        # A crash says nothing: the client's own cursor is enough.
        server.kill()
        await server.start()
        third = await memory.queue_extraction("alice", "I have two kids")
        seen += await collect(events, 3)

        task = await memory.stub.GetExtraction(pb.GetExtractionRequest(user_id="alice", task_id=second), timeout=10)
        await events.aclose()
    assert said <= task.occurred_at.ToDatetime(UTC) < restarted <= task.created_at.ToDatetime(UTC)
    assert [(e.task_id, e.type) for e in seen[3:]] == [
        (second, QUEUED),
        (second, PROCESSING),
        (second, COMPLETED),
        (third, QUEUED),
        (third, PROCESSING),
        (third, COMPLETED),
    ]
    await events_numbered(database_url)
    with psycopg.connect(database_url) as conn:
        stored = [row[0] for row in conn.execute("SELECT id FROM memory_events WHERE user_id = 'alice' ORDER BY id")]
    assert [e.event_id for e in seen] == stored  # every event, once, in order
    assert events.reconnects >= 2
