"""Issue 13: SIGKILL of roard before, during and after finalize. roarctl retries EndRun through
an autostarted daemon, which finds the run on disk; a run is recorded exactly once, with every
output and its exit code, whenever the daemon died."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PYTHON, RoarEnv
from tests.reliability.test_killed_client import jobs, wait_for

FILES = 400
COMMAND = ("import time\n"
           f"for i in range({FILES}): open(f'out/f{{i:03d}}.txt', 'w').write(str(i))\n"
           "open('done', 'w').close()\n"
           "time.sleep(0.3)\n"
           "raise SystemExit(3)\n")


def kill_daemon(roard: RoarEnv) -> None:
    pid = roard.daemon_pid()
    if pid:
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("delay", [0.0, 0.35, 0.6])
def test_roard_killed_around_finalize_records_the_run_once(workspace: Path, roard: RoarEnv, delay: float) -> None:
    """The command exits 3 about 0.3 s after its last file; roard is killed ``delay`` seconds
    after that file: before EndRun, in the middle of finalize, or around the insert."""
    (workspace / "out").mkdir()
    client = subprocess.Popen([PYTHON, "-m", "roarctl", "run", "-q", "python3", "-c", COMMAND], cwd=workspace,
                              env=roard.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (workspace / "done").exists(), "the command's last file")
    time.sleep(delay)
    kill_daemon(roard)
    _, err = client.communicate(timeout=120)
    assert client.returncode == 3, err              # the command's own exit code, whatever happened
    recorded = wait_for(lambda: jobs(roard, workspace), "the job")
    wait_for(lambda: not any((workspace / ".roar" / "runs").iterdir()), "the run to be cleaned up")
    recorded = jobs(roard, workspace)
    assert len(recorded) == 1, [j["uid"] for j in recorded]
    job = recorded[0]
    assert job["exit_code"] == 3 and job["status"] == "failed", job
    assert sorted(o["path"] for o in job["outputs"] if o["path"].startswith("out/")) == \
        [f"out/f{i:03d}.txt" for i in range(FILES)]


def test_run_recorded_but_not_cleaned_up_is_not_recorded_twice(workspace: Path, roard: RoarEnv,
                                                                 tmp_path: Path) -> None:
    """The window between the job's insert and the removal of its run directory: the run
    directory and spool are put back as a daemon killed there would leave them; the restarted
    daemon sees the run recorded already (the job's uid is the run's id) and only cleans up."""
    client = subprocess.Popen([PYTHON, "-m", "roarctl", "run", "-q", "sh", "-c", "echo x > a.txt; sleep 1"],
                              cwd=workspace, env=roard.env)
    runs = workspace / ".roar" / "runs"
    run_dir = wait_for(lambda: next((d for d in runs.iterdir() if (d / "run.json").exists()), None), "the run")
    spool = Path(json.loads((run_dir / "run.json").read_text())["spool_dir"])
    wait_for(lambda: (workspace / "a.txt").exists(), "the command")
    time.sleep(0.2)
    saved_run, saved_spool = tmp_path / "run-copy", tmp_path / "spool-copy"
    shutil.copytree(run_dir, saved_run)
    shutil.copytree(spool, saved_spool)
    assert client.wait(timeout=60) == 0
    assert len(jobs(roard, workspace)) == 1
    kill_daemon(roard)
    shutil.copytree(saved_run, run_dir)
    shutil.copytree(saved_spool, spool)
    wait_for(lambda: jobs(roard, workspace), "a daemon again")          # autostarts, recovers
    wait_for(lambda: not run_dir.exists(), "the leftover run to be cleaned up")
    recorded = jobs(roard, workspace)
    assert len(recorded) == 1 and recorded[0]["uid"] == run_dir.name, recorded
    assert "was recorded already" in roard.read_log()
