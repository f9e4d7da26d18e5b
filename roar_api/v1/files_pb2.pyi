from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class FileRecord(_message.Message):
    __slots__ = ("path", "hash", "size", "abs_path", "flags", "target")
    PATH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ABS_PATH_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    path: str
    hash: str
    size: int
    abs_path: str
    flags: _containers.RepeatedScalarFieldContainer[str]
    target: str
    def __init__(self, path: _Optional[str] = ..., hash: _Optional[str] = ..., size: _Optional[int] = ..., abs_path: _Optional[str] = ..., flags: _Optional[_Iterable[str]] = ..., target: _Optional[str] = ...) -> None: ...

class FilterDecision(_message.Message):
    __slots__ = ("path", "kept", "role", "reason")
    PATH_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    path: str
    kept: bool
    role: str
    reason: str
    def __init__(self, path: _Optional[str] = ..., kept: _Optional[bool] = ..., role: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ChecklistItem(_message.Message):
    __slots__ = ("name", "ok", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    ok: bool
    detail: str
    def __init__(self, name: _Optional[str] = ..., ok: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...
