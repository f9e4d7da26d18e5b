from roar_api.v1 import files_pb2 as _files_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanRerunRequest(_message.Message):
    __slots__ = ("workspace", "ref", "upstream")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    ref: str
    upstream: bool
    def __init__(self, workspace: _Optional[str] = ..., ref: _Optional[str] = ..., upstream: _Optional[bool] = ...) -> None: ...

class RerunStep(_message.Message):
    __slots__ = ("ref", "kind", "argv", "cwd", "job_uid")
    REF_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    CWD_FIELD_NUMBER: _ClassVar[int]
    JOB_UID_FIELD_NUMBER: _ClassVar[int]
    ref: str
    kind: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    job_uid: str
    def __init__(self, ref: _Optional[str] = ..., kind: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., job_uid: _Optional[str] = ...) -> None: ...

class RerunPlan(_message.Message):
    __slots__ = ("steps", "stale_upstream")
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STALE_UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[RerunStep]
    stale_upstream: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, steps: _Optional[_Iterable[_Union[RerunStep, _Mapping]]] = ..., stale_upstream: _Optional[_Iterable[str]] = ...) -> None: ...

class ExportLineageRequest(_message.Message):
    __slots__ = ("workspace", "ref", "format")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    ref: str
    format: str
    def __init__(self, workspace: _Optional[str] = ..., ref: _Optional[str] = ..., format: _Optional[str] = ...) -> None: ...

class LineageExportChunk(_message.Message):
    __slots__ = ("data", "media_type", "scope", "job_count")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    JOB_COUNT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    media_type: str
    scope: str
    job_count: int
    def __init__(self, data: _Optional[bytes] = ..., media_type: _Optional[str] = ..., scope: _Optional[str] = ..., job_count: _Optional[int] = ...) -> None: ...

class DiffLineageRequest(_message.Message):
    __slots__ = ("workspace", "a", "b")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    a: str
    b: str
    def __init__(self, workspace: _Optional[str] = ..., a: _Optional[str] = ..., b: _Optional[str] = ...) -> None: ...

class DiffSection(_message.Message):
    __slots__ = ("kind", "lines")
    KIND_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    kind: str
    lines: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kind: _Optional[str] = ..., lines: _Optional[_Iterable[str]] = ...) -> None: ...

class LineageDiff(_message.Message):
    __slots__ = ("a", "b", "sections", "a_steps", "b_steps")
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    A_STEPS_FIELD_NUMBER: _ClassVar[int]
    B_STEPS_FIELD_NUMBER: _ClassVar[int]
    a: str
    b: str
    sections: _containers.RepeatedCompositeFieldContainer[DiffSection]
    a_steps: _containers.RepeatedScalarFieldContainer[str]
    b_steps: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, a: _Optional[str] = ..., b: _Optional[str] = ..., sections: _Optional[_Iterable[_Union[DiffSection, _Mapping]]] = ..., a_steps: _Optional[_Iterable[str]] = ..., b_steps: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDagRequest(_message.Message):
    __slots__ = ("workspace", "session_id", "expanded", "skip_disk_check")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPANDED_FIELD_NUMBER: _ClassVar[int]
    SKIP_DISK_CHECK_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    session_id: str
    expanded: bool
    skip_disk_check: bool
    def __init__(self, workspace: _Optional[str] = ..., session_id: _Optional[str] = ..., expanded: _Optional[bool] = ..., skip_disk_check: _Optional[bool] = ...) -> None: ...

class DagNode(_message.Message):
    __slots__ = ("job_uid", "ref", "argv", "inputs", "outputs", "exit_code", "depends_on", "superseded", "stale", "stale_reasons", "seq", "superseded_by")
    JOB_UID_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    STALE_REASONS_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    job_uid: str
    ref: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    inputs: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    outputs: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    exit_code: int
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    superseded: bool
    stale: bool
    stale_reasons: _containers.RepeatedScalarFieldContainer[str]
    seq: int
    superseded_by: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_uid: _Optional[str] = ..., ref: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., inputs: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., exit_code: _Optional[int] = ..., depends_on: _Optional[_Iterable[str]] = ..., superseded: _Optional[bool] = ..., stale: _Optional[bool] = ..., stale_reasons: _Optional[_Iterable[str]] = ..., seq: _Optional[int] = ..., superseded_by: _Optional[_Iterable[str]] = ...) -> None: ...

class Dag(_message.Message):
    __slots__ = ("session_id", "lineage_hash", "nodes")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_HASH_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    lineage_hash: str
    nodes: _containers.RepeatedCompositeFieldContainer[DagNode]
    def __init__(self, session_id: _Optional[str] = ..., lineage_hash: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[DagNode, _Mapping]]] = ...) -> None: ...
