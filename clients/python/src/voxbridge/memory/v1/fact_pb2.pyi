import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FactSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FACT_SOURCE_UNSPECIFIED: _ClassVar[FactSource]
    FACT_SOURCE_MANUAL: _ClassVar[FactSource]
    FACT_SOURCE_EXTRACTED: _ClassVar[FactSource]
    FACT_SOURCE_IMPORTED: _ClassVar[FactSource]

class FactChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FACT_CHANGE_TYPE_UNSPECIFIED: _ClassVar[FactChangeType]
    FACT_CHANGE_TYPE_CREATED: _ClassVar[FactChangeType]
    FACT_CHANGE_TYPE_EDITED: _ClassVar[FactChangeType]
    FACT_CHANGE_TYPE_SUPERSEDED: _ClassVar[FactChangeType]
    FACT_CHANGE_TYPE_INVALIDATED: _ClassVar[FactChangeType]
    FACT_CHANGE_TYPE_DELETED: _ClassVar[FactChangeType]
    FACT_CHANGE_TYPE_EXPIRED: _ClassVar[FactChangeType]
FACT_SOURCE_UNSPECIFIED: FactSource
FACT_SOURCE_MANUAL: FactSource
FACT_SOURCE_EXTRACTED: FactSource
FACT_SOURCE_IMPORTED: FactSource
FACT_CHANGE_TYPE_UNSPECIFIED: FactChangeType
FACT_CHANGE_TYPE_CREATED: FactChangeType
FACT_CHANGE_TYPE_EDITED: FactChangeType
FACT_CHANGE_TYPE_SUPERSEDED: FactChangeType
FACT_CHANGE_TYPE_INVALIDATED: FactChangeType
FACT_CHANGE_TYPE_DELETED: FactChangeType
FACT_CHANGE_TYPE_EXPIRED: FactChangeType

class Fact(_message.Message):
    __slots__ = ("id", "user_id", "agent_id", "fact_key", "fact_value", "text", "importance", "source", "embedding_model", "source_task_id", "supersedes_fact_id", "valid_from", "valid_to", "created_at", "updated_at", "session_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    FACT_KEY_FIELD_NUMBER: _ClassVar[int]
    FACT_VALUE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDES_FACT_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    agent_id: str
    fact_key: str
    fact_value: str
    text: str
    importance: float
    source: FactSource
    embedding_model: str
    source_task_id: str
    supersedes_fact_id: str
    valid_from: _timestamp_pb2.Timestamp
    valid_to: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    session_id: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., fact_key: _Optional[str] = ..., fact_value: _Optional[str] = ..., text: _Optional[str] = ..., importance: _Optional[float] = ..., source: _Optional[_Union[FactSource, str]] = ..., embedding_model: _Optional[str] = ..., source_task_id: _Optional[str] = ..., supersedes_fact_id: _Optional[str] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class ScoredFact(_message.Message):
    __slots__ = ("fact", "relevance")
    FACT_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    fact: Fact
    relevance: float
    def __init__(self, fact: _Optional[_Union[Fact, _Mapping]] = ..., relevance: _Optional[float] = ...) -> None: ...

class FactChange(_message.Message):
    __slots__ = ("fact_id", "type", "old_text", "new_text", "task_id", "request_id", "changed_at", "user_id")
    FACT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OLD_TEXT_FIELD_NUMBER: _ClassVar[int]
    NEW_TEXT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    fact_id: str
    type: FactChangeType
    old_text: str
    new_text: str
    task_id: str
    request_id: str
    changed_at: _timestamp_pb2.Timestamp
    user_id: str
    def __init__(self, fact_id: _Optional[str] = ..., type: _Optional[_Union[FactChangeType, str]] = ..., old_text: _Optional[str] = ..., new_text: _Optional[str] = ..., task_id: _Optional[str] = ..., request_id: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...
