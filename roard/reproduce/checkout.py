"""The code of a reproduction: where it comes from (the current checkout, a clone of the recorded
remote, or a directory the user gave) and putting each step's recorded commit and dirty-tree
diff in place. Blocking (runs git); callers run it off the event loop."""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import git

from roar_api.paths import reproductions_dir
from roard.capture.git import repository_root
from roard.errors import FailedPrecondition


@dataclass
class CodeSource:
    kind: str              # reuse | clone | local-clone | dir
    directory: str
    origin: str = ""       # what a clone is made from
    reason: str = ""
    blockers: list[str] = field(default_factory=list)


def _git(path: str | Path) -> git.Git:
    return git.Git(str(path))


def _head(path: str | Path) -> str:
    try:
        return _git(path).rev_parse("HEAD")
    except (git.GitCommandError, git.GitCommandNotFound, OSError):
        return ""


def _dirty(path: str | Path) -> bool:
    try:
        return bool(_git(path).status("--porcelain", "--untracked-files=no").strip())
    except git.GitCommandError:
        return True


def _has_commit(path: str | Path, commit: str) -> bool:
    try:
        _git(path).cat_file("-e", f"{commit}^{{commit}}")
        return True
    except git.GitCommandError:
        return False


def _is_checkout(path: Path) -> bool:
    root = repository_root(str(path))
    return bool(root) and Path(root).resolve() == path.resolve()


def default_directory(target: str) -> Path:
    return reproductions_dir() / f"{target[:12]}-{time.strftime('%Y%m%d-%H%M%S')}"


def choose_source(repo_root: str, remote: str, commits: list[str], directory: str, target: str,
                  needs_diff: bool) -> CodeSource:
    """Where the code comes from. Reuses the current checkout only when it is the recorded
    repository at the one recorded commit, clean, and no step needs a diff applied."""
    commit = commits[-1]
    origin, kind = (remote, "clone") if remote else (repo_root, "local-clone")
    if directory:
        path = Path(directory).expanduser().absolute()
        if path.exists() and any(path.iterdir()):
            return _given_checkout(path, commit)
        return CodeSource(kind, str(path), origin, f"cloned from {origin} into the directory given",
                          [] if origin else ["no remote and no local repository was recorded to clone from"])
    why_not = _why_not_reuse(repo_root, commits, needs_diff)
    if not why_not:
        return CodeSource("reuse", repo_root, reason=f"the current checkout is at {commit[:10]} and clean")
    blockers = [] if origin else ["no remote was recorded and the local repository is gone; "
                                  "pass --dir with a checkout of the repository"]
    return CodeSource(kind, str(default_directory(target)), origin,
                      f"{why_not}; a fresh clone of {origin or 'the repository'} is made", blockers)


def _why_not_reuse(repo_root: str, commits: list[str], needs_diff: bool) -> str:
    if not repo_root or not os.path.isdir(repo_root):
        return "the recorded repository is not on this machine"
    if len(set(commits)) > 1:
        return "the steps ran at different commits"
    if needs_diff:
        return "steps ran with uncommitted changes, which are applied in a separate checkout"
    head = _head(repo_root)
    if head != commits[-1]:
        return f"the current checkout is at {head[:10] or 'no commit'}, not {commits[-1][:10]}"
    if _dirty(repo_root):
        return "the current checkout has uncommitted changes"
    return ""


def _given_checkout(path: Path, commit: str) -> CodeSource:
    source = CodeSource("dir", str(path), reason=f"the checkout given with --dir, at {commit[:10]}")
    if not _is_checkout(path):
        source.blockers.append(f"--dir {path} is not empty and not a git checkout; give a new or empty "
                               "directory, or a checkout of the repository")
    elif _dirty(path):
        source.blockers.append(f"--dir {path} has uncommitted changes; commit or stash them first")
    elif not _has_commit(path, commit):
        source.blockers.append(f"--dir {path} does not have commit {commit[:10]}; `git fetch` it there first")
    return source


def prepare(source: CodeSource, commit: str) -> None:
    """Clone when the plan says so. A clone that fails removes what it made and says what to do."""
    if source.kind not in ("clone", "local-clone"):
        return
    path = Path(source.directory)
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        git.Git().clone("--quiet", "--no-checkout", source.origin, str(path))
    except git.GitCommandError as exc:
        if not existed:
            shutil.rmtree(path, ignore_errors=True)
        detail = (exc.stderr or "").strip().splitlines()
        raise FailedPrecondition(
            f"cannot clone {source.origin}: {detail[-1].strip() if detail else 'git failed'}; pass --dir "
            f"with a checkout of the repository at commit {commit[:10]}") from None
    if not _has_commit(path, commit):
        raise FailedPrecondition(f"the clone of {source.origin} does not have commit {commit[:10]} "
                                 "(was it pushed?); pass --dir with a checkout that has it")


@dataclass
class TreeState:
    """What the reproduction checkout holds now: a commit and, maybe, a diff applied on top."""
    commit: str = ""
    diff: bytes = b""


def put_in_place(directory: str, commit: str, diff: bytes, current: TreeState, step: str) -> TreeState:
    """Check out ``commit`` (tracked files only; untracked outputs stay) and apply ``diff``."""
    wanted = TreeState(commit, diff)
    if wanted == current:
        return current
    g = _git(directory)
    if current.commit != commit or current.diff:
        try:
            g.checkout("--quiet", "--force", "--detach", commit)
        except git.GitCommandError as exc:
            raise FailedPrecondition(f"cannot check out {commit[:10]} for {step}: "
                                     f"{(exc.stderr or '').strip()}") from None
    if diff:
        patch = Path(directory) / ".git" / "roar-step.diff"
        patch.write_bytes(diff)
        try:
            g.apply("--whitespace=nowarn", str(patch))
        except git.GitCommandError as exc:
            raise FailedPrecondition(f"the recorded diff of {step} does not apply to {commit[:10]}: "
                                     f"{(exc.stderr or '').strip()}") from None
        finally:
            patch.unlink(missing_ok=True)
    return wanted
