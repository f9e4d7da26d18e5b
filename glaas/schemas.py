"""The API's request and response shapes (pydantic). The OpenAPI document is generated from
these, and the query layer returns them, so routes and web pages share one definition."""
from __future__ import annotations

import re
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
Scope = Literal["anonymous", "public", "private"]
Direction = Literal["in", "out"]
EntityKind = Literal["session", "job", "artifact"]


def normalize_digest(value: str) -> str:
    digest = value.strip().lower()
    if not HEX64.match(digest):
        raise ValueError("an artifact hash is 64 hexadecimal characters (BLAKE3)")
    return digest


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
    repo: str | None = None
    commit: str | None = None
    branch: str | None = None
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
    path: str
    hash: str
    size: int | None = None


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


class LabelSet(BaseModel):
    entity_kind: EntityKind
    entity_key: str
    metadata: dict[str, Any]
    scope: Scope | None = None


class LabelSetResult(BaseModel):
    label: LabelDoc
    changed: bool


# ---------------------------------------------------------------- native registration (API.md)

class NativeSession(BaseModel):
    hash: str = Field(min_length=1, max_length=128)
    git_repo: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None


class NativeJob(BaseModel):
    uid: str = Field(min_length=1, max_length=128)
    session_hash: str = Field(min_length=1, max_length=128)
    command: str = ""
    argv: list[str] | None = None
    cwd: str | None = None
    timestamp: float | None = Field(default=None, description="start time, seconds since the epoch")
    duration_seconds: float | None = None
    exit_code: int | None = None
    job_type: str | None = None
    step_number: int | None = None
    git: GitInfo = Field(default_factory=GitInfo)
    runtime: dict[str, Any] | None = Field(default=None, description="os, python, cpu, memory, gpus, cuda")
    gpu_model: str | None = Field(default=None, description="default: runtime.gpus[0].name")
    packages: dict[str, str] | None = Field(default=None, description="package name -> version")
    metadata: dict[str, Any] | None = None
    inputs: list[ArtifactRef] = Field(default_factory=list)
    outputs: list[ArtifactRef] = Field(default_factory=list)

    @field_validator("inputs", "outputs")
    @classmethod
    def _digests(cls, refs: list[ArtifactRef]) -> list[ArtifactRef]:
        for ref in refs:
            ref.hash = normalize_digest(ref.hash)
        return refs


class NativeArtifact(BaseModel):
    hash: str
    size: int | None = Field(default=None, ge=0)
    source_type: str | None = Field(default=None, max_length=32)
    file_type: str | None = Field(default=None, max_length=64)
    path: str | None = Field(default=None, description="a path it was seen at (for its extension)")
    metadata: dict[str, Any] | None = None
    components: list[Component] | None = Field(default=None, description="set for a composite artifact")

    @field_validator("hash")
    @classmethod
    def _digest(cls, value: str) -> str:
        return normalize_digest(value)


class NativeLabel(BaseModel):
    entity_kind: EntityKind
    entity_key: str = Field(min_length=1, max_length=128)
    metadata: dict[str, Any]


class LineageBatch(BaseModel):
    """One idempotent registration request (POST /api/v1/lineage)."""

    idempotency_key: str | None = Field(default=None, max_length=200)
    scope: Scope | None = Field(default=None, description="default: public with a token, anonymous without")
    share_with: list[str] = Field(default_factory=list, description="user names that may read a private registration")
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
    hash: str = Field(min_length=1, max_length=128)
    git_repo: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None


class CompatSessionOut(BaseModel):
    hash: str
    created: bool
    url: str


class CompatJobIn(_Loose):
    job_uid: str = Field(min_length=1, max_length=128)
    command: str = ""
    timestamp: float | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    duration_seconds: float | None = None
    exit_code: int | None = None
    job_type: str | None = None
    step_number: int | None = None
    metadata: str | dict[str, Any] | None = Field(default=None, description="a JSON-encoded string (roar-cli) or an object")


class CompatJobBatchIn(_Loose):
    jobs: list[CompatJobIn]


class CompatJobBatchOut(BaseModel):
    job_ids: list[int]
    created_count: int
    existing_count: int
    errors: list[str]


class CompatHash(_Loose):
    algorithm: str
    digest: str


class CompatArtifactIn(_Loose):
    hashes: list[CompatHash] = Field(min_length=1)
    size: int | None = Field(default=None, ge=0)
    source_type: str | None = None
    session_hash: str | None = None
    source_url: str | None = None
    metadata: str | dict[str, Any] | None = None


class CompatArtifactBatchIn(_Loose):
    artifacts: list[CompatArtifactIn]


class CompatArtifactBatchOut(BaseModel):
    created: int
    updated: int
    existing: int
    errors: list[str]


class CompatEdgeIn(_Loose):
    hash: str
    path: str = ""
    size: int | None = Field(default=None, ge=0)
    source_type: str | None = None


class CompatEdgesIn(_Loose):
    artifacts: list[CompatEdgeIn]


class CompatEdgesOut(BaseModel):
    job_uid: str
    inputs_linked: int | None = None
    outputs_linked: int | None = None
    artifacts_registered: int


class CompatLabelIn(_Loose):
    entity_type: EntityKind
    session_hash: str | None = None
    job_uid: str | None = None
    artifact_hash: str | None = None
    metadata: dict[str, Any] | str | None = None


class CompatLabelsIn(_Loose):
    labels: list[CompatLabelIn]


class CompatLabelsOut(BaseModel):
    created: int
    updated: int
    unchanged: int


# ---------------------------------------------------------------- auth

class DeviceStartIn(BaseModel):
    client_id: str = Field(default="", max_length=200)
    scope: str = Field(default="read write", max_length=64)


class DeviceStartOut(BaseModel):
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


class DeviceTokenIn(BaseModel):
    device_code: str = Field(min_length=1, max_length=200)
    grant_type: str = "urn:ietf:params:oauth:grant-type:device_code"


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int | None = None
    scope: str


class DeviceApproveIn(BaseModel):
    user_code: str = Field(min_length=1, max_length=32)
    approve: bool = True


class DeviceApproveOut(BaseModel):
    user_code: str
    status: Literal["approved", "denied"]


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    scope: str = Field(default="read write", max_length=64)
    expires_in_days: int | None = Field(default=30, ge=1, le=3650)
    name: str = Field(default="api login", max_length=200)


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
