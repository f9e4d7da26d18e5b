"""Resolve an artifact reference (a path or a hash prefix) to what the lineage knows of it: a
file, or a directory recorded as a whole (a composite, with its components)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

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
class ArtifactInfo:
    hash: str
    size: int = 0
    paths: list[str] = field(default_factory=list)
    produced_by: str = ""
    consumed_by: list[str] = field(default_factory=list)
    components: list[FileEntry] = field(default_factory=list)   # paths relative to the directory
    checklist: list[ChecklistResult] = field(default_factory=list)   # of its lineage (views.describe_artifact)


def is_hash_prefix(text: str) -> bool:
    """6 to 64 hex characters: what an artifact hash (or lineage hash) reference looks like."""
    return bool(_HEX.match(text.lower()))


async def producing_job(store: JobStore, digest: str) -> JobRecord | None:
    """The most recent job that wrote content ``digest``; None when it was only ever read."""
    writers = [r for r in await store.files_with_hash(digest) if r["role"] == "out"]
    if not writers:
        return None
    return await store.get_job(writers[-1]["job_uid"], with_decisions=False)


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
        ref_ = _ref(r)
        info.size = r["size"]
        if r["path"] not in info.paths:
            info.paths.append(r["path"])
        if r["role"] == "out":
            info.produced_by = ref_
        elif ref_ not in info.consumed_by:
            info.consumed_by.append(ref_)
    return info


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
        if r["role"] == "out":
            info.produced_by = _ref(r)
        elif _ref(r) not in info.consumed_by:
            info.consumed_by.append(_ref(r))
    info.size = sum(c.size for c in info.components)
    return info
