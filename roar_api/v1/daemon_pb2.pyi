import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HelloRequest(_message.Message):
    __slots__ = ("client_name", "client_version", "protocol_major", "protocol_minor", "client_install")
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MAJOR_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MINOR_FIELD_NUMBER: _ClassVar[int]
    CLIENT_INSTALL_FIELD_NUMBER: _ClassVar[int]
    client_name: str
    client_version: str
    protocol_major: int
    protocol_minor: int
    client_install: str
    def __init__(self, client_name: _Optional[str] = ..., client_version: _Optional[str] = ..., protocol_major: _Optional[int] = ..., protocol_minor: _Optional[int] = ..., client_install: _Optional[str] = ...) -> None: ...

class HelloResponse(_message.Message):
    __slots__ = ("daemon_version", "protocol_major", "protocol_minor", "capabilities", "build_id", "stale_reason")
    DAEMON_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MAJOR_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MINOR_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    STALE_REASON_FIELD_NUMBER: _ClassVar[int]
    daemon_version: str
    protocol_major: int
    protocol_minor: int
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    build_id: str
    stale_reason: str
    def __init__(self, daemon_version: _Optional[str] = ..., protocol_major: _Optional[int] = ..., protocol_minor: _Optional[int] = ..., capabilities: _Optional[_Iterable[str]] = ..., build_id: _Optional[str] = ..., stale_reason: _Optional[str] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DaemonStatus(_message.Message):
    __slots__ = ("pid", "version", "uptime_seconds", "socket_path", "active_runs", "workspaces", "log_path", "started_at", "protocol_major", "protocol_minor", "listen_mode", "idle_timeout_seconds", "watching")
    PID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SOCKET_PATH_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_RUNS_FIELD_NUMBER: _ClassVar[int]
    WORKSPACES_FIELD_NUMBER: _ClassVar[int]
    LOG_PATH_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MAJOR_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_MINOR_FIELD_NUMBER: _ClassVar[int]
    LISTEN_MODE_FIELD_NUMBER: _ClassVar[int]
    IDLE_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WATCHING_FIELD_NUMBER: _ClassVar[int]
    pid: int
    version: str
    uptime_seconds: float
    socket_path: str
    active_runs: int
    workspaces: _containers.RepeatedScalarFieldContainer[str]
    log_path: str
    started_at: _timestamp_pb2.Timestamp
    protocol_major: int
    protocol_minor: int
    listen_mode: str
    idle_timeout_seconds: float
    watching: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, pid: _Optional[int] = ..., version: _Optional[str] = ..., uptime_seconds: _Optional[float] = ..., socket_path: _Optional[str] = ..., active_runs: _Optional[int] = ..., workspaces: _Optional[_Iterable[str]] = ..., log_path: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., protocol_major: _Optional[int] = ..., protocol_minor: _Optional[int] = ..., listen_mode: _Optional[str] = ..., idle_timeout_seconds: _Optional[float] = ..., watching: _Optional[_Iterable[str]] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
