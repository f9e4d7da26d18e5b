"""examples/editor_client/follow.py runs as documented against a real daemon."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_example_runs_a_command_reports_the_file_and_watches(roard, ws: Path) -> None:
    (ws / "in.txt").write_text("x\n")
    proc = subprocess.Popen([sys.executable, str(REPO / "examples/editor_client/follow.py"), str(ws), "out.txt",
                             "--", "sh", "-c", "cp in.txt out.txt; echo copied"],
                            env=roard.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("watching"):
            break
    (ws / "in.txt").write_text("changed\n")
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("@1 stale"):
            break
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert lines[0].startswith("run ") and "copied" in lines
    assert "recorded @1: exit 0, 1 output(s)" in lines
    assert any(line.startswith("out.txt: @1 ") and line.endswith("fresh") for line in lines)
    assert lines[-1].startswith("@1 stale: in.txt changed on disk")
