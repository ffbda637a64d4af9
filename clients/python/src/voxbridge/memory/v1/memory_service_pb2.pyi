import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voxbridge.memory.v1 import export_pb2 as _export_pb2
from voxbridge.memory.v1 import extraction_pb2 as _extraction_pb2
from voxbridge.memory.v1 import fact_pb2 as _fact_pb2
from voxbridge.memory.v1 import user_pb2 as _user_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetContextRequest(_message.Message):
    __slots__ = ("user_id", "agent_id", "query", "limit", "min_relevance", "as_of")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MIN_RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    query: str
    limit: int
    min_relevance: float
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., query: _Optional[str] = ..., limit: _Optional[int] = ..., min_relevance: _Optional[float] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetContextResponse(_message.Message):
    __slots__ = ("facts", "context")
    FACTS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    facts: _containers.RepeatedCompositeFieldContainer[_fact_pb2.ScoredFact]
    context: str
    def __init__(self, facts: _Optional[_Iterable[_Union[_fact_pb2.ScoredFact, _Mapping]]] = ..., context: _Optional[str] = ...) -> None: ...

class CreateFactRequest(_message.Message):
    __slots__ = ("fact", "request_id")
    FACT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    fact: _fact_pb2.Fact
    request_id: str
    def __init__(self, fact: _Optional[_Union[_fact_pb2.Fact, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchCreateFactsRequest(_message.Message):
    __slots__ = ("user_id", "facts", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    facts: _containers.RepeatedCompositeFieldContainer[_fact_pb2.Fact]
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., facts: _Optional[_Iterable[_Union[_fact_pb2.Fact, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchCreateFactsResponse(_message.Message):
    __slots__ = ("facts",)
    FACTS_FIELD_NUMBER: _ClassVar[int]
    facts: _containers.RepeatedCompositeFieldContainer[_fact_pb2.Fact]
    def __init__(self, facts: _Optional[_Iterable[_Union[_fact_pb2.Fact, _Mapping]]] = ...) -> None: ...

class GetFactRequest(_message.Message):
    __slots__ = ("user_id", "fact_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FACT_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    fact_id: str
    def __init__(self, user_id: _Optional[str] = ..., fact_id: _Optional[str] = ...) -> None: ...

class ListFactsRequest(_message.Message):
    __slots__ = ("user_id", "agent_id", "include_invalid", "page_size", "page_token", "as_of")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INVALID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    include_invalid: bool
    page_size: int
    page_token: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., include_invalid: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFactsResponse(_message.Message):
    __slots__ = ("facts", "next_page_token")
    FACTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    facts: _containers.RepeatedCompositeFieldContainer[_fact_pb2.Fact]
    next_page_token: str
    def __init__(self, facts: _Optional[_Iterable[_Union[_fact_pb2.Fact, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateFactRequest(_message.Message):
    __slots__ = ("fact", "update_mask", "request_id")
    FACT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    fact: _fact_pb2.Fact
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, fact: _Optional[_Union[_fact_pb2.Fact, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteFactRequest(_message.Message):
    __slots__ = ("user_id", "fact_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FACT_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    fact_id: str
    def __init__(self, user_id: _Optional[str] = ..., fact_id: _Optional[str] = ...) -> None: ...

class DeleteFactResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetFactHistoryRequest(_message.Message):
    __slots__ = ("user_id", "fact_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FACT_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    fact_id: str
    def __init__(self, user_id: _Optional[str] = ..., fact_id: _Optional[str] = ...) -> None: ...

class GetFactHistoryResponse(_message.Message):
    __slots__ = ("versions", "changes")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[_fact_pb2.Fact]
    changes: _containers.RepeatedCompositeFieldContainer[_fact_pb2.FactChange]
    def __init__(self, versions: _Optional[_Iterable[_Union[_fact_pb2.Fact, _Mapping]]] = ..., changes: _Optional[_Iterable[_Union[_fact_pb2.FactChange, _Mapping]]] = ...) -> None: ...

class QueueExtractionRequest(_message.Message):
    __slots__ = ("user_id", "agent_id", "user_message", "ai_response", "request_id", "occurred_at", "session_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AI_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    user_message: str
    ai_response: str
    request_id: str
    occurred_at: _timestamp_pb2.Timestamp
    session_id: str
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., user_message: _Optional[str] = ..., ai_response: _Optional[str] = ..., request_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class GetExtractionRequest(_message.Message):
    __slots__ = ("task_id", "user_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    user_id: str
    def __init__(self, task_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListExtractionsRequest(_message.Message):
    __slots__ = ("user_id", "statuses", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    statuses: _containers.RepeatedScalarFieldContainer[_extraction_pb2.ExtractionStatus]
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_extraction_pb2.ExtractionStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExtractionsResponse(_message.Message):
    __slots__ = ("tasks", "next_page_token")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_extraction_pb2.ExtractionTask]
    next_page_token: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[_extraction_pb2.ExtractionTask, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RequeueExtractionsRequest(_message.Message):
    __slots__ = ("user_id", "task_ids")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RequeueExtractionsResponse(_message.Message):
    __slots__ = ("task_ids",)
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchExtractionsRequest(_message.Message):
    __slots__ = ("user_id", "after_event_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    after_event_id: int
    def __init__(self, user_id: _Optional[str] = ..., after_event_id: _Optional[int] = ...) -> None: ...

class PreviewExtractionRequest(_message.Message):
    __slots__ = ("user_id", "agent_id", "user_message", "ai_response")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AI_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    user_message: str
    ai_response: str
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., user_message: _Optional[str] = ..., ai_response: _Optional[str] = ...) -> None: ...

class PreviewExtractionResponse(_message.Message):
    __slots__ = ("mode", "skipped_reason", "changes")
    MODE_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    mode: _extraction_pb2.ExtractionMode
    skipped_reason: str
    changes: _containers.RepeatedCompositeFieldContainer[_extraction_pb2.PlannedFactChange]
    def __init__(self, mode: _Optional[_Union[_extraction_pb2.ExtractionMode, str]] = ..., skipped_reason: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[_extraction_pb2.PlannedFactChange, _Mapping]]] = ...) -> None: ...

class GetQueueStatsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetQueueStatsResponse(_message.Message):
    __slots__ = ("pending", "processing", "completed", "failed", "oldest_pending_age", "average_duration", "mode", "skipped")
    PENDING_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_AGE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_DURATION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    pending: int
    processing: int
    completed: int
    failed: int
    oldest_pending_age: _duration_pb2.Duration
    average_duration: _duration_pb2.Duration
    mode: _extraction_pb2.ExtractionMode
    skipped: int
    def __init__(self, pending: _Optional[int] = ..., processing: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., oldest_pending_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., average_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., mode: _Optional[_Union[_extraction_pb2.ExtractionMode, str]] = ..., skipped: _Optional[int] = ...) -> None: ...

class RegisterAgentRequest(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: _user_pb2.Agent
    def __init__(self, agent: _Optional[_Union[_user_pb2.Agent, _Mapping]] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents", "next_page_token")
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[_user_pb2.Agent]
    next_page_token: str
    def __init__(self, agents: _Optional[_Iterable[_Union[_user_pb2.Agent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetUserSettingsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class UpdateUserSettingsRequest(_message.Message):
    __slots__ = ("settings", "update_mask")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    settings: _user_pb2.UserSettings
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, settings: _Optional[_Union[_user_pb2.UserSettings, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ExportUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ExportUserResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_export_pb2.ExportRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_export_pb2.ExportRecord, _Mapping]]] = ...) -> None: ...

class ForgetUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ForgetUserResponse(_message.Message):
    __slots__ = ("receipt",)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: _export_pb2.ErasureReceipt
    def __init__(self, receipt: _Optional[_Union[_export_pb2.ErasureReceipt, _Mapping]] = ...) -> None: ...
