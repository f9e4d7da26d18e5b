from roar_api.v1 import jobs_pb2 as _jobs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InheritedFile(_message.Message):
    __slots__ = ("fd", "path", "flags")
    FD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    fd: int
    path: str
    flags: int
    def __init__(self, fd: _Optional[int] = ..., path: _Optional[str] = ..., flags: _Optional[int] = ...) -> None: ...

class BeginRunRequest(_message.Message):
    __slots__ = ("workspace", "argv", "cwd", "kind", "tracer", "inherited_files", "environment")
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    CWD_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TRACER_FIELD_NUMBER: _ClassVar[int]
    INHERITED_FILES_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    kind: str
    tracer: str
    inherited_files: _containers.RepeatedCompositeFieldContainer[InheritedFile]
    environment: _containers.ScalarMap[str, str]
    def __init__(self, workspace: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., kind: _Optional[str] = ..., tracer: _Optional[str] = ..., inherited_files: _Optional[_Iterable[_Union[InheritedFile, _Mapping]]] = ..., environment: _Optional[_Mapping[str, str]] = ...) -> None: ...

class LaunchSpec(_message.Message):
    __slots__ = ("argv_prefix", "environment", "tracer")
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ARGV_PREFIX_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    TRACER_FIELD_NUMBER: _ClassVar[int]
    argv_prefix: _containers.RepeatedScalarFieldContainer[str]
    environment: _containers.ScalarMap[str, str]
    tracer: str
    def __init__(self, argv_prefix: _Optional[_Iterable[str]] = ..., environment: _Optional[_Mapping[str, str]] = ..., tracer: _Optional[str] = ...) -> None: ...

class BeginRunResponse(_message.Message):
    __slots__ = ("run_id", "launch", "warnings", "quiet")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    QUIET_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    launch: LaunchSpec
    warnings: _containers.RepeatedScalarFieldContainer[str]
    quiet: bool
    def __init__(self, run_id: _Optional[str] = ..., launch: _Optional[_Union[LaunchSpec, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ..., quiet: _Optional[bool] = ...) -> None: ...

class ResourceUsage(_message.Message):
    __slots__ = ("user_seconds", "system_seconds", "max_rss_kb")
    USER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_RSS_KB_FIELD_NUMBER: _ClassVar[int]
    user_seconds: float
    system_seconds: float
    max_rss_kb: int
    def __init__(self, user_seconds: _Optional[float] = ..., system_seconds: _Optional[float] = ..., max_rss_kb: _Optional[int] = ...) -> None: ...

class EndRunRequest(_message.Message):
    __slots__ = ("run_id", "exit_code", "signal", "usage", "interrupted", "spawn_error", "explain")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_FIELD_NUMBER: _ClassVar[int]
    SPAWN_ERROR_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    exit_code: int
    signal: int
    usage: ResourceUsage
    interrupted: bool
    spawn_error: str
    explain: bool
    def __init__(self, run_id: _Optional[str] = ..., exit_code: _Optional[int] = ..., signal: _Optional[int] = ..., usage: _Optional[_Union[ResourceUsage, _Mapping]] = ..., interrupted: _Optional[bool] = ..., spawn_error: _Optional[str] = ..., explain: _Optional[bool] = ...) -> None: ...

class EndRunResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _jobs_pb2.Job
    def __init__(self, job: _Optional[_Union[_jobs_pb2.Job, _Mapping]] = ...) -> None: ...
