"""Nothing recorded is lost: the daemon or the client killed mid-run, and Ctrl-C."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.run.helpers import PY, paths, write_script

SLOW = """
import sys, time
open("before.txt", "w").write("written before the kill")
sys.stdout.write("ready\\n"); sys.stdout.flush()
deadline = time.time() + 30
while not __import__("os").path.exists("go") and time.time() < deadline:
    time.sleep(0.05)
open("after.txt", "w").write("written after the daemon came back")
"""


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _spawn_run(roard, ws: Path, *cmd: str) -> subprocess.Popen[str]:
    return subprocess.Popen([PY, "-m", "roarctl", "run", "--json", *cmd], cwd=ws, env=roard.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_daemon_killed_mid_run_is_finalized_after_restart(roard, workspace: Path) -> None:
    write_script(workspace, "slow.py", SLOW)
    proc = _spawn_run(roard, workspace, PY, "slow.py")
    assert _wait_for(lambda: (workspace / "before.txt").exists())
    pid = roard.daemon_pid()
    os.kill(pid, signal.SIGKILL)
    assert _wait_for(lambda: not Path(f"/proc/{pid}").exists())
    (workspace / "go").write_text("")
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    job = json.loads(out[out.find("{\n"):])
    assert {"before.txt", "after.txt"} <= paths(job["outputs"])
    assert roard.daemon_pid() != pid  # a new daemon finished it
    log = json.loads(roard.roarctl("log", "--json", cwd=workspace, check=True).stdout)
    assert len(log) == 1


def test_client_killed_run_is_recovered_from_spool(roard, workspace: Path) -> None:
    write_script(workspace, "slow.py", SLOW)
    proc = _spawn_run(roard, workspace, PY, "slow.py")
    assert _wait_for(lambda: (workspace / "before.txt").exists())
    proc.kill()  # roarctl dies; the command keeps running in the background
    proc.wait()
    (workspace / "go").write_text("")
    assert _wait_for(lambda: (workspace / "after.txt").exists())

    def recorded() -> bool:
        log = json.loads(roard.roarctl("log", "--json", cwd=workspace, check=True).stdout)
        return len(log) == 1

    assert _wait_for(recorded, timeout=30)
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    assert job["status"] == "recovered"
    assert "before.txt" in paths(job["outputs"])


def test_sigint_to_roarctl_is_forwarded_and_recorded_interrupted(roard, workspace: Path) -> None:
    write_script(workspace, "loop.py", """
import time, sys
open("started.txt", "w").write("x")
try:
    time.sleep(60)
except KeyboardInterrupt:
    open("interrupted.txt", "w").write("y")
    sys.exit(130)
""")
    proc = _spawn_run(roard, workspace, PY, "loop.py")
    assert _wait_for(lambda: (workspace / "started.txt").exists())
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    job = json.loads(out[out.find("{\n"):])
    assert job["status"] == "interrupted"
    assert {"started.txt", "interrupted.txt"} <= paths(job["outputs"])


def test_command_killed_by_signal_exit_code(roard, workspace: Path) -> None:
    proc = roard.roarctl("run", "--json", "sh", "-c", "echo x > k.txt; kill -KILL $$", cwd=workspace)
    assert proc.returncode == 128 + 9
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    assert job["exit_code"] == 137 and "k.txt" in paths(job["outputs"])


def test_killed_command_keeps_lines_copied_into_the_mapped_spool(roard, workspace: Path) -> None:
    """A Python job's later events go through the preload shim's file mapping, not write(2):
    they are in the page cache when the job is SIGKILLed, so every output is recorded."""
    write_script(workspace, "many.py", """
import os, signal
for i in range(200):
    with open(f"out{i:03d}.txt", "w") as f:
        f.write(str(i))
os.kill(os.getpid(), signal.SIGKILL)
""")
    proc = roard.roarctl("run", "--json", PY, "many.py", cwd=workspace)
    assert proc.returncode == 128 + 9
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    assert paths(job["outputs"]) >= {f"out{i:03d}.txt" for i in range(200)}
    assert not any("cut short" in w for w in job.get("warnings", []))
