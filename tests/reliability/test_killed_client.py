"""Issue 13 item 2: SIGKILL of roarctl mid-run, with the command and its children still writing.
roard must wait for every process of the run to exit, then record every output."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PYTHON, RoarEnv

FILES_PER_WRITER = 100
WRITER = f"""
import os, subprocess, sys, time
which = sys.argv[1] if len(sys.argv) > 1 else "parent"
if which == "parent":
    kids = [subprocess.Popen([sys.executable, __file__, f"child{{i}}"]) for i in range(2)]
for n in range({FILES_PER_WRITER}):
    with open(f"out/{{which}}-{{n:03d}}.txt", "w") as f:
        f.write(f"{{which}} {{n}}\\n")
    time.sleep(0.02)
if which == "parent":
    for k in kids:
        k.wait()
"""


def wait_for(predicate, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def jobs(roard: RoarEnv, ws: Path) -> list[dict]:
    proc = roard.roarctl("log", "--json", cwd=ws)
    return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else []


def test_sigkill_of_roarctl_mid_run_records_every_output_after_the_tree_exits(workspace: Path,
                                                                               roard: RoarEnv) -> None:
    (workspace / "writer.py").write_text(WRITER)
    (workspace / "out").mkdir()
    client = subprocess.Popen([PYTHON, "-m", "roarctl", "run", "python3", "writer.py"], cwd=workspace,
                              env=roard.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = workspace / "out"
    wait_for(lambda: len(os.listdir(out)) >= 60, "the command to be a fifth of the way")
    os.kill(client.pid, signal.SIGKILL)
    client.wait()
    written_at_kill = len(os.listdir(out))
    total = 3 * FILES_PER_WRITER
    assert written_at_kill < total          # the command was mid-way
    recorded = wait_for(lambda: jobs(roard, workspace), "the run to be recorded")
    # By the time it is recorded every process had exited: all files are there.
    assert len(os.listdir(out)) == total
    job = recorded[-1]
    assert job["status"] == "recovered"
    assert any("exit code is unknown" in w for w in job["warnings"]), job["warnings"]
    outputs = {o["path"] for o in job["outputs"]}
    assert {f"out/{p}-{n:03d}.txt" for p in ("parent", "child0", "child1")
            for n in range(FILES_PER_WRITER)} <= outputs, sorted(outputs)[:5]
    assert "waiting for its" in roard.read_log()   # it saw processes alive and waited
    shown = roard.roarctl("show", "@1", cwd=workspace, check=True).stdout
    assert "(run, recovered, exit unknown)" in shown.splitlines()[0], shown
    listed = roard.roarctl("log", cwd=workspace, check=True).stdout.splitlines()[-1].split()
    assert listed[4:6] == ["recovered", "unknown"], listed
