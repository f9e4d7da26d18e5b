from roar_api.v1 import files_pb2 as _files_pb2
from roar_api.v1 import jobs_pb2 as _jobs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanReproductionRequest(_message.Message):
    __slots__ = ("workspace", "ref", "lineage", "dir", "python")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    DIR_FIELD_NUMBER: _ClassVar[int]
    PYTHON_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    ref: str
    lineage: bool
    dir: str
    python: str
    def __init__(self, workspace: _Optional[str] = ..., ref: _Optional[str] = ..., lineage: _Optional[bool] = ..., dir: _Optional[str] = ..., python: _Optional[str] = ...) -> None: ...

class PlannedStep(_message.Message):
    __slots__ = ("ref", "kind", "argv", "cwd", "job_uid", "commit", "diff_path", "outputs", "env_names")
    REF_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    CWD_FIELD_NUMBER: _ClassVar[int]
    JOB_UID_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    DIFF_PATH_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    ENV_NAMES_FIELD_NUMBER: _ClassVar[int]
    ref: str
    kind: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    cwd: str
    job_uid: str
    commit: str
    diff_path: str
    outputs: _containers.RepeatedCompositeFieldContainer[_files_pb2.FileRecord]
    env_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ref: _Optional[str] = ..., kind: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., cwd: _Optional[str] = ..., job_uid: _Optional[str] = ..., commit: _Optional[str] = ..., diff_path: _Optional[str] = ..., outputs: _Optional[_Iterable[_Union[_files_pb2.FileRecord, _Mapping]]] = ..., env_names: _Optional[_Iterable[str]] = ...) -> None: ...

class PlannedInput(_message.Message):
    __slots__ = ("path", "hash", "size", "source", "detail", "available")
    PATH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    path: str
    hash: str
    size: int
    source: str
    detail: str
    available: bool
    def __init__(self, path: _Optional[str] = ..., hash: _Optional[str] = ..., size: _Optional[int] = ..., source: _Optional[str] = ..., detail: _Optional[str] = ..., available: _Optional[bool] = ...) -> None: ...

class ReproductionPlan(_message.Message):
    __slots__ = ("target_hash", "target_path", "lineage_hash", "repo_root", "remote", "commit", "branch", "code_source", "code_dir", "code_reason", "python_version", "python_found", "packages", "steps", "inputs", "checklist", "blockers", "notes")
    TARGET_HASH_FIELD_NUMBER: _ClassVar[int]
    TARGET_PATH_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_HASH_FIELD_NUMBER: _ClassVar[int]
    REPO_ROOT_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    CODE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CODE_DIR_FIELD_NUMBER: _ClassVar[int]
    CODE_REASON_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    PYTHON_FOUND_FIELD_NUMBER: _ClassVar[int]
    PACKAGES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    BLOCKERS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    target_hash: str
    target_path: str
    lineage_hash: str
    repo_root: str
    remote: str
    commit: str
    branch: str
    code_source: str
    code_dir: str
    code_reason: str
    python_version: str
    python_found: str
    packages: _containers.RepeatedCompositeFieldContainer[_jobs_pb2.Package]
    steps: _containers.RepeatedCompositeFieldContainer[PlannedStep]
    inputs: _containers.RepeatedCompositeFieldContainer[PlannedInput]
    checklist: _containers.RepeatedCompositeFieldContainer[_files_pb2.ChecklistItem]
    blockers: _containers.RepeatedScalarFieldContainer[str]
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, target_hash: _Optional[str] = ..., target_path: _Optional[str] = ..., lineage_hash: _Optional[str] = ..., repo_root: _Optional[str] = ..., remote: _Optional[str] = ..., commit: _Optional[str] = ..., branch: _Optional[str] = ..., code_source: _Optional[str] = ..., code_dir: _Optional[str] = ..., code_reason: _Optional[str] = ..., python_version: _Optional[str] = ..., python_found: _Optional[str] = ..., packages: _Optional[_Iterable[_Union[_jobs_pb2.Package, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[PlannedStep, _Mapping]]] = ..., inputs: _Optional[_Iterable[_Union[PlannedInput, _Mapping]]] = ..., checklist: _Optional[_Iterable[_Union[_files_pb2.ChecklistItem, _Mapping]]] = ..., blockers: _Optional[_Iterable[str]] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class ReproduceRequest(_message.Message):
    __slots__ = ("workspace", "ref", "lineage", "dir", "python", "pip_any_version", "package_sync", "rounds", "environment")
    class EnvironmentEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    DIR_FIELD_NUMBER: _ClassVar[int]
    PYTHON_FIELD_NUMBER: _ClassVar[int]
    PIP_ANY_VERSION_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_SYNC_FIELD_NUMBER: _ClassVar[int]
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    workspace: str
    ref: str
    lineage: bool
    dir: str
    python: str
    pip_any_version: bool
    package_sync: bool
    rounds: int
    environment: _containers.ScalarMap[str, str]
    def __init__(self, workspace: _Optional[str] = ..., ref: _Optional[str] = ..., lineage: _Optional[bool] = ..., dir: _Optional[str] = ..., python: _Optional[str] = ..., pip_any_version: _Optional[bool] = ..., package_sync: _Optional[bool] = ..., rounds: _Optional[int] = ..., environment: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ReproductionProgress(_message.Message):
    __slots__ = ("phase", "step", "message", "elapsed_seconds", "round")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    phase: str
    step: str
    message: str
    elapsed_seconds: float
    round: int
    def __init__(self, phase: _Optional[str] = ..., step: _Optional[str] = ..., message: _Optional[str] = ..., elapsed_seconds: _Optional[float] = ..., round: _Optional[int] = ...) -> None: ...

class StepOutput(_message.Message):
    __slots__ = ("step", "data")
    STEP_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    step: str
    data: bytes
    def __init__(self, step: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class ArtifactVerdict(_message.Message):
    __slots__ = ("step", "path", "recorded_hash", "new_hashes", "verdict", "target")
    STEP_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RECORDED_HASH_FIELD_NUMBER: _ClassVar[int]
    NEW_HASHES_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    step: str
    path: str
    recorded_hash: str
    new_hashes: _containers.RepeatedScalarFieldContainer[str]
    verdict: str
    target: bool
    def __init__(self, step: _Optional[str] = ..., path: _Optional[str] = ..., recorded_hash: _Optional[str] = ..., new_hashes: _Optional[_Iterable[str]] = ..., verdict: _Optional[str] = ..., target: _Optional[bool] = ...) -> None: ...

class ReproductionVerdict(_message.Message):
    __slots__ = ("identical", "first_diverged_step", "causes", "artifacts", "directory", "session_id", "notes", "rounds")
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    FIRST_DIVERGED_STEP_FIELD_NUMBER: _ClassVar[int]
    CAUSES_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    identical: bool
    first_diverged_step: str
    causes: _containers.RepeatedScalarFieldContainer[str]
    artifacts: _containers.RepeatedCompositeFieldContainer[ArtifactVerdict]
    directory: str
    session_id: str
    notes: _containers.RepeatedScalarFieldContainer[str]
    rounds: int
    def __init__(self, identical: _Optional[bool] = ..., first_diverged_step: _Optional[str] = ..., causes: _Optional[_Iterable[str]] = ..., artifacts: _Optional[_Iterable[_Union[ArtifactVerdict, _Mapping]]] = ..., directory: _Optional[str] = ..., session_id: _Optional[str] = ..., notes: _Optional[_Iterable[str]] = ..., rounds: _Optional[int] = ...) -> None: ...

class ReproductionEvent(_message.Message):
    __slots__ = ("progress", "output", "verdict")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    progress: ReproductionProgress
    output: StepOutput
    verdict: ReproductionVerdict
    def __init__(self, progress: _Optional[_Union[ReproductionProgress, _Mapping]] = ..., output: _Optional[_Union[StepOutput, _Mapping]] = ..., verdict: _Optional[_Union[ReproductionVerdict, _Mapping]] = ...) -> None: ...
