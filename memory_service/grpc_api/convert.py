"""Domain objects ⇄ protobuf messages; nothing else in the service knows the generated types."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2
from voxbridge.memory.v1 import admin_pb2, export_pb2, extraction_pb2, fact_pb2, memory_service_pb2, user_pb2

from memory_service import domain
from memory_service.embeddings.model_cache import CachedModel
from memory_service.errors import InvalidArgument
from memory_service.runtime_settings import SettingValue, Source
from memory_service.service.facts import FactInput

_FACT_SOURCE = {
    domain.FactSource.MANUAL: fact_pb2.FACT_SOURCE_MANUAL,
    domain.FactSource.EXTRACTED: fact_pb2.FACT_SOURCE_EXTRACTED,
    domain.FactSource.IMPORTED: fact_pb2.FACT_SOURCE_IMPORTED,
}
_CHANGE_TYPE = {
    domain.FactChangeType.CREATED: fact_pb2.FACT_CHANGE_TYPE_CREATED,
    domain.FactChangeType.EDITED: fact_pb2.FACT_CHANGE_TYPE_EDITED,
    domain.FactChangeType.SUPERSEDED: fact_pb2.FACT_CHANGE_TYPE_SUPERSEDED,
    domain.FactChangeType.INVALIDATED: fact_pb2.FACT_CHANGE_TYPE_INVALIDATED,
    domain.FactChangeType.DELETED: fact_pb2.FACT_CHANGE_TYPE_DELETED,
    domain.FactChangeType.EXPIRED: fact_pb2.FACT_CHANGE_TYPE_EXPIRED,
}
_TASK_STATUS = {
    domain.TaskStatus.PENDING: extraction_pb2.EXTRACTION_STATUS_PENDING,
    domain.TaskStatus.PROCESSING: extraction_pb2.EXTRACTION_STATUS_PROCESSING,
    domain.TaskStatus.COMPLETED: extraction_pb2.EXTRACTION_STATUS_COMPLETED,
    domain.TaskStatus.FAILED: extraction_pb2.EXTRACTION_STATUS_FAILED,
    domain.TaskStatus.SKIPPED: extraction_pb2.EXTRACTION_STATUS_SKIPPED,
}
_TASK_STATUS_FROM_PROTO = {value: key for key, value in _TASK_STATUS.items()}
_EVENT_TYPE = {
    domain.EventType.QUEUED: extraction_pb2.EXTRACTION_EVENT_TYPE_QUEUED,
    domain.EventType.PROCESSING: extraction_pb2.EXTRACTION_EVENT_TYPE_PROCESSING,
    domain.EventType.COMPLETED: extraction_pb2.EXTRACTION_EVENT_TYPE_COMPLETED,
    domain.EventType.RETRYING: extraction_pb2.EXTRACTION_EVENT_TYPE_RETRYING,
    domain.EventType.FAILED: extraction_pb2.EXTRACTION_EVENT_TYPE_FAILED,
    domain.EventType.RELEASED: extraction_pb2.EXTRACTION_EVENT_TYPE_RELEASED,
    domain.EventType.REQUEUED: extraction_pb2.EXTRACTION_EVENT_TYPE_REQUEUED,
    domain.EventType.SKIPPED: extraction_pb2.EXTRACTION_EVENT_TYPE_SKIPPED,
    domain.EventType.REEMBEDDING: extraction_pb2.EXTRACTION_EVENT_TYPE_REEMBEDDING,
    domain.EventType.HEARTBEAT: extraction_pb2.EXTRACTION_EVENT_TYPE_HEARTBEAT,
}
_MODE = {
    domain.ExtractionMode.LLM: extraction_pb2.EXTRACTION_MODE_LLM,
    domain.ExtractionMode.VERBATIM: extraction_pb2.EXTRACTION_MODE_VERBATIM,
}
_ACTION = {
    domain.PlannedAction.ADD: extraction_pb2.PLANNED_ACTION_ADD,
    domain.PlannedAction.UPDATE: extraction_pb2.PLANNED_ACTION_UPDATE,
    domain.PlannedAction.SUPERSEDE: extraction_pb2.PLANNED_ACTION_SUPERSEDE,
    domain.PlannedAction.SKIP_DUPLICATE: extraction_pb2.PLANNED_ACTION_SKIP_DUPLICATE,
}
_SCOPE_FROM_PROTO: dict[int, domain.MemoryScope | None] = {
    user_pb2.MEMORY_SCOPE_UNSPECIFIED: None,
    user_pb2.MEMORY_SCOPE_GLOBAL: domain.MemoryScope.GLOBAL,
    user_pb2.MEMORY_SCOPE_AGENT: domain.MemoryScope.AGENT,
}
_SCOPE_TO_PROTO = {
    domain.MemoryScope.GLOBAL: user_pb2.MEMORY_SCOPE_GLOBAL,
    domain.MemoryScope.AGENT: user_pb2.MEMORY_SCOPE_AGENT,
}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """What Timestamp.FromDatetime makes (a naive time is UTC), in a third less time: GetContext makes 30."""
    if value is None:
        return None
    since = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
    return timestamp_pb2.Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def time_of(message: Any, field: str) -> datetime | None:
    """A Timestamp field as an aware datetime, or None when unset."""
    if not message.HasField(field):
        return None
    stamp = getattr(message, field)
    # The well-known type's own range (years 1 to 9999); anything outside is not a time at all.
    if not (_MIN_SECONDS <= stamp.seconds <= _MAX_SECONDS and 0 <= stamp.nanos <= 999_999_999):
        raise InvalidArgument.field(field, "is not a valid timestamp (years 0001 to 9999, nanos 0 to 999999999)")
    value: datetime = stamp.ToDatetime(tzinfo=UTC)
    return value


_MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


def duration(seconds: float) -> duration_pb2.Duration:
    message = duration_pb2.Duration()
    message.FromNanoseconds(int(seconds * 1e9))
    return message


def fact_input(message: fact_pb2.Fact) -> FactInput:
    return FactInput(
        user_id=message.user_id,
        agent_id=message.agent_id,
        fact_key=message.fact_key,
        fact_value=message.fact_value,
        text=message.text,
        importance=message.importance if message.HasField("importance") else None,
        valid_from=time_of(message, "valid_from"),
        session_id=message.session_id,
    )


def fact(value: domain.Fact) -> fact_pb2.Fact:
    return fact_pb2.Fact(
        id=str(value.id),
        user_id=value.user_id,
        agent_id=value.agent_id,
        fact_key=value.fact_key,
        fact_value=value.fact_value,
        text=value.text,
        importance=value.importance,
        source=_FACT_SOURCE[value.source],
        embedding_model=value.embedding_model,
        source_task_id=str(value.source_task_id) if value.source_task_id else "",
        supersedes_fact_id=str(value.supersedes_fact_id) if value.supersedes_fact_id else "",
        valid_from=timestamp(value.valid_from),
        valid_to=timestamp(value.valid_to),
        created_at=timestamp(value.created_at),
        updated_at=timestamp(value.updated_at),
        session_id=value.session_id,
    )


def fact_change(value: domain.FactChange) -> fact_pb2.FactChange:
    return fact_pb2.FactChange(
        fact_id=str(value.fact_id),
        user_id=value.user_id,
        type=_CHANGE_TYPE[value.type],
        old_text=value.old_text or "",
        new_text=value.new_text or "",
        task_id=str(value.task_id) if value.task_id else "",
        request_id=value.request_id or "",
        changed_at=timestamp(value.changed_at),
    )


def fact_history(value: domain.FactHistory) -> memory_service_pb2.GetFactHistoryResponse:
    return memory_service_pb2.GetFactHistoryResponse(
        versions=[fact(v) for v in value.versions], changes=[fact_change(c) for c in value.changes]
    )


def draft(value: domain.FactDraft) -> fact_pb2.Fact:
    return fact_pb2.Fact(
        user_id=value.user_id,
        agent_id=value.agent_id,
        fact_key=value.fact_key,
        fact_value=value.fact_value,
        text=value.text,
        importance=value.importance,
        source=_FACT_SOURCE[value.source],
        embedding_model=value.embedding_model,
        valid_from=timestamp(value.valid_from),
        session_id=value.session_id,
    )


def counts(value: domain.ExtractionCounts | None) -> extraction_pb2.ExtractionCounts | None:
    if value is None:
        return None
    return extraction_pb2.ExtractionCounts(**value.as_json())


def task(value: domain.ExtractionTask) -> extraction_pb2.ExtractionTask:
    return extraction_pb2.ExtractionTask(
        id=str(value.id),
        user_id=value.user_id,
        agent_id=value.agent_id,
        status=_TASK_STATUS[value.status],
        attempts=value.attempts,
        max_attempts=value.max_attempts,
        error=value.error or "",
        counts=counts(value.counts),
        skipped_reason=value.skipped_reason or "",
        request_id=value.request_id or "",
        user_message=value.user_message,
        ai_response=value.ai_response,
        created_at=timestamp(value.created_at),
        started_at=timestamp(value.started_at),
        finished_at=timestamp(value.finished_at),
        due_at=timestamp(value.due_at) if value.status.is_open else None,
        occurred_at=timestamp(value.occurred_at),
        session_id=value.session_id,
        error_reason=value.error_reason or "",
        give_up_at=timestamp(value.give_up_at) if value.status.is_open else None,
    )


def task_statuses(values: Iterable[int]) -> list[domain.TaskStatus]:
    """Statuses named in a request; unknown numbers are INVALID_ARGUMENT."""
    statuses = []
    for value in values:
        status = _TASK_STATUS_FROM_PROTO.get(value)  # type: ignore[call-overload]
        if status is None:
            raise InvalidArgument.field("statuses", f"unknown extraction status {value}")
        statuses.append(status)
    return statuses


def reembedding(value: domain.ReembeddingProgress | None) -> extraction_pb2.ReembeddingProgress | None:
    if value is None:
        return None
    return extraction_pb2.ReembeddingProgress(
        active_model=value.active_model,
        target_model=value.target_model,
        facts_done=value.facts_done,
        facts_total=value.facts_total,
        completed=value.completed,
    )


def event(value: domain.ExtractionEvent) -> extraction_pb2.ExtractionEvent:
    return extraction_pb2.ExtractionEvent(
        event_id=value.id,
        task_id=str(value.task_id) if value.task_id else "",
        user_id=value.user_id,
        agent_id=value.agent_id,
        type=_EVENT_TYPE[value.type],
        attempt=value.attempt,
        counts=counts(value.counts),
        error=value.error or "",
        skipped_reason=value.skipped_reason or "",
        retry_at=timestamp(value.retry_at),
        created_at=timestamp(value.created_at),
        error_reason=value.error_reason or "",
        reembedding=reembedding(value.reembedding),
    )


def plan(value: domain.ExtractionPlan) -> memory_service_pb2.PreviewExtractionResponse:
    return memory_service_pb2.PreviewExtractionResponse(
        mode=_MODE[value.mode],
        skipped_reason=value.skipped_reason or "",
        changes=[
            extraction_pb2.PlannedFactChange(
                action=_ACTION[change.action],
                fact=draft(change.draft) if change.draft is not None else None,
                existing_fact=fact(change.existing) if change.existing is not None else None,
            )
            for change in value.changes
        ],
    )


def queue_stats(value: domain.QueueStats, mode: domain.ExtractionMode) -> memory_service_pb2.GetQueueStatsResponse:
    return memory_service_pb2.GetQueueStatsResponse(
        pending=value.pending,
        processing=value.processing,
        completed=value.completed,
        failed=value.failed,
        oldest_pending_age=duration(value.oldest_pending_age_seconds),
        average_duration=duration(value.average_duration_seconds),
        mode=_MODE[mode],
        skipped=value.skipped,
    )


def scope(value: int) -> domain.MemoryScope | None:
    return _SCOPE_FROM_PROTO.get(value)


def agent(value: domain.Agent) -> user_pb2.Agent:
    return user_pb2.Agent(
        agent_id=value.agent_id,
        memory_scope=_SCOPE_TO_PROTO[value.memory_scope],
        created_at=timestamp(value.created_at),
        updated_at=timestamp(value.updated_at),
        display_name=value.display_name,
    )


def export_record(value: domain.ExportRecord) -> export_pb2.ExportRecord:
    """One record of an export, the same for the gRPC stream and the CLI's JSON lines."""
    if isinstance(value, domain.ExportHeader):
        counts = value.counts
        return export_pb2.ExportRecord(
            header=export_pb2.ExportHeader(
                format_version=value.format_version,
                user_id=value.user_id,
                snapshot_at=timestamp(value.snapshot_at),
                counts=export_pb2.ExportCounts(
                    facts=counts.facts,
                    fact_changes=counts.fact_changes,
                    tasks=counts.tasks,
                    events=counts.events,
                    agents=counts.agents,
                ),
            )
        )
    if isinstance(value, domain.UserSettings):
        return export_pb2.ExportRecord(settings=user_settings(value))
    if isinstance(value, domain.Agent):
        return export_pb2.ExportRecord(agent=agent(value))
    if isinstance(value, domain.Fact):
        return export_pb2.ExportRecord(fact=fact(value))
    if isinstance(value, domain.FactChange):
        return export_pb2.ExportRecord(fact_change=fact_change(value))
    if isinstance(value, domain.ExtractionTask):
        return export_pb2.ExportRecord(task=task(value))
    return export_pb2.ExportRecord(event=event(value))


def erasure_receipt(value: domain.ErasureReceipt) -> export_pb2.ErasureReceipt:
    return export_pb2.ErasureReceipt(
        user_id=value.user_id,
        erased_at=timestamp(value.erased_at),
        deleted_rows=value.deleted_rows,
        ledger_id=value.ledger_id,
    )


def user_settings(value: domain.UserSettings) -> user_pb2.UserSettings:
    return user_pb2.UserSettings(
        user_id=value.user_id,
        extraction_enabled=value.extraction_enabled,
        updated_at=timestamp(value.updated_at),
        retention_days=value.retention_days,
        display_name=value.display_name,
    )


_SOURCE = {
    Source.DATABASE: admin_pb2.SETTING_SOURCE_DATABASE,
    Source.ENVIRONMENT: admin_pb2.SETTING_SOURCE_ENVIRONMENT,
    Source.DEFAULT: admin_pb2.SETTING_SOURCE_DEFAULT,
}


def system_settings(values: list[SettingValue]) -> admin_pb2.GetSystemSettingsResponse:
    return admin_pb2.GetSystemSettingsResponse(
        settings=[
            admin_pb2.SystemSetting(
                name=v.name,
                value=v.value,
                source=_SOURCE[v.source],
                write_only=v.write_only,
                is_set=v.is_set,
                environment_variable=v.environment_variable,
                description=v.description,
            )
            for v in values
        ]
    )


def cached_models(models: list[CachedModel], *, freed_bytes: int) -> admin_pb2.ListCachedModelsResponse:
    return admin_pb2.ListCachedModelsResponse(
        models=[
            admin_pb2.CachedModel(
                name=m.name, path=str(m.path), size_bytes=m.size_bytes, files=m.files, in_use=m.in_use
            )
            for m in models
        ],
        freed_bytes=freed_bytes,
    )


_ROLE_TO_PROTO = {
    domain.TokenRole.SERVICE: admin_pb2.TOKEN_ROLE_SERVICE,
    domain.TokenRole.USER: admin_pb2.TOKEN_ROLE_USER,
    domain.TokenRole.ADMIN: admin_pb2.TOKEN_ROLE_ADMIN,
}
_ROLE_FROM_PROTO = {value: key for key, value in _ROLE_TO_PROTO.items()}


def token_role(value: int) -> domain.TokenRole | None:
    role: domain.TokenRole | None = _ROLE_FROM_PROTO.get(value)  # type: ignore[call-overload]
    return role


def access_token(value: domain.AccessToken) -> admin_pb2.AccessToken:
    return admin_pb2.AccessToken(
        name=value.name,
        role=_ROLE_TO_PROTO[value.role],
        user_id=value.user_id or "",
        created_at=timestamp(value.created_at),
        revoked_at=timestamp(value.revoked_at),
        last_used_at=timestamp(value.last_used_at),
        prefix=value.prefix,
    )
