"""What the lineage says, read from a workspace's store: the views clients ask for (a session's
DAG and summary, an artifact with its checklist, the plan of ``roarctl run @N``). Each is one
call; the walks themselves are ``graph``'s, and blocking work (disk hashes, git) runs in a
worker thread.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from roard.lineage import checklist
from roard.lineage.artifacts import ArtifactInfo, resolve_artifact
from roard.lineage.checklist import ChecklistResult
from roard.lineage.graph import DagNode, DiskHasher, current_dag, lineage_hash, stale_upstream, upstream_steps
from roard.lineage.model import FileEntry, JobRecord
from roard.lineage.store import JobStore


@dataclass
class SessionDag:
    session_id: str
    lineage_hash: str
    nodes: list[DagNode]


async def session_dag(store: JobStore, session_id: str = "", expanded: bool = False,
                      disk_hash: DiskHasher | None = None) -> SessionDag:
    """A session's DAG (the active one by default); ``disk_hash`` compares inputs with the disk."""
    sid = session_id or await store.active_session()
    jobs = await store.list_jobs(sid)
    nodes = await asyncio.to_thread(current_dag, jobs, expanded, disk_hash)
    return SessionDag(sid, lineage_hash(jobs), nodes)


@dataclass
class SessionSummary:
    session_id: str
    created_at: float
    jobs: list[JobRecord]
    lineage_hash: str
    unsourced: list[FileEntry]
    checklist: list[ChecklistResult]
    untracked_output_dirs: list[str]
    superseded: dict[str, list[str]] = field(default_factory=dict)   # ref -> the steps that superseded it


def _session_checklist(jobs: list[JobRecord]) -> tuple[list[ChecklistResult], list[str], dict[str, list[str]]]:
    nodes = current_dag(jobs)
    current = [n.job for n in nodes]
    return (checklist.evaluate(current), checklist.untracked_output_dirs(current, checklist.repo_root_of(current)),
            {n.job.ref: n.superseded_by for n in nodes if n.superseded_by})


async def session_summary(store: JobStore) -> SessionSummary:
    """The active session: its jobs, lineage hash, unsourced inputs and checklist."""
    sid = await store.active_session()
    jobs = await store.list_jobs(sid)
    items, dirs, superseded = await asyncio.to_thread(_session_checklist, jobs)
    unsourced: dict[str, FileEntry] = {}
    for job in jobs:
        for entry in job.inputs:
            if "unsourced" in entry.flags:
                unsourced.setdefault(entry.abs_path, entry)
    return SessionSummary(sid, await store.session_created(sid), jobs, lineage_hash(jobs),
                          list(unsourced.values()), items, dirs, superseded)


async def step_checklist(store: JobStore, ref: str, session_id: str = "") -> list[ChecklistResult]:
    """The checklist over step ``ref`` of a session (the active one by default) and everything
    upstream of it."""
    jobs = await store.list_jobs(session_id or None)
    return await asyncio.to_thread(lambda: checklist.evaluate(upstream_steps(current_dag(jobs), ref)))


async def describe_artifact(store: JobStore, ref: str, cwd: str) -> ArtifactInfo:
    """An artifact (path or hash prefix) with the checklist of the lineage that produced it (in
    the session of its first producer: the active session's, when it has one)."""
    art = await resolve_artifact(store, ref, cwd)
    if art.producers:
        first = art.producers[0]
        art.checklist = await step_checklist(store, first.ref, first.session_id)
    return art


@dataclass
class RerunPlan:
    steps: list[JobRecord]                 # the target last
    stale_upstream: list[str] = field(default_factory=list)


async def rerun_plan(store: JobStore, ref: str, upstream: bool,
                     disk_hash: DiskHasher | None = None) -> RerunPlan:
    """What ``roarctl run @N`` runs: the step as recorded, after (with ``upstream``) the stale
    steps upstream of it in record order."""
    target = await store.get_job(ref, with_decisions=False)
    dag = await session_dag(store, target.session_id, disk_hash=disk_hash)
    stale = stale_upstream(dag.nodes, target.ref)
    return RerunPlan((stale if upstream else []) + [target], [j.ref for j in stale])
