"""The one data model (SQLAlchemy Core tables). Alembic migrations in glaas/migrations create it.

Identity is content: a session is its lineage hash, a job its uid, an artifact its BLAKE3
digest (64 hex). Registering the same thing again finds the same row (unique constraints,
insert-or-ignore). Who may see a record is kept apart from the record: a ``grants`` row per
(record, owner) with the scope it was registered under; ``is_public`` on the record caches
"some grant is not private" so anonymous reads need no join.
"""
from __future__ import annotations

from sqlalchemy import (
                        JSON,
                        BigInteger,
                        Boolean,
                        Column,
                        Float,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# Scopes a registration can have.
ANONYMOUS, PUBLIC, PRIVATE = "anonymous", "public", "private"
SCOPES = (ANONYMOUS, PUBLIC, PRIVATE)
# Kinds of record a grant, label or search document refers to.
SESSION, JOB, ARTIFACT = "session", "job", "artifact"

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False, default=""),
    # SHA-256 of the token (tokens are 256 random bits, so a fast hash is enough); never the token.
    Column("token_hash", String(64), nullable=False, unique=True),
    # The first characters, shown in listings so a person can tell tokens apart.
    Column("prefix", String(16), nullable=False),
    Column("scopes", String(64), nullable=False),  # "read" or "read,write"
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Column("last_used_at", Float, nullable=True),
)

device_codes = Table(
    "device_codes", metadata,
    Column("id", Integer, primary_key=True),
    Column("device_code_hash", String(64), nullable=False, unique=True),
    Column("user_code", String(16), nullable=False, unique=True),
    Column("client_id", String(200), nullable=False, default=""),
    Column("scopes", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("last_polled_at", Float, nullable=True),
    Column("status", String(16), nullable=False),  # pending, approved, denied, consumed
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
)

# Fixed-window counters: (key, window start) -> hits. Shared by every server process.
rate_limits = Table(
    "rate_limits", metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(128), nullable=False, unique=True),
    Column("git_repo", Text, nullable=True),
    Column("git_commit", String(64), nullable=True),
    Column("git_branch", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("is_public", Boolean, nullable=False, default=False),
)

jobs = Table(
    "jobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(128), nullable=False, unique=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("command", Text, nullable=False, default=""),
    Column("argv", JSON, nullable=True),
    Column("cwd", Text, nullable=True),
    Column("timestamp", Float, nullable=True),  # start, seconds since the epoch
    Column("duration_seconds", Float, nullable=True),
    Column("exit_code", Integer, nullable=True, index=True),
    Column("job_type", String(32), nullable=True),
    Column("step_number", Integer, nullable=True),
    Column("git_repo", Text, nullable=True, index=True),
    Column("git_commit", String(64), nullable=True, index=True),
    Column("git_branch", Text, nullable=True),
    Column("git_dirty", Boolean, nullable=True),
    Column("gpu_model", Text, nullable=True, index=True),
    Column("runtime", JSON, nullable=True),   # os, python, cpu, memory, gpus, cuda
    Column("packages", JSON, nullable=True),  # {name: version}
    Column("metadata", JSON, nullable=True),  # anything else the client sent
    Column("created_at", Float, nullable=False, index=True),
    Column("is_public", Boolean, nullable=False, default=False),
)

# One row per (job, package) so "jobs that used torch 2.3" is an index lookup.
job_packages = Table(
    "job_packages", metadata,
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("version", String(100), nullable=False, default=""),
    Index("ix_job_packages_name_version", "name", "version"),
)

artifacts = Table(
    "artifacts", metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),  # BLAKE3, lower-case hex
    Column("size", BigInteger, nullable=True),
    Column("source_type", String(32), nullable=True),
    Column("file_type", String(64), nullable=True, index=True),   # detected type, e.g. "csv", "pytorch"
    Column("extension", String(32), nullable=True, index=True),   # ".csv", from the first path seen
    Column("is_composite", Boolean, nullable=False, default=False),
    Column("metadata", JSON, nullable=True),
    Column("created_at", Float, nullable=False, index=True),
    Column("is_public", Boolean, nullable=False, default=False),
)

composite_components = Table(
    "composite_components", metadata,
    Column("composite_id", Integer, ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("component_id", Integer, ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False, index=True),
)

# Job used (direction "in") or produced ("out") an artifact at a path.
edges = Table(
    "edges", metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("artifact_id", Integer, ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("path", Text, nullable=False, default=""),
    UniqueConstraint("job_id", "direction", "artifact_id", "path", name="uq_edges_job_dir_artifact_path"),
    Index("ix_edges_artifact_direction", "artifact_id", "direction"),
)

# Label documents with history: each change is a new version for (entity, owner).
labels = Table(
    "labels", metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_kind", String(16), nullable=False),
    Column("entity_key", String(128), nullable=False),
    Column("owner_key", Integer, nullable=False),  # users.id, 0 for anonymous
    Column("version", Integer, nullable=False),
    Column("metadata", JSON, nullable=False),
    # "\nkey=value\n" per top-level key (flattened dotted keys), for the search filter.
    Column("flat", Text, nullable=False, default=""),
    Column("scope", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("entity_kind", "entity_key", "owner_key", "version", name="uq_labels_entity_owner_version"),
)

# Who registered a record, under which scope. One row per (record, owner); scopes only widen.
grants = Table(
    "grants", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("resource_id", Integer, nullable=False),
    Column("owner_key", Integer, nullable=False),  # users.id, 0 for anonymous
    Column("scope", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("kind", "resource_id", "owner_key", name="uq_grants_kind_resource_owner"),
    Index("ix_grants_owner_kind", "owner_key", "kind"),
)

# A private grant shared with another user.
shares = Table(
    "shares", metadata,
    Column("grant_id", Integer, ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_shares_user", "user_id"),
)

# The text search documents (one per job and per artifact). The full-text index over ``body``
# is dialect specific (SQLite FTS5 table ``search_fts``; PostgreSQL tsvector column + GIN) and
# made by the migration; glaas/queries/search.py is the one place that queries it.
search_docs = Table(
    "search_docs", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("resource_id", Integer, nullable=False),
    Column("body", Text, nullable=False),
    # when the job ran (or the record was registered): the recency order of search results
    Column("created_at", Float, nullable=False),
    UniqueConstraint("kind", "resource_id", name="uq_search_docs_kind_resource"),
    Index("ix_search_docs_created", "created_at", "id"),
)

# Answers of the native batch endpoint by idempotency key, so a retried request gets the
# answer the first one would have had.
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(200), primary_key=True),
    Column("owner_key", Integer, primary_key=True),
    Column("response", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
)

# The original client's usage telemetry, kept only when the operator turns collection on.
telemetry_events = Table(
    "telemetry_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("received_at", Float, nullable=False),
    Column("body", JSON, nullable=False),
)

# Server-wide values every process must agree on (e.g. the cookie signing key), kept in the
# database rather than in one machine's data directory.
server_settings = Table(
    "server_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
