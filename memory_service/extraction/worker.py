"""The extraction worker: claims due tasks, plans, writes results under a fenced lease, retries by failure class.

Coordination is the database's alone: SKIP LOCKED claims, lease deadlines that
heartbeats push forward, and a lease token that every result write must match.
A worker that dies loses nothing (its lease expires and another claims the task);
a worker presumed dead that wakes up later writes nothing (its token is stale);
a worker shut down gracefully gives its unfinished tasks back without spending
their attempts. Tasks of one user run one at a time, in the order the turns
were said.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from memory_service.config import WorkerSettings
from memory_service.db import Connection, Database
from memory_service.db import events as events_sql
from memory_service.db import facts as facts_sql
from memory_service.db import system_settings as settings_sql
from memory_service.db import tasks as tasks_sql
from memory_service.db import users as users_sql
from memory_service.db.listener import listening
from memory_service.domain import (
    EXTRACTION_OFF,
    ClaimedTask,
    EventType,
    ExtractionPlan,
    ExtractionTask,
    FactChangeType,
    PlannedAction,
    PlannedChange,
)
from memory_service.extraction.failures import Failure, FailureKind, PlanKeptGoingStale, classify_failure
from memory_service.extraction.maintenance import Maintenance
from memory_service.extraction.planner import ExtractionPlanner
from memory_service.observability import metrics

log = logging.getLogger(__name__)

# A plan read facts that a manual edit changed before the plan was written: plan again, this many times.
PLAN_ROUNDS = 3
# Retry-After beyond this is not believed (a misconfigured proxy must not park a turn for days).
MAX_RETRY_AFTER_SECONDS = 3600.0


class LeaseLost(Exception):
    """Another worker holds the task now; this attempt must write nothing."""


class _StalePlan(Exception):
    """A fact the plan was made from changed since; the transaction rolls back and the turn is planned again."""


def retry_delay(attempt: int, base_seconds: float, max_seconds: float = float("inf")) -> float:
    """Exponential backoff with jitter: base·2^(attempt-1), stretched by up to half again, capped.

    The jitter spreads retries of tasks that failed together; since it only
    stretches, the gap after attempt n+1 is never shorter than after attempt n.
    """
    return float(min(base_seconds * 2.0 ** (attempt - 1) * (1 + random.random() * 0.5), max_seconds))


class Worker:
    def __init__(
        self,
        db: Database,
        planner: ExtractionPlanner,
        settings: WorkerSettings,
        maintenance: Maintenance | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self._db = db
        self._planner = planner
        self._settings = settings
        self._maintenance = maintenance
        self.worker_id = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def run(self, stop: asyncio.Event, *, grace_seconds: float = 10.0) -> None:
        """Works until `stop` is set, then gives in-flight tasks grace_seconds and gives back the rest."""
        log.info("worker started", extra={"worker_id": self.worker_id, "concurrency": self._settings.concurrency})
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(
                listening(
                    self._db, tasks_sql.TASKS_CHANNEL, lambda _payload: self._wake.set(), on_reconnect=self._wake.set
                )
            )
            if self._maintenance is not None:
                await stack.enter_async_context(self._maintenance.running())
            try:
                await self._claim_loop(stop)
            finally:
                await self._drain(grace_seconds)
        log.info("worker stopped", extra={"worker_id": self.worker_id})

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        stop_waiter = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                free = self._settings.concurrency - len(self._running)
                if free <= 0:
                    # Slots full: a finishing task wakes us; no query until then.
                    await self._sleep(stop_waiter, self._settings.poll_seconds)
                    continue
                claimed: list[ClaimedTask] = []
                timeout = self._settings.poll_seconds
                try:
                    claimed, due_in = await self._claim(free)
                    if due_in is not None:
                        timeout = min(timeout, due_in + 0.01)
                except Exception as exc:  # database down: wait and try again; nothing is lost
                    log.warning("claim failed", extra={"error": type(exc).__name__})
                for claim in claimed:
                    task = asyncio.create_task(self._process(claim), name=f"extract-{claim.task.id}")
                    self._running.add(task)
                    task.add_done_callback(self._task_done)
                if len(claimed) == free:
                    continue  # there may be more due right now
                await self._sleep(stop_waiter, timeout)
        finally:
            stop_waiter.cancel()

    async def _sleep(self, stop_waiter: asyncio.Task[bool], seconds: float) -> None:
        """Until a notification (new task, free slot), stop, or timeout."""
        wake = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({wake, stop_waiter}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
        self._wake.clear()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free

    async def _claim(self, limit: int) -> tuple[list[ClaimedTask], float | None]:
        """Claims up to limit tasks; when fewer came, also when the next one becomes due (one round trip less)."""
        async with self._db.transaction() as conn:
            claimed = await tasks_sql.claim(
                conn, limit=limit, lease_seconds=self._settings.lease_seconds, worker_id=self.worker_id
            )
            due_in = await tasks_sql.next_due_in(conn) if len(claimed) < limit else None
            await events_sql.append(
                conn,
                [
                    events_sql.NewEvent(c.task.user_id, c.task.agent_id, c.task.id, EventType.PROCESSING, c.attempt)
                    for c in claimed
                ],
            )
        return claimed, due_in

    async def _drain(self, grace_seconds: float) -> None:
        """Lets tasks in flight finish within the grace period, then gives the rest back."""
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
        self._stopping = True
        for task in pending:
            task.cancel()
        if pending:
            log.info("giving unfinished tasks back at shutdown", extra={"count": len(pending)})
            await asyncio.wait(pending, timeout=10)

    async def _process(self, claim: ClaimedTask) -> None:
        started = time.perf_counter()
        work = asyncio.create_task(self._plan_and_write(claim))
        heartbeat = asyncio.create_task(self._heartbeat(claim, work))
        try:
            outcome = await work
            metrics.extraction_duration.labels(outcome).observe(time.perf_counter() - started)
        except LeaseLost:
            log.warning("lease lost; the attempt wrote nothing", extra={"task_id": str(claim.task.id)})
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                if self._stopping:
                    await asyncio.shield(self._release(claim))
                raise
            log.warning("lease lost; the attempt was stopped", extra={"task_id": str(claim.task.id)})
        except Exception as exc:
            outcome = await self._record_failure(claim, exc)
            metrics.extraction_duration.labels(outcome).observe(time.perf_counter() - started)
        finally:
            heartbeat.cancel()
            work.cancel()

    async def _plan_and_write(self, claim: ClaimedTask) -> str:
        """The attempt's outcome: "completed" or "skipped"."""
        task = claim.task
        for _ in range(PLAN_ROUNDS):
            plan = await self._planner.plan(task.turn, task_id=task.id)
            try:
                return await self._write(claim, plan)
            except _StalePlan:
                log.info("a fact changed while the turn was planned; planning again", extra={"task_id": str(task.id)})
            except settings_sql.ActiveModelChanged:
                await self._planner.reload_embedder()  # the vectors were of the model just switched from
        raise PlanKeptGoingStale(f"the user's facts kept changing while the turn was applied ({PLAN_ROUNDS} plans)")

    async def _write(self, claim: ClaimedTask, plan: ExtractionPlan) -> str:
        counts = plan.counts
        task = claim.task
        async with self._db.transaction() as conn:
            await facts_sql.lock_user(conn, task.user_id)
            settings = await users_sql.get_settings(conn, task.user_id)
            if settings is not None and not settings.extraction_enabled:
                await self._skip(conn, claim)  # turned off while the turn was planned: store nothing
                return "skipped"
            done = await tasks_sql.complete(conn, claim, counts, plan.skipped_reason)
            if done is None:
                raise LeaseLost()  # rolls back: nothing of this attempt is written
            for model in {change.draft.embedding_model for change in plan.changes if change.draft is not None}:
                await settings_sql.require_active_model(conn, model)
            for change in plan.changes:
                if not await apply_change(conn, change, task):
                    raise _StalePlan()  # rolls back: the plan is made again from what the facts say now
            payload: dict[str, object] = {"counts": counts.as_json()}
            if plan.skipped_reason:
                payload["skipped_reason"] = plan.skipped_reason
            await events_sql.append(
                conn,
                [
                    events_sql.NewEvent(
                        done.user_id, done.agent_id, done.id, EventType.COMPLETED, claim.attempt, payload
                    )
                ],
            )
        log.info("task completed", extra={"task_id": str(done.id), "attempt": claim.attempt, **counts.as_json()})
        return "completed"

    async def _skip(self, conn: Connection, claim: ClaimedTask) -> None:
        skipped = await tasks_sql.skip(conn, claim, EXTRACTION_OFF)
        if skipped is None:
            raise LeaseLost()
        event = events_sql.NewEvent(
            skipped.user_id,
            skipped.agent_id,
            skipped.id,
            EventType.SKIPPED,
            claim.attempt,
            {"skipped_reason": EXTRACTION_OFF},
        )
        await events_sql.append(conn, [event])
        log.info("task skipped: extraction is off for its user", extra={"task_id": str(skipped.id)})

    async def _heartbeat(self, claim: ClaimedTask, work: asyncio.Task[str]) -> None:
        """Pushes the lease forward while the work runs; stops the work when the lease is lost."""
        interval = self._settings.lease_seconds / 3
        while not work.done():
            await asyncio.sleep(interval)
            try:
                async with self._db.connection() as conn:
                    held = await tasks_sql.extend_lease(conn, claim, self._settings.lease_seconds)
            except Exception as exc:  # cannot reach the database: the lease may lapse, fencing keeps it safe
                log.warning("heartbeat failed", extra={"task_id": str(claim.task.id), "error": type(exc).__name__})
                continue
            if not held:
                work.cancel()
                return

    async def _release(self, claim: ClaimedTask) -> None:
        """Shutdown: the task goes back to pending at once, its attempt not spent, for another worker."""
        try:
            async with self._db.transaction() as conn:
                task = await tasks_sql.release(conn, claim)
                if task is not None:
                    await events_sql.append(
                        conn,
                        [events_sql.NewEvent(task.user_id, task.agent_id, task.id, EventType.RELEASED, claim.attempt)],
                    )
        except Exception as exc:  # the lease will expire instead; fencing keeps that safe
            log.warning(
                "could not give a task back", extra={"task_id": str(claim.task.id), "error": type(exc).__name__}
            )

    async def _record_failure(self, claim: ClaimedTask, exc: BaseException) -> str:
        """Records the failed attempt; returns "failed" or "retrying"."""
        failure = classify_failure(exc)
        metrics.extraction_failures.labels(failure.reason).inc()
        if failure.reason == "INTERNAL":
            log.exception("extraction attempt crashed", extra={"task_id": str(claim.task.id)})
        outcome = self._outcome(claim.task, failure, datetime.now(UTC))
        try:
            async with self._db.transaction() as conn:
                task = await tasks_sql.record_failure(
                    conn,
                    claim,
                    error=outcome.error,
                    reason=outcome.reason,
                    retry_at=outcome.retry_at,
                    charged=failure.kind is not FailureKind.UNAVAILABLE,
                    give_up_at=outcome.give_up_at,
                )
                if task is None:
                    return "lease_lost"  # the new holder owns the outcome
                payload: dict[str, object] = {"error": outcome.error, "error_reason": outcome.reason}
                if outcome.retry_at is not None:
                    payload["retry_at"] = outcome.retry_at.isoformat()
                kind = EventType.FAILED if outcome.retry_at is None else EventType.RETRYING
                await events_sql.append(
                    conn, [events_sql.NewEvent(task.user_id, task.agent_id, task.id, kind, claim.attempt, payload)]
                )
        except Exception as db_exc:  # the lease will expire and the task be re-claimed
            log.warning(
                "could not record a failed attempt",
                extra={"task_id": str(claim.task.id), "error": type(db_exc).__name__},
            )
            return "unrecorded"
        log.warning(
            "task failed" if outcome.retry_at is None else "attempt failed; will retry",
            extra={
                "task_id": str(claim.task.id),
                "attempt": claim.attempt,
                "error_reason": outcome.reason,
                "retry_in_s": round((outcome.retry_at - datetime.now(UTC)).total_seconds(), 1)
                if outcome.retry_at
                else None,
            },
        )
        return "failed" if outcome.retry_at is None else "retrying"

    def _outcome(self, task: ExtractionTask, failure: Failure, now: datetime) -> _Outcome:
        """When to retry (None: fail now), and with what error, for a failure of this task's latest attempt."""
        settings = self._settings
        if failure.kind is FailureKind.PERMANENT:
            return _Outcome(failure.message, failure.reason, None, task.give_up_at)
        if failure.kind is FailureKind.UNAVAILABLE:
            give_up_at = task.give_up_at or now + timedelta(seconds=settings.retry_budget_seconds)
            if now >= give_up_at:
                budget = timedelta(seconds=round(settings.retry_budget_seconds))
                return _Outcome(
                    f"gave up after {budget} of retries: {failure.message}", "RETRY_BUDGET_SPENT", None, give_up_at
                )
            delay = retry_delay(task.attempts, settings.retry_base_seconds, settings.retry_max_seconds)
            if failure.retry_after is not None:
                delay = max(delay, min(failure.retry_after, MAX_RETRY_AFTER_SECONDS))
            return _Outcome(
                failure.message, failure.reason, min(now + timedelta(seconds=delay), give_up_at), give_up_at
            )
        if task.charged_attempts >= task.max_attempts:
            return _Outcome(failure.message, failure.reason, None, task.give_up_at)
        delay = retry_delay(task.charged_attempts, settings.retry_base_seconds, settings.retry_max_seconds)
        return _Outcome(failure.message, failure.reason, now + timedelta(seconds=delay), task.give_up_at)


@dataclass(frozen=True)
class _Outcome:
    error: str
    reason: str
    retry_at: datetime | None  # None: the task fails now
    give_up_at: datetime | None


async def apply_change(conn: Connection, change: PlannedChange, task: ExtractionTask) -> bool:
    """Writes one planned change inside the task's transaction; False when a fact it was planned on changed.

    The plan was made outside the transaction (LLM calls take seconds): a fact
    edited or closed since then makes the plan stale, and a manual edit is never
    overwritten. A turn said before a fact became true never closes that fact:
    the turn's statement is stored as the version before it instead.
    """
    existing = change.existing
    if change.action is PlannedAction.SKIP_DUPLICATE:
        return existing is None or await facts_sql.is_unchanged(conn, existing)
    newer = existing is not None and existing.valid_from > task.occurred_at
    if change.action is PlannedAction.SUPERSEDE:
        assert existing is not None
        if newer:
            return await facts_sql.is_unchanged(conn, existing)
        closed = await facts_sql.close(
            conn,
            existing.user_id,
            existing.id,
            FactChangeType.INVALIDATED,
            expected_updated_at=existing.updated_at,
            valid_to=task.occurred_at,
            task_id=task.id,
        )
        return closed is not None
    assert change.draft is not None
    supersedes: UUID | None = None
    if change.action is PlannedAction.UPDATE and existing is not None:
        if newer:
            if not await facts_sql.is_unchanged(conn, existing):
                return False
            await facts_sql.insert_closed(conn, change.draft, valid_to=existing.valid_from)
            return True
        closed = await facts_sql.close(
            conn,
            existing.user_id,
            existing.id,
            FactChangeType.SUPERSEDED,
            expected_updated_at=existing.updated_at,
            valid_to=task.occurred_at,
            replaced_by_text=change.draft.text,
            task_id=task.id,
        )
        if closed is None:
            return False
        supersedes = closed.id
    await facts_sql.insert_current(conn, change.draft, supersedes=supersedes)
    return True
