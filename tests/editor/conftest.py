"""Fixtures for the editor-facing API tests: a real roard, a workspace, and the Python client."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RoarEnv, git


@pytest.fixture
def roar(roard: RoarEnv, monkeypatch):
    """``roar_api.client`` connected to the test's daemon."""
    from roar_api.client import connect

    for key, value in roard.env.items():
        monkeypatch.setenv(key, value)
    client = connect(roard.socket, autostart=False)
    yield client
    client.close()


@pytest.fixture
def ws(workspace: Path) -> Path:
    return workspace


def commit_all(ws: Path, message: str = "files") -> None:
    git(ws, "add", "-A")
    git(ws, "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit", "-qm", message)
