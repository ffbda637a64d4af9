"""The JSON shapes of the HTTP API: pydantic models mirroring the proto messages, in snake_case."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["global", "agent"]


class _In(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class FieldViolation(BaseModel):
    field: str
    description: str


class ErrorDetail(BaseModel):
    code: int = Field(description="The HTTP status.")
    status: str = Field(description="The gRPC status code name, such as NOT_FOUND.")
    reason: str = Field(description="The service's stable ErrorInfo reason, such as FACT_NOT_FOUND.")
    message: str = Field(description="What went wrong, meant to be shown to the person.")
    field_violations: list[FieldViolation] = []
    metadata: dict[str, str] = Field(default={}, description="ErrorInfo metadata, such as earliest_event_id.")
    retry_after_seconds: float | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Fact(BaseModel):
    id: str
    user_id: str
    agent_id: str = Field(description="Empty for a global fact.")
    scope: Scope = Field(description="global (every agent sees it) or agent (private to agent_id).")
    current: bool = Field(description="False once closed (valid_to set): then it is history.")
    fact_key: str
    fact_value: str
    text: str
    importance: float | None
    source: str = Field(description="manual, extracted or imported.")
    embedding_model: str
    source_task_id: str
    supersedes_fact_id: str
    session_id: str
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime | None
    updated_at: datetime | None


class FactPage(BaseModel):
    facts: list[Fact]
    next_page_token: str = Field(description="Pass as page_token for the next page; empty on the last page.")


class NewFact(_In):
    text: str = ""
    fact_key: str = ""
    fact_value: str = ""
    importance: float | None = None
    agent_id: str = Field(default="", description="Empty for a global fact; else private to this agent.")
    valid_from: datetime | None = None
    session_id: str = ""
    request_id: str = Field(default="", description="Idempotency key: a retry returns the fact first created.")


class FactEdit(_In):
    """Only the fields present are changed (they become UpdateFact's update_mask)."""

    fact_key: str = ""
    fact_value: str = ""
    text: str = ""
    importance: float = 0.5
    request_id: str = ""


class FactChange(BaseModel):
    fact_id: str
    user_id: str
    type: str = Field(description="created, edited, superseded, invalidated, deleted or expired.")
    old_text: str
    new_text: str
    task_id: str
    request_id: str
    changed_at: datetime | None


class FactHistory(BaseModel):
    versions: list[Fact] = Field(description="The fact and every version it superseded, newest first.")
    changes: list[FactChange] = Field(description="What happened to those versions, newest first.")


class ScoredFact(BaseModel):
    fact: Fact
    relevance: float


class Context(BaseModel):
    facts: list[ScoredFact] = Field(description="Most relevant first.")
    context: str = Field(description="The <user_memories> block a bot puts in its prompt; empty when none.")


class UserSettings(BaseModel):
    user_id: str
    extraction_enabled: bool
    retention_days: int
    display_name: str
    updated_at: datetime | None


class SettingsEdit(_In):
    """Only the fields present are changed."""

    extraction_enabled: bool = True
    retention_days: int = 0
    display_name: str = ""


class Agent(BaseModel):
    agent_id: str
    memory_scope: Scope
    display_name: str
    created_at: datetime | None
    updated_at: datetime | None


class AgentRegistration(_In):
    memory_scope: Scope = "global"
    display_name: str = ""


class AgentPage(BaseModel):
    agents: list[Agent]
    next_page_token: str


class QueueStats(BaseModel):
    pending: int
    processing: int
    completed: int
    failed: int
    skipped: int
    oldest_pending_age_seconds: float
    average_duration_seconds: float
    mode: str = Field(description="llm or verbatim.")


class FactCounts(BaseModel):
    total: int = Field(description="Current facts.")
    global_facts: int
    agent_facts: int
    per_agent: dict[str, int] = Field(description="Current agent-private facts per agent_id.")


class UserStats(BaseModel):
    facts: FactCounts
    queue: QueueStats


class ExtractionCounts(BaseModel):
    facts_added: int
    facts_updated: int
    facts_superseded: int
    duplicates_skipped: int


class Turn(_In):
    user_message: str
    ai_response: str = ""
    agent_id: str = ""
    session_id: str = ""
    occurred_at: datetime | None = None
    request_id: str = Field(default="", description="Idempotency key: a retry returns the task first queued.")


class ExtractionTask(BaseModel):
    id: str
    user_id: str
    agent_id: str
    status: str = Field(description="pending, processing, completed, failed or skipped.")
    attempts: int
    max_attempts: int
    error: str
    error_reason: str
    counts: ExtractionCounts
    skipped_reason: str
    request_id: str
    user_message: str
    ai_response: str
    session_id: str
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    occurred_at: datetime | None
    due_at: datetime | None
    give_up_at: datetime | None


class TaskPage(BaseModel):
    tasks: list[ExtractionTask]
    next_page_token: str


class ExtractionEvent(BaseModel):
    event_id: int
    task_id: str
    user_id: str
    agent_id: str
    type: str = Field(description="queued, processing, completed, retrying, failed, released, requeued, skipped.")
    attempt: int
    counts: ExtractionCounts
    error: str
    error_reason: str
    skipped_reason: str
    retry_at: datetime | None
    created_at: datetime | None


class ErasureReceipt(BaseModel):
    user_id: str
    erased_at: datetime | None
    deleted_rows: dict[str, int]
    ledger_id: int
