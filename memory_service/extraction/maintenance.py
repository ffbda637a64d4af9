"""Periodic upkeep beside each worker: fail dead last attempts, retention, model switches, the HNSW index.

Every step is idempotent, so several workers may run it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from memory_service.config import RetentionSettings
from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import tasks as tasks_sql
from memory_service.domain import EventType
from memory_service.embeddings.runtime import EmbeddingRuntime
from memory_service.extraction.ann_index import AnnIndex
from memory_service.extraction.reembedding import Reembedding
from memory_service.extraction.retention import Retention

log = logging.getLogger(__name__)


class Maintenance:
    def __init__(
        self, db: Database, embedder: EmbeddingRuntime, retention: RetentionSettings, *, interval_seconds: float
    ) -> None:
        self._db = db
        self._interval = interval_seconds
        self.retention = Retention(db, embedder, retention)
        self.reembedding = Reembedding(db, embedder)
        self.ann_index = AnnIndex(db, embedder)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._loop(), name="maintenance")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # the database may be down; next round
                log.warning("maintenance round failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(self._interval)

    async def run_once(self) -> None:
        await self.fail_expired_last_attempts()
        await self.retention.run_once()
        await self.reembedding.run_once()
        await self.ann_index.run_once()

    async def fail_expired_last_attempts(self) -> int:
        async with self._db.transaction() as conn:
            failed = await tasks_sql.fail_expired(conn)
            await events_sql.append(
                conn,
                [
                    events_sql.NewEvent(
                        t.user_id, t.agent_id, t.id, EventType.FAILED, t.attempts, {"error": t.error or "lease expired"}
                    )
                    for t in failed
                ],
            )
        return len(failed)
