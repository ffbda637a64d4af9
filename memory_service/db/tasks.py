"""SQL for the extraction queue: enqueue, claim with SKIP LOCKED, leases, fenced results, stats."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.domain import ClaimedTask, ExtractionCounts, ExtractionTask, QueueStats, Turn

TASKS_CHANNEL = "memory_tasks"


async def get(conn: Connection, task_id: UUID) -> ExtractionTask | None:
    row = await conn.fetchrow(f"SELECT {rows.TASK_COLUMNS} FROM extraction_tasks t WHERE t.id = $1", task_id)
    return rows.task(row) if row else None


async def get_by_request_id(conn: Connection, user_id: str, request_id: str) -> ExtractionTask | None:
    row = await conn.fetchrow(
        f"SELECT {rows.TASK_COLUMNS} FROM extraction_tasks t WHERE t.user_id = $1 AND t.request_id = $2",
        user_id,
        request_id,
    )
    return rows.task(row) if row else None


async def insert(conn: Connection, turn: Turn, *, request_id: str | None, max_attempts: int) -> ExtractionTask:
    """Queues a task and wakes listening workers (the notification is sent at commit)."""
    row = one(
        await conn.fetchrow(
            f"""
        WITH t AS (
            INSERT INTO extraction_tasks (user_id, agent_id, user_message, ai_response, request_id, max_attempts)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING *
        )
        SELECT {rows.TASK_COLUMNS}, pg_notify($7, t.id::text) FROM t
        """,
            turn.user_id,
            turn.agent_id,
            turn.user_message,
            turn.ai_response,
            request_id,
            max_attempts,
            TASKS_CHANNEL,
        )
    )
    return rows.task(row)


async def claim(conn: Connection, *, limit: int, lease_seconds: float, worker_id: str) -> list[ClaimedTask]:
    """Claims due tasks: pending ones, and processing ones whose lease expired (their worker is presumed dead).

    Only the oldest unfinished task of each user is claimable, so one user's turns
    are applied one at a time and in order (a later "I moved to Paris" must win).
    Each claim gets a new lease token; results are only written under it. Tasks on
    their last attempt whose lease expired are left to fail_expired().
    """
    records = await conn.fetch(
        f"""
        WITH due AS (
            SELECT t.id FROM extraction_tasks t
            WHERE t.status IN ('pending', 'processing') AND t.due_at <= now() AND t.attempts < t.max_attempts
              AND NOT EXISTS (
                  SELECT 1 FROM extraction_tasks older
                  WHERE older.user_id = t.user_id AND older.status IN ('pending', 'processing')
                    AND (older.created_at, older.id) < (t.created_at, t.id)
              )
            ORDER BY t.due_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE extraction_tasks t SET
            last_error = CASE WHEN t.status = 'processing'
                              THEN 'lease expired: the worker stopped responding' ELSE t.last_error END,
            status = 'processing',
            attempts = t.attempts + 1,
            lease_token = gen_random_uuid(),
            due_at = now() + make_interval(secs => $2),
            started_at = now(),
            worker_id = $3
        FROM due WHERE t.id = due.id
        RETURNING {rows.TASK_COLUMNS}, t.lease_token
        """,
        limit,
        lease_seconds,
        worker_id,
    )
    return [ClaimedTask(rows.task(r), r["lease_token"]) for r in records]


async def extend_lease(conn: Connection, claim: ClaimedTask, lease_seconds: float) -> bool:
    """Heartbeat: pushes the lease deadline; False if the lease was lost (another worker holds it)."""
    status: str = await conn.execute(
        """UPDATE extraction_tasks SET due_at = now() + make_interval(secs => $3)
           WHERE id = $1 AND lease_token = $2 AND status = 'processing'""",
        claim.task.id,
        claim.lease_token,
        lease_seconds,
    )
    return status.endswith(" 1")


async def complete(
    conn: Connection, claim: ClaimedTask, counts: ExtractionCounts, skipped_reason: str | None
) -> ExtractionTask | None:
    """Marks the task completed, fenced by its lease token: None if the lease was lost.

    Runs first in the transaction that writes the task's facts; its row lock keeps
    any re-claim out until that transaction ends.
    """
    row = await conn.fetchrow(
        f"""
        UPDATE extraction_tasks t SET status = 'completed', finished_at = now(), due_at = now(),
            lease_token = NULL, counts = $3, skipped_reason = $4
        WHERE t.id = $1 AND t.lease_token = $2 AND t.status = 'processing'
        RETURNING {rows.TASK_COLUMNS}
        """,
        claim.task.id,
        claim.lease_token,
        counts.as_json(),
        skipped_reason,
    )
    return rows.task(row) if row else None


async def record_failure(
    conn: Connection, claim: ClaimedTask, error: str, retry_at: datetime | None
) -> ExtractionTask | None:
    """Records a failed attempt, fenced: back to pending until retry_at, or failed when retry_at is None."""
    row = await conn.fetchrow(
        f"""
        UPDATE extraction_tasks t SET
            status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
            finished_at = CASE WHEN $4::timestamptz IS NULL THEN now() END,
            due_at = COALESCE($4, now()),
            lease_token = NULL,
            last_error = $3
        WHERE t.id = $1 AND t.lease_token = $2 AND t.status = 'processing'
        RETURNING {rows.TASK_COLUMNS}
        """,
        claim.task.id,
        claim.lease_token,
        error,
        retry_at,
    )
    return rows.task(row) if row else None


async def fail_expired(conn: Connection) -> list[ExtractionTask]:
    """Fails tasks whose last attempt's lease expired (the worker died on the last try)."""
    records = await conn.fetch(
        f"""
        UPDATE extraction_tasks t SET status = 'failed', finished_at = now(), lease_token = NULL,
            last_error = 'lease expired on the last attempt: the worker stopped responding'
        WHERE t.status = 'processing' AND t.due_at <= now() AND t.attempts >= t.max_attempts
        RETURNING {rows.TASK_COLUMNS}
        """
    )
    return [rows.task(r) for r in records]


async def next_due_in(conn: Connection) -> float | None:
    """Seconds until the next pending or leased task is due (None when the queue is empty)."""
    value = await conn.fetchval(
        """SELECT EXTRACT(EPOCH FROM (min(due_at) - now())) FROM extraction_tasks
           WHERE status IN ('pending', 'processing')"""
    )
    return max(0.0, float(value)) if value is not None else None


async def stats(conn: Connection) -> QueueStats:
    row = one(
        await conn.fetchrow(
            """
        SELECT
            count(*) FILTER (WHERE status = 'pending') AS pending,
            count(*) FILTER (WHERE status = 'processing') AS processing,
            count(*) FILTER (WHERE status = 'completed') AS completed,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)
                AS oldest_pending_age,
            COALESCE(EXTRACT(EPOCH FROM avg(finished_at - started_at)
                FILTER (WHERE status = 'completed' AND finished_at > now() - interval '1 hour')), 0)
                AS average_duration
        FROM extraction_tasks
        """
        )
    )
    return QueueStats(
        pending=row["pending"],
        processing=row["processing"],
        completed=row["completed"],
        failed=row["failed"],
        oldest_pending_age_seconds=float(row["oldest_pending_age"]),
        average_duration_seconds=float(row["average_duration"]),
    )
