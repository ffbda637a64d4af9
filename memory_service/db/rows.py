"""Record → domain object conversions; no asyncpg Record leaves db/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from memory_service.db.database import Record
from memory_service.domain import (
    Agent,
    EventType,
    ExtractionCounts,
    ExtractionEvent,
    ExtractionTask,
    Fact,
    FactChange,
    FactChangeType,
    FactSource,
    MemoryScope,
    ReembeddingProgress,
    TaskStatus,
)

Row = Record

FACT_COLUMNS = """
    f.id, f.user_id, f.agent_id, f.fact_key, f.fact_value, f.text, f.importance, f.source,
    f.embedding_model, f.source_task_id, f.supersedes_fact_id, f.valid_from, f.valid_to,
    f.created_at, f.updated_at, f.session_id
"""

TASK_COLUMNS = """
    t.id, t.user_id, t.agent_id, t.status, t.attempts, t.max_attempts, t.last_error, t.counts,
    t.skipped_reason, t.request_id, t.user_message, t.ai_response, t.created_at, t.started_at,
    t.finished_at, t.due_at, t.occurred_at, t.session_id, t.error_reason, t.give_up_at, t.charged_attempts
"""

HISTORY_COLUMNS = "h.fact_id, h.user_id, h.change_type, h.old_text, h.new_text, h.task_id, h.request_id, h.changed_at"

EVENT_COLUMNS = "e.id, e.user_id, e.agent_id, e.task_id, e.type, e.attempt, e.payload, e.created_at"


def fact(row: Row) -> Fact:
    return Fact(
        id=row["id"],
        user_id=row["user_id"],
        agent_id=row["agent_id"],
        fact_key=row["fact_key"],
        fact_value=row["fact_value"],
        text=row["text"],
        importance=float(row["importance"]),
        source=FactSource(row["source"]),
        embedding_model=row["embedding_model"],
        source_task_id=row["source_task_id"],
        supersedes_fact_id=row["supersedes_fact_id"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        session_id=row["session_id"],
    )


def task(row: Row) -> ExtractionTask:
    return ExtractionTask(
        id=row["id"],
        user_id=row["user_id"],
        agent_id=row["agent_id"],
        status=TaskStatus(row["status"]),
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        error=row["last_error"],
        counts=ExtractionCounts.from_json(row["counts"]) if row["counts"] is not None else None,
        skipped_reason=row["skipped_reason"],
        request_id=row["request_id"],
        user_message=row["user_message"],
        ai_response=row["ai_response"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        due_at=row["due_at"],
        occurred_at=row["occurred_at"],
        session_id=row["session_id"],
        error_reason=row["error_reason"],
        give_up_at=row["give_up_at"],
        charged_attempts=row["charged_attempts"],
    )


def event(row: Row) -> ExtractionEvent:
    payload: dict[str, Any] = row["payload"] or {}
    progress = payload.get("reembedding")
    return ExtractionEvent(
        id=row["id"],
        user_id=row["user_id"] or "",
        agent_id=row["agent_id"],
        task_id=row["task_id"],
        type=EventType(row["type"]),
        attempt=row["attempt"],
        counts=ExtractionCounts.from_json(payload["counts"]) if "counts" in payload else None,
        error=payload.get("error"),
        skipped_reason=payload.get("skipped_reason"),
        retry_at=_parse_time(payload.get("retry_at")),
        created_at=row["created_at"],
        error_reason=payload.get("error_reason"),
        reembedding=ReembeddingProgress(**progress) if progress else None,
    )


def agent(row: Row) -> Agent:
    return Agent(
        agent_id=row["agent_id"],
        memory_scope=MemoryScope(row["memory_scope"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        display_name=row["display_name"],
    )


def fact_change(row: Row) -> FactChange:
    return FactChange(
        fact_id=row["fact_id"],
        user_id=row["user_id"],
        type=FactChangeType(row["change_type"]),
        old_text=row["old_text"],
        new_text=row["new_text"],
        task_id=row["task_id"],
        request_id=row["request_id"],
        changed_at=row["changed_at"],
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
