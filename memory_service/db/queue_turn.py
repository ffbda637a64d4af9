"""QueueExtraction's common case in one statement: the user row, the task, its QUEUED event and the wake-ups.

The bot waits for this call after every turn. As a transaction of four statements it cost five round trips
(BEGIN, user, task, event, COMMIT), each paying a wake-up of the database backend when the service is not
busy; as one statement it is one round trip in its own implicit transaction, all or nothing as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.db.events import OUTBOX_CHANNEL
from memory_service.db.tasks import TASKS_CHANNEL
from memory_service.domain import EventType, ExtractionTask, Turn
from memory_service.observability import metrics


@dataclass(frozen=True)
class Queued:
    """What the statement found: the task it queued, or why it queued none."""

    task: ExtractionTask | None
    user_known: bool  # False: another transaction was creating the user; take the slow path
    extraction_enabled: bool


async def queue_turn(conn: Connection, turn: Turn, *, max_attempts: int) -> Queued:
    """Queues a turn without a request id, outside any transaction (the statement is its own)."""
    row = one(
        await conn.fetchrow(
            f"""
            WITH existing AS (
                SELECT extraction_enabled FROM users WHERE user_id = $1
            ), created AS (
                INSERT INTO users (user_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM existing)
                ON CONFLICT (user_id) DO NOTHING
                RETURNING extraction_enabled
            ), known AS (
                SELECT extraction_enabled FROM existing UNION ALL SELECT extraction_enabled FROM created
            ), t AS (
                INSERT INTO extraction_tasks (user_id, agent_id, user_message, ai_response, max_attempts,
                                              occurred_at, session_id)
                SELECT $1, $2, $3, $4, $5, COALESCE($6, now()), $7
                WHERE (SELECT bool_and(extraction_enabled) FROM known)
                RETURNING *
            ), event AS (  -- runs though nothing reads it: PostgreSQL executes every data-modifying CTE
                INSERT INTO memory_event_outbox (user_id, agent_id, task_id, type, attempt, payload)
                SELECT t.user_id, t.agent_id, t.id, $8, 0, '{{}}'::jsonb FROM t
            ), quiet AS (  -- the relay polls while busy: no NOTIFY then (see events.append)
                SELECT NOT relay_busy AS notify FROM memory_event_log
            )
            SELECT (SELECT count(*) FROM known) > 0 AS user_known,
                   COALESCE((SELECT bool_and(extraction_enabled) FROM known), false) AS extraction_enabled,
                   (SELECT pg_notify($9, t.id::text) FROM quiet WHERE quiet.notify AND t.id IS NOT NULL) AS worker,
                   (SELECT pg_notify($10, '') FROM quiet WHERE quiet.notify AND t.id IS NOT NULL) AS relay,
                   {rows.TASK_COLUMNS}
            FROM (SELECT 1) AS one_row LEFT JOIN t ON true
            """,
            turn.user_id,
            turn.agent_id,
            turn.user_message,
            turn.ai_response,
            max_attempts,
            turn.occurred_at,
            turn.session_id,
            EventType.QUEUED.value,
            TASKS_CHANNEL,
            OUTBOX_CHANNEL,
        )
    )
    task = rows.task(row) if row["id"] is not None else None
    if task is not None:
        metrics.events_appended.labels(EventType.QUEUED.value).inc()
    return Queued(task, bool(row["user_known"]), bool(row["extraction_enabled"]))
