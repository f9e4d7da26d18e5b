"""Helpers for the daemon tests: raw gRPC channels to a test daemon, waiting, a second user."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

TEST_USER = "roartest"


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
