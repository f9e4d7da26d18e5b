import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WatchEventsRequest(_message.Message):
    __slots__ = ("topic_prefixes", "workspace", "kinds", "announce")
    TOPIC_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCE_FIELD_NUMBER: _ClassVar[int]
    topic_prefixes: _containers.RepeatedScalarFieldContainer[str]
    workspace: str
    kinds: _containers.RepeatedScalarFieldContainer[str]
    announce: bool
    def __init__(self, topic_prefixes: _Optional[_Iterable[str]] = ..., workspace: _Optional[str] = ..., kinds: _Optional[_Iterable[str]] = ..., announce: _Optional[bool] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("sequence", "time", "topic", "workspace", "run_id", "job_uid", "message", "step", "paths", "reasons", "hash", "dropped", "state")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_UID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    topic: str
    workspace: str
    run_id: str
    job_uid: str
    message: str
    step: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    reasons: _containers.RepeatedScalarFieldContainer[str]
    hash: str
    dropped: int
    state: str
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., topic: _Optional[str] = ..., workspace: _Optional[str] = ..., run_id: _Optional[str] = ..., job_uid: _Optional[str] = ..., message: _Optional[str] = ..., step: _Optional[str] = ..., paths: _Optional[_Iterable[str]] = ..., reasons: _Optional[_Iterable[str]] = ..., hash: _Optional[str] = ..., dropped: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...
