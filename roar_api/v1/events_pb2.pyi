import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WatchEventsRequest(_message.Message):
    __slots__ = ("topic_prefixes", "workspace")
    TOPIC_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    topic_prefixes: _containers.RepeatedScalarFieldContainer[str]
    workspace: str
    def __init__(self, topic_prefixes: _Optional[_Iterable[str]] = ..., workspace: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("sequence", "time", "topic", "workspace", "run_id", "job_uid", "message")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_UID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    topic: str
    workspace: str
    run_id: str
    job_uid: str
    message: str
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., topic: _Optional[str] = ..., workspace: _Optional[str] = ..., run_id: _Optional[str] = ..., job_uid: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
