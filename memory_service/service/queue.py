"""Use cases of operating the extraction queue: list tasks, queue failed ones again, counts."""

from __future__ import annotations

from collections.abc import Sequence

from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import tasks as tasks_sql
from memory_service.domain import EventType, ExtractionTask, Page, QueueStats, TaskStatus
from memory_service.service.page_tokens import decode_token, encode_token, query_fingerprint
from memory_service.validation import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RequestChecker

MAX_REQUEUE = 1000


class QueueService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_page(
        self, user_id: str, statuses: Sequence[TaskStatus], *, page_size: int, page_token: str
    ) -> Page[ExtractionTask]:
        check = RequestChecker()
        check.identifier("user_id", user_id, required=False)
        size = check.bounded_count("page_size", page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE, clamp=True)
        check.raise_if_invalid()
        fingerprint = query_fingerprint("tasks", user_id, sorted(s.value for s in statuses))
        after = decode_token(page_token, fingerprint) if page_token else None
        async with self._db.connection() as conn:
            tasks = await tasks_sql.list_page(
                conn, user_id=user_id or None, statuses=statuses, after=after, limit=size + 1
            )
        page, more = tasks[:size], len(tasks) > size
        token = encode_token(page[-1].created_at, page[-1].id, fingerprint) if more else ""
        return Page(page, token)

    async def requeue(self, user_id: str, task_ids: Sequence[str]) -> list[ExtractionTask]:
        """Failed tasks queued again, each with a REQUEUED event; tasks in other states are left alone."""
        check = RequestChecker()
        check.identifier("user_id", user_id, required=False)
        if len(task_ids) > MAX_REQUEUE:
            check.fail("task_ids", f"at most {MAX_REQUEUE} per call, got {len(task_ids)}")
        ids = [check.uuid(f"task_ids[{i}]", task_id) for i, task_id in enumerate(task_ids[:MAX_REQUEUE])]
        check.raise_if_invalid()
        async with self._db.transaction() as conn:
            requeued = await tasks_sql.requeue(
                conn, user_id=user_id or None, task_ids=[i for i in ids if i is not None] if task_ids else None
            )
            await events_sql.append(
                conn, [events_sql.NewEvent(t.user_id, t.agent_id, t.id, EventType.REQUEUED) for t in requeued]
            )
        return requeued

    async def stats(self, user_id: str = "") -> QueueStats:
        check = RequestChecker()
        check.identifier("user_id", user_id, required=False)
        check.raise_if_invalid()
        async with self._db.connection() as conn:
            return await tasks_sql.stats(conn, user_id or None)
