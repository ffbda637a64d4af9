"""SQL for the extraction queue: enqueue, claim with SKIP LOCKED, leases, fenced results, requeue, stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.domain import ClaimedTask, ExtractionCounts, ExtractionTask, QueueStats, TaskStatus, Turn

TASKS_CHANNEL = "memory_tasks"
# GetQueueStats' mean duration looks at the last tasks completed, not all of the last hour's.
DURATION_SAMPLE = 1000


async def get(conn: Connection, task_id: UUID, user_id: str | None = None) -> ExtractionTask | None:
    row = await conn.fetchrow(
        f"""SELECT {rows.TASK_COLUMNS} FROM extraction_tasks t
            WHERE t.id = $1 AND ($2::text IS NULL OR t.user_id = $2)""",
        task_id,
        user_id,
    )
    return rows.task(row) if row else None


async def get_by_request_id(conn: Connection, user_id: str, request_id: str) -> ExtractionTask | None:
    row = await conn.fetchrow(
        f"SELECT {rows.TASK_COLUMNS} FROM extraction_tasks t WHERE t.user_id = $1 AND t.request_id = $2",
        user_id,
        request_id,
    )
    return rows.task(row) if row else None


async def insert(conn: Connection, turn: Turn, *, request_id: str | None, max_attempts: int) -> ExtractionTask:
    """Queues a task and wakes listening workers at commit; while the event relay is busy, it wakes them instead."""
    row = one(
        await conn.fetchrow(
            f"""
        WITH t AS (
            INSERT INTO extraction_tasks (user_id, agent_id, user_message, ai_response, request_id, max_attempts,
                                          occurred_at, session_id)
            VALUES ($1, $2, $3, $4, $5, $6, COALESCE($8, now()), $9)
            RETURNING *
        )
        SELECT {rows.TASK_COLUMNS},
               (SELECT pg_notify($7, t.id::text) WHERE NOT (SELECT relay_busy FROM memory_event_log))
        FROM t
        """,
            turn.user_id,
            turn.agent_id,
            turn.user_message,
            turn.ai_response,
            request_id,
            max_attempts,
            TASKS_CHANNEL,
            turn.occurred_at,
            turn.session_id,
        )
    )
    return rows.task(row)


async def claim(conn: Connection, *, limit: int, lease_seconds: float, worker_id: str) -> list[ClaimedTask]:
    """Claims due tasks: pending ones, and processing ones whose lease expired (their worker is presumed dead).

    Only the first unfinished turn of each user, in the order the turns were said
    (occurred_at, then arrival), is claimable: one user's turns are applied one at
    a time and in order, so a later "I moved to Paris" wins. Each claim gets a new
    lease token; results are only written under it. The claim charges an attempt;
    tasks whose charged attempts are spent are left to fail_expired().
    """
    records = await conn.fetch(
        f"""
        WITH due AS (
            SELECT t.id FROM extraction_tasks t
            WHERE t.status IN ('pending', 'processing') AND t.due_at <= now()
              AND t.charged_attempts < t.max_attempts
              AND NOT EXISTS (
                  SELECT 1 FROM extraction_tasks earlier
                  WHERE earlier.user_id = t.user_id AND earlier.status IN ('pending', 'processing')
                    AND (earlier.occurred_at, earlier.created_at, earlier.id) < (t.occurred_at, t.created_at, t.id)
              )
            ORDER BY t.due_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE extraction_tasks t SET
            last_error = CASE WHEN t.status = 'processing'
                              THEN 'lease expired: the worker stopped responding' ELSE t.last_error END,
            error_reason = CASE WHEN t.status = 'processing' THEN 'LEASE_EXPIRED' ELSE t.error_reason END,
            status = 'processing',
            attempts = t.attempts + 1,
            charged_attempts = t.charged_attempts + 1,
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

    Runs in the transaction that writes the task's facts, after lock_user(); its row
    lock keeps any re-claim out until that transaction ends.
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
    conn: Connection,
    claim: ClaimedTask,
    *,
    error: str,
    reason: str,
    retry_at: datetime | None,
    charged: bool,
    give_up_at: datetime | None,
) -> ExtractionTask | None:
    """Records a failed attempt, fenced: back to pending until retry_at, or failed when retry_at is None.

    An uncharged attempt (a dependency was unavailable) gives its charge back.
    """
    row = await conn.fetchrow(
        f"""
        UPDATE extraction_tasks t SET
            status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
            finished_at = CASE WHEN $4::timestamptz IS NULL THEN now() END,
            due_at = COALESCE($4, now()),
            lease_token = NULL,
            last_error = $3,
            error_reason = $5,
            charged_attempts = CASE WHEN $6 THEN t.charged_attempts ELSE t.charged_attempts - 1 END,
            give_up_at = $7
        WHERE t.id = $1 AND t.lease_token = $2 AND t.status = 'processing'
        RETURNING {rows.TASK_COLUMNS}
        """,
        claim.task.id,
        claim.lease_token,
        error,
        retry_at,
        reason,
        charged,
        give_up_at,
    )
    return rows.task(row) if row else None


async def release(conn: Connection, claim: ClaimedTask) -> ExtractionTask | None:
    """Gives a claimed task back unfinished (worker shutdown): pending now, the attempt not spent."""
    row = await conn.fetchrow(
        f"""
        WITH t AS (
            UPDATE extraction_tasks t SET status = 'pending', due_at = now(), lease_token = NULL, worker_id = NULL,
                attempts = t.attempts - 1, charged_attempts = t.charged_attempts - 1
            WHERE t.id = $1 AND t.lease_token = $2 AND t.status = 'processing'
            RETURNING *
        )
        SELECT {rows.TASK_COLUMNS}, pg_notify($3, t.id::text) FROM t
        """,
        claim.task.id,
        claim.lease_token,
        TASKS_CHANNEL,
    )
    return rows.task(row) if row else None


async def fail_expired(conn: Connection) -> list[ExtractionTask]:
    """Fails tasks whose last charged attempt's lease expired (the worker died on the last try)."""
    records = await conn.fetch(
        f"""
        UPDATE extraction_tasks t SET status = 'failed', finished_at = now(), lease_token = NULL,
            last_error = 'lease expired on the last attempt: the worker stopped responding',
            error_reason = 'LEASE_EXPIRED'
        WHERE t.status = 'processing' AND t.due_at <= now() AND t.charged_attempts >= t.max_attempts
        RETURNING {rows.TASK_COLUMNS}
        """
    )
    return [rows.task(r) for r in records]


async def requeue(conn: Connection, *, user_id: str | None, task_ids: Sequence[UUID] | None) -> list[ExtractionTask]:
    """Queues failed tasks again with a fresh attempt budget; other tasks are left as they are."""
    records = await conn.fetch(
        f"""
        WITH t AS (
            UPDATE extraction_tasks t SET status = 'pending', due_at = now(), finished_at = NULL, lease_token = NULL,
                charged_attempts = 0, give_up_at = NULL
            WHERE t.status = 'failed'
              AND ($1::text IS NULL OR t.user_id = $1)
              AND ($2::uuid[] IS NULL OR t.id = ANY($2))
            RETURNING *
        )
        SELECT {rows.TASK_COLUMNS}, pg_notify($3, t.id::text) FROM t ORDER BY t.occurred_at, t.created_at
        """,
        user_id,
        list(task_ids) if task_ids is not None else None,
        TASKS_CHANNEL,
    )
    return [rows.task(r) for r in records]


async def list_page(
    conn: Connection,
    *,
    user_id: str | None,
    statuses: Sequence[TaskStatus],
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[ExtractionTask]:
    """Tasks newest first after a (created_at, id) keyset cursor."""
    records = await conn.fetch(
        f"""
        SELECT {rows.TASK_COLUMNS} FROM extraction_tasks t
        WHERE ($1::text IS NULL OR t.user_id = $1)
          AND (cardinality($2::text[]) = 0 OR t.status = ANY($2))
          AND ($3::timestamptz IS NULL OR (t.created_at, t.id) < ($3, $4::uuid))
        ORDER BY t.created_at DESC, t.id DESC
        LIMIT $5
        """,
        user_id,
        [s.value for s in statuses],
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [rows.task(r) for r in records]


async def next_due_in(conn: Connection) -> float | None:
    """Seconds until the next task becomes due (a retry's backoff ends, a lease expires); None when none waits.

    Only future due times: a task due now that this worker could not claim is
    locked by another worker or waits behind its user's earlier turn, and the
    worker must not spin on it.
    """
    value = await conn.fetchval(
        """SELECT EXTRACT(EPOCH FROM (min(due_at) - now())) FROM extraction_tasks
           WHERE status IN ('pending', 'processing') AND due_at > now()"""
    )
    return max(0.0, float(value)) if value is not None else None


async def stats(conn: Connection, user_id: str | None = None) -> QueueStats:
    """Queue counts: from the sharded counters for the whole queue (no count of the table), by index for one user."""
    if user_id is None:
        counts = {
            r["status"]: int(r["tasks"])
            for r in await conn.fetch("SELECT status, sum(tasks) AS tasks FROM extraction_task_counts GROUP BY status")
        }
    else:
        counts = {
            r["status"]: int(r["tasks"])
            for r in await conn.fetch(
                "SELECT status, count(*) AS tasks FROM extraction_tasks WHERE user_id = $1 GROUP BY status", user_id
            )
        }
    row = one(
        await conn.fetchrow(
            f"""
        SELECT
            COALESCE((SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM extraction_tasks
                      WHERE status = 'pending' AND ($1::text IS NULL OR user_id = $1)), 0) AS oldest_pending_age,
            COALESCE((SELECT EXTRACT(EPOCH FROM avg(finished_at - started_at)) FROM (
                SELECT finished_at, started_at FROM extraction_tasks
                WHERE status = 'completed' AND finished_at > now() - interval '1 hour'
                  AND ($1::text IS NULL OR user_id = $1)
                ORDER BY finished_at DESC LIMIT {DURATION_SAMPLE}) AS recent), 0) AS average_duration
        """,
            user_id,
        )
    )
    return QueueStats(
        pending=counts.get("pending", 0),
        processing=counts.get("processing", 0),
        completed=counts.get("completed", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        oldest_pending_age_seconds=float(row["oldest_pending_age"]),
        average_duration_seconds=float(row["average_duration"]),
    )


async def skip(conn: Connection, claim: ClaimedTask, reason: str) -> ExtractionTask | None:
    """Ends a claimed task without running it (extraction turned off), fenced; its turn is emptied."""
    row = await conn.fetchrow(
        f"""
        UPDATE extraction_tasks t SET status = 'skipped', finished_at = now(), due_at = now(), lease_token = NULL,
            skipped_reason = $3, user_message = '', ai_response = ''
        WHERE t.id = $1 AND t.lease_token = $2 AND t.status = 'processing'
        RETURNING {rows.TASK_COLUMNS}
        """,
        claim.task.id,
        claim.lease_token,
        reason,
    )
    return rows.task(row) if row else None


async def skip_pending(conn: Connection, user_id: str, reason: str) -> list[ExtractionTask]:
    """Ends a user's waiting turns without running them; their words are emptied at once."""
    records = await conn.fetch(
        f"""
        UPDATE extraction_tasks t SET status = 'skipped', finished_at = now(), due_at = now(),
            skipped_reason = $2, user_message = '', ai_response = ''
        WHERE t.user_id = $1 AND t.status = 'pending'
        RETURNING {rows.TASK_COLUMNS}
        """,
        user_id,
        reason,
    )
    return [rows.task(r) for r in records]


async def empty_finished_texts(conn: Connection, *, finished_before_seconds: float, failed_before_days: float) -> int:
    """Empties the raw turns of finished tasks past their grace period (failed ones are kept longer, to requeue).

    In batches that skip rows other transactions hold, so the sweep never waits on or deadlocks with a worker.
    """
    status: str = await conn.execute(
        """
        UPDATE extraction_tasks SET user_message = '', ai_response = ''
        WHERE id IN (
            SELECT id FROM extraction_tasks
            WHERE user_message <> ''
              AND ((status IN ('completed', 'skipped') AND finished_at < now() - make_interval(secs => $1))
                OR (status = 'failed' AND finished_at < now() - make_interval(secs => $2)))
            LIMIT 1000 FOR UPDATE SKIP LOCKED)
        """,
        finished_before_seconds,
        failed_before_days * 86400,
    )
    return int(status.split()[-1])


async def delete_finished(conn: Connection, *, older_than_days: float) -> int:
    """Deletes tasks finished longer ago than the retention (a batch; the next round continues)."""
    status: str = await conn.execute(
        """
        DELETE FROM extraction_tasks WHERE id IN (
            SELECT id FROM extraction_tasks
            WHERE status IN ('completed', 'skipped', 'failed') AND finished_at < now() - make_interval(secs => $1)
            LIMIT 1000 FOR UPDATE SKIP LOCKED)
        """,
        older_than_days * 86400,
    )
    return int(status.split()[-1])


async def empty_texts_older_than(conn: Connection, user_id: str, days: int) -> int:
    """A user's retention: no raw turn of theirs is kept longer than it, finished or not."""
    status: str = await conn.execute(
        """UPDATE extraction_tasks SET user_message = '', ai_response = ''
           WHERE user_id = $1 AND created_at < now() - make_interval(days => $2)
             AND (user_message <> '' OR ai_response <> '')""",
        user_id,
        days,
    )
    return int(status.split()[-1])
