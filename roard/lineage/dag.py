"""The DAG of a session, and what is true now.

Job B depends on job A when B read content that A wrote (links are by content hash, so a file
renamed between steps still links). The current DAG collapses re-runs of the same step (same
kind, argv and cwd: see ``store.step_key``) into the most recent, and marks a step stale when

- an input it read was later rewritten by another step (an upstream re-run),
- an input's bytes on disk now differ from what it read (edited outside roar; code included,
  since the scripts a step runs are among its inputs), or an input is gone,
- a step it depends on is stale.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import blake3

from roard.lineage.model import JobRecord

#: (abs_path) -> current content hash, or None when the file is gone. Blocking.
DiskHasher = Callable[[str], "str | None"]


@dataclass
class DagNode:
    job: JobRecord
    depends_on: list[str] = field(default_factory=list)   # refs
    superseded: bool = False
    stale_reasons: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return bool(self.stale_reasons)


def _step_id(job: JobRecord) -> tuple[str, int]:
    return ("build" if job.kind == "build" else "run", job.step)


def build_dag(jobs: list[JobRecord], expanded: bool = False,
              disk_hash: DiskHasher | None = None) -> list[DagNode]:
    """Nodes in session order. ``expanded`` keeps superseded executions (marked); otherwise
    only the latest execution of each step. ``disk_hash`` enables the on-disk check."""
    ordered = sorted(jobs, key=lambda j: j.seq)
    latest: dict[tuple[str, int], JobRecord] = {}
    for job in ordered:
        latest[_step_id(job)] = job
    current = [j for j in ordered if latest[_step_id(j)] is j]
    # Who wrote each path last among the current steps, and with what content.
    last_writer: dict[str, tuple[JobRecord, str]] = {}
    for job in current:
        for out in job.outputs:
            last_writer[out.abs_path] = (job, out.hash)

    producer_of_hash: dict[str, JobRecord] = {}
    nodes: list[DagNode] = []
    by_uid: dict[str, DagNode] = {}
    for job in ordered:
        node = DagNode(job, superseded=latest[_step_id(job)] is not job)
        for entry in job.inputs:
            src = producer_of_hash.get(entry.hash) if entry.hash else None
            if src is not None and src.uid != job.uid:
                # Link to the current execution of the producing step.
                ref = latest[_step_id(src)].ref
                if ref not in node.depends_on and ref != job.ref:
                    node.depends_on.append(ref)
        for out in job.outputs:
            if out.hash:
                producer_of_hash[out.hash] = job
        by_uid[job.uid] = node
        if expanded or not node.superseded:
            nodes.append(node)

    for node in nodes:
        if node.superseded:
            continue
        job = node.job
        for entry in job.inputs:
            writer = last_writer.get(entry.abs_path)
            if writer and writer[0].uid != job.uid and writer[1] != entry.hash and writer[0].seq > job.seq:
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
    # Staleness flows downstream, in session order.
    current_by_ref = {n.job.ref: n for n in nodes if not n.superseded}
    for node in nodes:
        if node.superseded:
            continue
        for dep in node.depends_on:
            upstream = current_by_ref.get(dep)
            if upstream is not None and upstream.stale and f"upstream {dep} is stale" not in node.stale_reasons:
                node.stale_reasons.append(f"upstream {dep} is stale")
    return nodes


def lineage_hash(jobs: list[JobRecord]) -> str:
    """Content-only hash of a session: commands, repo paths, hashes and commit; the same
    pipeline on two machines has the same hash."""
    if not jobs:
        return ""
    canon = []
    for job in sorted(jobs, key=lambda j: j.seq):
        canon.append({
            "kind": job.kind, "argv": job.argv, "commit": (job.git or {}).get("commit", ""),
            "inputs": sorted([e.path, e.hash] for e in job.inputs),
            "outputs": sorted([e.path, e.hash] for e in job.outputs),
        })
    return blake3.blake3(json.dumps(canon, sort_keys=True).encode()).hexdigest()
