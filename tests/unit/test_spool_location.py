"""Where spools go when there is no $XDG_RUNTIME_DIR: a private directory in /dev/shm, never one
that another user could read or have planted."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from roar_api.paths import runtime_spool_dir

SHM = Path("/dev/shm")


@pytest.fixture
def no_runtime_dir(monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    if not SHM.is_dir() or not os.access(SHM, os.W_OK):
        pytest.skip("no writable /dev/shm here")
    return SHM / f"roar-{os.getuid()}"


def test_runtime_dir_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert runtime_spool_dir() == tmp_path / "roar" / "spool"


def test_private_dev_shm_directory_without_a_runtime_dir(no_runtime_dir):
    assert runtime_spool_dir() == no_runtime_dir / "spool"
    st = no_runtime_dir.lstat()
    assert st.st_uid == os.getuid() and st.st_mode & 0o777 == 0o700


def test_a_directory_others_can_enter_is_refused(no_runtime_dir):
    runtime_spool_dir()
    os.chmod(no_runtime_dir, 0o755)
    try:
        assert runtime_spool_dir() is None  # spools then stay in the workspace
    finally:
        os.chmod(no_runtime_dir, 0o700)


def test_a_symlink_planted_there_is_refused(no_runtime_dir, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    moved = no_runtime_dir.with_name(no_runtime_dir.name + ".test-moved")
    existed = no_runtime_dir.exists()
    if existed:
        no_runtime_dir.rename(moved)
    try:
        no_runtime_dir.symlink_to(target)
        assert runtime_spool_dir() is None
    finally:
        no_runtime_dir.unlink()
        if existed:
            moved.rename(no_runtime_dir)
