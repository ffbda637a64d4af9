import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voxbridge.memory.v1 import fact_pb2 as _fact_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExtractionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXTRACTION_STATUS_UNSPECIFIED: _ClassVar[ExtractionStatus]
    EXTRACTION_STATUS_PENDING: _ClassVar[ExtractionStatus]
    EXTRACTION_STATUS_PROCESSING: _ClassVar[ExtractionStatus]
    EXTRACTION_STATUS_COMPLETED: _ClassVar[ExtractionStatus]
    EXTRACTION_STATUS_FAILED: _ClassVar[ExtractionStatus]
    EXTRACTION_STATUS_SKIPPED: _ClassVar[ExtractionStatus]

class ExtractionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXTRACTION_MODE_UNSPECIFIED: _ClassVar[ExtractionMode]
    EXTRACTION_MODE_LLM: _ClassVar[ExtractionMode]
    EXTRACTION_MODE_VERBATIM: _ClassVar[ExtractionMode]

class ExtractionEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXTRACTION_EVENT_TYPE_UNSPECIFIED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_QUEUED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_PROCESSING: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_COMPLETED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_RETRYING: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_FAILED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_HEARTBEAT: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_RELEASED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_REQUEUED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_SKIPPED: _ClassVar[ExtractionEventType]
    EXTRACTION_EVENT_TYPE_REEMBEDDING: _ClassVar[ExtractionEventType]

class PlannedAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLANNED_ACTION_UNSPECIFIED: _ClassVar[PlannedAction]
    PLANNED_ACTION_ADD: _ClassVar[PlannedAction]
    PLANNED_ACTION_UPDATE: _ClassVar[PlannedAction]
    PLANNED_ACTION_SUPERSEDE: _ClassVar[PlannedAction]
    PLANNED_ACTION_SKIP_DUPLICATE: _ClassVar[PlannedAction]
EXTRACTION_STATUS_UNSPECIFIED: ExtractionStatus
EXTRACTION_STATUS_PENDING: ExtractionStatus
EXTRACTION_STATUS_PROCESSING: ExtractionStatus
EXTRACTION_STATUS_COMPLETED: ExtractionStatus
EXTRACTION_STATUS_FAILED: ExtractionStatus
EXTRACTION_STATUS_SKIPPED: ExtractionStatus
EXTRACTION_MODE_UNSPECIFIED: ExtractionMode
EXTRACTION_MODE_LLM: ExtractionMode
EXTRACTION_MODE_VERBATIM: ExtractionMode
EXTRACTION_EVENT_TYPE_UNSPECIFIED: ExtractionEventType
EXTRACTION_EVENT_TYPE_QUEUED: ExtractionEventType
EXTRACTION_EVENT_TYPE_PROCESSING: ExtractionEventType
EXTRACTION_EVENT_TYPE_COMPLETED: ExtractionEventType
EXTRACTION_EVENT_TYPE_RETRYING: ExtractionEventType
EXTRACTION_EVENT_TYPE_FAILED: ExtractionEventType
EXTRACTION_EVENT_TYPE_HEARTBEAT: ExtractionEventType
EXTRACTION_EVENT_TYPE_RELEASED: ExtractionEventType
EXTRACTION_EVENT_TYPE_REQUEUED: ExtractionEventType
EXTRACTION_EVENT_TYPE_SKIPPED: ExtractionEventType
EXTRACTION_EVENT_TYPE_REEMBEDDING: ExtractionEventType
PLANNED_ACTION_UNSPECIFIED: PlannedAction
PLANNED_ACTION_ADD: PlannedAction
PLANNED_ACTION_UPDATE: PlannedAction
PLANNED_ACTION_SUPERSEDE: PlannedAction
PLANNED_ACTION_SKIP_DUPLICATE: PlannedAction

class ExtractionCounts(_message.Message):
    __slots__ = ("facts_added", "facts_updated", "facts_superseded", "duplicates_skipped")
    FACTS_ADDED_FIELD_NUMBER: _ClassVar[int]
    FACTS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    FACTS_SUPERSEDED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    facts_added: int
    facts_updated: int
    facts_superseded: int
    duplicates_skipped: int
    def __init__(self, facts_added: _Optional[int] = ..., facts_updated: _Optional[int] = ..., facts_superseded: _Optional[int] = ..., duplicates_skipped: _Optional[int] = ...) -> None: ...

class ExtractionTask(_message.Message):
    __slots__ = ("id", "user_id", "agent_id", "status", "attempts", "max_attempts", "error", "counts", "skipped_reason", "request_id", "user_message", "ai_response", "created_at", "started_at", "finished_at", "due_at", "occurred_at", "session_id", "error_reason", "give_up_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AI_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    GIVE_UP_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    agent_id: str
    status: ExtractionStatus
    attempts: int
    max_attempts: int
    error: str
    counts: ExtractionCounts
    skipped_reason: str
    request_id: str
    user_message: str
    ai_response: str
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    occurred_at: _timestamp_pb2.Timestamp
    session_id: str
    error_reason: str
    give_up_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., status: _Optional[_Union[ExtractionStatus, str]] = ..., attempts: _Optional[int] = ..., max_attempts: _Optional[int] = ..., error: _Optional[str] = ..., counts: _Optional[_Union[ExtractionCounts, _Mapping]] = ..., skipped_reason: _Optional[str] = ..., request_id: _Optional[str] = ..., user_message: _Optional[str] = ..., ai_response: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., session_id: _Optional[str] = ..., error_reason: _Optional[str] = ..., give_up_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExtractionEvent(_message.Message):
    __slots__ = ("event_id", "task_id", "user_id", "type", "attempt", "counts", "error", "skipped_reason", "retry_at", "created_at", "agent_id", "error_reason", "reembedding")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    RETRY_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    REEMBEDDING_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    task_id: str
    user_id: str
    type: ExtractionEventType
    attempt: int
    counts: ExtractionCounts
    error: str
    skipped_reason: str
    retry_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    agent_id: str
    error_reason: str
    reembedding: ReembeddingProgress
    def __init__(self, event_id: _Optional[int] = ..., task_id: _Optional[str] = ..., user_id: _Optional[str] = ..., type: _Optional[_Union[ExtractionEventType, str]] = ..., attempt: _Optional[int] = ..., counts: _Optional[_Union[ExtractionCounts, _Mapping]] = ..., error: _Optional[str] = ..., skipped_reason: _Optional[str] = ..., retry_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ..., error_reason: _Optional[str] = ..., reembedding: _Optional[_Union[ReembeddingProgress, _Mapping]] = ...) -> None: ...

class ReembeddingProgress(_message.Message):
    __slots__ = ("active_model", "target_model", "facts_done", "facts_total", "completed")
    ACTIVE_MODEL_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    FACTS_DONE_FIELD_NUMBER: _ClassVar[int]
    FACTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    active_model: str
    target_model: str
    facts_done: int
    facts_total: int
    completed: bool
    def __init__(self, active_model: _Optional[str] = ..., target_model: _Optional[str] = ..., facts_done: _Optional[int] = ..., facts_total: _Optional[int] = ..., completed: _Optional[bool] = ...) -> None: ...

class PlannedFactChange(_message.Message):
    __slots__ = ("action", "fact", "existing_fact")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FACT_FIELD_NUMBER: _ClassVar[int]
    EXISTING_FACT_FIELD_NUMBER: _ClassVar[int]
    action: PlannedAction
    fact: _fact_pb2.Fact
    existing_fact: _fact_pb2.Fact
    def __init__(self, action: _Optional[_Union[PlannedAction, str]] = ..., fact: _Optional[_Union[_fact_pb2.Fact, _Mapping]] = ..., existing_fact: _Optional[_Union[_fact_pb2.Fact, _Mapping]] = ...) -> None: ...
