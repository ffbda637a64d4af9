"""Proto messages → the API's pydantic models (enums as short lower-case names, unset times as null)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf.message import Message
from voxbridge.memory.gateway import models
from voxbridge.memory.v1 import export_pb2, extraction_pb2, fact_pb2, memory_service_pb2, user_pb2


def enum_name(enum_type: Any, value: int, prefix: str) -> str:
    """FACT_SOURCE_MANUAL → 'manual'; a value this gateway does not know yet → its number."""
    try:
        name: str = enum_type.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix(prefix).lower()


def scope_value(scope: models.Scope) -> user_pb2.MemoryScope:
    return user_pb2.MEMORY_SCOPE_AGENT if scope == "agent" else user_pb2.MEMORY_SCOPE_GLOBAL


def _time(message: Message, name: str) -> datetime | None:
    if not message.HasField(name):
        return None
    value: datetime = getattr(message, name).ToDatetime(tzinfo=UTC)
    return value


def fact(message: fact_pb2.Fact) -> models.Fact:
    return models.Fact(
        id=message.id,
        user_id=message.user_id,
        agent_id=message.agent_id,
        scope="agent" if message.agent_id else "global",
        current=not message.HasField("valid_to"),
        fact_key=message.fact_key,
        fact_value=message.fact_value,
        text=message.text,
        importance=message.importance if message.HasField("importance") else None,
        source=enum_name(fact_pb2.FactSource, message.source, "FACT_SOURCE_"),
        embedding_model=message.embedding_model,
        source_task_id=message.source_task_id,
        supersedes_fact_id=message.supersedes_fact_id,
        session_id=message.session_id,
        valid_from=_time(message, "valid_from"),
        valid_to=_time(message, "valid_to"),
        created_at=_time(message, "created_at"),
        updated_at=_time(message, "updated_at"),
    )


def fact_change(message: fact_pb2.FactChange) -> models.FactChange:
    return models.FactChange(
        fact_id=message.fact_id,
        user_id=message.user_id,
        type=enum_name(fact_pb2.FactChangeType, message.type, "FACT_CHANGE_TYPE_"),
        old_text=message.old_text,
        new_text=message.new_text,
        task_id=message.task_id,
        request_id=message.request_id,
        changed_at=_time(message, "changed_at"),
    )


def history(message: memory_service_pb2.GetFactHistoryResponse) -> models.FactHistory:
    return models.FactHistory(
        versions=[fact(v) for v in message.versions], changes=[fact_change(c) for c in message.changes]
    )


def context(message: memory_service_pb2.GetContextResponse) -> models.Context:
    return models.Context(
        facts=[models.ScoredFact(fact=fact(s.fact), relevance=s.relevance) for s in message.facts],
        context=message.context,
    )


def settings(message: user_pb2.UserSettings) -> models.UserSettings:
    return models.UserSettings(
        user_id=message.user_id,
        extraction_enabled=message.extraction_enabled,
        retention_days=message.retention_days,
        display_name=message.display_name,
        updated_at=_time(message, "updated_at"),
    )


def agent(message: user_pb2.Agent) -> models.Agent:
    return models.Agent(
        agent_id=message.agent_id,
        memory_scope="agent" if message.memory_scope == user_pb2.MEMORY_SCOPE_AGENT else "global",
        display_name=message.display_name,
        created_at=_time(message, "created_at"),
        updated_at=_time(message, "updated_at"),
    )


def queue_stats(message: memory_service_pb2.GetQueueStatsResponse) -> models.QueueStats:
    return models.QueueStats(
        pending=message.pending,
        processing=message.processing,
        completed=message.completed,
        failed=message.failed,
        skipped=message.skipped,
        oldest_pending_age_seconds=message.oldest_pending_age.ToTimedelta().total_seconds(),
        average_duration_seconds=message.average_duration.ToTimedelta().total_seconds(),
        mode=enum_name(extraction_pb2.ExtractionMode, message.mode, "EXTRACTION_MODE_"),
    )


def counts(message: extraction_pb2.ExtractionCounts) -> models.ExtractionCounts:
    return models.ExtractionCounts(
        facts_added=message.facts_added,
        facts_updated=message.facts_updated,
        facts_superseded=message.facts_superseded,
        duplicates_skipped=message.duplicates_skipped,
    )


def task(message: extraction_pb2.ExtractionTask) -> models.ExtractionTask:
    return models.ExtractionTask(
        id=message.id,
        user_id=message.user_id,
        agent_id=message.agent_id,
        status=enum_name(extraction_pb2.ExtractionStatus, message.status, "EXTRACTION_STATUS_"),
        attempts=message.attempts,
        max_attempts=message.max_attempts,
        error=message.error,
        error_reason=message.error_reason,
        counts=counts(message.counts),
        skipped_reason=message.skipped_reason,
        request_id=message.request_id,
        user_message=message.user_message,
        ai_response=message.ai_response,
        session_id=message.session_id,
        created_at=_time(message, "created_at"),
        started_at=_time(message, "started_at"),
        finished_at=_time(message, "finished_at"),
        occurred_at=_time(message, "occurred_at"),
        due_at=_time(message, "due_at"),
        give_up_at=_time(message, "give_up_at"),
    )


def event(message: extraction_pb2.ExtractionEvent) -> models.ExtractionEvent:
    return models.ExtractionEvent(
        event_id=message.event_id,
        task_id=message.task_id,
        user_id=message.user_id,
        agent_id=message.agent_id,
        type=event_type(message.type),
        attempt=message.attempt,
        counts=counts(message.counts),
        error=message.error,
        error_reason=message.error_reason,
        skipped_reason=message.skipped_reason,
        retry_at=_time(message, "retry_at"),
        created_at=_time(message, "created_at"),
    )


def event_type(value: int) -> str:
    return enum_name(extraction_pb2.ExtractionEventType, value, "EXTRACTION_EVENT_TYPE_")


def status_value(name: str) -> extraction_pb2.ExtractionStatus:
    """'failed' → EXTRACTION_STATUS_FAILED; raises ValueError for an unknown name."""
    value = extraction_pb2.ExtractionStatus.Value("EXTRACTION_STATUS_" + name.upper())
    return cast(extraction_pb2.ExtractionStatus, value)


def receipt(message: export_pb2.ErasureReceipt) -> models.ErasureReceipt:
    return models.ErasureReceipt(
        user_id=message.user_id,
        erased_at=_time(message, "erased_at"),
        deleted_rows=dict(message.deleted_rows),
        ledger_id=message.ledger_id,
    )
