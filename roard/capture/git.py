"""Git state of a job's working directory: commit, branch, remote, dirty tree and its diff.

Uses gitpython's command layer (``git.Git``), which runs the git binary: one
``git status --porcelain=v2 --branch`` answers commit, branch and dirtiness at once, and it runs
side by side with the two other questions (top level, remote URL), which is what keeps BeginRun
fast. Blocking; callers run it off the event loop.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import blake3
import git

from roard import records
from roard.capture.credentials import strip_credentials


@dataclass
class GitState(records.DictView):
    """The repository a job ran in. Stored as versioned JSON (``roard/records.py``)."""

    VERSION = 1

    repo_root: str = ""
    commit: str = ""
    branch: str = ""
    remote: str = ""
    dirty: bool = False
    diff_path: str = ""     # workspace-relative path of the saved diff when dirty

    def to_json(self) -> dict[str, Any]:
        return records.dump(self, self.VERSION)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "GitState":
        return cls(**records.known_fields(cls, data, cls.VERSION))


def _remote_url(config_lines: list[str]) -> str:
    urls = dict(line.split(" ", 1) for line in config_lines if " " in line)
    url = urls.get("remote.origin.url") or next(iter(urls.values()), "")
    return strip_credentials(url)


def repository_root(cwd: str) -> str:
    """The top of the git repository containing ``cwd``, or "" outside one."""
    (rc, root), = _git_outputs(cwd, [["rev-parse", "--show-toplevel"]])
    return root if rc == 0 else ""


def _git_outputs(cwd: str, commands: list[list[str]]) -> list[tuple[int, str]]:
    """Run git commands in ``cwd`` side by side; (exit status, stdout) of each. Started together,
    three of them take about as long as two in a row (BeginRun waits for them). ``-C`` because
    gitpython quietly runs in its own directory when ``cwd`` does not exist."""
    try:
        procs = [git.Git(cwd).execute(["git", "-C", cwd, *args], as_process=True) for args in commands]
    except (git.GitCommandNotFound, OSError):
        return [(127, "")] * len(commands)
    results = []
    for proc in procs:
        out, _err = proc.communicate()
        results.append((proc.proc.returncode, out.decode("utf-8", "surrogateescape").strip()))
    return results


def capture_git(cwd: str, diff_file: Path, workspace_root: Path) -> GitState:
    """Describe the repository containing ``cwd``; when the tree is dirty, save ``git diff HEAD``
    to ``diff_file`` so the job stays recreatable."""
    (root_rc, root), (status_rc, status), (_, remotes) = _git_outputs(cwd, [
        ["rev-parse", "--show-toplevel"],
        ["status", "--porcelain=v2", "--branch", "--untracked-files=no"],
        ["config", "--get-regexp", r"^remote\..*\.url$"],
    ])
    if root_rc != 0 or status_rc != 0 or not root:
        return GitState()
    state = GitState(repo_root=root)
    for line in status.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.split(" ", 2)[2]
            state.commit = "" if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line.split(" ", 2)[2]
            state.branch = "" if head == "(detached)" else head
        elif not line.startswith("#"):
            state.dirty = True
    state.remote = _remote_url(remotes.splitlines())
    if state.dirty and state.commit:
        diff = git.Git(root).execute(["git", "diff", "HEAD", "--binary"], stdout_as_string=False)
        diff_file.parent.mkdir(parents=True, exist_ok=True)
        diff_file.write_bytes(diff if diff.endswith(b"\n") else diff + b"\n")
        try:
            state.diff_path = str(diff_file.relative_to(workspace_root))
        except ValueError:
            state.diff_path = str(diff_file)
    return state


def tracked_in_head(repo_root: str, rel_paths: list[str]) -> set[str]:
    """Which of ``rel_paths`` (relative to ``repo_root``) git tracks. One ``git ls-files`` for
    the whole repository is cheaper than asking path by path when a job read thousands."""
    if not repo_root or not rel_paths:
        return set()
    try:
        out = git.Git(repo_root).execute(["git", "ls-files", "-z", "--full-name"], stdout_as_string=False)
    except git.GitCommandError:
        return set()
    tracked = set(out.decode("utf-8", "surrogateescape").split("\0"))
    return {p for p in rel_paths if p in tracked}


@dataclass(frozen=True)
class IndexEntry:
    """What git's index says of a tracked file: its blob, and the stat data it last saw."""

    blob: str
    size: int
    mtime_ns: int
    ino: int


def index_entries(repo_root: str, rel_paths: list[str]) -> dict[str, IndexEntry]:
    """Index entries (stage 0) of ``rel_paths``, from one ``git ls-files --stage --debug``."""
    if not repo_root or not rel_paths:
        return {}
    try:
        out = git.Git(repo_root).execute(["git", "--literal-pathspecs", "-C", repo_root, "ls-files",
                                          "--stage", "--debug", "--full-name", "--", *rel_paths],
                                         stdout_as_string=False)
    except (git.GitCommandError, git.GitCommandNotFound, OSError):
        return {}
    entries: dict[str, IndexEntry] = {}
    path, blob, fields = "", "", {}
    for line in out.decode("utf-8", "surrogateescape").splitlines() + [""]:
        if line.startswith(" "):
            for part in line.split("\t"):
                key, _, value = part.strip().partition(": ")
                fields[key] = value
            continue
        if path and blob and "size" in fields and "mtime" in fields:
            secs, _, nsecs = fields["mtime"].partition(":")
            entries[path] = IndexEntry(blob, int(fields["size"]), int(secs) * 10**9 + int(nsecs or 0),
                                       int(fields.get("ino", "0") or 0))
        path, blob, fields = "", "", {}
        meta, _, name = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[2] == "0":
            path, blob = name, parts[1]
    return entries


def blob_content_hash(repo_root: str, rel_path: str, blob: str, expected_size: int) -> str:
    """BLAKE3 of a blob as it is checked out at ``rel_path`` (the work tree's filters applied), or ""
    when git cannot give it or its size is not ``expected_size``. ``blob`` is an object name, or
    ``REV:PATH``."""
    args = ["git", "-C", repo_root, "cat-file", "--filters"]
    args += [blob] if ":" in blob else [f"--path={rel_path}", blob]
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return ""
    digest, size = blake3.blake3(), 0
    assert proc.stdout is not None
    with proc.stdout:
        while size <= expected_size and (chunk := proc.stdout.read(1 << 20)):
            digest.update(chunk)
            size += len(chunk)
    if size > expected_size:
        proc.kill()
    if proc.wait() != 0 or size != expected_size:
        return ""
    return digest.hexdigest()
