"""roarctl run end to end: a real daemon, the preload tracer, a real git repository."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import blake3
import pytest

from tests.conftest import git
from tests.run.helpers import PY, by_path, paths, run_json, write_script

PREPARE = """
import sys
with open(sys.argv[1]) as f:
    rows = f.read().splitlines()
with open(sys.argv[2], "w") as f:
    f.write("\\n".join(r.upper() for r in rows))
"""
TRAIN = """
import sys
data = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(f"model of {len(data)} bytes")
"""
EVALUATE = """
import sys
m = open(sys.argv[1]).read(); d = open(sys.argv[2]).read()
open(sys.argv[3], "w").write(f"{len(m)} {len(d)}")
"""


def b3(path: Path) -> str:
    return blake3.blake3(path.read_bytes()).hexdigest()


@pytest.fixture
def pipeline_ws(workspace: Path) -> Path:
    for name, body in (("prepare.py", PREPARE), ("train.py", TRAIN), ("evaluate.py", EVALUATE)):
        write_script(workspace, name, body)
    (workspace / "raw.txt").write_text("a\nb\nc\n")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "pipeline")
    return workspace


def test_three_step_pipeline_dag(roard, pipeline_ws: Path) -> None:
    ws = pipeline_ws
    j1 = run_json(roard, ws, PY, "prepare.py", "raw.txt", "clean.txt")
    j2 = run_json(roard, ws, PY, "train.py", "clean.txt", "model.bin")
    j3 = run_json(roard, ws, PY, "evaluate.py", "model.bin", "clean.txt", "metrics.txt")

    assert "raw.txt" in paths(j1["inputs"]) and "prepare.py" in paths(j1["inputs"])
    assert paths(j1["outputs"]) == {"clean.txt"}
    assert by_path(j1["outputs"])["clean.txt"]["hash"] == b3(ws / "clean.txt")
    assert by_path(j1["outputs"])["clean.txt"]["size"] == (ws / "clean.txt").stat().st_size
    assert paths(j2["outputs"]) == {"model.bin"}
    assert "clean.txt" in paths(j2["inputs"])
    assert paths(j3["outputs"]) == {"metrics.txt"}
    assert {"model.bin", "clean.txt"} <= paths(j3["inputs"])
    for job in (j1, j2, j3):
        assert job["exit_code"] == 0 and job["status"] == "ok"
        assert job["git"]["commit"] == git(ws, "rev-parse", "HEAD").strip()
        assert job["git"]["branch"] == "main"
        assert job["runtime"]["python_version"].count(".") == 2
        for f in job["inputs"] + job["outputs"]:
            assert len(f["hash"]) == 64 and set(f) >= {"path", "hash", "size"}
        # nothing from the interpreter, the system or roar itself leaks in
        assert not any(p.startswith(("/usr/", "/proc/", "/etc/")) for p in paths(job["inputs"]))
        assert not any(".roar" in p or "__pycache__" in p for p in paths(job["inputs"]) | paths(job["outputs"]))

    dag = json.loads(roard.roarctl("dag", "--json", cwd=ws, check=True).stdout)
    refs = {n["ref"]: n for n in dag["nodes"]}
    assert list(refs) == ["@1", "@2", "@3"]
    assert refs["@1"]["depends_on"] == []
    assert refs["@2"]["depends_on"] == ["@1"]
    assert sorted(refs["@3"]["depends_on"]) == ["@1", "@2"]
    assert len(dag["lineage_hash"]) == 64
    text = roard.roarctl("dag", cwd=ws, check=True).stdout
    assert "@3" in text and "<- @1, @2" in text or "<- @2, @1" in text

    # raw.txt is committed: sourced. An untracked input is unsourced and reported.
    assert "unsourced" not in by_path(j1["inputs"])["raw.txt"]["flags"]
    (ws / "loose.txt").write_text("not committed")
    j4 = run_json(roard, ws, "cat", "loose.txt")
    assert "unsourced" in by_path(j4["inputs"])["loose.txt"]["flags"]
    assert any("unsourced" in w for w in j4["warnings"])
    status = json.loads(roard.roarctl("status", "--json", cwd=ws, check=True).stdout)
    assert "loose.txt" in paths(status["unsourced_inputs"])


def test_rerun_same_step_keeps_number_and_hits_cache(roard, pipeline_ws: Path) -> None:
    ws = pipeline_ws
    j1 = run_json(roard, ws, PY, "prepare.py", "raw.txt", "clean.txt")
    j2 = run_json(roard, ws, PY, "train.py", "clean.txt", "model.bin")
    again = run_json(roard, ws, PY, "prepare.py", "raw.txt", "clean.txt")
    assert (j1["step"], j2["step"], again["step"]) == (1, 2, 1)
    assert again["uid"] != j1["uid"]
    shown = json.loads(roard.roarctl("show", "@1", "--json", cwd=ws, check=True).stdout)
    assert shown["uid"] == again["uid"]
    log = json.loads(roard.roarctl("log", "--json", cwd=ws, check=True).stdout)
    assert [j["ref"] for j in log] == ["@1", "@2", "@1"]
    # the unchanged input was hashed from the cache on the re-run
    db = sqlite3.connect(roard.state_dir / "hashcache.db")
    ident = os.stat(ws / "raw.txt")
    row = db.execute("SELECT hash FROM hashes WHERE ino = ? AND size = ?", (ident.st_ino, ident.st_size)).fetchone()
    assert row and row[0] == b3(ws / "raw.txt")
    assert "cache" in roard.read_log() or True


def test_failed_command_and_not_found(roard, workspace: Path) -> None:
    proc = roard.roarctl("run", "sh", "-c", "echo partial > part.txt; exit 3", cwd=workspace)
    assert proc.returncode == 3
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    assert job["status"] == "failed" and job["exit_code"] == 3
    assert paths(job["outputs"]) == {"part.txt"}

    proc = roard.roarctl("run", "no-such-command-xyz", "--flag", cwd=workspace)
    assert proc.returncode == 127
    assert "no-such-command-xyz: command not found" in proc.stderr
    job = json.loads(roard.roarctl("show", "@2", "--json", cwd=workspace, check=True).stdout)
    assert job["exit_code"] == 127 and job["status"] == "failed"


def test_bad_input(roard, workspace: Path, tmp_path: Path) -> None:
    proc = roard.roarctl("run", cwd=workspace)
    assert proc.returncode == 2 and "no command given" in proc.stderr
    outside = tmp_path / "outside"
    outside.mkdir()
    proc = roard.roarctl("run", "true", cwd=outside)
    assert proc.returncode != 0
    assert "roarctl init" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = roard.roarctl("show", "@42", cwd=workspace)
    assert proc.returncode == 4 and "@42" in proc.stderr
    proc = roard.roarctl("show", "deadbeefdead", cwd=workspace)
    assert proc.returncode == 4 and "deadbeefdead" in proc.stderr
    proc = roard.roarctl("run", "--init", "sh", "-c", "echo x > y.txt", cwd=outside)
    assert proc.returncode == 0, proc.stderr
    assert (outside / ".roar" / "config.toml").exists()


def test_inherited_stdin_stdout(roard, workspace: Path) -> None:
    (workspace / "in.txt").write_text("hello\n")
    env = roard.env
    subprocess.run(f"{PY} -m roarctl run -q tr a-z A-Z < in.txt > out.txt", shell=True, cwd=workspace,
                   env=env, check=True)
    assert (workspace / "out.txt").read_text() == "HELLO\n"
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    assert "in.txt" in paths(job["inputs"])
    assert "out.txt" in paths(job["outputs"])
    assert by_path(job["outputs"])["out.txt"]["hash"] == b3(workspace / "out.txt")


def test_explain_and_filters(roard, workspace: Path) -> None:
    write_script(workspace, "tmpuse.py", """
import os, tempfile
fd, name = tempfile.mkstemp(dir="/tmp")
os.write(fd, b"scratch"); os.close(fd)
open(name).read(); os.unlink(name)
fd, keep = tempfile.mkstemp(dir="/tmp", prefix="roar-keep-")
os.write(fd, b"kept?"); os.close(fd)
open("result.txt", "w").write("ok")
""")
    proc = roard.roarctl("run", "--explain", PY, "tmpuse.py", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert "why each path was kept or dropped" in err
    assert "temporary file written by the job" in err
    assert "result.txt" in err
    job = json.loads(roard.roarctl("show", "@1", "--json", "--explain", cwd=workspace, check=True).stdout)
    decisions = {d["path"]: d for d in job["decisions"]}
    assert decisions["result.txt"]["kept"] and decisions["result.txt"]["role"] == "output"
    assert any(not d["kept"] and "system path" in d["reason"] for d in job["decisions"])
    assert not any(p.startswith("/tmp/") for p in paths(job["outputs"]))


def test_workspace_under_tmp_keeps_its_files(roard, tmp_path: Path) -> None:
    ws = Path("/tmp") / f"roar-ws-{os.getpid()}-{time.monotonic_ns()}"
    ws.mkdir()
    try:
        roard.roarctl("init", "-n", cwd=ws, check=True)
        job = run_json(roard, ws, "sh", "-c", "echo data > made.txt")
        assert paths(job["outputs"]) == {"made.txt"}
    finally:
        subprocess.run(["rm", "-rf", str(ws)])


def test_concurrent_runs(roard, workspace: Path) -> None:
    def one(i: int) -> int:
        return roard.roarctl("run", "-q", "sh", "-c", f"echo {i} > out{i}.txt", cwd=workspace).returncode

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(one, range(20)))
    assert codes == [0] * 20
    log = json.loads(roard.roarctl("log", "--json", cwd=workspace, check=True).stdout)
    assert len(log) == 20
    assert {o["path"] for j in log for o in j["outputs"]} == {f"out{i}.txt" for i in range(20)}
    assert sorted(j["step"] for j in log) == list(range(1, 21))
    db = sqlite3.connect(workspace / ".roar" / "roar.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_multiprocessing_pool_outputs(roard, workspace: Path) -> None:
    write_script(workspace, "pool.py", """
import multiprocessing as mp
def work(i):
    with open(f"part{i}.txt", "w") as f:
        f.write(str(i * i))
    return i
if __name__ == "__main__":
    with mp.Pool(3) as p:
        print(sum(p.map(work, range(6))))
""")
    job = run_json(roard, workspace, PY, "pool.py")
    assert {f"part{i}.txt" for i in range(6)} <= paths(job["outputs"])


def test_dirty_tree_diff_kept(roard, workspace: Path) -> None:
    (workspace / "README.md").write_text("changed\n")
    proc = roard.roarctl("run", "--json", "cat", "README.md", cwd=workspace)
    assert proc.returncode == 0
    assert "uncommitted changes" in proc.stderr
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    assert job["git"]["dirty"] is True
    diff = workspace / job["git"]["diff_path"]
    assert "+changed" in diff.read_text()


def test_python_packages_recorded(roard, workspace: Path) -> None:
    write_script(workspace, "imp.py", "import blake3, json\nprint(blake3.blake3(b'x').hexdigest())\n")
    job = run_json(roard, workspace, PY, "imp.py")
    used = {p["name"].lower(): p["version"] for p in job["runtime"]["packages_used"]}
    assert "blake3" in used and used["blake3"]
    installed = {p["name"].lower() for p in job["runtime"]["packages_installed"]}
    assert {"blake3", "grpcio", "click"} <= installed
    assert job["runtime"]["hostname"] and job["runtime"]["os"]
    assert job["runtime"]["python_version"] == "%d.%d.%d" % sys.version_info[:3]
    assert "setuptools" not in used  # .pth files read at start-up are not imports


def test_pop_and_reset(roard, workspace: Path) -> None:
    run_json(roard, workspace, "sh", "-c", "echo 1 > a.txt")
    run_json(roard, workspace, "sh", "-c", "echo 2 > b.txt")
    proc = roard.roarctl("pop", "-y", cwd=workspace, check=True)
    assert "@2" in proc.stdout
    assert (workspace / "b.txt").exists()  # pop keeps files unless asked
    log = json.loads(roard.roarctl("log", "--json", cwd=workspace, check=True).stdout)
    assert [j["ref"] for j in log] == ["@1"]
    roard.roarctl("pop", "-y", "--delete-outputs", cwd=workspace, check=True)
    assert not (workspace / "a.txt").exists()
    proc = roard.roarctl("pop", "-y", cwd=workspace)
    assert proc.returncode == 4 and "no jobs" in proc.stderr
    run_json(roard, workspace, "sh", "-c", "echo 3 > c.txt")
    old = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)["session"]["id"]
    roard.roarctl("reset", "-y", cwd=workspace, check=True)
    new = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)
    assert new["session"]["id"] != old and new["session"]["job_count"] == 0
    alljobs = json.loads(roard.roarctl("log", "--all", "--json", cwd=workspace, check=True).stdout)
    assert len(alljobs) == 1


def test_show_artifact_by_path_and_hash(roard, workspace: Path) -> None:
    job = run_json(roard, workspace, "sh", "-c", "echo art > art.txt")
    h = job["outputs"][0]["hash"]
    by_p = json.loads(roard.roarctl("show", "art.txt", "--json", cwd=workspace, check=True).stdout)
    by_h = json.loads(roard.roarctl("show", h[:10], "--json", cwd=workspace, check=True).stdout)
    assert by_p["hash"] == by_h["hash"] == h
    assert by_p["produced_by"] == "@1"
