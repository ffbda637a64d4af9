"""The extraction worker: claims due tasks, plans, writes results under a fenced lease, retries with backoff.

Coordination is the database's alone: SKIP LOCKED claims, lease deadlines that
heartbeats push forward, and a lease token that every result write must match.
A worker that dies loses nothing (its lease expires and another claims the task);
a worker presumed dead that wakes up later writes nothing (its token is stale).
Tasks of one user run one at a time, oldest first, so later turns win.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from datetime import UTC, datetime, timedelta
from uuid import UUID

from memory_service.config import WorkerSettings
from memory_service.db import Connection, Database
from memory_service.db import events as events_sql
from memory_service.db import facts as facts_sql
from memory_service.db import tasks as tasks_sql
from memory_service.db.listener import listening
from memory_service.domain import (
    ClaimedTask,
    EventType,
    ExtractionPlan,
    FactChangeType,
    PlannedAction,
    PlannedChange,
)
from memory_service.errors import MemoryServiceError
from memory_service.extraction.maintenance import Maintenance
from memory_service.extraction.planner import ExtractionPlanner
from memory_service.llm.chat import LlmError

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker holds the task now; this attempt must write nothing."""


def retry_delay(attempt: int, base_seconds: float) -> float:
    """Exponential backoff with jitter: base·2^(attempt-1), stretched by up to half again.

    The jitter spreads retries of tasks that failed together; since it only
    stretches, the gap after attempt n+1 is always longer than after attempt n.
    """
    return float(base_seconds * 2.0 ** (attempt - 1) * (1 + random.random() * 0.5))


def describe_failure(exc: BaseException) -> str:
    """What a failed attempt stores: safe to show, no credentials, no user text."""
    if isinstance(exc, LlmError | MemoryServiceError):
        return str(exc)
    return f"internal error ({type(exc).__name__})"


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

    async def run(self, stop: asyncio.Event, *, grace_seconds: float = 10.0) -> None:
        """Works until `stop` is set, then gives in-flight tasks grace_seconds before abandoning them.

        An abandoned task keeps its lease until it expires; then another worker claims it.
        """
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
                claimed: list[ClaimedTask] = []
                if free > 0:
                    try:
                        claimed = await self._claim(free)
                    except Exception as exc:  # database down: wait and try again; nothing is lost
                        log.warning("claim failed", extra={"error": type(exc).__name__})
                for claim in claimed:
                    task = asyncio.create_task(self._process(claim), name=f"extract-{claim.task.id}")
                    self._running.add(task)
                    task.add_done_callback(self._task_done)
                if free > 0 and len(claimed) == free:
                    continue  # there may be more due right now
                await self._sleep_until_work(stop_waiter)
        finally:
            stop_waiter.cancel()

    async def _sleep_until_work(self, stop_waiter: asyncio.Task[bool]) -> None:
        timeout = self._settings.poll_seconds
        with contextlib.suppress(Exception):
            async with self._db.connection() as conn:
                due_in = await tasks_sql.next_due_in(conn)
            if due_in is not None:
                timeout = min(timeout, due_in + 0.01)
        wake = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({wake, stop_waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
        self._wake.clear()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free

    async def _claim(self, limit: int) -> list[ClaimedTask]:
        async with self._db.transaction() as conn:
            claimed = await tasks_sql.claim(
                conn, limit=limit, lease_seconds=self._settings.lease_seconds, worker_id=self.worker_id
            )
            await events_sql.append(
                conn,
                [
                    events_sql.NewEvent(c.task.user_id, c.task.agent_id, c.task.id, EventType.PROCESSING, c.attempt)
                    for c in claimed
                ],
            )
        return claimed

    async def _drain(self, grace_seconds: float) -> None:
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("abandoned tasks at shutdown; their leases will expire", extra={"count": len(pending)})
            await asyncio.wait(pending, timeout=5)

    async def _process(self, claim: ClaimedTask) -> None:
        work = asyncio.create_task(self._plan_and_write(claim))
        heartbeat = asyncio.create_task(self._heartbeat(claim, work))
        try:
            await work
        except LeaseLost:
            log.warning("lease lost; the attempt wrote nothing", extra={"task_id": str(claim.task.id)})
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # shutdown: the lease will expire and another worker takes over
            log.warning("lease lost; the attempt was stopped", extra={"task_id": str(claim.task.id)})
        except Exception as exc:
            await self._record_failure(claim, exc)
        finally:
            heartbeat.cancel()
            work.cancel()

    async def _plan_and_write(self, claim: ClaimedTask) -> None:
        task = claim.task
        plan = await self._planner.plan(task.turn, task_id=task.id)
        await self._write(claim, plan)

    async def _write(self, claim: ClaimedTask, plan: ExtractionPlan) -> None:
        counts = plan.counts
        async with self._db.transaction() as conn:
            done = await tasks_sql.complete(conn, claim, counts, plan.skipped_reason)
            if done is None:
                raise LeaseLost()  # rolls back: nothing of this attempt is written
            for change in plan.changes:
                await apply_change(conn, change, claim.task.id)
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

    async def _heartbeat(self, claim: ClaimedTask, work: asyncio.Task[None]) -> None:
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

    async def _record_failure(self, claim: ClaimedTask, exc: BaseException) -> None:
        error = describe_failure(exc)
        if not isinstance(exc, LlmError | MemoryServiceError):
            log.exception("extraction attempt crashed", extra={"task_id": str(claim.task.id)})
        final = claim.attempt >= claim.task.max_attempts
        retry_at = (
            None
            if final
            else datetime.now(UTC) + timedelta(seconds=retry_delay(claim.attempt, self._settings.retry_base_seconds))
        )
        try:
            async with self._db.transaction() as conn:
                task = await tasks_sql.record_failure(conn, claim, error, retry_at)
                if task is None:
                    return  # lease lost meanwhile: the new holder owns the outcome
                payload: dict[str, object] = {"error": error}
                if retry_at is not None:
                    payload["retry_at"] = retry_at.isoformat()
                kind = EventType.FAILED if final else EventType.RETRYING
                await events_sql.append(
                    conn, [events_sql.NewEvent(task.user_id, task.agent_id, task.id, kind, claim.attempt, payload)]
                )
        except Exception as db_exc:  # the lease will expire and the task be re-claimed
            log.warning(
                "could not record a failed attempt",
                extra={"task_id": str(claim.task.id), "error": type(db_exc).__name__},
            )
            return
        log.warning(
            "task failed" if final else "attempt failed; will retry",
            extra={"task_id": str(claim.task.id), "attempt": claim.attempt, "error": error},
        )


async def apply_change(conn: Connection, change: PlannedChange, task_id: UUID) -> None:
    """Writes one planned change (inside the task's transaction)."""
    if change.action is PlannedAction.SKIP_DUPLICATE:
        return
    if change.action is PlannedAction.SUPERSEDE:
        assert change.existing is not None
        await facts_sql.close(
            conn, change.existing.user_id, change.existing.id, FactChangeType.INVALIDATED, task_id=task_id
        )
        return
    assert change.draft is not None
    supersedes = None
    if change.action is PlannedAction.UPDATE and change.existing is not None:
        closed = await facts_sql.close(
            conn,
            change.existing.user_id,
            change.existing.id,
            FactChangeType.SUPERSEDED,
            replaced_by_text=change.draft.text,
            task_id=task_id,
        )
        supersedes = closed.id if closed is not None else None
    await facts_sql.insert_current(conn, change.draft, supersedes=supersedes)
