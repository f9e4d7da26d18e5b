from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetFileStatusRequest(_message.Message):
    __slots__ = ("paths", "cwd")
    PATHS_FIELD_NUMBER: _ClassVar[int]
    CWD_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    def __init__(self, paths: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ...) -> None: ...

class FileStatus(_message.Message):
    __slots__ = ("path", "abs_path", "workspace", "exists", "hash", "produced_by", "producer_job_uid", "producer_argv", "note", "consumed_by", "stale", "stale_reasons", "stale_consumers", "tracked")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ABS_PATH_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PRODUCED_BY_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_JOB_UID_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_ARGV_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_BY_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    STALE_REASONS_FIELD_NUMBER: _ClassVar[int]
    STALE_CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    TRACKED_FIELD_NUMBER: _ClassVar[int]
    path: str
    abs_path: str
    workspace: str
    exists: bool
    hash: str
    produced_by: str
    producer_job_uid: str
    producer_argv: _containers.RepeatedScalarFieldContainer[str]
    note: str
    consumed_by: _containers.RepeatedScalarFieldContainer[str]
    stale: bool
    stale_reasons: _containers.RepeatedScalarFieldContainer[str]
    stale_consumers: _containers.RepeatedScalarFieldContainer[str]
    tracked: bool
    def __init__(self, path: _Optional[str] = ..., abs_path: _Optional[str] = ..., workspace: _Optional[str] = ..., exists: _Optional[bool] = ..., hash: _Optional[str] = ..., produced_by: _Optional[str] = ..., producer_job_uid: _Optional[str] = ..., producer_argv: _Optional[_Iterable[str]] = ..., note: _Optional[str] = ..., consumed_by: _Optional[_Iterable[str]] = ..., stale: _Optional[bool] = ..., stale_reasons: _Optional[_Iterable[str]] = ..., stale_consumers: _Optional[_Iterable[str]] = ..., tracked: _Optional[bool] = ...) -> None: ...

class GetFileStatusResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[FileStatus]
    def __init__(self, files: _Optional[_Iterable[_Union[FileStatus, _Mapping]]] = ...) -> None: ...

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
