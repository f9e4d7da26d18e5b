"""What an export covers (an artifact's lineage or a session's current DAG), and the fields of a
job the writers use: of the environment, only names. Secrets are redacted before writers see a
scope (``public.py``)."""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Awaitable, TypeVar

from roard.errors import FailedPrecondition, InvalidArgument, NotFound
from roard.lineage.artifacts import ArtifactInfo, is_hash_prefix, producing_job, resolve_artifact
from roard.lineage.graph import current_jobs, lineage_of
from roard.lineage.labels import resolve_entity
from roard.lineage.model import JobRecord
from roard.lineage.store import JobStore

T = TypeVar("T")
USAGE = ("export needs a reference: an artifact (path or hash prefix) or a session "
         "(current, a session id or a lineage hash prefix)")


@dataclass
class ExportScope:
    label: str               # what the ref resolved to, for people
    jobs: list[JobRecord]    # oldest first
    root: str                # the workspace root
    focus: str = ""          # the artifact's hash when the ref named one


@dataclass
class Artifact:
    hash: str
    size: int
    paths: list[str] = field(default_factory=list)


async def resolve_scope(store: JobStore, ref: str, cwd: str) -> ExportScope:
    """``current`` or a session id / lineage hash prefix: the session's current DAG. A path or
    an artifact hash prefix: the job that wrote it and every job upstream of it."""
    ref = ref.strip()
    if not ref:
        raise InvalidArgument(USAGE)
    if ref == "current":
        return await _session_scope(store, await store.active_session())
    if not _could_be_session(ref, cwd or str(store.root)):
        return await _artifact_scope(store, ref, await resolve_artifact(store, ref, cwd))
    sid = await _or_none(resolve_entity(store, "dag", ref, cwd))
    art = await _or_none(resolve_artifact(store, ref, cwd))
    if sid and art:
        raise InvalidArgument(f"{ref!r} is ambiguous: session {sid[:12]} and artifact {art.hash[:16]}")
    if sid:
        return await _session_scope(store, sid)
    if art:
        return await _artifact_scope(store, ref, art)
    raise NotFound(f"no artifact, session or lineage hash matches {ref!r}")


def _could_be_session(ref: str, cwd: str) -> bool:
    return is_hash_prefix(ref) and not os.path.lexists(os.path.join(cwd, ref))


async def _or_none(lookup: Awaitable[T]) -> T | None:
    try:
        return await lookup
    except NotFound:
        return None


async def _session_scope(store: JobStore, sid: str) -> ExportScope:
    jobs = await asyncio.to_thread(current_jobs, await store.list_jobs(sid))
    return ExportScope(f"session {sid[:12]}", jobs, str(store.root))


async def _artifact_scope(store: JobStore, ref: str, art: ArtifactInfo) -> ExportScope:
    job = await producing_job(store, art.hash)
    if job is None:
        raise FailedPrecondition(f"no recorded job wrote {ref!r} (it was only read), so it has no lineage to export")
    jobs = await asyncio.to_thread(lineage_of, job, await store.list_jobs("*"))
    return ExportScope(f"artifact {art.hash[:12]} ({ref}) from {job.ref}", jobs, str(store.root), art.hash)


def artifacts(jobs: list[JobRecord]) -> dict[str, Artifact]:
    """Every hashed file the jobs read or wrote, by hash, with each path it had."""
    found: dict[str, Artifact] = {}
    for job in jobs:
        for entry in job.inputs + job.outputs:
            if not entry.hash:
                continue
            art = found.setdefault(entry.hash, Artifact(entry.hash, entry.size))
            if entry.path not in art.paths:
                art.paths.append(entry.path)
    return found


def public_argv(job: JobRecord) -> list[str]:
    return list(job.argv)


def command_line(job: JobRecord) -> str:
    return " ".join(public_argv(job))


def git_field(job: JobRecord, key: str) -> str:
    """``commit``, ``branch``, ``repo_root`` or ``remote``; "" if unknown."""
    return str(getattr(job.git, key))


def env_names(job: JobRecord) -> list[str]:
    return sorted(job.env or {})


def hostname(job: JobRecord) -> str:
    return job.runtime.hostname


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)
