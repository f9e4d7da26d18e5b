"""capture_git against real repositories: what BeginRun records about the code a job ran."""
from __future__ import annotations

import subprocess
from pathlib import Path

from roard.capture.git import capture_git, repository_root


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "src" / "a.py").write_text("print(1)\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    return repo


def test_clean_repository_from_a_subdirectory(tmp_path):
    repo = _repo(tmp_path)
    _git(repo, "remote", "add", "origin", "https://alice:s3cret@example.org/team/repo.git")
    state = capture_git(str(repo / "src"), tmp_path / "d.diff", repo)
    assert state.repo_root == str(repo)
    assert state.commit == _git(repo, "rev-parse", "HEAD")
    assert state.branch == "main"
    assert state.remote == "https://example.org/team/repo.git"  # credentials never recorded
    assert (state.dirty, state.diff_path) == (False, "")
    assert not (tmp_path / "d.diff").exists()
    assert repository_root(str(repo / "src")) == str(repo)


def test_dirty_tree_keeps_its_diff(tmp_path):
    repo = _repo(tmp_path)
    (repo / "src" / "a.py").write_text("print(2)\n")
    diff = repo / ".roar" / "diffs" / "r.diff"
    state = capture_git(str(repo), diff, repo)
    assert state.dirty
    assert state.diff_path == ".roar/diffs/r.diff"
    assert "-print(1)\n+print(2)" in diff.read_text()


def test_untracked_files_do_not_make_a_tree_dirty(tmp_path):
    repo = _repo(tmp_path)
    (repo / "out.csv").write_text("x\n")
    assert capture_git(str(repo), tmp_path / "d.diff", repo).dirty is False


def test_repository_without_commits_and_detached_head(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _git(empty, "init", "-q")
    state = capture_git(str(empty), tmp_path / "d.diff", empty)
    assert (state.repo_root, state.commit) == (str(empty), "")
    repo = _repo(tmp_path)
    _git(repo, "checkout", "-q", "--detach")
    state = capture_git(str(repo), tmp_path / "d.diff", repo)
    assert state.branch == "" and state.commit == _git(repo, "rev-parse", "HEAD")


def test_outside_a_repository_and_missing_directory(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert capture_git(str(plain), tmp_path / "d.diff", plain).repo_root == ""
    assert capture_git(str(tmp_path / "gone"), tmp_path / "d.diff", tmp_path).repo_root == ""
    assert repository_root(str(plain)) == ""
