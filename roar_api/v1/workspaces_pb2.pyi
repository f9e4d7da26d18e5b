import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from roar_api.v1 import files_pb2 as _files_pb2
from roar_api.v1 import jobs_pb2 as _jobs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Session(_message.Message):
    __slots__ = ("id", "created_at", "job_count", "lineage_hash")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    JOB_COUNT_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_HASH_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_at: _timestamp_pb2.Timestamp
    job_count: int
    lineage_hash: str
    def __init__(self, id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., job_count: _Optional[int] = ..., lineage_hash: _Optional[str] = ...) -> None: ...

class Workspace(_message.Message):
    __slots__ = ("root", "db_path", "session", "jobs", "unsourced_inputs", "warnings", "checklist", "untracked_output_dirs", "superseded", "package_sets")
    class PackageSetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: PackageSet
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[PackageSet, _Mapping]] = ...) -> None: ...
    ROOT_FIELD_NUMBER: _ClassVar[int]
    DB_PATH_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    UNSOURCED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    UNTRACKED_OUTPUT_DIRS_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_SETS_FIELD_NUMBER: _ClassVar[int]
    root: str
    db_path: str
    session: Session
    jobs: _containers.RepeatedCompositeFieldContainer[_jobs_pb2.Job]
    unsourced_inputs: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    checklist: _containers.RepeatedCompositeFieldContainer[_files_pb2.ChecklistItem]
    untracked_output_dirs: _containers.RepeatedScalarFieldContainer[str]
    superseded: _containers.RepeatedCompositeFieldContainer[SupersededStep]
    package_sets: _containers.MessageMap[str, PackageSet]
    def __init__(self, root: _Optional[str] = ..., db_path: _Optional[str] = ..., session: _Optional[_Union[Session, _Mapping]] = ..., jobs: _Optional[_Iterable[_Union[_jobs_pb2.Job, _Mapping]]] = ..., unsourced_inputs: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ..., checklist: _Optional[_Iterable[_Union[_files_pb2.ChecklistItem, _Mapping]]] = ..., untracked_output_dirs: _Optional[_Iterable[str]] = ..., superseded: _Optional[_Iterable[_Union[SupersededStep, _Mapping]]] = ..., package_sets: _Optional[_Mapping[str, PackageSet]] = ...) -> None: ...

class PackageSet(_message.Message):
    __slots__ = ("packages",)
    PACKAGES_FIELD_NUMBER: _ClassVar[int]
    packages: _containers.RepeatedCompositeFieldContainer[_jobs_pb2.Package]
    def __init__(self, packages: _Optional[_Iterable[_Union[_jobs_pb2.Package, _Mapping]]] = ...) -> None: ...

class SupersededStep(_message.Message):
    __slots__ = ("ref", "by")
    REF_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    ref: str
    by: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ref: _Optional[str] = ..., by: _Optional[_Iterable[str]] = ...) -> None: ...

class InitWorkspaceRequest(_message.Message):
    __slots__ = ("path", "add_to_gitignore")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ADD_TO_GITIGNORE_FIELD_NUMBER: _ClassVar[int]
    path: str
    add_to_gitignore: bool
    def __init__(self, path: _Optional[str] = ..., add_to_gitignore: _Optional[bool] = ...) -> None: ...

class InitWorkspaceResponse(_message.Message):
    __slots__ = ("workspace", "created", "gitignore_updated")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    GITIGNORE_UPDATED_FIELD_NUMBER: _ClassVar[int]
    workspace: Workspace
    created: bool
    gitignore_updated: bool
    def __init__(self, workspace: _Optional[_Union[Workspace, _Mapping]] = ..., created: _Optional[bool] = ..., gitignore_updated: _Optional[bool] = ...) -> None: ...

class GetWorkspaceRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ResetSessionRequest(_message.Message):
    __slots__ = ("workspace",)
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    def __init__(self, workspace: _Optional[str] = ...) -> None: ...
