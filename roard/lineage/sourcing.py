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
    repo_root = job.git.get("repo_root", "")
    in_repo = [e.path for e in job.inputs if repo_root and not e.path.startswith("/")]
    tracked = await asyncio.to_thread(tracked_in_head, repo_root, in_repo)
    loose = []
    for entry in job.inputs:
        if entry.hash in produced:
            continue
        if entry.path in tracked:
            entry.flags.append("git-tracked")
            continue
        entry.flags.append("unsourced")
        loose.append(entry.path)
    if loose:
        shown = ", ".join(loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
        job.warnings.append(f"{len(loose)} unsourced input(s) (not produced by a recorded job, not "
                            f"committed to git): {shown}")
