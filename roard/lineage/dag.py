"""The DAG of a session: job B depends on job A when B read content that A wrote.

Links are by content hash, not by name: a file renamed between steps still links, and a file
overwritten between steps links to the job that wrote the bytes B actually read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import blake3

from roard.lineage.model import JobRecord


@dataclass
class DagNode:
    job: JobRecord
    depends_on: list[str] = field(default_factory=list)   # refs


def build_dag(jobs: list[JobRecord]) -> list[DagNode]:
    """Nodes in session order, each with the refs of the jobs whose outputs it read."""
    producer: dict[str, JobRecord] = {}   # hash -> latest job that wrote it so far
    nodes = []
    for job in sorted(jobs, key=lambda j: j.seq):
        deps: list[str] = []
        for entry in job.inputs:
            src = producer.get(entry.hash) if entry.hash else None
            if src is not None and src.uid != job.uid and src.ref not in deps:
                deps.append(src.ref)
        nodes.append(DagNode(job, deps))
        for entry in job.outputs:
            if entry.hash:
                producer[entry.hash] = job
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
