import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemoryScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMORY_SCOPE_UNSPECIFIED: _ClassVar[MemoryScope]
    MEMORY_SCOPE_GLOBAL: _ClassVar[MemoryScope]
    MEMORY_SCOPE_AGENT: _ClassVar[MemoryScope]
MEMORY_SCOPE_UNSPECIFIED: MemoryScope
MEMORY_SCOPE_GLOBAL: MemoryScope
MEMORY_SCOPE_AGENT: MemoryScope

class UserSettings(_message.Message):
    __slots__ = ("user_id", "extraction_enabled", "updated_at", "retention_days", "display_name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXTRACTION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    extraction_enabled: bool
    updated_at: _timestamp_pb2.Timestamp
    retention_days: int
    display_name: str
    def __init__(self, user_id: _Optional[str] = ..., extraction_enabled: _Optional[bool] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., retention_days: _Optional[int] = ..., display_name: _Optional[str] = ...) -> None: ...

class Agent(_message.Message):
    __slots__ = ("agent_id", "memory_scope", "created_at", "updated_at", "display_name")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_SCOPE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    memory_scope: MemoryScope
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    display_name: str
    def __init__(self, agent_id: _Optional[str] = ..., memory_scope: _Optional[_Union[MemoryScope, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., display_name: _Optional[str] = ...) -> None: ...
