"""Helpers for run tests: run a step and read the recorded job as JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import RoarEnv

PY = sys.executable


def run_json(renv: RoarEnv, ws: Path, *cmd: str, expect_rc: int = 0, **kw) -> dict:
    """``roarctl run --json CMD``; returns the job dict and checks the exit code."""
    proc = renv.roarctl("run", "--json", *cmd, cwd=kw.pop("cwd", ws), **kw)
    assert proc.returncode == expect_rc, (proc.returncode, proc.stdout, proc.stderr, renv.read_log())
    start = proc.stdout.find("{\n")
    assert start >= 0, proc.stdout
    return json.loads(proc.stdout[start:])


def paths(files: list[dict]) -> set[str]:
    return {f["path"] for f in files}


def by_path(files: list[dict]) -> dict[str, dict]:
    return {f["path"]: f for f in files}


def write_script(ws: Path, name: str, body: str) -> Path:
    path = ws / name
    path.write_text(body)
    return path
