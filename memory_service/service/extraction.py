"""Use cases of the extraction queue: queue a turn, read a task, preview, queue stats, watch events."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from memory_service.db import Database, UniqueViolation
from memory_service.db import events as events_sql
from memory_service.db import tasks as tasks_sql
from memory_service.db import users as users_sql
from memory_service.db.queue_turn import queue_turn
from memory_service.domain import (
    EventType,
    ExtractionEvent,
    ExtractionMode,
    ExtractionPlan,
    ExtractionTask,
    Turn,
)
from memory_service.errors import (
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    OutOfRange,
    ResourceExhausted,
    Unavailable,
)
from memory_service.extraction.planner import ExtractionPlanner
from memory_service.llm.chat import LlmError, LlmFailure
from memory_service.service.event_hub import EventHub
from memory_service.validation import (
    MAX_MESSAGE_LENGTH,
    MAX_REQUEST_ID_LENGTH,
    RequestChecker,
)

REPLAY_BATCH = 500
MAX_REQUEUE = 1000


class ExtractionService:
    def __init__(
        self,
        db: Database,
        planner: ExtractionPlanner,
        hub: EventHub,
        *,
        max_attempts: int,
        stream_queue_size: int,
        heartbeat_seconds: float,
    ) -> None:
        self._db = db
        self._planner = planner
        self._hub = hub
        self._max_attempts = max_attempts
        self._stream_queue_size = stream_queue_size
        self._heartbeat_seconds = heartbeat_seconds

    @property
    def mode(self) -> ExtractionMode:
        return self._planner.mode

    async def queue(self, turn: Turn, request_id: str = "") -> ExtractionTask:
        turn = _checked_turn(turn, request_id)
        if not request_id:
            async with self._db.connection() as conn:
                queued = await queue_turn(conn, turn, max_attempts=self._max_attempts)
            if queued.user_known and not queued.extraction_enabled:
                raise _extraction_disabled(turn.user_id)
            if queued.task is not None:
                return queued.task
            # The user row was being created by another transaction: the statement could not see it.
        for _ in range(2):
            try:
                async with self._db.transaction() as conn:
                    settings = await users_sql.ensure_user(conn, turn.user_id)
                    if not settings.extraction_enabled:
                        raise _extraction_disabled(turn.user_id)
                    if request_id:
                        earlier = await tasks_sql.get_by_request_id(conn, turn.user_id, request_id)
                        if earlier is not None:
                            return _same_turn(earlier, turn, request_id)
                    task = await tasks_sql.insert(
                        conn, turn, request_id=request_id or None, max_attempts=self._max_attempts
                    )
                    await events_sql.append(
                        conn, [events_sql.NewEvent(task.user_id, task.agent_id, task.id, EventType.QUEUED)]
                    )
                    return task
            except UniqueViolation:
                continue  # a concurrent call with the same request id committed first: read its task
        raise AlreadyExists(f"request_id {request_id!r} is being used concurrently; retry", reason="REQUEST_ID_REUSED")

    async def get(self, task_id: str, user_id: str) -> ExtractionTask:
        check = RequestChecker()
        task_uuid = check.uuid("task_id", task_id)
        check.identifier("user_id", user_id)
        check.raise_if_invalid()
        assert task_uuid is not None
        async with self._db.connection() as conn:
            task = await tasks_sql.get(conn, task_uuid, user_id)
        if task is None:
            raise NotFound(
                f"extraction task {task_id} not found for user {user_id!r}",
                reason="TASK_NOT_FOUND",
                metadata={"task_id": task_id},
            )
        return task

    async def preview(self, turn: Turn) -> ExtractionPlan:
        turn = _checked_turn(turn, "")
        try:
            return await self._planner.plan(turn)
        except LlmError as exc:
            if exc.failure is LlmFailure.BAD_ANSWER:
                raise Unavailable(str(exc), retry_after=1.0, reason="LLM_BAD_ANSWER") from exc
            if exc.failure is LlmFailure.UNAVAILABLE:
                raise Unavailable(str(exc), retry_after=exc.retry_after or 5.0, reason="LLM_UNAVAILABLE") from exc
            raise FailedPrecondition(
                f"{exc}; check MEMORY_LLM_BASE_URL, MEMORY_LLM_MODEL and MEMORY_LLM_API_KEY", reason="LLM_REJECTED"
            ) from exc

    async def watch(self, user_id: str, after_event_id: int) -> AsyncGenerator[ExtractionEvent, None]:
        """Replays events after the cursor, then follows live ones; gap-free and without repeats.

        Yields a HEARTBEAT event (not stored) after heartbeat_seconds of silence.
        Raises ResourceExhausted when the caller falls too far behind.
        """
        check = RequestChecker()
        check.identifier("user_id", user_id, required=False)
        if after_event_id < 0:
            check.fail("after_event_id", f"must not be negative, got {after_event_id}")
        check.raise_if_invalid()
        user_filter = user_id or None

        subscription = self._hub.subscribe(user_filter, self._stream_queue_size)
        try:
            async with self._db.connection() as conn:
                bounds = await events_sql.bounds(conn)
                if after_event_id > bounds.last_event_id:  # maybe a "latest" probe: count what is on its way
                    bounds = await events_sql.settled_bounds(conn)
            if after_event_id > bounds.last_event_id or 0 < after_event_id < bounds.pruned_through:
                raise OutOfRange(
                    f"after_event_id {after_event_id} is outside the events kept "
                    f"({bounds.pruned_through} to {bounds.last_event_id}); resume from {bounds.pruned_through}",
                    reason="EVENT_CURSOR_OUT_OF_RANGE",
                    metadata={
                        "earliest_event_id": str(bounds.pruned_through + 1),
                        "latest_event_id": str(bounds.last_event_id),
                    },
                )
            cursor = after_event_id
            replaying = True
            while replaying:  # replay what is already in the log
                async with self._db.connection() as conn:
                    batch = await events_sql.read_after(conn, cursor, user_id=user_filter, limit=REPLAY_BATCH)
                for event in batch:
                    yield event
                    cursor = event.id
                if len(batch) == REPLAY_BATCH:
                    continue
                # Live events that came while replaying are in the log too: if more came than the buffer
                # holds, read the log again instead of cutting off a stream that is keeping up.
                replaying = subscription.overflowed and not subscription.closed
                if replaying:
                    subscription.restart()
            while True:  # then follow live events
                live = await subscription.next_batch(self._heartbeat_seconds)
                if subscription.closed:
                    raise Unavailable(
                        f"the server is shutting down; resume with after_event_id={cursor}",
                        retry_after=0.5,
                        reason="SHUTTING_DOWN",
                        metadata={"resume_after_event_id": str(cursor)},
                    )
                if subscription.overflowed:
                    raise ResourceExhausted(
                        f"this stream fell more than {self._stream_queue_size} events behind; "
                        f"resume with after_event_id={cursor}",
                        retry_after=1.0,
                        reason="SUBSCRIBER_TOO_SLOW",
                        metadata={"resume_after_event_id": str(cursor)},
                    )
                if live is None:
                    yield _heartbeat(cursor)
                    continue
                for event in live:
                    if event.id > cursor:
                        yield event
                        cursor = event.id
        finally:
            self._hub.unsubscribe(subscription)


def _checked_turn(turn: Turn, request_id: str) -> Turn:
    check = RequestChecker()
    check.identifier("user_id", turn.user_id)
    check.identifier("agent_id", turn.agent_id, required=False)
    user_message = check.text("user_message", turn.user_message, max_length=MAX_MESSAGE_LENGTH, required=True)
    ai_response = check.text("ai_response", turn.ai_response, max_length=MAX_MESSAGE_LENGTH)
    occurred_at = check.past_time("occurred_at", turn.occurred_at)
    check.identifier("session_id", turn.session_id, required=False)
    check.identifier("request_id", request_id, required=False, max_length=MAX_REQUEST_ID_LENGTH)
    check.raise_if_invalid()
    return Turn(turn.user_id, turn.agent_id, user_message, ai_response, occurred_at, turn.session_id)


def _same_turn(earlier: ExtractionTask, turn: Turn, request_id: str) -> ExtractionTask:
    said = earlier.turn
    same_words = (said.user_id, said.agent_id, said.user_message, said.ai_response, said.session_id) == (
        turn.user_id,
        turn.agent_id,
        turn.user_message,
        turn.ai_response,
        turn.session_id,
    )
    # A retry without occurred_at means "when it arrived": the first arrival's time stands.
    if same_words and (turn.occurred_at is None or turn.occurred_at == said.occurred_at):
        return earlier
    raise AlreadyExists(
        f"request_id {request_id!r} was already used for a different turn (task {earlier.id})",
        reason="REQUEST_ID_REUSED",
        metadata={"task_id": str(earlier.id)},
    )


def _heartbeat(cursor: int) -> ExtractionEvent:
    return ExtractionEvent(
        id=cursor,
        user_id="",
        agent_id="",
        task_id=None,
        type=EventType.HEARTBEAT,
        attempt=0,
        counts=None,
        error=None,
        skipped_reason=None,
        retry_at=None,
        created_at=None,
    )


def _extraction_disabled(user_id: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"extraction is turned off for user {user_id!r} (UpdateUserSettings turns it on)",
        reason="EXTRACTION_DISABLED",
    )
