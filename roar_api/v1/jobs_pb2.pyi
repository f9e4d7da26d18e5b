import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from roar_api.v1 import files_pb2 as _files_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GitInfo(_message.Message):
    __slots__ = ("commit", "branch", "remote", "dirty", "diff_path", "repo_root")
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    DIRTY_FIELD_NUMBER: _ClassVar[int]
    DIFF_PATH_FIELD_NUMBER: _ClassVar[int]
    REPO_ROOT_FIELD_NUMBER: _ClassVar[int]
    commit: str
    branch: str
    remote: str
    dirty: bool
    diff_path: str
    repo_root: str
    def __init__(self, commit: _Optional[str] = ..., branch: _Optional[str] = ..., remote: _Optional[str] = ..., dirty: _Optional[bool] = ..., diff_path: _Optional[str] = ..., repo_root: _Optional[str] = ...) -> None: ...

class Package(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class Runtime(_message.Message):
    __slots__ = ("hostname", "os", "cpu", "gpu", "python_executable", "python_version", "packages_used", "packages_installed", "system_packages", "gpus", "gpu_driver", "cuda_version", "gpu_devices_opened", "gpu_uuids_opened", "cuda_runtime", "cudnn", "gpu_libraries", "cuda_visible_devices", "packages_installed_set")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    OS_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    GPU_FIELD_NUMBER: _ClassVar[int]
    PYTHON_EXECUTABLE_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    PACKAGES_USED_FIELD_NUMBER: _ClassVar[int]
    PACKAGES_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PACKAGES_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    GPU_DRIVER_FIELD_NUMBER: _ClassVar[int]
    CUDA_VERSION_FIELD_NUMBER: _ClassVar[int]
    GPU_DEVICES_OPENED_FIELD_NUMBER: _ClassVar[int]
    GPU_UUIDS_OPENED_FIELD_NUMBER: _ClassVar[int]
    CUDA_RUNTIME_FIELD_NUMBER: _ClassVar[int]
    CUDNN_FIELD_NUMBER: _ClassVar[int]
    GPU_LIBRARIES_FIELD_NUMBER: _ClassVar[int]
    CUDA_VISIBLE_DEVICES_FIELD_NUMBER: _ClassVar[int]
    PACKAGES_INSTALLED_SET_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    os: str
    cpu: str
    gpu: str
    python_executable: str
    python_version: str
    packages_used: _containers.RepeatedCompositeFieldContainer[Package]
    packages_installed: _containers.RepeatedCompositeFieldContainer[Package]
    system_packages: _containers.RepeatedCompositeFieldContainer[Package]
    gpus: _containers.RepeatedCompositeFieldContainer[GpuDevice]
    gpu_driver: str
    cuda_version: str
    gpu_devices_opened: _containers.RepeatedScalarFieldContainer[int]
    gpu_uuids_opened: _containers.RepeatedScalarFieldContainer[str]
    cuda_runtime: str
    cudnn: str
    gpu_libraries: _containers.RepeatedCompositeFieldContainer[GpuLibrary]
    cuda_visible_devices: str
    packages_installed_set: str
    def __init__(self, hostname: _Optional[str] = ..., os: _Optional[str] = ..., cpu: _Optional[str] = ..., gpu: _Optional[str] = ..., python_executable: _Optional[str] = ..., python_version: _Optional[str] = ..., packages_used: _Optional[_Iterable[_Union[Package, _Mapping]]] = ..., packages_installed: _Optional[_Iterable[_Union[Package, _Mapping]]] = ..., system_packages: _Optional[_Iterable[_Union[Package, _Mapping]]] = ..., gpus: _Optional[_Iterable[_Union[GpuDevice, _Mapping]]] = ..., gpu_driver: _Optional[str] = ..., cuda_version: _Optional[str] = ..., gpu_devices_opened: _Optional[_Iterable[int]] = ..., gpu_uuids_opened: _Optional[_Iterable[str]] = ..., cuda_runtime: _Optional[str] = ..., cudnn: _Optional[str] = ..., gpu_libraries: _Optional[_Iterable[_Union[GpuLibrary, _Mapping]]] = ..., cuda_visible_devices: _Optional[str] = ..., packages_installed_set: _Optional[str] = ...) -> None: ...

class GpuDevice(_message.Message):
    __slots__ = ("index", "name", "uuid", "memory_mib", "compute_capability", "pci_bus_id", "minor")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    PCI_BUS_ID_FIELD_NUMBER: _ClassVar[int]
    MINOR_FIELD_NUMBER: _ClassVar[int]
    index: int
    name: str
    uuid: str
    memory_mib: int
    compute_capability: str
    pci_bus_id: str
    minor: int
    def __init__(self, index: _Optional[int] = ..., name: _Optional[str] = ..., uuid: _Optional[str] = ..., memory_mib: _Optional[int] = ..., compute_capability: _Optional[str] = ..., pci_bus_id: _Optional[str] = ..., minor: _Optional[int] = ...) -> None: ...

class GpuLibrary(_message.Message):
    __slots__ = ("component", "version", "path")
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    component: str
    version: str
    path: str
    def __init__(self, component: _Optional[str] = ..., version: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("uid", "session_id", "step", "kind", "argv", "cwd", "started_at", "ended_at", "duration_seconds", "exit_code", "status", "git", "runtime", "inputs", "outputs", "warnings", "decisions", "tracer", "ref", "env", "rerun_of")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    UID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    CWD_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GIT_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    TRACER_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    RERUN_OF_FIELD_NUMBER: _ClassVar[int]
    uid: str
    session_id: str
    step: int
    kind: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    duration_seconds: float
    exit_code: int
    status: str
    git: GitInfo
    runtime: Runtime
    inputs: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    outputs: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    decisions: _containers.RepeatedCompositeFieldContainer[_files_pb2.FilterDecision]
    tracer: str
    ref: str
    env: _containers.ScalarMap[str, str]
    rerun_of: str
    def __init__(self, uid: _Optional[str] = ..., session_id: _Optional[str] = ..., step: _Optional[int] = ..., kind: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_seconds: _Optional[float] = ..., exit_code: _Optional[int] = ..., status: _Optional[str] = ..., git: _Optional[_Union[GitInfo, _Mapping]] = ..., runtime: _Optional[_Union[Runtime, _Mapping]] = ..., inputs: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ..., decisions: _Optional[_Iterable[_Union[_files_pb2.FilterDecision, _Mapping]]] = ..., tracer: _Optional[str] = ..., ref: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., rerun_of: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("workspace", "ref", "explain")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    ref: str
    explain: bool
    def __init__(self, workspace: _Optional[str] = ..., ref: _Optional[str] = ..., explain: _Optional[bool] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("workspace", "session_id", "limit")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    session_id: str
    limit: int
    def __init__(self, workspace: _Optional[str] = ..., session_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class PopJobRequest(_message.Message):
    __slots__ = ("workspace", "delete_outputs")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    DELETE_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    delete_outputs: bool
    def __init__(self, workspace: _Optional[str] = ..., delete_outputs: _Optional[bool] = ...) -> None: ...

class PopJobResponse(_message.Message):
    __slots__ = ("job", "deleted_paths")
    JOB_FIELD_NUMBER: _ClassVar[int]
    DELETED_PATHS_FIELD_NUMBER: _ClassVar[int]
    job: Job
    deleted_paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., deleted_paths: _Optional[_Iterable[str]] = ...) -> None: ...
