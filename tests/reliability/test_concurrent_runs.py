"""Issue 13: 20 concurrent runs (two workspaces, one daemon), then an integrity check of every
SQLite database roard keeps (each workspace's roar.db, the hash cache, the registration queue)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import PYTHON, RoarEnv, git

RUNS = 20


def make_workspace(roard: RoarEnv, path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / ".gitignore").write_text(".roar/\nin.txt\nout-*\n")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit", "-qm", "init")
    roard.roarctl("init", "-n", cwd=path, check=True)
    (path / "in.txt").write_text("shared input\n")
    return path


def test_twenty_concurrent_runs_then_every_database_is_intact(roard: RoarEnv, tmp_path: Path) -> None:
    spaces = [make_workspace(roard, tmp_path / f"ws{i}") for i in range(2)]
    procs = []
    for n in range(RUNS):
        ws = spaces[n % 2]
        script = f"import time; d = open('in.txt').read(); time.sleep(0.2); open('out-{n}.txt', 'w').write(d + '{n}')"
        procs.append(subprocess.Popen([PYTHON, "-m", "roarctl", "run", "-q", "python3", "-c", script], cwd=ws,
                                      env=roard.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    for i, ws in enumerate(spaces):
        jobs = json.loads(roard.roarctl("log", "--json", cwd=ws, check=True).stdout)
        assert len(jobs) == RUNS // 2
        written = sorted(o["path"] for j in jobs for o in j["outputs"])
        assert written == sorted(f"out-{n}.txt" for n in range(i, RUNS, 2))
        assert all(j["status"] == "ok" and [x["path"] for x in j["inputs"]] == ["in.txt"] for j in jobs)
        assert not any((ws / ".roar" / "runs").iterdir())        # nothing left in flight
    roard.stop_daemon()
    databases = [ws / ".roar" / "roar.db" for ws in spaces] + sorted(roard.state_dir.glob("*.db"))
    assert len(databases) >= 3, databases
    for db in databases:
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], db
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], db
