"""Issue 14, items 1-5: precise records for files a job creates read-write, appends to, rewrites
with the same bytes, reaches through a symlinked directory, and package metadata. Each case is a
real program (Python's sqlite3, os.open lock files, `sh -c 'echo >> f'`, `cat`, pip) under
`roarctl run`, for every tracer backend usable here and auto (docs/capture.md, cases 30-34)."""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import blake3
import pytest

from tests.conftest import REPO, git
from tests.run.helpers import PY, by_path, paths, run_json, write_script


@pytest.fixture(params=["preload", "ptrace", "ebpf", "auto"])
def tracer(request) -> str:
    """Each case under every backend usable here, and auto (docs/capture.md is the table)."""
    from roard.tracing.backends import backend_status

    if request.param != "auto" and not (status := backend_status(request.param)).usable:
        pytest.skip(f"{request.param} is not usable here: {status.reason}")
    return request.param


def b3(data: bytes) -> str:
    return blake3.blake3(data).hexdigest()


def job_of(roard, ws: Path, script: str, tracer: str, env: dict[str, str] | None = None) -> dict:
    write_script(ws, "case.py", script)
    return run_json(roard, ws, "--tracer", tracer, PY, "case.py", env=env)


def commit(ws: Path, *names: str) -> None:
    git(ws, "add", *names)
    git(ws, "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit", "-qm", "add " + " ".join(names))


# --- item 1: files the run creates read-write are never inputs ---------------------------------

def test_sqlite_database_created_by_the_run_is_only_an_output(roard, workspace: Path, tracer: str) -> None:
    """sqlite3 opens db.sqlite and db.sqlite-journal O_RDWR|O_CREAT; neither existed, and the
    journal is deleted at commit (journal_mode=DELETE, the default)."""
    job = job_of(roard, workspace, tracer=tracer, script="""
import sqlite3
con = sqlite3.connect("db.sqlite")
con.execute("PRAGMA journal_mode=DELETE")
con.execute("CREATE TABLE t (x INTEGER)")
con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
con.commit()
con.close()
""")
    ins, outs = paths(job["inputs"]), paths(job["outputs"])
    assert "db.sqlite" in outs
    assert "db.sqlite" not in ins, job["inputs"]
    assert not any(p.startswith("db.sqlite-") for p in ins | outs), (ins, outs)
    assert by_path(job["outputs"])["db.sqlite"]["hash"] == b3((workspace / "db.sqlite").read_bytes())
    assert not any("db.sqlite" in w for w in job["warnings"]), job["warnings"]


def test_lock_files_made_with_os_open_are_not_inputs(roard, workspace: Path, tracer: str) -> None:
    """os.open(O_RDWR|O_CREAT) lock files: one kept (an output, not an input), one deleted within
    the run (neither, like dvclive's .dvc/tmp/lock); a lock that existed before is an input."""
    (workspace / "old.lock").write_bytes(b"")
    job = job_of(roard, workspace, tracer=tracer, script="""
import fcntl, os
os.makedirs(".dvc/tmp", exist_ok=True)
for name in ("train.lock", ".dvc/tmp/lock", "old.lock"):
    fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, str(os.getpid()).encode()) if name == ".dvc/tmp/lock" else None
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
os.unlink(".dvc/tmp/lock")
open("result.txt", "w").write("done")
""")
    ins, outs = paths(job["inputs"]), paths(job["outputs"])
    assert "train.lock" in outs and "train.lock" not in ins, job["inputs"]
    assert ".dvc/tmp/lock" not in ins | outs
    assert by_path(job["inputs"])["old.lock"]["hash"] == b3(b"")  # existed (empty): an input
    assert not any("unavailable" in f["flags"] for f in job["inputs"]), job["inputs"]


# --- item 2: appends and in-place edits keep the version they changed ---------------------------

def test_append_to_committed_file_is_an_input_with_its_git_content(roard, workspace: Path, tracer: str) -> None:
    (workspace / "log.txt").write_bytes(b"line1\nline2\n")
    commit(workspace, "log.txt")
    job = run_json(roard, workspace, "--tracer", tracer, "sh", "-c", "echo more >> log.txt")
    ins, outs = by_path(job["inputs"]), by_path(job["outputs"])
    assert ins["log.txt"]["hash"] == b3(b"line1\nline2\n"), ins.get("log.txt")
    assert outs["log.txt"]["hash"] == b3(b"line1\nline2\nmore\n")
    assert "git-tracked" in ins["log.txt"]["flags"] and "unsourced" not in ins["log.txt"]["flags"]


def test_shell_append_redirection_keeps_the_version_it_extends(roard, workspace: Path, tracer: str) -> None:
    """`roarctl run CMD >> log.txt`: the user's shell opens log.txt (O_APPEND) for the command."""
    (workspace / "log.txt").write_bytes(b"day 1\n")
    commit(workspace, "log.txt")
    subprocess.run(f"{PY} -m roarctl run -q --tracer {tracer} echo 'day 2' >> log.txt", shell=True,
                   cwd=workspace, env=roard.env, check=True)
    import json
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    ins, outs = by_path(job["inputs"]), by_path(job["outputs"])
    assert ins["log.txt"]["hash"] == b3(b"day 1\n") and "appended" in ins["log.txt"]["flags"], job["inputs"]
    assert outs["log.txt"]["hash"] == b3(b"day 1\nday 2\n")
    (workspace / "fresh.log").unlink(missing_ok=True)
    subprocess.run(f"{PY} -m roarctl run -q --tracer {tracer} echo new >> fresh.log", shell=True,
                   cwd=workspace, env=roard.env, check=True)
    job = json.loads(roard.roarctl("show", "@2", "--json", cwd=workspace, check=True).stdout)
    assert "fresh.log" not in paths(job["inputs"]) and "fresh.log" in paths(job["outputs"])


def test_append_to_previous_output_takes_its_hash_from_the_cache(roard, workspace: Path, tracer: str) -> None:
    first = run_json(roard, workspace, "--tracer", tracer, "sh", "-c", "echo one > notes.txt")
    second = run_json(roard, workspace, "--tracer", tracer, "sh", "-c", "echo two >> notes.txt")
    assert by_path(first["outputs"])["notes.txt"]["hash"] == b3(b"one\n")
    before = by_path(second["inputs"])["notes.txt"]
    assert before["hash"] == b3(b"one\n") and "unsourced" not in before["flags"]
    assert by_path(second["outputs"])["notes.txt"]["hash"] == b3(b"one\ntwo\n")
    import json
    dag = json.loads(roard.roarctl("dag", "--json", cwd=workspace, check=True).stdout)
    second = [n for n in dag["nodes"] if n["ref"] == "@2"]
    assert second and "@1" in second[0]["depends_on"], dag  # through notes.txt's earlier content


def test_append_to_unknown_file_says_its_prior_content_is_unknown(roard, workspace: Path, tracer: str) -> None:
    (workspace / "loose.log").write_bytes(b"written outside roar\n")
    proc = roard.roarctl("run", "--tracer", tracer, "sh", "-c", "echo x >> loose.log", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "content before the run is unknown" in proc.stderr + proc.stdout, (proc.stdout, proc.stderr)
    shown = roard.roarctl("show", "@1", cwd=workspace, check=True).stdout
    assert "prior-unknown" in shown
    import json
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    entry = by_path(job["inputs"])["loose.log"]
    assert entry["hash"] == "" and "prior-unknown" in entry["flags"]
    assert by_path(job["outputs"])["loose.log"]["hash"] == b3(b"written outside roar\nx\n")


# --- item 3: a rewrite with identical bytes ------------------------------------------------------

def test_rewrite_with_identical_bytes_is_input_and_output_with_one_hash(roard, workspace: Path, tracer: str) -> None:
    """dvclive rewrites .gitignore (opened a+) with the bytes it had; params.yaml is read, then
    rewritten through a new descriptor (O_TRUNC) with the same bytes."""
    (workspace / "params.yaml").write_bytes(b"lr: 0.1\n")
    commit(workspace, "params.yaml")
    job = job_of(roard, workspace, tracer=tracer, script="""
with open(".gitignore", "a+") as f:
    f.seek(0)
    if ".roar/\\n" not in f.readlines():
        f.write(".roar/\\n")
data = open("params.yaml", "rb").read()
open("params.yaml", "wb").write(data)
""")
    ins, outs = by_path(job["inputs"]), by_path(job["outputs"])
    for name, content in ((".gitignore", b".roar/\n"), ("params.yaml", b"lr: 0.1\n")):
        assert ins[name]["hash"] == outs[name]["hash"] == b3(content), (name, ins.get(name), outs.get(name))
        assert "unavailable" not in ins[name]["flags"]


# --- item 4: a symlinked directory keeps the name the program used -------------------------------

def test_cat_through_symlinked_directory_records_name_and_target(roard, workspace: Path, tmp_path: Path,
                                                                 tracer: str) -> None:
    ext = tmp_path / "elsewhere" / "ext_data"
    (ext / "sub").mkdir(parents=True)
    (ext / "sub" / "d.csv").write_bytes(b"a,b\n1,2\n")
    (workspace / "data").symlink_to(ext)
    (workspace / "real_data" / "sub").mkdir(parents=True)
    (workspace / "real_data" / "sub" / "e.csv").write_bytes(b"e\n")
    (workspace / "linked").symlink_to("real_data")
    commit(workspace, "real_data/sub/e.csv", "linked")
    (workspace / "src").mkdir()
    job = run_json(roard, workspace, "--tracer", tracer, "sh", "-c",
                   "cat ../data/sub/d.csv ../linked/sub/e.csv > ../out.txt", cwd=workspace / "src")
    ins = by_path(job["inputs"])
    d = ins.get("data/sub/d.csv")
    assert d is not None, sorted(ins)
    assert d["target"] == str(ext / "sub" / "d.csv") and "symlink" in d["flags"]
    assert d["hash"] == b3(b"a,b\n1,2\n")
    e = ins.get("linked/sub/e.csv")
    assert e is not None and e["target"] == str(workspace / "real_data" / "sub" / "e.csv"), sorted(ins)
    assert "unsourced" not in e["flags"] and "git-tracked" in e["flags"]  # not unsourced for the link
    assert not any("linked/sub/e.csv" in w for w in job["warnings"]), job["warnings"]


# --- item 5: package metadata is not data --------------------------------------------------------

def _wheel(tmp_path: Path) -> Path:
    """A small wheel with an entry point, built by hand (pip installs it with no index)."""
    files = {
        "roarplug/__init__.py": b"VALUE = 7\n",
        "roarplug-1.2.dist-info/METADATA": b"Metadata-Version: 2.1\nName: roarplug\nVersion: 1.2\n\n",
        "roarplug-1.2.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "roarplug-1.2.dist-info/entry_points.txt": b"[roar_test.plugins]\nplug = roarplug:VALUE\n",
        "roarplug-1.2.dist-info/top_level.txt": b"roarplug\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("roarplug-1.2.dist-info/RECORD,,")
    wheel = tmp_path / "roarplug-1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("roarplug-1.2.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def test_pip_target_packages_on_pythonpath_are_packages_not_inputs(roard, workspace: Path, tmp_path: Path,
                                                                   tracer: str) -> None:
    target = tmp_path / "pylibs"
    subprocess.run([PY, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(target),
                    str(_wheel(tmp_path))], check=True, capture_output=True)
    assert (target / "roarplug-1.2.dist-info" / "entry_points.txt").exists()
    job = job_of(roard, workspace, tracer=tracer, script="""
import importlib.metadata as md
import roarplug
eps = md.entry_points(group="roar_test.plugins")
names = sorted(d.metadata["Name"] for d in md.distributions())
open("plugins.txt", "w").write(f"{[e.name for e in eps]} {roarplug.VALUE} {len(names)}")
""", env={"PYTHONPATH": f"{target}{os.pathsep}{REPO}"})
    assert (workspace / "plugins.txt").read_text().startswith("['plug'] 7")
    ins = paths(job["inputs"])
    assert not any(str(target) in p or ".dist-info" in p or ".egg-info" in p for p in ins), ins
    assert not any(str(target) in w or "-info" in w for w in job["warnings"]), job["warnings"]
    assert {"name": "roarplug", "version": "1.2"} in job["runtime"]["packages_used"]


def test_dist_info_anywhere_is_package_metadata(roard, workspace: Path, tmp_path: Path, tracer: str) -> None:
    """*.dist-info and *.egg-info files read by path (not on sys.path) are still not data."""
    meta = tmp_path / "stray" / "thing-0.1.dist-info"
    meta.mkdir(parents=True)
    (meta / "entry_points.txt").write_text("[x]\ny = z\n")
    egg = tmp_path / "stray" / "other.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Name: other\n")
    job = job_of(roard, workspace, tracer=tracer, script=f"""
open({str(meta / 'entry_points.txt')!r}).read(); open({str(egg / 'PKG-INFO')!r}).read()
""")
    assert not any(".dist-info" in p or ".egg-info" in p for p in paths(job["inputs"])), job["inputs"]
    assert not any("-info" in w for w in job["warnings"]), job["warnings"]




def test_virtualenv_inside_the_workspace_is_packages(roard, workspace: Path, tracer: str) -> None:
    """ws/.venv (python -m venv) with a package pip put in its site-packages: its files are the
    interpreter's packages, not the job's inputs, though they are inside the workspace."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(workspace / ".venv")], check=True)
    site = next((workspace / ".venv" / "lib").glob("python*/site-packages"))
    subprocess.run([PY, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(site),
                    str(_wheel(workspace.parent))], check=True, capture_output=True)
    (workspace / "use.py").write_text("import roarplug\nopen('v.txt', 'w').write(str(roarplug.VALUE))\n")
    job = run_json(roard, workspace, "--tracer", tracer, str(workspace / ".venv" / "bin" / "python"), "use.py")
    assert (workspace / "v.txt").read_text() == "7"
    assert not any(p.startswith(".venv/") for p in paths(job["inputs"])), job["inputs"]
    assert {"name": "roarplug", "version": "1.2"} in job["runtime"]["packages_used"]
