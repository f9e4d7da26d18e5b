"""The reproducibility checklist, evaluated over a set of jobs (an artifact's transitive lineage
or a session's current DAG). Each item is a precondition for recreating the run elsewhere;
none blocks anything. Blocking (asks git); callers run it off the event loop."""
from __future__ import annotations

import os
from dataclasses import dataclass

import git

from roard.lineage.model import JobRecord


@dataclass(frozen=True)
class ChecklistResult:
    name: str
    ok: bool
    detail: str = ""


def repo_root_of(jobs: list[JobRecord]) -> str:
    """The repository the jobs ran in (the first one that ran in one), or ""."""
    return next((j.git.repo_root for j in jobs if j.git.repo_root), "")


def untracked_output_dirs(jobs: list[JobRecord], repo_root: str) -> list[str]:
    """Repo-relative directories with outputs in them but no file git tracks: a clean checkout
    would not recreate them (a committed .gitkeep fixes it)."""
    if not repo_root:
        return []
    dirs = set()
    for job in jobs:
        for out in job.outputs:
            if not out.path.startswith("/"):
                parent = os.path.dirname(out.path)
                if parent:
                    dirs.add(parent)
    if not dirs:
        return []
    try:
        tracked = git.Git(repo_root).execute(["git", "ls-files", "-z", "--full-name"])
    except git.GitCommandError:
        return sorted(dirs)
    tracked_dirs = set()
    for path in tracked.split("\0"):
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            tracked_dirs.add(path)
    return sorted(d for d in dirs if d not in tracked_dirs)


def _reachable_on_remote(repo_root: str, commit: str) -> bool:
    try:
        out = git.Git(repo_root).execute(["git", "branch", "-r", "--contains", commit])
    except git.GitCommandError:
        return False
    return bool(out.strip())


def evaluate(jobs: list[JobRecord], registered: bool = False) -> list[ChecklistResult]:
    if not jobs:
        return []
    items: list[ChecklistResult] = []
    dirty = [j.ref for j in jobs if j.git.dirty]
    no_git = [j.ref for j in jobs if not j.git.commit]
    if no_git:
        items.append(ChecklistResult("code committed to git", False,
                                     f"{', '.join(no_git)} ran outside a git repository or before its first commit"))
    else:
        items.append(ChecklistResult("code committed to git", not dirty,
                                     f"{', '.join(dirty)} ran with uncommitted changes; commit and re-run" if dirty else ""))
    commits = sorted({j.git.commit for j in jobs} - {""})
    items.append(ChecklistResult("single git commit across all steps", len(commits) <= 1,
                                 f"the steps ran at {len(commits)} commits: {', '.join(c[:10] for c in commits)}"
                                 if len(commits) > 1 else ""))
    repo_root = repo_root_of(jobs)
    unreachable = [c for c in commits if not _reachable_on_remote(repo_root, c)]
    items.append(ChecklistResult("commit reachable on a remote", bool(commits) and not unreachable,
                                 f"push {', '.join(c[:10] for c in unreachable)} to a remote" if unreachable
                                 else ("" if commits else "no commit recorded")))
    loose = sorted({e.path for j in jobs for e in j.inputs if "unsourced" in e.flags})
    items.append(ChecklistResult("all inputs sourced", not loose,
                                 f"{len(loose)} unsourced: {', '.join(loose[:5])} (see `roarctl inputs --unsourced`)"
                                 if loose else ""))
    dirs = untracked_output_dirs(jobs, repo_root)
    items.append(ChecklistResult("all artifact paths in tracked directories", not dirs,
                                 f"commit a .gitkeep in {', '.join(dirs)}" if dirs else ""))
    missing_runtime = [j.ref for j in jobs if not j.runtime.captured]
    items.append(ChecklistResult("runtime captured (interpreter + packages)", not missing_runtime,
                                 f"{', '.join(missing_runtime)} have no runtime record" if missing_runtime else ""))
    items.append(ChecklistResult("lineage registered", registered,
                                 "" if registered else "not registered with a GLaaS server yet"))
    return items
