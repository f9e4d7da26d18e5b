"""The one lineage walk: how jobs link, what is upstream and downstream of a job, a session's
current DAG and which of its steps are stale.

Jobs link by content: a job depends on the most recent earlier job that wrote a file with the
hash it read (so a file renamed between steps still links). "Earlier" is record order,
``record_order``: when a job finished, then its place in its session. Every walk here (the DAG,
diff's and export's lineage of an artifact, the checklist's upstream, reproduce's steps, the
``@N --upstream`` re-run plan) goes through ``LineageGraph``.

The current DAG collapses re-runs of the same step (same kind, argv and cwd: see
``store.step_key``; or a ``roarctl run @N`` re-run, parameters overridden or not, which the store
records as step N: ``JobRecord.rerun_of``) into the most recent. It marks a current step
superseded when other steps overwrote every output it wrote without reading that version first
(``superseded_by``: nothing it produced is current any more), and stale when

- an input it read was later rewritten by another step (an upstream re-run),
- an input's bytes on disk now differ from what it read (edited outside roar; code included,
  since the scripts a step runs are among its inputs), or an input is gone,
- a step it depends on is stale.
"""
from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable

import blake3

from roard.lineage.model import JobRecord

#: (abs_path) -> current content hash, or None when the file is gone. Blocking.
DiskHasher = Callable[[str], "str | None"]


def record_order(job: JobRecord) -> tuple[float, int]:
    """The order jobs happened in, across sessions: when each finished, then its sequence."""
    return (job.ended_at, job.seq)


def _step_id(job: JobRecord) -> tuple[str, int]:
    return ("build" if job.kind == "build" else "run", job.step)


class LineageGraph:
    """Jobs (executions, not steps) and the content links between them."""

    def __init__(self, jobs: Iterable[JobRecord]) -> None:
        self.jobs = sorted(jobs, key=record_order)
        self._producers: dict[str, list[JobRecord]] = {}
        self._consumers: dict[str, list[JobRecord]] = {j.uid: [] for j in self.jobs}
        last_writer: dict[str, JobRecord] = {}   # hash -> latest job so far that wrote it
        for job in self.jobs:
            producers: list[JobRecord] = []
            for entry in job.inputs:
                src = last_writer.get(entry.hash) if entry.hash else None
                if src is not None and src.uid != job.uid and src not in producers:
                    producers.append(src)
            self._producers[job.uid] = producers
            for src in producers:
                self._consumers[src.uid].append(job)
            for out in job.outputs:
                if out.hash:
                    last_writer[out.hash] = job

    def producers(self, job: JobRecord) -> list[JobRecord]:
        """The jobs ``job`` read content from, directly."""
        return self._producers.get(job.uid, [])

    def upstream(self, job: JobRecord) -> list[JobRecord]:
        """``job`` and every job upstream of it, in record order."""
        return self._closure(job, self.producers)

    def downstream(self, job: JobRecord) -> list[JobRecord]:
        """``job`` and every job that read what it (or a job downstream of it) wrote."""
        return self._closure(job, lambda j: self._consumers.get(j.uid, []))

    @staticmethod
    def _closure(start: JobRecord, step: Callable[[JobRecord], list[JobRecord]]) -> list[JobRecord]:
        found: dict[str, JobRecord] = {}
        stack = [start]
        while stack:
            current = stack.pop()
            if current.uid not in found:
                found[current.uid] = current
                stack.extend(step(current))
        return sorted(found.values(), key=record_order)


def lineage_of(job: JobRecord, all_jobs: Iterable[JobRecord]) -> list[JobRecord]:
    """``job`` and everything upstream of it among ``all_jobs``, in record order."""
    return LineageGraph(all_jobs).upstream(job)


@dataclass
class DagNode:
    job: JobRecord
    depends_on: list[str] = field(default_factory=list)   # refs
    #: A later execution of the same step replaced this one: not part of the current DAG.
    superseded: bool = False
    stale_reasons: list[str] = field(default_factory=list)
    #: A current step whose every output later steps overwrote: their refs (see ``_mark_superseded``).
    superseded_by: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return bool(self.stale_reasons)


def current_dag(jobs: Iterable[JobRecord], expanded: bool = False,
                disk_hash: DiskHasher | None = None) -> list[DagNode]:
    """A session's nodes in record order. ``expanded`` keeps superseded executions (marked);
    otherwise only the latest execution of each step. ``disk_hash`` enables the on-disk check."""
    graph = LineageGraph(jobs)
    latest: dict[tuple[str, int], JobRecord] = {}
    for job in graph.jobs:
        latest[_step_id(job)] = job
    nodes: list[DagNode] = []
    for job in graph.jobs:
        node = DagNode(job, superseded=latest[_step_id(job)] is not job)
        for src in graph.producers(job):
            ref = latest[_step_id(src)].ref   # link to the current execution of the producing step
            if ref not in node.depends_on and ref != job.ref:
                node.depends_on.append(ref)
        if expanded or not node.superseded:
            nodes.append(node)
    current = [n for n in nodes if not n.superseded]
    _mark_superseded(current)
    _mark_stale(current, disk_hash)
    return nodes


def current_jobs(jobs: Iterable[JobRecord]) -> list[JobRecord]:
    """The latest execution of each step, in record order (no disk check)."""
    return [n.job for n in current_dag(jobs)]


def _mark_superseded(current: list[DagNode]) -> None:
    """Mark the current steps whose every output a later current step overwrote. An output is
    overwritten by the next step (in record order) that wrote its path, unless that step read
    this version of it first (an append or in-place edit builds on it, so it still counts)."""
    writers: dict[str, list[int]] = {}   # abs_path -> indexes into current of its writers, in order
    for i, node in enumerate(current):
        for out in node.job.outputs:
            positions = writers.setdefault(out.abs_path, [])
            if not positions or positions[-1] != i:
                positions.append(i)
    for i, node in enumerate(current):
        by: list[str] = []
        for out in node.job.outputs:
            positions = writers[out.abs_path]
            after = bisect.bisect_right(positions, i)
            if after == len(positions):
                break   # nobody wrote it since: this output is current
            writer = current[positions[after]].job
            if any(e.abs_path == out.abs_path and e.hash == out.hash for e in writer.inputs):
                break   # the next writer read this version and built on it
            if writer.ref not in by:
                by.append(writer.ref)
        else:
            node.superseded_by = by


def _mark_stale(current: list[DagNode], disk_hash: DiskHasher | None) -> None:
    # Who wrote each path last among the current steps, and with what content.
    last_writer: dict[str, tuple[JobRecord, str]] = {}
    for node in current:
        for out in node.job.outputs:
            last_writer[out.abs_path] = (node.job, out.hash)
    for node in current:
        job = node.job
        for entry in job.inputs:
            writer = last_writer.get(entry.abs_path)
            if writer and writer[0].uid != job.uid and writer[1] != entry.hash \
                    and record_order(writer[0]) > record_order(job):
                node.stale_reasons.append(
                    f"{entry.path} was rewritten by {writer[0].ref} after {job.ref} read it")
                continue
            if disk_hash is not None and entry.hash and "read-write" not in entry.flags:
                if writer and writer[0].uid == job.uid:
                    continue  # the step rewrote its own input; the disk holds its output
                now = disk_hash(entry.abs_path)
                if now is None:
                    node.stale_reasons.append(f"{entry.path} is gone from disk")
                elif now != entry.hash:
                    node.stale_reasons.append(f"{entry.path} changed on disk since {job.ref} read it")
    # Staleness flows downstream, in record order.
    by_ref = {n.job.ref: n for n in current}
    for node in current:
        for dep in node.depends_on:
            upstream = by_ref.get(dep)
            if upstream is not None and upstream.stale and f"upstream {dep} is stale" not in node.stale_reasons:
                node.stale_reasons.append(f"upstream {dep} is stale")


def _walk_dag(nodes: list[DagNode], ref: str, step: Callable[[DagNode], Iterable[str]]) -> list[DagNode]:
    by_ref = {n.job.ref: n for n in nodes if not n.superseded}
    seen: dict[str, DagNode] = {}
    stack = [ref]
    while stack:
        current = stack.pop()
        node = by_ref.get(current)
        if node is None or current in seen:
            continue
        seen[current] = node
        stack.extend(step(node))
    return sorted(seen.values(), key=lambda n: record_order(n.job))


def upstream_steps(nodes: list[DagNode], ref: str) -> list[JobRecord]:
    """The current step ``ref`` and every current step it depends on, transitively, in record
    order."""
    return [n.job for n in _walk_dag(nodes, ref, lambda n: n.depends_on)]


def downstream_steps(nodes: list[DagNode], ref: str) -> list[JobRecord]:
    """The current step ``ref`` and every current step that depends on it, transitively."""
    dependents: dict[str, list[str]] = {}
    for node in nodes:
        if not node.superseded:
            for dep in node.depends_on:
                dependents.setdefault(dep, []).append(node.job.ref)
    return [n.job for n in _walk_dag(nodes, ref, lambda n: dependents.get(n.job.ref, []))]


def stale_upstream(nodes: list[DagNode], ref: str) -> list[JobRecord]:
    """The stale current steps upstream of ``ref`` (not ``ref`` itself), in record order: what
    ``roarctl run @N --upstream`` re-runs first."""
    stale = {n.job.ref for n in nodes if not n.superseded and n.stale}
    return [j for j in upstream_steps(nodes, ref) if j.ref != ref and j.ref in stale]


def lineage_hash(jobs: list[JobRecord]) -> str:
    """Content-only hash of a session: commands, repo paths, hashes and commit; the same
    pipeline on two machines has the same hash."""
    if not jobs:
        return ""
    canon = []
    for job in sorted(jobs, key=lambda j: j.seq):
        canon.append({
            "kind": job.kind, "argv": job.argv, "commit": job.git.commit,
            "inputs": sorted([e.path, e.hash] for e in job.inputs),
            "outputs": sorted([e.path, e.hash] for e in job.outputs),
        })
    return blake3.blake3(json.dumps(canon, sort_keys=True).encode()).hexdigest()
