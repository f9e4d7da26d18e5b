"""Where a job's inputs come from: an input is unsourced when no recorded job wrote its content
and git does not track it (a reproduction elsewhere would have nothing to bring it from)."""
from __future__ import annotations

import asyncio

from roard.capture.git import tracked_in_head
from roard.lineage.model import JobRecord
from roard.lineage.store import JobStore


async def mark_unsourced(store: JobStore, job: JobRecord) -> None:
    """Flag each input "git-tracked" or "unsourced" (content some recorded job wrote is neither),
    and warn about the unsourced ones."""
    produced = await store.produced_hashes(e.hash for e in job.inputs)
    repo_root = job.git.repo_root
    in_repo = {e.path: _in_repo(e.target, repo_root) or e.path for e in job.inputs
               if repo_root and not e.path.startswith("/")}
    tracked = await asyncio.to_thread(tracked_in_head, repo_root, sorted(set(in_repo.values())))
    loose = []
    for entry in job.inputs:
        if entry.hash in produced:
            continue
        if in_repo.get(entry.path) in tracked:  # through a symlink: what git holds is its target
            entry.flags.append("git-tracked")
            continue
        entry.flags.append("unsourced")
        loose.append(entry.path)
    if loose:
        shown = ", ".join(loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
        job.warnings.append(f"{len(loose)} unsourced input(s) (not produced by a recorded job, not "
                            f"committed to git): {shown}")


def _in_repo(target: str, repo_root: str) -> str:
    """A symlinked input's target relative to the repository, or "" when it is outside."""
    root = repo_root.rstrip("/") + "/"
    return target[len(root):] if target.startswith(root) else ""
