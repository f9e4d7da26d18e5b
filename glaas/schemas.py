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


# ---------------------------------------------------------------- envelope

class Envelope(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class ErrorBody(BaseModel):
    code: Text = Field(description="machine-readable reason, e.g. not_found, ambiguous_prefix")
    message: Text = Field(description="one sentence for a person")
    candidates: list[Text] | None = Field(default=None, description="for ambiguous_prefix: the matching hashes")
    details: Any | None = None


class ErrorEnvelope(BaseModel):
    success: Literal[False] = False
    error: ErrorBody


# ---------------------------------------------------------------- health

class Health(BaseModel):
    status: Literal["healthy"] = "healthy"
    version: Text
    database: Text
    features: JsonObject


# ---------------------------------------------------------------- summaries shared by reads

class GitInfo(BaseModel):
    repo: Text | None = None
    commit: Text | None = None
    branch: Text | None = None
    dirty: bool | None = None


class JobSummary(BaseModel):
    uid: Text
    session_hash: Text
    command: Text
    timestamp: Seconds | None = None
    duration_seconds: Seconds | None = None
    exit_code: Int32 | None = None
    job_type: Text | None = None
    step_number: Int32 | None = None
    gpu_model: Text | None = None


class ArtifactRef(BaseModel):
    hash: Text
    path: Text
    size: Size | None = None


class ArtifactSummary(BaseModel):
    hash: Text
    size: Size | None = None
    source_type: Text | None = None
    file_type: Text | None = None
    extension: Text | None = None
    is_composite: bool = False
    created_at: Seconds


class LabelDoc(BaseModel):
    entity_kind: EntityKind
    entity_key: Text
    version: int
    metadata: JsonObject
    owner: Text | None = None
    created_at: Seconds


class Component(BaseModel):
    path: Text
    hash: Text
    size: Size | None = None


class ArtifactDetail(ArtifactSummary):
    metadata: JsonObject | None = None
    paths: list[Text] = Field(default_factory=list, description="paths it was seen at (first 50)")
    producer: JobSummary | None = None
    consumer_count: Int32 = 0
    components: list[Component] = Field(default_factory=list)
    labels: list[LabelDoc] = Field(default_factory=list)
    owners: list[Text] = Field(default_factory=list, description="users who registered it (not anonymous ones)")


class JobDetail(JobSummary):
    argv: list[Text] | None = None
    cwd: Text | None = None
    git: GitInfo = Field(default_factory=GitInfo)
    runtime: JsonObject | None = None
    packages: dict[Text, Text] | None = None
    metadata: JsonObject | None = None
    inputs: list[ArtifactRef] = Field(default_factory=list)
    outputs: list[ArtifactRef] = Field(default_factory=list)
    labels: list[LabelDoc] = Field(default_factory=list)
    created_at: Seconds


class SessionDetail(BaseModel):
    hash: Text
    git_repo: Text | None = None
    git_commit: Text | None = None
    git_branch: Text | None = None
    created_at: Seconds
    jobs: list[JobSummary] = Field(default_factory=list)
    labels: list[LabelDoc] = Field(default_factory=list)
    url: Text | None = None


class SessionSummary(BaseModel):
    hash: Text
    git_repo: Text | None = None
    git_commit: Text | None = None
    git_branch: Text | None = None
    created_at: Seconds
    job_count: Int32 = 0


class SessionList(BaseModel):
    sessions: list[SessionSummary]
    next_cursor: Text | None = None


class ArtifactJobs(BaseModel):
    hash: Text
    jobs: list[JobSummary]


class Edge(BaseModel):
    job_uid: Text
    artifact_hash: Text
    direction: Direction
    path: Text


class LineageGraph(BaseModel):
    """An artifact's upstream lineage (to a depth) or its reproduction DAG (all the way)."""

    target: Text
    depth: Int32 | None = None
    truncated: bool = Field(default=False, description="true when the depth cut the graph short")
    jobs: list[JobDetail] = Field(default_factory=list, description="in an order that runs producers first")
    artifacts: list[ArtifactSummary] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    sources: list[Text] = Field(default_factory=list, description="artifacts with no registered producer")


# ---------------------------------------------------------------- search

class SearchHit(BaseModel):
    kind: Literal["job", "artifact"]
    created_at: Seconds
    job: JobSummary | None = None
    artifact: ArtifactSummary | None = None
    score: Seconds | None = None


class SearchPage(BaseModel):
    hits: list[SearchHit]
    next_cursor: Text | None = None


# ---------------------------------------------------------------- labels

class LabelHistory(BaseModel):
    entity_kind: EntityKind
    entity_key: Text
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
    inputs: list[ArtifactRef] = Field(default_factory=list)
    outputs: list[ArtifactRef] = Field(default_factory=list)

    @field_validator("inputs", "outputs")
    @classmethod
    def _digests(cls, refs: list[ArtifactRef]) -> list[ArtifactRef]:
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
    sessions: Int32 = 0
    jobs: Int32 = 0
    artifacts: Int32 = 0
    edges: Int32 = 0
    labels: Int32 = 0


class LineageReceipt(BaseModel):
    new: Counts
    known: Counts
    scope: Scope
    replayed: bool = Field(default=False, description="true when this answers an earlier request with the same idempotency key")
    session_urls: dict[Text, Text] = Field(default_factory=dict)
    artifact_urls: dict[Text, Text] = Field(default_factory=dict)


# ---------------------------------------------------------------- roar-cli 0.4.7 compatibility

class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class CompatSessionIn(_Loose):
    hash: Text = Field(min_length=1, max_length=128)
    git_repo: Text | None = None
    git_commit: Text | None = None
    git_branch: Text | None = None


class CompatSessionOut(BaseModel):
    hash: Text
    created: bool
    url: Text


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
    created_count: Int32
    existing_count: Int32
    errors: list[Text]


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
    created: Int32
    updated: Int32
    existing: Int32
    errors: list[Text]


class CompatEdgeIn(_Loose):
    hash: Text
    path: Text = ""
    size: Size | None = Field(default=None, ge=0)
    source_type: Text | None = None


class CompatEdgesIn(_Loose):
    artifacts: list[CompatEdgeIn]


class CompatEdgesOut(BaseModel):
    job_uid: Text
    inputs_linked: Int32 | None = None
    outputs_linked: Int32 | None = None
    artifacts_registered: Int32


class CompatLabelIn(_Loose):
    entity_type: EntityKind
    session_hash: Text | None = None
    job_uid: Text | None = None
    artifact_hash: Text | None = None
    metadata: JsonObject | Text | None = None


class CompatLabelsIn(_Loose):
    labels: list[CompatLabelIn]


class CompatLabelsOut(BaseModel):
    created: Int32
    updated: Int32
    unchanged: Int32


# ---------------------------------------------------------------- auth

class DeviceStartIn(BaseModel):
    client_id: Text = Field(default="", max_length=200)
    scope: Text = Field(default="read write", max_length=64)


class DeviceStartOut(BaseModel):
    device_code: Text
    user_code: Text
    verification_uri: Text
    verification_uri_complete: Text
    expires_in: Int32
    interval: Int32


class DeviceTokenIn(BaseModel):
    device_code: Text = Field(min_length=1, max_length=200)
    grant_type: Text = "urn:ietf:params:oauth:grant-type:device_code"


class TokenOut(BaseModel):
    access_token: Text
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: Int32 | None = None
    scope: Text


class DeviceApproveIn(BaseModel):
    user_code: Text = Field(min_length=1, max_length=32)
    approve: bool = True


class DeviceApproveOut(BaseModel):
    user_code: Text
    status: Literal["approved", "denied"]


class LoginIn(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=1024)
    scope: Text = Field(default="read write", max_length=64)
    expires_in_days: Int32 | None = Field(default=30, ge=1, le=3650)
    name: Text = Field(default="api login", max_length=200)


class WhoAmI(BaseModel):
    authenticated: bool
    user: Text | None = None
    is_admin: bool = False
    scopes: list[Text] = Field(default_factory=list)
    token_name: Text | None = None
    expires_at: Seconds | None = None


class TokenInfo(BaseModel):
    id: int
    name: Text
    prefix: Text
    scopes: list[Text]
    created_at: Seconds
    expires_at: Seconds | None = None
    revoked: bool = False
    last_used_at: Seconds | None = None
