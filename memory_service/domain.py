"""The service's vocabulary: frozen dataclasses and enums shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]
T = TypeVar("T")
GLOBAL_AGENT = ""  # agent_id of facts every agent of the user sees
EXTRACTION_OFF = "extraction is turned off for the user"  # why a task was skipped


class FactSource(StrEnum):
    MANUAL = "manual"
    EXTRACTED = "extracted"
    IMPORTED = "imported"


class FactChangeType(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    SUPERSEDED = "superseded"
    INVALIDATED = "invalidated"
    DELETED = "deleted"  # a tombstone: the texts of every version are erased
    EXPIRED = "expired"  # closed by the user's retention period


class MemoryScope(StrEnum):
    GLOBAL = "global"
    AGENT = "agent"


class TaskStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # extraction was off for the user: nothing was stored

    @property
    def is_open(self) -> bool:
        return self in (TaskStatus.PENDING, TaskStatus.PROCESSING)


class EventType(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    RETRYING = "retrying"
    FAILED = "failed"
    RELEASED = "released"  # a worker shutting down gave the task back; the attempt does not count
    REQUEUED = "requeued"
    SKIPPED = "skipped"
    REEMBEDDING = "reembedding"  # progress of an embedding model switch; about no user
    HEARTBEAT = "heartbeat"  # never stored: keeps idle streams open


class ExtractionMode(StrEnum):
    LLM = "llm"
    VERBATIM = "verbatim"


class PlannedAction(StrEnum):
    ADD = "add"
    UPDATE = "update"
    SUPERSEDE = "supersede"
    SKIP_DUPLICATE = "skip_duplicate"


@dataclass(frozen=True)
class Fact:
    id: UUID
    user_id: str
    agent_id: str
    fact_key: str
    fact_value: str
    text: str
    importance: float
    source: FactSource
    embedding_model: str
    source_task_id: UUID | None
    supersedes_fact_id: UUID | None
    valid_from: datetime
    valid_to: datetime | None
    created_at: datetime
    updated_at: datetime
    session_id: str = ""

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def is_keyed(self) -> bool:
        """A keyed fact is one attribute: a new fact with its key in its scope closes it."""
        return bool(self.fact_key)


@dataclass(frozen=True)
class ScoredFact:
    fact: Fact
    relevance: float


@dataclass(frozen=True)
class FactDraft:
    """A fact about to be stored: validated, normalised and embedded, without an id yet."""

    user_id: str
    agent_id: str
    fact_key: str
    fact_value: str
    text: str
    importance: float
    source: FactSource
    embedding: Vector = field(repr=False, compare=False)
    embedding_model: str
    source_task_id: UUID | None = None
    valid_from: datetime | None = None  # None: the time of the write
    session_id: str = ""


@dataclass(frozen=True)
class FactEdit:
    """New values for the fields an UpdateFact names; None leaves a field as it is."""

    fact_key: str | None = None
    fact_value: str | None = None
    text: str | None = None
    importance: float | None = None


@dataclass(frozen=True)
class ExtractionCounts:
    facts_added: int = 0
    facts_updated: int = 0
    facts_superseded: int = 0
    duplicates_skipped: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "facts_added": self.facts_added,
            "facts_updated": self.facts_updated,
            "facts_superseded": self.facts_superseded,
            "duplicates_skipped": self.duplicates_skipped,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ExtractionCounts:
        data = data or {}
        return cls(**{key: int(data.get(key, 0)) for key in cls().as_json()})


@dataclass(frozen=True)
class Turn:
    """One conversation turn to extract facts from."""

    user_id: str
    agent_id: str
    user_message: str
    ai_response: str
    occurred_at: datetime | None = None  # None: when it arrives
    session_id: str = ""


@dataclass(frozen=True)
class ExtractionTask:
    id: UUID
    user_id: str
    agent_id: str
    status: TaskStatus
    attempts: int
    max_attempts: int
    error: str | None
    counts: ExtractionCounts | None
    skipped_reason: str | None
    request_id: str | None
    user_message: str
    ai_response: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None
    occurred_at: datetime
    session_id: str = ""
    error_reason: str | None = None
    give_up_at: datetime | None = None
    charged_attempts: int = 0  # attempts counted against max_attempts (see db/tasks.py)

    @property
    def turn(self) -> Turn:
        return Turn(self.user_id, self.agent_id, self.user_message, self.ai_response, self.occurred_at, self.session_id)


@dataclass(frozen=True)
class ClaimedTask:
    """A task a worker holds: lease_token fences every write of its results."""

    task: ExtractionTask
    lease_token: UUID

    @property
    def attempt(self) -> int:
        return self.task.attempts


@dataclass(frozen=True)
class ReembeddingProgress:
    active_model: str
    target_model: str
    facts_done: int
    facts_total: int
    completed: bool


@dataclass(frozen=True)
class ExtractionEvent:
    id: int
    user_id: str  # "" for events about no user (re-embedding progress)
    agent_id: str
    task_id: UUID | None
    type: EventType
    attempt: int
    counts: ExtractionCounts | None
    error: str | None
    skipped_reason: str | None
    retry_at: datetime | None
    created_at: datetime | None
    error_reason: str | None = None
    reembedding: ReembeddingProgress | None = None


@dataclass(frozen=True)
class Agent:
    agent_id: str
    memory_scope: MemoryScope
    created_at: datetime | None
    updated_at: datetime | None
    display_name: str = ""


@dataclass(frozen=True)
class UserSettings:
    user_id: str
    extraction_enabled: bool
    updated_at: datetime | None
    retention_days: int = 0  # 0: keep until deleted
    display_name: str = ""


@dataclass(frozen=True)
class FactChange:
    fact_id: UUID
    user_id: str
    type: FactChangeType
    old_text: str | None
    new_text: str | None
    task_id: UUID | None
    request_id: str | None
    changed_at: datetime


@dataclass(frozen=True)
class FactHistory:
    """A fact, the versions it superseded (newest first), and their changes (newest first)."""

    versions: list[Fact]
    changes: list[FactChange]


@dataclass(frozen=True)
class QueueStats:
    pending: int
    processing: int
    completed: int
    failed: int
    oldest_pending_age_seconds: float
    average_duration_seconds: float
    skipped: int = 0


@dataclass(frozen=True)
class PlannedChange:
    """One step of an extraction plan: what to store and which current fact it touches."""

    action: PlannedAction
    draft: FactDraft | None
    existing: Fact | None


@dataclass(frozen=True)
class ExtractionPlan:
    mode: ExtractionMode
    changes: tuple[PlannedChange, ...]
    skipped_reason: str | None = None

    @property
    def counts(self) -> ExtractionCounts:
        def count(action: PlannedAction) -> int:
            return sum(1 for change in self.changes if change.action is action)

        return ExtractionCounts(
            facts_added=count(PlannedAction.ADD),
            facts_updated=count(PlannedAction.UPDATE),
            facts_superseded=count(PlannedAction.SUPERSEDE),
            duplicates_skipped=count(PlannedAction.SKIP_DUPLICATE),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str


EXPORT_FORMAT_VERSION = "1"


@dataclass(frozen=True)
class ExportCounts:
    facts: int
    fact_changes: int
    tasks: int
    events: int
    agents: int


@dataclass(frozen=True)
class ExportHeader:
    """The first record of an export: what follows, taken when."""

    user_id: str
    snapshot_at: datetime
    counts: ExportCounts
    format_version: str = EXPORT_FORMAT_VERSION


ExportRecord = ExportHeader | UserSettings | Agent | Fact | FactChange | ExtractionTask | ExtractionEvent


@dataclass(frozen=True)
class ErasureReceipt:
    """What ForgetUser removed: counts per table and a time, never content."""

    user_id: str
    erased_at: datetime
    deleted_rows: dict[str, int]
    ledger_id: int  # 0 when there was nothing to erase


class TokenRole(StrEnum):
    SERVICE = "service"  # a bot: every user's data, no administration
    USER = "user"  # one person: their own user_id only
    ADMIN = "admin"  # everything


@dataclass(frozen=True)
class AccessToken:
    """A token as stored: never its secret."""

    name: str
    role: TokenRole
    user_id: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's name and role, or anyone when authentication is off (a loopback listener)."""

    name: str
    role: TokenRole
    user_id: str | None = None
