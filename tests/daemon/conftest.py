"""Helpers for the daemon tests: raw gRPC channels to a test daemon, waiting, a second user."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tests.daemon.daemon_helpers import pid_alive

TEST_USER = "roartest"


@pytest.fixture
def roar_env(roar_env):
    """tests/conftest.py's roar_env, with a faster and tidier teardown: a daemon that roarctl
    detached is re-parented to pid 1, and until init reaps it the zombie looks alive to the base
    fixture's kill(pid, 0) poll (about 2 s per test in a container); here a zombie counts as
    gone. The per-test run directory under /tmp is removed too."""
    run_dir = Path(roar_env.env["XDG_RUNTIME_DIR"])  # tests may change the env; remember it now
    lock = roar_env.socket.with_name(roar_env.socket.name + ".lock")
    yield roar_env
    try:
        _stop(lock)
    finally:
        # make_env's run directory under /tmp is not removed by the base fixture.
        shutil.rmtree(run_dir, ignore_errors=True)


def _stop(lock: Path) -> None:
    try:
        text = lock.read_text().strip()
    except OSError:
        return
    if not text.isdigit():
        return
    pid = int(text)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    # Gone: the lock file's pid is history, so the base fixture has nothing left to stop.
    lock.unlink(missing_ok=True)


@pytest.fixture
def channel_to():
    """``channel_to(socket_path)``: a grpc channel, closed after the test."""
    import grpc

    channels = []

    def make(sock: Path):
        ch = grpc.insecure_channel(f"unix://{sock}", options=[("grpc.enable_retries", 0)])
        channels.append(ch)
        return ch

    yield make
    for ch in channels:
        ch.close()


@pytest.fixture(scope="session")
def other_user() -> str:
    """A second local user (created when missing) for permission tests; needs root."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    if shutil.which("runuser") is None or not Path("/usr/bin/python3").exists():
        pytest.skip("needs runuser and /usr/bin/python3")
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip("needs useradd to create a test user")
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True, capture_output=True)
    return TEST_USER
