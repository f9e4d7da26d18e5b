"""Fixtures for the tracer tests (the machinery is in helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import CC, Compiler, Runner, build_shim

collect_ignore_glob = ["cases/*"]


def pytest_collection_modifyitems(items):
    if CC is None:
        skip = pytest.mark.skip(reason="no C compiler")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """libroar_preload.so built from the working tree."""
    return build_shim(tmp_path_factory.mktemp("native") / "libroar_preload.so")


@pytest.fixture(scope="session")
def cc(tmp_path_factory: pytest.TempPathFactory) -> Compiler:
    """cc("name", *flags) -> path of tests/tracers/cases/name.c compiled."""
    return Compiler(tmp_path_factory.mktemp("cases"))


@pytest.fixture
def run(shim: Path, tmp_path: Path) -> Runner:
    """run(cmd, ...) -> Traced: cmd run under the shim with a fresh spool directory."""
    return Runner(shim, tmp_path)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The directory a case works in (the spools live beside it, not inside)."""
    w = tmp_path / "work"
    w.mkdir()
    return w
