import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voxbridge.memory.v1 import extraction_pb2 as _extraction_pb2
from voxbridge.memory.v1 import fact_pb2 as _fact_pb2
from voxbridge.memory.v1 import user_pb2 as _user_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportHeader(_message.Message):
    __slots__ = ("format_version", "user_id", "snapshot_at", "counts")
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_AT_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    format_version: str
    user_id: str
    snapshot_at: _timestamp_pb2.Timestamp
    counts: ExportCounts
    def __init__(self, format_version: _Optional[str] = ..., user_id: _Optional[str] = ..., snapshot_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., counts: _Optional[_Union[ExportCounts, _Mapping]] = ...) -> None: ...

class ExportCounts(_message.Message):
    __slots__ = ("facts", "fact_changes", "tasks", "events", "agents")
    FACTS_FIELD_NUMBER: _ClassVar[int]
    FACT_CHANGES_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    facts: int
    fact_changes: int
    tasks: int
    events: int
    agents: int
    def __init__(self, facts: _Optional[int] = ..., fact_changes: _Optional[int] = ..., tasks: _Optional[int] = ..., events: _Optional[int] = ..., agents: _Optional[int] = ...) -> None: ...

class ExportRecord(_message.Message):
    __slots__ = ("header", "settings", "agent", "fact", "fact_change", "task", "event")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    FACT_FIELD_NUMBER: _ClassVar[int]
    FACT_CHANGE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    header: ExportHeader
    settings: _user_pb2.UserSettings
    agent: _user_pb2.Agent
    fact: _fact_pb2.Fact
    fact_change: _fact_pb2.FactChange
    task: _extraction_pb2.ExtractionTask
    event: _extraction_pb2.ExtractionEvent
    def __init__(self, header: _Optional[_Union[ExportHeader, _Mapping]] = ..., settings: _Optional[_Union[_user_pb2.UserSettings, _Mapping]] = ..., agent: _Optional[_Union[_user_pb2.Agent, _Mapping]] = ..., fact: _Optional[_Union[_fact_pb2.Fact, _Mapping]] = ..., fact_change: _Optional[_Union[_fact_pb2.FactChange, _Mapping]] = ..., task: _Optional[_Union[_extraction_pb2.ExtractionTask, _Mapping]] = ..., event: _Optional[_Union[_extraction_pb2.ExtractionEvent, _Mapping]] = ...) -> None: ...

class ErasureReceipt(_message.Message):
    __slots__ = ("user_id", "erased_at", "deleted_rows", "ledger_id")
    class DeletedRowsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ERASED_AT_FIELD_NUMBER: _ClassVar[int]
    DELETED_ROWS_FIELD_NUMBER: _ClassVar[int]
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    erased_at: _timestamp_pb2.Timestamp
    deleted_rows: _containers.ScalarMap[str, int]
    ledger_id: int
    def __init__(self, user_id: _Optional[str] = ..., erased_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deleted_rows: _Optional[_Mapping[str, int]] = ..., ledger_id: _Optional[int] = ...) -> None: ...
