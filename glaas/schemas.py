"""The API's request and response shapes (pydantic). The OpenAPI document is generated from
these, and the query layer returns them, so routes and web pages share one definition."""
from __future__ import annotations

import math
import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
Scope = Literal["anonymous", "public", "private"]
Direction = Literal["in", "out"]
EntityKind = Literal["session", "job", "artifact"]


def storable(value: Any, depth: int = 0) -> Any:
    """JSON the databases can store and JSON can carry back: finite numbers, valid Unicode."""
    if depth > 64:
        raise ValueError("nested too deeply (64 levels at most)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite (no NaN or Infinity)")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1:
        raise ValueError("integers must fit in 64 bits")
    if isinstance(value, str):
        _text(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _text(k)
            storable(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            storable(v, depth + 1)
    return value


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return value


# Field types every request uses: what both databases store and what JSON answers can carry.
Text = Annotated[str, AfterValidator(_text)]
JsonObject = Annotated[dict[str, Any], AfterValidator(storable)]
Int32 = Annotated[int, Field(ge=-2**31, le=2**31 - 1)]
Size = Annotated[int, Field(ge=0, le=2**63 - 1)]
Seconds = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


def normalize_digest(value: str) -> str:
    digest = value.strip().lower()
    if not HEX64.match(digest):
        raise ValueError("an artifact hash is 64 hexadecimal characters (BLAKE3)")
    return digest


# Request models use the checked types above; answers (built from stored rows, already checked
# on the way in) use plain ones, so a large answer is validated in pydantic's core alone.

# ---------------------------------------------------------------- envelope

class Envelope(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class ErrorBody(BaseModel):
    code: str = Field(description="machine-readable reason, e.g. not_found, ambiguous_prefix")
    message: str = Field(description="one sentence for a person")
    candidates: list[str] | None = Field(default=None, description="for ambiguous_prefix: the matching hashes")
    details: Any | None = None


class ErrorEnvelope(BaseModel):
    success: Literal[False] = False
    error: ErrorBody


# ---------------------------------------------------------------- health

class Health(BaseModel):
    status: Literal["healthy"] = "healthy"
    version: str
    database: str
    features: dict[str, Any]


# ---------------------------------------------------------------- summaries shared by reads

class GitInfo(BaseModel):
    repo: Text | None = None
    commit: Text | None = None
    branch: Text | None = None
    dirty: bool | None = None


class JobSummary(BaseModel):
    uid: str
    session_hash: str
    command: str
    timestamp: float | None = None
    duration_seconds: float | None = None
    exit_code: int | None = None
    job_type: str | None = None
    step_number: int | None = None
    gpu_model: str | None = None


class ArtifactRef(BaseModel):
    hash: str
    path: str
    size: int | None = None


class ArtifactRefIn(BaseModel):
    """An input or output of a job in a registration request."""

    hash: Text
    path: Text
    size: Size | None = None


class ArtifactSummary(BaseModel):
    hash: str
    size: int | None = None
    source_type: str | None = None
    file_type: str | None = None
    extension: str | None = None
    is_composite: bool = False
    created_at: float


class LabelDoc(BaseModel):
    entity_kind: EntityKind
    entity_key: str
    version: int
    metadata: dict[str, Any]
    owner: str | None = None
    created_at: float


class Component(BaseModel):
    path: Text
    hash: Text
    size: Size | None = None


class ArtifactDetail(ArtifactSummary):
    metadata: dict[str, Any] | None = None
    paths: list[str] = Field(default_factory=list, description="paths it was seen at (first 50)")
    producer: JobSummary | None = None
    consumer_count: int = 0
    components: list[Component] = Field(default_factory=list)
    labels: list[LabelDoc] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list, description="users who registered it (not anonymous ones)")


class JobDetail(JobSummary):
    argv: list[str] | None = None
    cwd: str | None = None
    git: GitInfo = Field(default_factory=GitInfo)
    runtime: dict[str, Any] | None = None
    packages: dict[str, str] | None = None
    metadata: dict[str, Any] | None = None
    inputs: list[ArtifactRef] = Field(default_factory=list)
    outputs: list[ArtifactRef] = Field(default_factory=list)
    labels: list[LabelDoc] = Field(default_factory=list)
    created_at: float


class SessionDetail(BaseModel):
    hash: str
    git_repo: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    created_at: float
    jobs: list[JobSummary] = Field(default_factory=list)
    labels: list[LabelDoc] = Field(default_factory=list)
    url: str | None = None


class SessionSummary(BaseModel):
    hash: str
    git_repo: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    created_at: float
    job_count: int = 0


class SessionList(BaseModel):
    sessions: list[SessionSummary]
    next_cursor: str | None = None


class ArtifactJobs(BaseModel):
    hash: str
    jobs: list[JobSummary]


class Edge(BaseModel):
    job_uid: str
    artifact_hash: str
    direction: Direction
    path: str


class LineageGraph(BaseModel):
    """An artifact's upstream lineage (to a depth) or its reproduction DAG (all the way)."""

    target: str
    depth: int | None = None
    truncated: bool = Field(default=False, description="true when the depth cut the graph short")
    jobs: list[JobDetail] = Field(default_factory=list, description="in an order that runs producers first")
    artifacts: list[ArtifactSummary] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="artifacts with no registered producer")


# ---------------------------------------------------------------- search

class SearchHit(BaseModel):
    kind: Literal["job", "artifact"]
    created_at: float
    job: JobSummary | None = None
    artifact: ArtifactSummary | None = None
    score: float | None = None


class SearchPage(BaseModel):
    hits: list[SearchHit]
    next_cursor: str | None = None


# ---------------------------------------------------------------- labels

class LabelHistory(BaseModel):
    entity_kind: EntityKind
    entity_key: str
    versions: list[LabelDoc]


class LabelSetResult(BaseModel):
    label: LabelDoc
    changed: bool


# ---------------------------------------------------------------- native registration (API.md)

class NativeSession(BaseModel):
    hash: Text = Field(min_length=1, max_length=128)
    git_repo: Text | None = None
    git_commit: Text | None = None
    git_branch: Text | None = None


class NativeJob(BaseModel):
    uid: Text = Field(min_length=1, max_length=128)
    session_hash: Text = Field(min_length=1, max_length=128)
    command: Text = ""
    argv: list[Text] | None = None
    cwd: Text | None = None
    timestamp: Seconds | None = Field(default=None, description="start time, seconds since the epoch")
    duration_seconds: Seconds | None = None
    exit_code: Int32 | None = None
    job_type: Text | None = None
    step_number: Int32 | None = None
    git: GitInfo = Field(default_factory=GitInfo)
    runtime: JsonObject | None = Field(default=None, description="os, python, cpu, memory, gpus, cuda")
    gpu_model: Text | None = Field(default=None, description="default: runtime.gpus[0].name")
    packages: dict[Text, Text] | None = Field(default=None, description="package name -> version")
    metadata: JsonObject | None = None
    inputs: list[ArtifactRefIn] = Field(default_factory=list)
    outputs: list[ArtifactRefIn] = Field(default_factory=list)

    @field_validator("inputs", "outputs")
    @classmethod
    def _digests(cls, refs: list[ArtifactRefIn]) -> list[ArtifactRefIn]:
        for ref in refs:
            ref.hash = normalize_digest(ref.hash)
        return refs


class NativeArtifact(BaseModel):
    hash: Text
    size: Size | None = Field(default=None, ge=0)
    source_type: Text | None = Field(default=None, max_length=32)
    file_type: Text | None = Field(default=None, max_length=64)
    path: Text | None = Field(default=None, description="a path it was seen at (for its extension)")
    metadata: JsonObject | None = None
    components: list[Component] | None = Field(default=None, description="set for a composite artifact")

    @field_validator("hash")
    @classmethod
    def _digest(cls, value: str) -> str:
        return normalize_digest(value)


class NativeLabel(BaseModel):
    entity_kind: EntityKind
    entity_key: Text = Field(min_length=1, max_length=128)
    metadata: JsonObject


class LabelSet(NativeLabel):
    """PUT /api/v1/labels: the caller's label document on a record."""

    scope: Scope | None = None


class LineageBatch(BaseModel):
    """One idempotent registration request (POST /api/v1/lineage)."""

    idempotency_key: Text | None = Field(default=None, max_length=200)
    scope: Scope | None = Field(default=None, description="default: public with a token, anonymous without")
    share_with: list[Text] = Field(default_factory=list, description="user names that may read a private registration")
    sessions: list[NativeSession] = Field(default_factory=list)
    jobs: list[NativeJob] = Field(default_factory=list)
    artifacts: list[NativeArtifact] = Field(default_factory=list)
    labels: list[NativeLabel] = Field(default_factory=list)


class Counts(BaseModel):
    sessions: int = 0
    jobs: int = 0
    artifacts: int = 0
    edges: int = 0
    labels: int = 0


class LineageReceipt(BaseModel):
    new: Counts
    known: Counts
    scope: Scope
    replayed: bool = Field(default=False, description="true when this answers an earlier request with the same idempotency key")
    session_urls: dict[str, str] = Field(default_factory=dict)
    artifact_urls: dict[str, str] = Field(default_factory=dict)


# ---------------------------------------------------------------- roar-cli 0.4.7 compatibility

class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class CompatSessionIn(_Loose):
    hash: Text = Field(min_length=1, max_length=128)
    git_repo: Text | None = None
    git_commit: Text | None = None
    git_branch: Text | None = None


class CompatSessionOut(BaseModel):
    hash: str
    created: bool
    url: str


class CompatJobIn(_Loose):
    job_uid: Text = Field(min_length=1, max_length=128)
    command: Text = ""
    timestamp: Seconds | None = None
    git_commit: Text | None = None
    git_branch: Text | None = None
    duration_seconds: Seconds | None = None
    exit_code: Int32 | None = None
    job_type: Text | None = None
    step_number: Int32 | None = None
    metadata: Text | JsonObject | None = Field(default=None, description="a JSON-encoded string (roar-cli) or an object")


class CompatJobBatchIn(_Loose):
    jobs: list[CompatJobIn]


class CompatJobBatchOut(BaseModel):
    job_ids: list[int]
    created_count: int
    existing_count: int
    errors: list[str]


class CompatHash(_Loose):
    algorithm: Text
    digest: Text


class CompatArtifactIn(_Loose):
    hashes: list[CompatHash] = Field(min_length=1)
    size: Size | None = Field(default=None, ge=0)
    source_type: Text | None = None
    session_hash: Text | None = None
    source_url: Text | None = None
    metadata: Text | JsonObject | None = None


class CompatArtifactBatchIn(_Loose):
    artifacts: list[CompatArtifactIn]


class CompatArtifactBatchOut(BaseModel):
    created: int
    updated: int
    existing: int
    errors: list[str]


class CompatComponentIn(_Loose):
    relative_path: Text
    component_digest: Text
    component_algorithm: Text | None = None
    component_size: Size | None = None
    component_type: Text | None = None


class CompatCompositeIn(_Loose):
    hash: Text
    hashes: list[CompatHash] = Field(default_factory=list)
    size: Size | None = None
    source_type: Text | None = None
    session_hash: Text | None = None
    component_count_total: Int32 | None = None
    components: list[CompatComponentIn] = Field(default_factory=list)
    membership_index: JsonObject | None = None
    metadata: Text | JsonObject | None = None


class CompatCompositeOut(BaseModel):
    artifact_id: int
    hash: str
    created: bool
    components_stored: int


class CompatEdgeIn(_Loose):
    hash: Text
    path: Text = ""
    size: Size | None = Field(default=None, ge=0)
    source_type: Text | None = None


class CompatEdgesIn(_Loose):
    artifacts: list[CompatEdgeIn]


class CompatEdgesOut(BaseModel):
    job_uid: str
    inputs_linked: int | None = None
    outputs_linked: int | None = None
    artifacts_registered: int


class CompatLabelIn(_Loose):
    entity_type: EntityKind
    session_hash: Text | None = None
    job_uid: Text | None = None
    artifact_hash: Text | None = None
    metadata: JsonObject | Text | None = None


class CompatLabelsIn(_Loose):
    labels: list[CompatLabelIn]


class CompatLabelsOut(BaseModel):
    created: int
    updated: int
    unchanged: int


# ---------------------------------------------------------------- auth

class DeviceStartIn(BaseModel):
    client_id: Text = Field(default="", max_length=200)
    scope: Text = Field(default="read write", max_length=64)


class DeviceStartOut(BaseModel):
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


class DeviceTokenIn(BaseModel):
    device_code: Text = Field(min_length=1, max_length=200)
    grant_type: Text = "urn:ietf:params:oauth:grant-type:device_code"


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int | None = None
    scope: str


class DeviceApproveIn(BaseModel):
    user_code: Text = Field(min_length=1, max_length=32)
    approve: bool = True


class DeviceApproveOut(BaseModel):
    user_code: str
    status: Literal["approved", "denied"]


class LoginIn(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=1024)
    scope: Text = Field(default="read write", max_length=64)
    expires_in_days: Int32 | None = Field(default=30, ge=1, le=3650)
    name: Text = Field(default="api login", max_length=200)


class WhoAmI(BaseModel):
    authenticated: bool
    user: str | None = None
    is_admin: bool = False
    scopes: list[str] = Field(default_factory=list)
    token_name: str | None = None
    expires_at: float | None = None


class TokenInfo(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: float
    expires_at: float | None = None
    revoked: bool = False
    last_used_at: float | None = None
