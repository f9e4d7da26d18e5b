"""The watcher when inotify's watch limit is reached: it polls the tracked files instead, and
`roarctl daemon status` says so. The limit is made tiny for a real roard in a user namespace
of its own (`/proc/sys/user/max_inotify_watches` is per user namespace), so nothing else on the
machine is affected."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, git
from tests.editor.conftest import commit_all
from tests.editor.test_watcher import Events


@pytest.fixture
def limited_roard(roar_env):
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    probe = subprocess.run(["unshare", "-U", "-r", "sh", "-c", "echo 2 > /proc/sys/user/max_inotify_watches"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot lower the inotify limit in a user namespace here: {probe.stderr.strip()}")
    roar_env.socket.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    proc = subprocess.Popen(["unshare", "-U", "-r", "sh", "-c",
                             f"echo 2 > /proc/sys/user/max_inotify_watches && exec {PYTHON} -m roard "
                             f"--socket {roar_env.socket} --foreground"],
                            env=roar_env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        roar_env.wait_ready()
        yield roar_env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_past_the_watch_limit_the_tracked_files_are_polled(limited_roard, tmp_path: Path, monkeypatch) -> None:
    from roar_api.client import connect

    ws = tmp_path / "ws"
    (ws / "deep" / "er" / "still").mkdir(parents=True)
    git(ws, "init", "-q", "-b", "main")
    (ws / "deep" / "er" / "still" / "in.txt").write_text("1\n")
    commit_all(ws)
    limited_roard.roarctl("init", "-n", cwd=ws, check=True)
    limited_roard.roarctl("run", "cp", "deep/er/still/in.txt", "out.txt", cwd=ws, check=True)
    for key, value in limited_roard.env.items():
        monkeypatch.setenv(key, value)
    with connect(limited_roard.socket, autostart=False) as roar:
        roar.file_status(["out.txt"], cwd=ws)   # watched from here (if the recorded job did not already)
        status = limited_roard.roarctl("daemon", "status", cwd=ws, check=True).stdout
        assert f"{ws}: polling (notifications unavailable (OS file watch limit reached" in status
        ev = Events(roar, ws, ["step.stale"])
        (ws / "deep" / "er" / "still" / "in.txt").write_text("2\n")
        assert ev.next("step.stale", "@1").reasons
        ev.close()
