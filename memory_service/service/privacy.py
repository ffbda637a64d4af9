"""GDPR use cases: export everything held about a user, erase it provably, replay erasures after a restore."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime

from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import export as export_sql
from memory_service.db import facts as facts_sql
from memory_service.db import privacy as privacy_sql
from memory_service.db.control import announce_forgotten
from memory_service.domain import ErasureReceipt, ExportHeader, ExportRecord, UserSettings
from memory_service.embeddings import Embedder
from memory_service.validation import RequestChecker

log = logging.getLogger(__name__)

# Where the generated erasure secret lives when MEMORY_ERASURE_SECRET is not set.
ERASURE_SECRET_KEY = "erasure.secret"


class PrivacyService:
    def __init__(self, db: Database, embedder: Embedder | None, *, erasure_secret: str | None) -> None:
        self._db = db
        self._embedder = embedder
        self._configured_secret = erasure_secret

    async def export(self, user_id: str) -> AsyncGenerator[ExportRecord, None]:
        """Everything held about the user, in one repeatable-read snapshot: header, settings, agents,
        facts (every version), history, tasks, events. Another user's rows never appear: every
        statement is scoped to user_id."""
        check = RequestChecker()
        check.identifier("user_id", user_id)
        check.raise_if_invalid()
        async with self._db.connection() as conn:  # events committed before the call are in the log, numbered
            await events_sql.settled_bounds(conn)
        async with self._db.snapshot() as conn:
            agents = await export_sql.agents(conn, user_id)
            counts = await export_sql.counts(conn, user_id, len(agents))
            yield ExportHeader(user_id, await export_sql.snapshot_time(conn), counts)
            settings = await export_sql.settings(conn, user_id)
            yield settings or UserSettings(user_id, extraction_enabled=True, updated_at=None)
            for agent in agents:
                yield agent
            async for fact in export_sql.facts(conn, user_id):
                yield fact
            async for change in export_sql.fact_changes(conn, user_id):
                yield change
            async for task in export_sql.tasks(conn, user_id):
                yield task
            async for event in export_sql.events(conn, user_id):
                yield event

    async def forget(self, user_id: str) -> ErasureReceipt:
        """Erases every row about the user in one transaction and records it in the ledger.

        Idempotent: a user with nothing left gets an empty receipt and no ledger entry.
        A worker still processing one of the user's turns writes nothing: its task row is
        gone, and every write of a result is fenced by it.
        """
        check = RequestChecker()
        check.identifier("user_id", user_id)
        check.raise_if_invalid()
        subject = await self.subject_hash(user_id)
        async with self._db.transaction() as conn:
            await facts_sql.lock_user(conn, user_id)
            counts = await privacy_sql.erase_user(conn, user_id)
            ledger_id, erased_at = 0, datetime.now(UTC)
            if counts:
                ledger_id, erased_at = await privacy_sql.record_erasure(conn, subject, counts)
            await announce_forgotten(conn, user_id)
        if self._embedder is not None:  # other processes (and this one without an embedder) learn by NOTIFY
            self._embedder.forget_owner(user_id)
        log.info("user erased", extra={"ledger_id": ledger_id, "rows": sum(counts.values())})
        return ErasureReceipt(user_id, erased_at, counts, ledger_id)

    async def replay(self, subject_hashes: Iterable[str]) -> list[ErasureReceipt]:
        """Erases again every user of this database whose hash is in the ledger (after a restore)."""
        wanted = set(subject_hashes)
        async with self._db.connection() as conn:
            users = await privacy_sql.user_ids(conn)
        receipts = []
        for user_id in users:
            if await self.subject_hash(user_id) in wanted:
                receipts.append(await self.forget(user_id))
        return receipts

    async def ledger(self) -> list[dict[str, object]]:
        async with self._db.connection() as conn:
            return await privacy_sql.ledger(conn)

    async def ensure_secret(self) -> None:
        """Called at start: a generated secret exists from install on, so every backup carries it."""
        await self._secret()

    async def subject_hash(self, user_id: str) -> str:
        """HMAC-SHA256 of the user id under the erasure secret: the same user always gives the same hash."""
        key = (await self._secret()).encode()
        return hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()

    async def _secret(self) -> str:
        if self._configured_secret:
            return self._configured_secret
        # No secret configured: one is generated once and kept in the database (and so in its backups).
        async with self._db.connection() as conn:
            stored = await privacy_sql.setting_once(conn, ERASURE_SECRET_KEY, secrets.token_hex(32))
        self._configured_secret = str(stored)
        return self._configured_secret
