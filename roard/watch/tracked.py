"""A watched workspace's picture of its files: the hash of each tracked file now, the current
DAG with its stale steps, and the ``FileIndex`` file status is answered from.

Blocking: every method runs in the watcher's one worker thread (``service.WatchService``),
which is the only writer; the event loop reads ``index``, ``disk`` and ``identity`` (whole
objects swapped, never half-built).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from roard.hashing import HashBatch, HashCache, Identity
from roard.lineage.file_status import FileIndex
from roard.lineage.graph import current_dag
from roard.lineage.model import JobRecord


@dataclass
class Transitions:
    """What one re-check found: files whose content changed, steps that became stale (with
    their reasons) or fresh."""

    changed: list[str] = field(default_factory=list)
    stale: dict[str, tuple[str, ...]] = field(default_factory=dict)     # ref -> reasons (new or different)
    fresh: list[str] = field(default_factory=list)
    stale_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)   # ref -> abs paths behind it


def _identity(path: str) -> Identity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Identity.of(st) if stat.S_ISREG(st.st_mode) else None


class TrackedWorkspace:
    def __init__(self, root: Path, hashes: HashCache) -> None:
        self.root = root
        self.hashes = hashes
        self.session_jobs: list[JobRecord] = []
        self.all_jobs: list[JobRecord] = []
        self.disk: dict[str, str | None] = {}              # abs path -> hash now; None: gone
        self.identity: dict[str, Identity | None] = {}     # abs path -> what stat said when hashed
        self.index = FileIndex([], [])
        self.stale: dict[str, tuple[str, ...]] = {}        # ref -> reasons
        self.tracked: frozenset[str] = frozenset()
        self.outside: frozenset[str] = frozenset()     # tracked files outside the workspace's tree

    def load(self, session_jobs: list[JobRecord], all_jobs: list[JobRecord]) -> Transitions:
        """New records (a job recorded or popped, a session reset): track their files."""
        self.session_jobs, self.all_jobs = session_jobs, all_jobs
        tracked = set()
        for job in session_jobs:
            tracked.update(e.abs_path for e in job.inputs)
            tracked.update(e.abs_path for e in job.outputs)
        self.tracked = frozenset(tracked)
        inside = str(self.root).rstrip(os.sep) + os.sep
        self.outside = frozenset(p for p in tracked if not p.startswith(inside))
        for gone in set(self.disk) - tracked:
            self.disk.pop(gone, None)
            self.identity.pop(gone, None)
        self._measure([p for p in tracked if p not in self.disk])
        return self._recompute([])

    def add(self, job: JobRecord) -> Transitions | None:
        """A job just recorded: track it too, without reading the records again. None when it
        belongs to another session than the one tracked (the caller reloads)."""
        if self.session_jobs and job.session_id != self.session_jobs[0].session_id:
            return None
        if any(j.uid == job.uid for j in self.session_jobs):
            return Transitions()
        return self.load(self.session_jobs + [job], self.all_jobs + [job])

    def recheck(self, paths: list[str]) -> Transitions:
        """Paths the watcher saw change: stat each tracked one, hash (through the cache) those
        whose identity changed, and recompute the DAG when any content did."""
        changed = self._measure([p for p in paths if p in self.tracked])
        if not changed:
            return Transitions()
        return self._recompute(changed)

    def poll(self, outside_only: bool = False) -> Transitions:
        """Polling: stat every tracked file (the fallback when notifications are not available),
        or only those outside the workspace's tree (which notifications on the tree miss)."""
        return self.recheck(list(self.outside if outside_only else self.tracked))

    def _measure(self, paths: list[str]) -> list[str]:
        """Stat ``paths``; hash those whose identity changed. Returns those whose content did."""
        moved = []
        for path in paths:
            ident = _identity(path)
            if path in self.identity and ident == self.identity[path]:
                continue
            moved.append(path)
        if not moved:
            return []
        batch = HashBatch.prepare(self.hashes, moved)
        batch.parallel = False   # bounded CPU: this one (niced) thread, whatever the file's size
        changed = []
        disk, identity = dict(self.disk), dict(self.identity)
        for path in moved:
            if path in batch.stats:
                result = batch.hash(path)
                now: str | None = result.hash or None
                identity[path] = result.identity
            else:
                now, identity[path] = None, None
            if path not in disk or disk[path] != now:
                changed.append(path)
            disk[path] = now
        batch.commit()
        self.disk, self.identity = disk, identity
        return changed

    def _recompute(self, changed: list[str]) -> Transitions:
        disk = self.disk
        nodes = current_dag(self.session_jobs, disk_hash=lambda p: disk.get(p))
        self.index = FileIndex(self.all_jobs, nodes)
        now = {n.job.ref: tuple(n.stale_reasons) for n in nodes if not n.superseded and n.stale}
        result = Transitions(changed=changed)
        for ref, reasons in now.items():
            if self.stale.get(ref) != reasons:
                result.stale[ref] = reasons
                node = self.index.nodes[ref]
                result.stale_paths[ref] = tuple(e.abs_path for e in node.job.inputs
                                                if any(r.startswith(f"{e.path} ") for r in reasons))
        result.fresh = [ref for ref in self.stale if ref not in now]
        self.stale = now
        return result

    def hash_now(self, abs_path: str) -> str | None:
        """The file's hash now, for a status request: from memory when its identity is the one
        last hashed, else the cache, hashing only content never seen (a changed file)."""
        ident = _identity(abs_path)
        if ident is None:
            return None
        if self.identity.get(abs_path) == ident:
            return self.disk.get(abs_path)
        return self.hashes.hash_file(abs_path).hash or None
