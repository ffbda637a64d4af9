"""SQL for the append-only event log: gap-free ids in commit order, replay, bounds and retention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.domain import EventType, ExtractionEvent
from memory_service.observability import metrics

EVENTS_CHANNEL = "memory_events"


@dataclass(frozen=True)
class NewEvent:
    user_id: str | None  # None: about no user (re-embedding progress)
    agent_id: str
    task_id: UUID | None
    type: EventType
    attempt: int = 0
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogBounds:
    """Cursors in [pruned_through, last_event_id] are valid; 0 means "from the oldest kept"."""

    last_event_id: int
    pruned_through: int


async def append(conn: Connection, events: Sequence[NewEvent]) -> list[int]:
    """Appends events and notifies listeners; must be the last statement of its transaction.

    The UPDATE of the single memory_event_log row hands out the ids and holds that
    row's lock until commit, so transactions that write events commit in id order.
    Keeping it last keeps the lock short.
    """
    if not events:
        return []
    for event in events:
        metrics.events_appended.labels(event.type.value).inc()
    records = await conn.fetch(
        """
        WITH counter AS (
            UPDATE memory_event_log SET last_event_id = last_event_id + $1
            RETURNING last_event_id - $1 AS base
        ),
        inserted AS (
            INSERT INTO memory_events (id, user_id, agent_id, task_id, type, attempt, payload)
            SELECT counter.base + e.ord, e.user_id, e.agent_id, e.task_id, e.type, e.attempt, e.payload
            FROM counter,
                 unnest($2::text[], $3::text[], $4::uuid[], $5::text[], $6::int[], $7::jsonb[])
                 WITH ORDINALITY AS e(user_id, agent_id, task_id, type, attempt, payload, ord)
            RETURNING id
        )
        SELECT id, pg_notify($8, (SELECT max(id) FROM inserted)::text) FROM inserted ORDER BY id
        """,
        len(events),
        [e.user_id for e in events],
        [e.agent_id for e in events],
        [e.task_id for e in events],
        [e.type.value for e in events],
        [e.attempt for e in events],
        [e.payload for e in events],
        EVENTS_CHANNEL,
    )
    return [r["id"] for r in records]


async def read_after(conn: Connection, after_id: int, *, user_id: str | None, limit: int) -> list[ExtractionEvent]:
    records = await conn.fetch(
        f"""SELECT {rows.EVENT_COLUMNS} FROM memory_events e
            WHERE e.id > $1 AND ($2::text IS NULL OR e.user_id = $2)
            ORDER BY e.id LIMIT $3""",
        after_id,
        user_id,
        limit,
    )
    return [rows.event(r) for r in records]


async def bounds(conn: Connection) -> LogBounds:
    row = one(await conn.fetchrow("SELECT last_event_id, pruned_through FROM memory_event_log"))
    return LogBounds(last_event_id=row["last_event_id"], pruned_through=row["pruned_through"])


async def prune_older_than(conn: Connection, days: float) -> int:
    """Deletes events older than `days` (by id prefix, so the log stays a contiguous range)."""
    async with conn.transaction():
        upto = await conn.fetchval(
            "SELECT max(id) FROM memory_events WHERE created_at < now() - make_interval(secs => $1)", days * 86400
        )
        if upto is None:
            return 0
        status: str = await conn.execute("DELETE FROM memory_events WHERE id <= $1", upto)
        await conn.execute("UPDATE memory_event_log SET pruned_through = GREATEST(pruned_through, $1)", upto)
    return int(status.split()[-1])
