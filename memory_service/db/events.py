"""SQL for the append-only event log: an outbox for writers, a relay giving gap-free ids, replay, bounds, retention."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.db.tasks import TASKS_CHANNEL
from memory_service.domain import EventType, ExtractionEvent
from memory_service.observability import metrics

EVENTS_CHANNEL = "memory_events"  # the relay tells watchers of new ids
OUTBOX_CHANNEL = "memory_event_outbox"  # writers wake the relay


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


async def append(conn: Connection, events: Sequence[NewEvent]) -> None:
    """Writes events to the outbox inside the caller's transaction, waking the relay at its commit.

    No shared row is written: concurrent writers never wait for each other here.
    The relay (relay_batch) gives the events their ids once they are committed.
    While the relay polls (relay_busy), no NOTIFY is sent: PostgreSQL serialises
    the commits of notifying transactions.
    """
    if not events:
        return
    for event in events:
        metrics.events_appended.labels(event.type.value).inc()
    await conn.execute(
        """
        WITH inserted AS (
            INSERT INTO memory_event_outbox (user_id, agent_id, task_id, type, attempt, payload)
            SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[])
            RETURNING 1
        )
        SELECT pg_notify($7, '') FROM (SELECT 1 FROM inserted LIMIT 1) AS any_row
        WHERE NOT (SELECT relay_busy FROM memory_event_log)
        """,
        [e.user_id for e in events],
        [e.agent_id for e in events],
        [e.task_id for e in events],
        [e.type.value for e in events],
        [e.attempt for e in events],
        [e.payload for e in events],
        OUTBOX_CHANNEL,
    )


async def relay_batch(conn: Connection | asyncpg.Connection[Record], limit: int) -> int:
    """Moves up to `limit` committed outbox rows into memory_events with the next gap-free ids.

    Ids follow the order in which rows are seen committed (by outbox sequence within
    a batch), so an event written after another one committed always gets a larger
    id. The counter row's lock serialises relays, should two ever run at once.
    Returns the number of events moved; listeners of EVENTS_CHANNEL are told at commit.
    """
    async with conn.transaction():
        row = one(
            await conn.fetchrow(
                """
                WITH moved AS (
                    DELETE FROM memory_event_outbox
                    WHERE seq IN (SELECT seq FROM memory_event_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
                    RETURNING *
                ),
                counter AS (
                    UPDATE memory_event_log SET last_event_id = last_event_id + (SELECT count(*) FROM moved)
                    WHERE EXISTS (SELECT 1 FROM moved)
                    RETURNING last_event_id - (SELECT count(*) FROM moved) AS base
                ),
                inserted AS (
                    INSERT INTO memory_events (id, user_id, agent_id, task_id, type, attempt, payload, created_at)
                    SELECT counter.base + row_number() OVER (ORDER BY m.seq),
                           m.user_id, m.agent_id, m.task_id, m.type, m.attempt, m.payload, m.created_at
                    FROM moved m CROSS JOIN counter
                    RETURNING id
                )
                SELECT (SELECT count(*) FROM inserted) AS moved, (SELECT max(id) FROM inserted) AS last,
                       EXISTS (SELECT 1 FROM moved WHERE type IN ('queued', 'requeued', 'released')) AS new_tasks
                """,
                limit,
            )
        )
        if row["moved"]:
            await conn.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, str(row["last"]))
        if row["new_tasks"]:  # their writers may not have woken the workers (relay_busy)
            await conn.execute("SELECT pg_notify($1, '')", TASKS_CHANNEL)
    moved: int = row["moved"]
    return moved


async def any_pending(conn: Connection | asyncpg.Connection[Record]) -> bool:
    """Whether some committed event waits for the relay (a read, cheaper than relay_batch's transaction)."""
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM memory_event_outbox)")
    return found


async def set_relay_busy(conn: Connection | asyncpg.Connection[Record], busy: bool) -> None:
    """Tells writers whether to NOTIFY (idle relay, waiting to be woken) or not (busy relay, polling)."""
    await conn.execute("UPDATE memory_event_log SET relay_busy = $1 WHERE relay_busy <> $1", busy)


async def outbox_pending(conn: Connection) -> int:
    """Rows waiting for the relay (0 in a healthy cluster, but for the last milliseconds)."""
    count: int = await conn.fetchval("SELECT count(*) FROM memory_event_outbox")
    return count


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


async def settled_bounds(conn: Connection, *, wait_seconds: float = 1.0) -> LogBounds:
    """bounds() once every event committed before this call has its id (the relay takes milliseconds).

    So "the latest event id" covers everything already said: a watcher starting there
    never gets an event of a turn queued before it asked. Gives up waiting after
    wait_seconds (no relay running) and answers what is numbered by then.
    """
    newest = await conn.fetchval("SELECT max(seq) FROM memory_event_outbox")
    give_up = time.monotonic() + wait_seconds
    while newest is not None and time.monotonic() < give_up:
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM memory_event_outbox WHERE seq <= $1)", newest):
            break
        await asyncio.sleep(0.005)
    return await bounds(conn)


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
