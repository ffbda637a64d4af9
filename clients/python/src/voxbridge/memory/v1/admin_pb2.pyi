import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voxbridge.memory.v1 import extraction_pb2 as _extraction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOKEN_ROLE_UNSPECIFIED: _ClassVar[TokenRole]
    TOKEN_ROLE_SERVICE: _ClassVar[TokenRole]
    TOKEN_ROLE_USER: _ClassVar[TokenRole]
    TOKEN_ROLE_ADMIN: _ClassVar[TokenRole]

class SettingSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTING_SOURCE_UNSPECIFIED: _ClassVar[SettingSource]
    SETTING_SOURCE_DATABASE: _ClassVar[SettingSource]
    SETTING_SOURCE_ENVIRONMENT: _ClassVar[SettingSource]
    SETTING_SOURCE_DEFAULT: _ClassVar[SettingSource]
TOKEN_ROLE_UNSPECIFIED: TokenRole
TOKEN_ROLE_SERVICE: TokenRole
TOKEN_ROLE_USER: TokenRole
TOKEN_ROLE_ADMIN: TokenRole
SETTING_SOURCE_UNSPECIFIED: SettingSource
SETTING_SOURCE_DATABASE: SettingSource
SETTING_SOURCE_ENVIRONMENT: SettingSource
SETTING_SOURCE_DEFAULT: SettingSource

class AccessToken(_message.Message):
    __slots__ = ("name", "role", "user_id", "created_at", "revoked_at", "last_used_at", "prefix")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: TokenRole
    user_id: str
    created_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    last_used_at: _timestamp_pb2.Timestamp
    prefix: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[TokenRole, str]] = ..., user_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., prefix: _Optional[str] = ...) -> None: ...

class CreateTokenRequest(_message.Message):
    __slots__ = ("role", "user_id", "name")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    role: TokenRole
    user_id: str
    name: str
    def __init__(self, role: _Optional[_Union[TokenRole, str]] = ..., user_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CreateTokenResponse(_message.Message):
    __slots__ = ("token", "secret")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    token: AccessToken
    secret: str
    def __init__(self, token: _Optional[_Union[AccessToken, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListTokensRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTokensResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[AccessToken]
    def __init__(self, tokens: _Optional[_Iterable[_Union[AccessToken, _Mapping]]] = ...) -> None: ...

class RevokeTokenRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SystemSetting(_message.Message):
    __slots__ = ("name", "value", "source", "write_only", "is_set", "environment_variable", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    WRITE_ONLY_FIELD_NUMBER: _ClassVar[int]
    IS_SET_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    source: SettingSource
    write_only: bool
    is_set: bool
    environment_variable: str
    description: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., source: _Optional[_Union[SettingSource, str]] = ..., write_only: _Optional[bool] = ..., is_set: _Optional[bool] = ..., environment_variable: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class GetSystemSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSystemSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: _containers.RepeatedCompositeFieldContainer[SystemSetting]
    def __init__(self, settings: _Optional[_Iterable[_Union[SystemSetting, _Mapping]]] = ...) -> None: ...

class UpdateSystemSettingsRequest(_message.Message):
    __slots__ = ("values", "clear")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    values: _containers.ScalarMap[str, str]
    clear: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Mapping[str, str]] = ..., clear: _Optional[_Iterable[str]] = ...) -> None: ...

class GetEmbeddingStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CachedModel(_message.Message):
    __slots__ = ("name", "path", "size_bytes", "files", "in_use")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    IN_USE_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    size_bytes: int
    files: int
    in_use: bool
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., size_bytes: _Optional[int] = ..., files: _Optional[int] = ..., in_use: _Optional[bool] = ...) -> None: ...

class ListCachedModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCachedModelsResponse(_message.Message):
    __slots__ = ("models", "freed_bytes")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    FREED_BYTES_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[CachedModel]
    freed_bytes: int
    def __init__(self, models: _Optional[_Iterable[_Union[CachedModel, _Mapping]]] = ..., freed_bytes: _Optional[int] = ...) -> None: ...

class PruneCachedModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
