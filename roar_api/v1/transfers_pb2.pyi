from roar_api.v1 import files_pb2 as _files_pb2
from roar_api.v1 import jobs_pb2 as _jobs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DownloadRequest(_message.Message):
    __slots__ = ("workspace", "url", "dest", "expected_hash", "force", "dry_run", "message", "tag", "environment")
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    DEST_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_HASH_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    url: str
    dest: str
    expected_hash: str
    force: bool
    dry_run: bool
    message: str
    tag: bool
    environment: _containers.ScalarMap[str, str]
    def __init__(self, workspace: _Optional[str] = ..., url: _Optional[str] = ..., dest: _Optional[str] = ..., expected_hash: _Optional[str] = ..., force: _Optional[bool] = ..., dry_run: _Optional[bool] = ..., message: _Optional[str] = ..., tag: _Optional[bool] = ..., environment: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UploadRequest(_message.Message):
    __slots__ = ("workspace", "sources", "url", "message", "dry_run", "no_tag", "environment")
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    NO_TAG_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    sources: _containers.RepeatedScalarFieldContainer[str]
    url: str
    message: str
    dry_run: bool
    no_tag: bool
    environment: _containers.ScalarMap[str, str]
    def __init__(self, workspace: _Optional[str] = ..., sources: _Optional[_Iterable[str]] = ..., url: _Optional[str] = ..., message: _Optional[str] = ..., dry_run: _Optional[bool] = ..., no_tag: _Optional[bool] = ..., environment: _Optional[_Mapping[str, str]] = ...) -> None: ...

class TransferFile(_message.Message):
    __slots__ = ("url", "path", "hash", "size")
    URL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    url: str
    path: str
    hash: str
    size: int
    def __init__(self, url: _Optional[str] = ..., path: _Optional[str] = ..., hash: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class DirectoryRecord(_message.Message):
    __slots__ = ("hash", "path", "url", "file_count", "size")
    HASH_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    FILE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    hash: str
    path: str
    url: str
    file_count: int
    size: int
    def __init__(self, hash: _Optional[str] = ..., path: _Optional[str] = ..., url: _Optional[str] = ..., file_count: _Optional[int] = ..., size: _Optional[int] = ...) -> None: ...

class TransferProgress(_message.Message):
    __slots__ = ("path", "done", "total", "file_index", "file_count", "all_done", "all_total", "phase")
    PATH_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    FILE_INDEX_FIELD_NUMBER: _ClassVar[int]
    FILE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ALL_DONE_FIELD_NUMBER: _ClassVar[int]
    ALL_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    path: str
    done: int
    total: int
    file_index: int
    file_count: int
    all_done: int
    all_total: int
    phase: str
    def __init__(self, path: _Optional[str] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., file_index: _Optional[int] = ..., file_count: _Optional[int] = ..., all_done: _Optional[int] = ..., all_total: _Optional[int] = ..., phase: _Optional[str] = ...) -> None: ...

class Transfer(_message.Message):
    __slots__ = ("direction", "url", "files", "directories", "dry_run", "job", "checklist", "warnings", "git_tag")
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    DIRECTORIES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    GIT_TAG_FIELD_NUMBER: _ClassVar[int]
    direction: str
    url: str
    files: _containers.RepeatedCompositeFieldContainer[TransferFile]
    directories: _containers.RepeatedCompositeFieldContainer[DirectoryRecord]
    dry_run: bool
    job: _jobs_pb2.Job
    checklist: _containers.RepeatedCompositeFieldContainer[_files_pb2.ChecklistItem]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    git_tag: str
    def __init__(self, direction: _Optional[str] = ..., url: _Optional[str] = ..., files: _Optional[_Iterable[_Union[TransferFile, _Mapping]]] = ..., directories: _Optional[_Iterable[_Union[DirectoryRecord, _Mapping]]] = ..., dry_run: _Optional[bool] = ..., job: _Optional[_Union[_jobs_pb2.Job, _Mapping]] = ..., checklist: _Optional[_Iterable[_Union[_files_pb2.ChecklistItem, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ..., git_tag: _Optional[str] = ...) -> None: ...

class TransferUpdate(_message.Message):
    __slots__ = ("progress", "transfer")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    progress: TransferProgress
    transfer: Transfer
    def __init__(self, progress: _Optional[_Union[TransferProgress, _Mapping]] = ..., transfer: _Optional[_Union[Transfer, _Mapping]] = ...) -> None: ...
