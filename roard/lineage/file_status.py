"""What the lineage says about a file on disk now: the job that produced its current content,
the steps that read it, and whether it is stale and why. Pure: the caller brings the jobs, the
current DAG (``graph.current_dag``, with its disk check) and the file's hash now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from roard.lineage.graph import DagNode, record_order
from roard.lineage.model import JobRecord

UNKNOWN_CONTENT = "unknown content: not produced by any recorded job"


@dataclass
class FileStatusInfo:
    path: str                       # as asked
    abs_path: str
    workspace: str = ""
    exists: bool = False
    hash: str = ""
    produced_by: str = ""           # "@3"
    producer_job_uid: str = ""
    producer_argv: list[str] = field(default_factory=list)
    note: str = ""
    consumed_by: list[str] = field(default_factory=list)
    stale: bool = False
    stale_reasons: list[str] = field(default_factory=list)
    stale_consumers: list[str] = field(default_factory=list)
    tracked: bool = False


class FileIndex:
    """Lookups over a workspace's records, built once each time the records or the DAG change:
    who produced each hash, which current steps read and wrote each path."""

    def __init__(self, jobs: Iterable[JobRecord], nodes: list[DagNode]) -> None:
        self.producer: dict[str, JobRecord] = {}        # hash -> the latest job that wrote it
        self.producer_here: dict[tuple[str, str], JobRecord] = {}   # (abs path, hash) -> the same, there
        for job in sorted(jobs, key=record_order):
            for out in job.outputs:
                if out.hash:
                    self.producer[out.hash] = job
                    self.producer_here[(out.abs_path, out.hash)] = job
        self.nodes = {n.job.ref: n for n in nodes if not n.superseded}
        self.readers: dict[str, list[tuple[DagNode, str]]] = {}     # abs path -> (node, recorded path)
        self.writer: dict[str, tuple[DagNode, str]] = {}            # abs path -> (last writer, hash)
        for node in self.nodes.values():
            for entry in node.job.inputs:
                self.readers.setdefault(entry.abs_path, []).append((node, entry.path))
            for entry in node.job.outputs:
                self.writer[entry.abs_path] = (node, entry.hash)

    def tracked_paths(self) -> set[str]:
        return set(self.readers) | set(self.writer)

    def status(self, path: str, abs_path: str, workspace: str, current_hash: str | None) -> FileStatusInfo:
        """``current_hash``: the file's hash now; None when it is gone (or not a regular file)."""
        info = FileStatusInfo(path, abs_path, workspace, exists=current_hash is not None,
                              hash=current_hash or "", tracked=abs_path in self.readers or abs_path in self.writer)
        # The job that wrote these bytes at this path; else the latest that wrote them anywhere
        # (a copy, a rename).
        producer = (self.producer_here.get((abs_path, current_hash)) or self.producer.get(current_hash)
                    if current_hash else None)
        if producer is not None:
            info.produced_by, info.producer_job_uid, info.producer_argv = producer.ref, producer.uid, list(producer.argv)
        elif current_hash is None:
            info.note = "gone from disk"
        else:
            info.note = UNKNOWN_CONTENT
        written = self.writer.get(abs_path)
        if written is not None:
            node, written_hash = written
            if current_hash is None:
                info.stale_reasons.append(f"{path} is gone from disk since {node.job.ref} wrote it")
            elif written_hash and current_hash != written_hash:
                info.stale_reasons.append(f"{path} changed on disk since {node.job.ref} wrote it")
            if node.stale:
                info.stale_reasons += [f"{node.job.ref}: {r}" for r in node.stale_reasons]
        for node, recorded in self.readers.get(abs_path, []):
            info.consumed_by.append(node.job.ref)
            if any(r.startswith(f"{recorded} ") for r in node.stale_reasons):
                info.stale_consumers.append(node.job.ref)
        info.stale = bool(info.stale_reasons)
        return info
