"""Retention sweeps: what users said and what happened to it is kept only as long as it is needed.

- the raw turn of a finished task is emptied after a short grace period (a failed
  one's after longer, so an operator can requeue it);
- finished tasks and events are deleted after their retention periods;
- a user's retention_days erases their facts (every version) that became true
  longer ago, leaving EXPIRED tombstones, and empties their older raw turns.

Every sweep works in bounded batches and skips rows others hold, so it never
waits on a worker or a request; the next round continues.
"""

from __future__ import annotations

import logging

from memory_service.config import RetentionSettings
from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import facts as facts_sql
from memory_service.db import tasks as tasks_sql
from memory_service.db import users as users_sql
from memory_service.db.control import announce_forgotten
from memory_service.domain import FactChangeType
from memory_service.embeddings import Embedder

log = logging.getLogger(__name__)

BATCH_ROUNDS = 10
EXPIRE_BATCH = 500


class Retention:
    def __init__(self, db: Database, embedder: Embedder, settings: RetentionSettings) -> None:
        self._db = db
        self._embedder = embedder
        self._settings = settings

    async def run_once(self) -> dict[str, int]:
        """One round of every sweep; returns what it removed (counts only)."""
        settings = self._settings
        removed = {"events": 0, "task_texts": 0, "tasks": 0, "expired_facts": 0}
        if settings.event_days > 0:
            async with self._db.connection() as conn:
                removed["events"] = await events_sql.prune_older_than(conn, settings.event_days)
        for _ in range(BATCH_ROUNDS):
            async with self._db.connection() as conn:
                emptied = await tasks_sql.empty_finished_texts(
                    conn,
                    finished_before_seconds=settings.task_text_seconds,
                    failed_before_days=settings.failed_task_text_days,
                )
            removed["task_texts"] += emptied
            if emptied < 1000:
                break
        if settings.task_days > 0:
            async with self._db.connection() as conn:
                removed["tasks"] = await tasks_sql.delete_finished(conn, older_than_days=settings.task_days)
        async with self._db.connection() as conn:
            users = await users_sql.with_retention(conn)
        for user_id, days in users:
            removed["expired_facts"] += await self.expire(user_id, days)
        if any(removed.values()):
            log.info("retention sweep", extra=removed)
        return removed

    async def expire(self, user_id: str, days: int) -> int:
        """Erases a user's facts older than their retention (a batch) and empties their older raw turns."""
        async with self._db.transaction() as conn:
            await facts_sql.lock_user(conn, user_id)
            versions = await facts_sql.versions_older_than(conn, user_id, days, EXPIRE_BATCH)
            if versions:
                await facts_sql.erase_versions(conn, user_id, versions, FactChangeType.EXPIRED)
                await announce_forgotten(conn, user_id)
            await tasks_sql.empty_texts_older_than(conn, user_id, days)
        if versions:
            self._embedder.forget_owner(user_id)
        return len(versions)
