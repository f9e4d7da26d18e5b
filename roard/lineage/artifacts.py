"""Resolve an artifact reference (a path or a hash prefix) to what the lineage knows of it: a
file, or a directory recorded as a whole (a composite, with its components).

An artifact may have been written in several sessions (a reproduction replays in a session of
its own, in the same workspace); a step number means something only with its session. So every
job is named with its session unless it is in the active one (``job_name``), and of an
artifact's producers the active session's comes first, then the most recent (``producers``)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from roar_api.refs import step_ref
from roard.errors import InvalidArgument, NotFound
from roard.lineage.checklist import ChecklistResult
from roard.lineage.model import FileEntry, JobRecord
from roard.lineage.store import JobStore

#: The fewest hex characters a hash prefix may have (shorter ones name too many artifacts).
MIN_HASH_PREFIX = 6
_HEX = re.compile(rf"^[0-9a-f]{{{MIN_HASH_PREFIX},64}}$")
_SHORT_HEX = re.compile(rf"^[0-9a-f]{{1,{MIN_HASH_PREFIX - 1}}}$")


@dataclass
class Producer:
    """A job that wrote an artifact: its step in its session."""

    ref: str
    session_id: str
    job_uid: str
    active_session: bool

    @property
    def name(self) -> str:
        return job_name(self.ref, self.session_id, self.active_session)


def job_name(ref: str, session_id: str, active: bool) -> str:
    """``@N`` in the active session, else ``@N in session <12 hex>``: the one way a job of an
    artifact is named."""
    return ref if active else f"{ref} in session {session_id[:12]}"


def order_producers(rows: Iterable[dict[str, Any]], active_session: str) -> list[Producer]:
    """The distinct jobs among ``rows`` (store rows, oldest first, with role, job_uid, session_id,
    kind and step) that wrote the artifact: the active session's latest first, then the others
    from the most recent."""
    found: dict[str, Producer] = {}
    for r in rows:
        if r["role"] == "out":
            found.pop(r["job_uid"], None)   # keep each job at its latest place
            found[r["job_uid"]] = Producer(_ref(r), r["session_id"], r["job_uid"], r["session_id"] == active_session)
    latest_first = list(reversed(found.values()))
    return sorted(latest_first, key=lambda p: not p.active_session)   # stable: recency kept within each


@dataclass
class ArtifactInfo:
    hash: str
    size: int = 0
    paths: list[str] = field(default_factory=list)
    produced_by: str = ""          # producers[0].name
    consumed_by: list[str] = field(default_factory=list)
    producers: list[Producer] = field(default_factory=list)
    components: list[FileEntry] = field(default_factory=list)   # paths relative to the directory
    checklist: list[ChecklistResult] = field(default_factory=list)   # of its lineage (views.describe_artifact)


def is_hash_prefix(text: str) -> bool:
    """6 to 64 hex characters: what an artifact hash (or lineage hash) reference looks like."""
    return bool(_HEX.match(text.lower()))


async def producing_job(store: JobStore, digest: str) -> JobRecord | None:
    """The job that wrote content ``digest``: the active session's latest, else the most recent
    (``order_producers``); None when it was only ever read."""
    found = order_producers(await store.files_with_hash(digest), await store.active_session())
    if not found:
        return None
    return await store.get_job(found[0].job_uid, with_decisions=False)


async def resolve_artifact(store: JobStore, ref: str, cwd: str) -> ArtifactInfo:
    ref = ref.strip()
    if not ref:
        raise InvalidArgument(f"an artifact reference is a path or a hash prefix of {MIN_HASH_PREFIX}+ hex characters")
    candidate = ref if os.path.isabs(ref) else os.path.normpath(os.path.join(cwd or str(store.root), ref))
    digest = None
    if os.path.lexists(candidate) or "/" in ref or not is_hash_prefix(ref):
        digest = await _digest_for_path(store, candidate)
        if digest is None and _SHORT_HEX.match(ref.lower()) and not os.path.lexists(candidate):
            raise InvalidArgument(f"{ref!r} is too short for a hash prefix (at least {MIN_HASH_PREFIX} hex "
                                  f"characters) and no recorded job wrote a file of that name")
        if digest is None:
            raise NotFound(f"no recorded job wrote {ref!r}")
    else:
        matches = await store.find_hashes(ref.lower())
        if not matches:
            raise NotFound(f"no artifact has a hash starting with {ref!r}")
        if len(matches) > 1:
            raise InvalidArgument(f"hash prefix {ref!r} is ambiguous: " + ", ".join(m[:16] for m in matches))
        digest = matches[0]
    rows = await store.files_with_hash(digest)
    if not rows:
        return await _composite_info(store, digest)
    info = ArtifactInfo(hash=digest)
    for r in rows:
        info.size = r["size"]
        if r["path"] not in info.paths:
            info.paths.append(r["path"])
    _name_jobs(info, rows, await store.active_session())
    return info


def _name_jobs(info: ArtifactInfo, rows: list[dict[str, Any]], active_session: str) -> None:
    """Fill the producers and readers of ``info`` from store rows (files or composite components),
    each job named with its session (``job_name``), the active session's first."""
    info.producers = order_producers(rows, active_session)
    info.produced_by = info.producers[0].name if info.producers else ""
    readers = sorted((r for r in rows if r["role"] != "out"), key=lambda r: r["session_id"] != active_session)
    for r in readers:
        name = job_name(_ref(r), r["session_id"], r["session_id"] == active_session)
        if name not in info.consumed_by:
            info.consumed_by.append(name)


async def _digest_for_path(store: JobStore, candidate: str) -> str | None:
    """The latest hash recorded for the path: a file's, else a directory's composite hash."""
    for path in (os.path.realpath(candidate), candidate):
        digest = await store.latest_hash_for_path(path)
        if digest is not None:
            return digest
    for path in (os.path.realpath(candidate), candidate.rstrip("/") or "/"):
        digest = await store.latest_composite_for_path(path)
        if digest is not None:
            return digest
    return None


def _ref(row: dict) -> str:
    return step_ref(row["kind"], row["step"])


async def _composite_info(store: JobStore, digest: str) -> ArtifactInfo:
    rows = await store.composite_rows(digest)
    if not rows:
        raise NotFound(f"no artifact has the hash {digest}")
    info = ArtifactInfo(hash=digest)
    first = rows[0]["job_uid"]
    for r in rows:
        if r["job_uid"] == first:
            info.components.append(FileEntry(r["member"], os.path.join(r["abs_path"], r["member"]),
                                             r["member_hash"], r["member_size"]))
        if r["path"] not in info.paths:
            info.paths.append(r["path"])
    _name_jobs(info, rows, await store.active_session())
    info.size = sum(c.size for c in info.components)
    return info
