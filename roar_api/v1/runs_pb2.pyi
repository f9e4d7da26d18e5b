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
    __slots__ = ("workspace", "argv", "cwd", "kind", "tracer", "inherited_files", "environment", "rerun_of")
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
    RERUN_OF_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    kind: str
    tracer: str
    inherited_files: _containers.RepeatedCompositeFieldContainer[InheritedFile]
    environment: _containers.ScalarMap[str, str]
    rerun_of: str
    def __init__(self, workspace: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., kind: _Optional[str] = ..., tracer: _Optional[str] = ..., inherited_files: _Optional[_Iterable[_Union[InheritedFile, _Mapping]]] = ..., environment: _Optional[_Mapping[str, str]] = ..., rerun_of: _Optional[str] = ...) -> None: ...

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

class TerminalSize(_message.Message):
    __slots__ = ("rows", "cols")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    rows: int
    cols: int
    def __init__(self, rows: _Optional[int] = ..., cols: _Optional[int] = ...) -> None: ...

class StartRunRequest(_message.Message):
    __slots__ = ("workspace", "argv", "cwd", "kind", "tracer", "environment", "pty", "size", "cancel_on_disconnect", "explain")
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
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    PTY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ON_DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    kind: str
    tracer: str
    environment: _containers.ScalarMap[str, str]
    pty: bool
    size: TerminalSize
    cancel_on_disconnect: bool
    explain: bool
    def __init__(self, workspace: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., kind: _Optional[str] = ..., tracer: _Optional[str] = ..., environment: _Optional[_Mapping[str, str]] = ..., pty: _Optional[bool] = ..., size: _Optional[_Union[TerminalSize, _Mapping]] = ..., cancel_on_disconnect: _Optional[bool] = ..., explain: _Optional[bool] = ...) -> None: ...

class RunStarted(_message.Message):
    __slots__ = ("run_id", "pid", "workspace", "argv", "tracer", "warnings", "pty")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    TRACER_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    PTY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pid: int
    workspace: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    tracer: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    pty: bool
    def __init__(self, run_id: _Optional[str] = ..., pid: _Optional[int] = ..., workspace: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., tracer: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., pty: _Optional[bool] = ...) -> None: ...

class OutputChunk(_message.Message):
    __slots__ = ("stream", "data", "offset")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    stream: str
    data: bytes
    offset: int
    def __init__(self, stream: _Optional[str] = ..., data: _Optional[bytes] = ..., offset: _Optional[int] = ...) -> None: ...

class OutputSkipped(_message.Message):
    __slots__ = ("bytes",)
    BYTES_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    def __init__(self, bytes: _Optional[int] = ...) -> None: ...

class RunFinished(_message.Message):
    __slots__ = ("job", "exit_code", "signal", "cancelled")
    JOB_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    job: _jobs_pb2.Job
    exit_code: int
    signal: int
    cancelled: bool
    def __init__(self, job: _Optional[_Union[_jobs_pb2.Job, _Mapping]] = ..., exit_code: _Optional[int] = ..., signal: _Optional[int] = ..., cancelled: _Optional[bool] = ...) -> None: ...

class RunOutput(_message.Message):
    __slots__ = ("started", "chunk", "skipped", "finished")
    STARTED_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    started: RunStarted
    chunk: OutputChunk
    skipped: OutputSkipped
    finished: RunFinished
    def __init__(self, started: _Optional[_Union[RunStarted, _Mapping]] = ..., chunk: _Optional[_Union[OutputChunk, _Mapping]] = ..., skipped: _Optional[_Union[OutputSkipped, _Mapping]] = ..., finished: _Optional[_Union[RunFinished, _Mapping]] = ...) -> None: ...

class AttachRunRequest(_message.Message):
    __slots__ = ("run_id", "offset")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    offset: int
    def __init__(self, run_id: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("run_id", "grace_seconds")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    grace_seconds: float
    def __init__(self, run_id: _Optional[str] = ..., grace_seconds: _Optional[float] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ("signalled",)
    SIGNALLED_FIELD_NUMBER: _ClassVar[int]
    signalled: bool
    def __init__(self, signalled: _Optional[bool] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("workspace",)
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    def __init__(self, workspace: _Optional[str] = ...) -> None: ...

class ActiveRun(_message.Message):
    __slots__ = ("run_id", "workspace", "argv", "cwd", "started_at", "tracer", "spawned", "pid", "output_bytes")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    CWD_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    TRACER_FIELD_NUMBER: _ClassVar[int]
    SPAWNED_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    workspace: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    started_at: float
    tracer: str
    spawned: bool
    pid: int
    output_bytes: int
    def __init__(self, run_id: _Optional[str] = ..., workspace: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., started_at: _Optional[float] = ..., tracer: _Optional[str] = ..., spawned: _Optional[bool] = ..., pid: _Optional[int] = ..., output_bytes: _Optional[int] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[ActiveRun]
    def __init__(self, runs: _Optional[_Iterable[_Union[ActiveRun, _Mapping]]] = ...) -> None: ...
