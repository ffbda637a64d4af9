"""The event relay: one process of the cluster numbers the events every other process wrote.

Every server and worker runs an EventRelay; the one that holds a session-level
advisory lock on its own connection leads, the others wait for that lock.
The leader LISTENs for writers' commits and moves the outbox into the event log in
batches (events.relay_batch), so writers never queue behind one another's commits
for an id. When the leader's process or connection dies, PostgreSQL releases the
lock and a waiting process takes over at once; events wait in the outbox
meanwhile, durably.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from memory_service.db import Database, advisory_locks
from memory_service.db import events as events_sql
from memory_service.observability import metrics

log = logging.getLogger(__name__)

BATCH = 2000
SAFETY_POLL_SECONDS = 10.0


class EventRelay:
    def __init__(self, db: Database, *, poll_seconds: float) -> None:
        self._db = db
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self.leading = False

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[EventRelay]:
        task = asyncio.create_task(self._run(), name="event-relay")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._set_leading(False)

    async def _run(self) -> None:
        while True:
            conn: Any = None
            try:
                conn = await self._db.connect_listener()
                # Blocks until the leader's session ends: the lock passes on at once, with no polling.
                await conn.execute("SELECT pg_advisory_lock($1, $2)", *advisory_locks.EVENT_RELAY)
                await self._lead(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away: try again, another process may lead meanwhile
                log.warning("event relay lost its connection", extra={"error": type(exc).__name__})
            finally:
                self._set_leading(False)
                if conn is not None and not conn.is_closed():
                    # Ending the session is what hands the lead on: never leave it half-closed.
                    conn.terminate()
            await asyncio.sleep(self._poll_seconds)

    async def _lead(self, conn: asyncpg.Connection[Any]) -> None:
        self._set_leading(True)
        log.info("event relay leading")
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(events_sql.OUTBOX_CHANNEL, lambda *_args: self._wake.set())
        while not lost.is_set():
            self._wake.clear()
            while True:  # drain: a full batch means more may be waiting
                try:
                    moved = await events_sql.relay_batch(conn, BATCH)
                except asyncpg.ForeignKeyViolationError:
                    # A user was erased between our read and our insert: the cascade removed their
                    # outbox rows with them, so the next try moves only what still exists.
                    continue
                metrics.events_relayed.inc(moved)
                if moved < BATCH:
                    break
            # Notifications come on this very connection, so none is lost while it lives; the
            # rare look is only a safety net.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(self._poll_seconds, SAFETY_POLL_SECONDS))

    def _set_leading(self, leading: bool) -> None:
        self.leading = leading
        metrics.event_relay_leader.set(1 if leading else 0)
