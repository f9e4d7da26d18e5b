"""What ``roarctl register TARGET`` means: TARGET resolved in one workspace to a selection of
jobs (the target's transitive upstream lineage, or a whole session) and the artifacts the
receipt is about.

TARGET is a path, an artifact hash or unique prefix (file or composite), ``@N``/``@BN``, a job
uid or unique prefix, a session (lineage) hash or prefix, or a remote URL recorded by a get or
put. A bare 8-hex target is tried as a job uid first, then as a session hash prefix, then as an
artifact hash prefix (the original's order); other hex targets as an artifact hash first.
"""
from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field

from roar_api.refs import STEP_REF
from roard.errors import InvalidArgument, NotFound
from roard.lineage.artifacts import ArtifactInfo, is_hash_prefix, producing_job, resolve_artifact
from roard.lineage.graph import LineageGraph, lineage_hash
from roard.lineage.model import JobRecord
from roard.lineage.store import JobStore
from roard.registration.payload import transfer_of

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass
class Selection:
    """What one registration sends: ``jobs`` in record order, and the artifacts the receipt
    links to (the target artifact, or the outputs of the target job or session's last job)."""

    kind: str                       # artifact | job | session
    target: str                     # what the user typed
    jobs: list[JobRecord]
    artifacts: list[str] = field(default_factory=list)
    # Artifacts with no producing job among ``jobs`` (an input nobody recorded writing).
    loose: list[ArtifactInfo] = field(default_factory=list)


async def select(store: JobStore, target: str, cwd: str) -> Selection:
    target = target.strip()
    if not target:
        raise InvalidArgument("give what to register: a path, an artifact hash, @N, a job uid, "
                              "a session hash or a recorded remote URL")
    if STEP_REF.match(target):
        return await job_selection(store, await store.get_job(target, with_decisions=False), target)
    if _URL.match(target):
        return await _artifact_selection(store, await _hash_for_url(store, target), target, cwd)
    candidate = target if os.path.isabs(target) else os.path.join(cwd or str(store.root), target)
    if "/" in target or os.path.lexists(candidate) or not is_hash_prefix(target):
        return await _artifact_selection(store, target, target, cwd)
    order = ("job", "session", "artifact") if len(target) == 8 else ("artifact", "job", "session")
    for kind in order:
        found = await _try(store, kind, target.lower(), cwd)
        if found is not None:
            return found
    raise NotFound(f"nothing recorded here matches {target!r} (no artifact, job or session hash "
                   "starts with it)")


async def _try(store: JobStore, kind: str, prefix: str, cwd: str) -> Selection | None:
    """``prefix`` as one kind of reference; None when nothing of that kind matches (an
    ambiguous prefix is an error, not a fall-through)."""
    if kind == "artifact":
        if not await store.find_hashes(prefix):
            return None
        return await _artifact_selection(store, prefix, prefix, cwd)
    if kind == "job":
        try:
            job = await store.get_job(prefix, with_decisions=False)
        except NotFound:
            return None
        return await job_selection(store, job, prefix)
    sessions = await _sessions_matching(store, prefix)
    if not sessions:
        return None
    if len(sessions) > 1:
        raise InvalidArgument(f"session hash prefix {prefix!r} is ambiguous: "
                              + ", ".join(h[:16] for h, _ in sessions))
    _, jobs = sessions[0]
    last = jobs[-1]
    return Selection("session", prefix, jobs, artifacts=[o.hash for o in last.outputs if o.hash])


async def _sessions_matching(store: JobStore, prefix: str) -> list[tuple[str, list[JobRecord]]]:
    found = []
    for sid in await store.session_ids():
        jobs = await store.list_jobs(sid)
        if jobs:
            digest = lineage_hash(jobs)
            if digest.startswith(prefix):
                found.append((digest, jobs))
    return found


async def _all_jobs(store: JobStore) -> list[JobRecord]:
    return await store.list_jobs("*")


async def job_selection(store: JobStore, job: JobRecord, target: str) -> Selection:
    jobs = await _all_jobs(store)
    graph = await asyncio.to_thread(LineageGraph, jobs)
    mine = next(j for j in graph.jobs if j.uid == job.uid)
    return Selection("job", target, graph.upstream(mine), artifacts=[o.hash for o in job.outputs if o.hash])


async def _artifact_selection(store: JobStore, ref: str, target: str, cwd: str) -> Selection:
    info = await resolve_artifact(store, ref, cwd)
    producer = await producing_job(store, info.hash) or await _composite_producer(store, info.hash)
    if producer is not None:
        producers = [producer]
    else:   # only read, or a directory put as a whole: the lineage of what is in it
        producers = [p for c in info.components if (p := await producing_job(store, c.hash)) is not None]
    if not producers:
        return Selection("artifact", target, [], artifacts=[info.hash], loose=[info])
    graph = await asyncio.to_thread(LineageGraph, await _all_jobs(store))
    found: dict[str, JobRecord] = {}
    for p in producers:
        mine = next(j for j in graph.jobs if j.uid == p.uid)
        found.update((j.uid, j) for j in graph.upstream(mine))
    jobs = [j for j in graph.jobs if j.uid in found]     # record order
    return Selection("artifact", target, jobs, artifacts=[info.hash], loose=[] if producer else [info])


async def _composite_producer(store: JobStore, digest: str) -> JobRecord | None:
    writers = [r for r in await store.composite_rows(digest) if r["role"] == "out"]
    if not writers:
        return None
    return await store.get_job(writers[-1]["job_uid"], with_decisions=False)


async def _hash_for_url(store: JobStore, url: str) -> str:
    """The content a get or put recorded at ``url`` (a file, or a directory's composite)."""
    wanted = url.rstrip("/")
    found = ""
    for job in await _all_jobs(store):
        transfer = transfer_of(job)
        for entry in [*transfer.get("files", []), *transfer.get("directories", [])]:
            if str(entry.get("url", "")).rstrip("/") == wanted and entry.get("hash"):
                found = entry["hash"]   # the latest recording wins
    if not found:
        raise NotFound(f"no get or put here recorded {url}; register a path or hash instead")
    return found
