"""Fans committed events out to this process's WatchExtractions streams.

One LISTEN connection and one query per wake-up serve every subscriber of the
process, whichever replica or worker wrote the events. Subscribers have bounded
buffers: one that falls behind is cut off (it resumes from its last id) and
never slows the hub or the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db.listener import listening
from memory_service.domain import ExtractionEvent
from memory_service.observability import metrics

log = logging.getLogger(__name__)

FETCH_BATCH = 500


class Subscription:
    """A bounded buffer of live events for one stream (optionally one user's)."""

    def __init__(self, user_id: str | None, capacity: int) -> None:
        self.user_id = user_id
        self.capacity = capacity
        self.overflowed = False
        self.closed = False  # the server is shutting down
        self._buffer: deque[ExtractionEvent] = deque()
        self._ready = asyncio.Event()

    def offer(self, event: ExtractionEvent) -> None:
        if self.overflowed or (self.user_id is not None and event.user_id != self.user_id):
            return
        if len(self._buffer) >= self.capacity:
            self.overflowed = True
            self._buffer.clear()  # the stream ends; free the memory now
        else:
            self._buffer.append(event)
        self._ready.set()

    def restart(self) -> None:
        """Forgets what was buffered (and an overflow): the stream is about to read the log from its cursor."""
        self.overflowed = False
        self._buffer.clear()
        self._ready.clear()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next_batch(self, wait_seconds: float) -> list[ExtractionEvent] | None:
        """Buffered events, waiting up to wait_seconds; None when none came. Check overflowed and closed after."""
        if not self._buffer and not self.overflowed and not self.closed:
            try:
                await asyncio.wait_for(self._ready.wait(), wait_seconds)
            except TimeoutError:
                return None
        self._ready.clear()
        batch = list(self._buffer)
        self._buffer.clear()
        return batch


class EventHub:
    def __init__(self, db: Database, *, poll_seconds: float) -> None:
        self._db = db
        self._poll_seconds = poll_seconds
        self._position = 0
        self._subscriptions: set[Subscription] = set()
        self._wake = asyncio.Event()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[EventHub]:
        async with self._db.connection() as conn:
            self._position = (await events_sql.bounds(conn)).last_event_id
        pump = asyncio.create_task(self._pump(), name="event-hub")
        try:
            async with listening(
                self._db, events_sql.EVENTS_CHANNEL, lambda _payload: self._wake.set(), on_reconnect=self._wake.set
            ):
                yield self
        finally:
            self.close_subscriptions()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    def subscribe(self, user_id: str | None, capacity: int) -> Subscription:
        """Live events committed after this call reach the subscription (it replays the rest itself)."""
        subscription = Subscription(user_id, capacity)
        self._subscriptions.add(subscription)
        metrics.watchers.set(len(self._subscriptions))
        return subscription

    def close_subscriptions(self) -> None:
        """Ends every stream (they answer UNAVAILABLE with a resume cursor): the server is going away."""
        for subscription in list(self._subscriptions):
            subscription.close()

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        metrics.watchers.set(len(self._subscriptions))

    async def _pump(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            self._wake.clear()
            try:
                await self._fetch_new()
            except Exception as exc:  # the database may be down: keep the hub alive, try again next tick
                log.warning("event hub could not read events", extra={"error": type(exc).__name__})

    async def _fetch_new(self) -> None:
        if not self._subscriptions:  # nobody listens: just keep up with the log's end
            async with self._db.connection() as conn:
                last = (await events_sql.bounds(conn)).last_event_id
            if not self._subscriptions:  # a subscriber that joined meanwhile may need what came since
                self._position = max(self._position, last)
            return
        while True:
            async with self._db.connection() as conn:
                batch = await events_sql.read_after(conn, self._position, user_id=None, limit=FETCH_BATCH)
            for event in batch:
                for subscription in list(self._subscriptions):
                    subscription.offer(event)
                self._position = event.id
            if batch and batch[-1].created_at is not None:
                metrics.event_hub_lag.set(max((datetime.now(UTC) - batch[-1].created_at).total_seconds(), 0.0))
            if len(batch) < FETCH_BATCH:
                return
