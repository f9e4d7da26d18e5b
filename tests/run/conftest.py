"""Fixtures shared by the run tests."""
from __future__ import annotations

import pytest


@pytest.fixture(params=["preload", "ptrace", "ebpf"])
def tracer(request) -> str:
    """Every case runs under each backend usable here (docs/capture.md is the table)."""
    from roard.tracing.backends import backend_status

    status = backend_status(request.param)
    if not status.usable:
        pytest.skip(f"{request.param} is not usable here: {status.reason}")
    return request.param
