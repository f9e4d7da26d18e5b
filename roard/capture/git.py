"""Git state of a job's working directory: commit, branch, remote, dirty tree and its diff.

Blocking (runs git); callers run it off the event loop.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

_CREDENTIALS = re.compile(r"(?<=://)[^/@]+@")


@dataclass
class GitState:
    repo_root: str = ""
    commit: str = ""
    branch: str = ""
    remote: str = ""
    dirty: bool = False
    diff_path: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def strip_credentials(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://host/x``: secrets never leave the machine."""
    return _CREDENTIALS.sub("", url)


def _git(cwd: str, *args: str) -> str:
    out = subprocess.run(["git", "-C", cwd, *args], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() if out.returncode == 0 else ""


def capture_git(cwd: str, diff_file: Path, workspace_root: Path) -> GitState:
    """Describe the repository containing ``cwd``; when the tree is dirty, save ``git diff HEAD``
    to ``diff_file`` so the job stays recreatable."""
    try:
        import git  # gitpython
    except ImportError:  # pragma: no cover - a declared dependency
        return GitState()
    try:
        repo = git.Repo(cwd, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return GitState()
    state = GitState(repo_root=str(repo.working_tree_dir or ""))
    try:
        state.commit = repo.head.commit.hexsha
    except ValueError:  # no commits yet
        state.commit = ""
    try:
        state.branch = "" if repo.head.is_detached else repo.active_branch.name
    except TypeError:
        state.branch = ""
    remotes = {r.name: r for r in repo.remotes}
    remote = remotes.get("origin") or next(iter(remotes.values()), None)
    if remote is not None:
        urls = list(remote.urls)
        state.remote = strip_credentials(urls[0]) if urls else ""
    status = _git(state.repo_root, "status", "--porcelain", "--untracked-files=no")
    state.dirty = bool(status)
    if state.dirty and state.commit:
        diff = subprocess.run(["git", "-C", state.repo_root, "diff", "HEAD", "--binary"],
                              capture_output=True, timeout=120).stdout
        diff_file.parent.mkdir(parents=True, exist_ok=True)
        diff_file.write_bytes(diff)
        try:
            state.diff_path = str(diff_file.relative_to(workspace_root))
        except ValueError:
            state.diff_path = str(diff_file)
    return state


def tracked_in_head(repo_root: str, rel_paths: list[str]) -> set[str]:
    """Which of ``rel_paths`` (relative to ``repo_root``) exist in HEAD's tree."""
    if not repo_root or not rel_paths:
        return set()
    query = "".join(f"HEAD:{p}\n" for p in rel_paths if "\n" not in p)
    out = subprocess.run(["git", "-C", repo_root, "cat-file", "--batch-check"],
                         input=query.encode("utf-8", "surrogateescape"), capture_output=True,
                         timeout=120)
    if out.returncode != 0:
        return set()
    answers = out.stdout.decode("utf-8", "surrogateescape").splitlines()
    candidates = [p for p in rel_paths if "\n" not in p]
    return {p for p, a in zip(candidates, answers) if not a.endswith(" missing") and " blob " in a}
