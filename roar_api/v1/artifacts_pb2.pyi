from roar_api.v1 import files_pb2 as _files_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetArtifactRequest(_message.Message):
    __slots__ = ("workspace", "ref")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    ref: str
    def __init__(self, workspace: _Optional[str] = ..., ref: _Optional[str] = ...) -> None: ...

class Artifact(_message.Message):
    __slots__ = ("hash", "size", "paths", "produced_by", "consumed_by", "checklist", "components", "producers")
    HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    PRODUCED_BY_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_BY_FIELD_NUMBER: _ClassVar[int]
    CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    PRODUCERS_FIELD_NUMBER: _ClassVar[int]
    hash: str
    size: int
    paths: _containers.RepeatedScalarFieldContainer[str]
    produced_by: str
    consumed_by: _containers.RepeatedScalarFieldContainer[str]
    checklist: _containers.RepeatedCompositeFieldContainer[_files_pb2.ChecklistItem]
    components: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    producers: _containers.RepeatedCompositeFieldContainer[Producer]
    def __init__(self, hash: _Optional[str] = ..., size: _Optional[int] = ..., paths: _Optional[_Iterable[str]] = ..., produced_by: _Optional[str] = ..., consumed_by: _Optional[_Iterable[str]] = ..., checklist: _Optional[_Iterable[_Union[_files_pb2.ChecklistItem, _Mapping]]] = ..., components: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., producers: _Optional[_Iterable[_Union[Producer, _Mapping]]] = ...) -> None: ...

class Producer(_message.Message):
    __slots__ = ("ref", "session_id", "job_uid", "active_session", "name")
    REF_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_UID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SESSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ref: str
    session_id: str
    job_uid: str
    active_session: bool
    name: str
    def __init__(self, ref: _Optional[str] = ..., session_id: _Optional[str] = ..., job_uid: _Optional[str] = ..., active_session: _Optional[bool] = ..., name: _Optional[str] = ...) -> None: ...
