"""The event relay: one process of the cluster numbers the events every other process wrote.

Every server and worker runs an EventRelay; the one that holds a session-level
advisory lock on its own connection leads, the others wait for that lock.
The leader moves the outbox into the event log in batches (events.relay_batch), so
writers never queue behind one another's commits for an id. While events are few,
writers NOTIFY it; when they come faster than it is worth being woken for each, it
sets memory_event_log.relay_busy and polls every few milliseconds instead, and the
writers stop notifying: PostgreSQL serialises the commits of notifying transactions
(a global lock from pre-commit to the end of the WAL flush), which would otherwise
be the cluster's ceiling again. When the leader's process or connection dies, PostgreSQL releases the
lock and a waiting process takes over at once; events wait in the outbox
meanwhile, durably.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from memory_service.db import Database, advisory_locks
from memory_service.db import events as events_sql
from memory_service.observability import metrics

log = logging.getLogger(__name__)

BATCH = 2000
# At this many events within a second the relay polls instead (and writers stop notifying)...
BUSY_EVENTS_PER_SECOND = 200
BUSY_POLL_SECONDS = 0.005  # ...every 5 ms, which bounds what it adds to an event's way to a watcher...
IDLE_AFTER_SECONDS = 0.25  # ...until nothing came for this long.


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
        """Relays until the connection is lost: woken by writers while events are few, polling while many."""
        self._set_leading(True)
        log.info("event relay leading")
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(events_sql.OUTBOX_CHANNEL, lambda *_args: self._wake.set())
        await events_sql.set_relay_busy(conn, False)
        busy = False
        recent: deque[tuple[float, int]] = deque()  # (when, events moved) over the last second
        last_event = time.monotonic()
        woken = True  # a first drain at start: events may have waited for a leader
        while not lost.is_set():
            self._wake.clear()
            # Polling (busy) or a safety-net timeout: a read first, since relay_batch is a write transaction
            # and an idle relay would otherwise commit one at every poll.
            moved = await self._drain(conn) if (woken and not busy) or await events_sql.any_pending(conn) else 0
            woken = False
            now = time.monotonic()
            if moved:
                last_event = now
                recent.append((now, moved))
            while recent and recent[0][0] < now - 1.0:
                recent.popleft()
            if busy:
                if now - last_event < IDLE_AFTER_SECONDS:
                    await asyncio.sleep(BUSY_POLL_SECONDS)
                    continue
                # Writers notify again from their next statement on; one that read the flag before this
                # commit may still skip its NOTIFY, so keep polling a moment after it.
                await events_sql.set_relay_busy(conn, False)
                busy = False
                for _ in range(int(IDLE_AFTER_SECONDS / BUSY_POLL_SECONDS)):
                    await asyncio.sleep(BUSY_POLL_SECONDS)
                    if await events_sql.any_pending(conn):
                        await self._drain(conn)
                continue
            if sum(n for _, n in recent) >= BUSY_EVENTS_PER_SECOND:
                # This many events a second, the writers' NOTIFYs cost more than polling: PostgreSQL would
                # commit them one at a time.
                await events_sql.set_relay_busy(conn, True)
                busy = True
                log.info("event relay polling", extra={"events_last_second": sum(n for _, n in recent)})
                continue
            # Notifications come on this very connection, so none is lost while it lives; the
            # timeout is a safety net.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
                woken = True

    async def _drain(self, conn: asyncpg.Connection[Any]) -> int:
        """Moves everything committed so far; returns how many events."""
        total = 0
        while True:  # a full batch means more may be waiting
            try:
                moved = await events_sql.relay_batch(conn, BATCH)
            except asyncpg.ForeignKeyViolationError:
                # A user was erased between our read and our insert: the cascade removed their
                # outbox rows with them, so the next try moves only what still exists.
                continue
            metrics.events_relayed.inc(moved)
            total += moved
            if moved < BATCH:
                return total

    def _set_leading(self, leading: bool) -> None:
        self.leading = leading
        metrics.event_relay_leader.set(1 if leading else 0)
