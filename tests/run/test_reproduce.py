"""roarctl reproduce end to end: real git repositories (with a bare "remote" on disk), real
virtual environments with pinned packages, steps traced by the real daemon.

The virtual environments are cached per test session (XDG_CACHE_HOME is shared by these tests),
so the scikit-learn environment is built once; its wheels come from the machine's index.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import RoarEnv, git
from tests.run.helpers import run_json
from tests.run.test_transfers import http_url  # noqa: F401 (fixture: a real HTTP server on loopback)

PY = sys.executable
EXIT_NOT_FOUND = 4
EXIT_DIVERGED = 5

PREPARE = """\
import os
import numpy as np
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=300, n_features=8, random_state=0)
os.makedirs("data", exist_ok=True)
np.savetxt("data/train.csv", np.column_stack([X[:200], y[:200]]), delimiter=",", fmt="%.10f")
np.savetxt("data/test.csv", np.column_stack([X[200:], y[200:]]), delimiter=",", fmt="%.10f")
"""
TRAIN = """\
import pickle, sys
import numpy as np
from sklearn.ensemble import RandomForestClassifier
d = np.loadtxt("data/train.csv", delimiter=",")
model = RandomForestClassifier(n_estimators=10{seed}).fit(d[:, :-1], d[:, -1])
with open("model.pkl", "wb") as f:
    pickle.dump(model.predict_proba(d[:, :-1]).round(12).tolist(), f)
    pickle.dump([t.tree_.threshold.round(12).tolist() for t in model.estimators_], f)
"""
EVALUATE = """\
import json, pickle
import numpy as np
d = np.loadtxt("data/test.csv", delimiter=",")
with open("model.pkl", "rb") as f:
    proba = pickle.load(f)
json.dump({"rows": len(d), "mean_proba": round(float(np.mean(proba)), 9)}, open("metrics.json", "w"))
"""

STDLIB_PREPARE = """\
import os, random
random.seed(1)
os.makedirs("data", exist_ok=True)
with open("data/raw.csv", "w") as f:
    for i in range(50):
        f.write(f"{i},{random.random()}\\n")
"""
STDLIB_TRAIN = """\
rows = [line.split(",") for line in open("data/raw.csv")]
SCALE = 1
open("model.txt", "w").write(f"{SCALE * sum(float(r[1]) for r in rows) / len(rows)}\\n")
"""


@pytest.fixture(scope="session")
def env_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("roar-env-cache")


@pytest.fixture
def repro(roar_env: RoarEnv, env_cache: Path, tmp_path: Path) -> RoarEnv:
    """A daemon whose environment cache is shared by this module's tests."""
    roar_env.env["XDG_CACHE_HOME"] = str(env_cache)
    roar_env.env["XDG_DATA_HOME"] = str(tmp_path / "data")
    roar_env.roarctl("daemon", "start", check=True)
    return roar_env


def make_repo(renv: RoarEnv, tmp_path: Path, files: dict[str, str], remote: str | None = None) -> Path:
    """A git repository with ``files`` committed and pushed to a bare remote, as a workspace."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    for name, text in {".gitignore": ".roar/\n", **files}.items():
        (ws / name).write_text(text)
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "pipeline")
    git(ws, "remote", "add", "origin", str(bare))
    git(ws, "push", "-q", "origin", "main")
    if remote is not None:
        git(ws, "remote", "set-url", "origin", remote)
    renv.roarctl("init", "-n", cwd=ws, check=True)
    return ws


def output_hash(job: dict, path: str) -> str:
    return next(o["hash"] for o in job["outputs"] if o["path"] == path)


def reproduce(renv: RoarEnv, ws: Path, *args: str, timeout: float = 600):
    return renv.roarctl("reproduce", *args, cwd=ws, timeout=timeout)


def verdict_json(proc) -> dict:
    start = proc.stdout.rfind("\n{\n")
    return json.loads(proc.stdout[start + 1 if start >= 0 else 0:])


def job_count(renv: RoarEnv, ws: Path) -> int:
    return len(json.loads(renv.roarctl("log", "--json", cwd=ws, check=True).stdout))


def sklearn_pipeline(renv: RoarEnv, tmp_path: Path, seed: bool = True) -> tuple[Path, dict]:
    ws = make_repo(renv, tmp_path, {"prepare.py": PREPARE, "evaluate.py": EVALUATE,
                                    "train.py": TRAIN.format(seed=", random_state=7" if seed else "")})
    run_json(renv, ws, PY, "prepare.py")
    train = run_json(renv, ws, PY, "train.py")
    run_json(renv, ws, PY, "evaluate.py")
    return ws, train


def stdlib_pipeline(renv: RoarEnv, tmp_path: Path, **kw) -> tuple[Path, dict]:
    ws = make_repo(renv, tmp_path, {"prepare.py": STDLIB_PREPARE, "train.py": STDLIB_TRAIN}, **kw)
    run_json(renv, ws, PY, "prepare.py")
    return ws, run_json(renv, ws, PY, "train.py")


# --- the plan ---------------------------------------------------------------------------------

def test_plan_shows_the_recipe_and_changes_nothing(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = stdlib_pipeline(repro, tmp_path)
    target = output_hash(train, "model.txt")
    before = (job_count(repro, ws), sorted(p.name for p in ws.iterdir()))
    proc = reproduce(repro, ws, target[:10])
    assert proc.returncode == 0, proc.stderr
    commit = git(ws, "rev-parse", "HEAD").strip()
    assert f"Target: {target}" in proc.stdout and commit in proc.stdout
    assert "@1" in proc.stdout and "prepare.py" in proc.stdout and "train.py" in proc.stdout
    assert "Code: reuse" in proc.stdout, proc.stdout
    assert "commit reachable on a remote" in proc.stdout
    assert "lineage registered" not in proc.stdout  # publish-only items are left out
    assert (job_count(repro, ws), sorted(p.name for p in ws.iterdir())) == before
    assert not (tmp_path / "data" / "roar" / "reproductions").exists()

    plan = json.loads(reproduce(repro, ws, target, "--json").stdout)
    assert [s["argv"][-1] for s in plan["steps"]] == ["prepare.py", "train.py"]
    assert plan["commit"] == commit and plan["target_hash"] == target
    assert not plan.get("blockers")

    # Nothing but the hash: from outside any workspace, the user's workspaces are searched.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    from_outside = json.loads(reproduce(repro, elsewhere, target[:12], "--json").stdout)
    assert from_outside["target_hash"] == target and from_outside["repo_root"] == str(ws)
    proc = reproduce(repro, elsewhere, "abcdef0123")
    assert proc.returncode == EXIT_NOT_FOUND and "none of your workspaces recorded" in proc.stderr


# --- reproducing -------------------------------------------------------------------------------

def test_seeded_sklearn_pipeline_comes_back_identical_in_a_fresh_directory(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = sklearn_pipeline(repro, tmp_path)
    model = output_hash(train, "model.pkl")
    plan = json.loads(reproduce(repro, ws, model, "--json").stdout)
    assert {p["name"] for p in plan["packages"]} >= {"numpy", "scikit-learn"}
    dest = tmp_path / "fresh"
    proc = reproduce(repro, ws, model, "--run", "-y", "--dir", str(dest), "--json")
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:], repro.read_log()[-3000:])
    verdict = verdict_json(proc)
    assert verdict["identical"] is True
    got = {(a["step"], a["path"]): a["verdict"] for a in verdict["artifacts"]}
    assert got == {("@1", "data/train.csv"): "identical", ("@1", "data/test.csv"): "identical",
                   ("@2", "model.pkl"): "identical"}, got  # only model.pkl's lineage: evaluate is downstream
    import blake3
    assert blake3.blake3((dest / "model.pkl").read_bytes()).hexdigest() == model
    assert job_count(repro, ws) == 3  # the user's active session is untouched
    replayed = json.loads(repro.roarctl("log", "--json", cwd=dest, check=True).stdout)
    assert [j["argv"][-1] for j in replayed] == ["prepare.py", "train.py"]
    assert "/envs/" in replayed[0]["argv"][0]  # the pinned environment's interpreter ran the steps


def test_unseeded_step_is_reported_diverged_and_non_deterministic(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = sklearn_pipeline(repro, tmp_path, seed=False)
    model = output_hash(train, "model.pkl")
    proc = reproduce(repro, ws, model, "--run", "-y", "--dir", str(tmp_path / "again"))
    assert proc.returncode == EXIT_DIVERGED, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert "First divergence: @2" in proc.stdout
    assert "non-deterministic" in proc.stdout
    assert "Verdict: DIVERGED" in proc.stdout


def test_rounds_find_the_non_deterministic_output(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = stdlib_pipeline(repro, tmp_path)
    (ws / "train.py").write_text("import os\nopen('model.txt', 'w').write(os.urandom(8).hex())\n"
                                 "open('stable.txt', 'w').write('same')\n")
    git(ws, "commit", "-qam", "noisy")
    git(ws, "push", "-q", "origin", "main")
    train = run_json(repro, ws, PY, "train.py")
    proc = reproduce(repro, ws, output_hash(train, "model.txt"), "--run", "-y", "--rounds", "3", "--json")
    assert proc.returncode == EXIT_DIVERGED, (proc.stdout[-2000:], proc.stderr[-2000:])
    verdict = verdict_json(proc)
    by_path = {a["path"]: a for a in verdict["artifacts"]}
    assert by_path["model.txt"]["verdict"] == "non-deterministic"
    assert len(set(by_path["model.txt"]["new_hashes"])) == 3
    assert by_path["stable.txt"]["verdict"] == "identical", by_path
    assert "data/raw.csv" not in by_path  # the new train.py does not read it: not in the lineage
    assert verdict["rounds"] == 3
    assert any("non-deterministic" in c for c in verdict["causes"])


def test_reusing_the_checkout_replays_in_a_fresh_session(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = stdlib_pipeline(repro, tmp_path)
    session = json.loads(repro.roarctl("status", "--json", cwd=ws, check=True).stdout)["session"]["id"]
    proc = reproduce(repro, ws, output_hash(train, "model.txt"), "--run", "-y", "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    verdict = verdict_json(proc)
    assert verdict["directory"] == str(ws) and verdict["session_id"] != session
    after = json.loads(repro.roarctl("status", "--json", cwd=ws, check=True).stdout)["session"]["id"]
    assert after == session and job_count(repro, ws) == 2


def test_dirty_tree_job_is_reproduced_with_its_recorded_diff(repro: RoarEnv, tmp_path: Path) -> None:
    ws, _ = stdlib_pipeline(repro, tmp_path)
    (ws / "train.py").write_text(STDLIB_TRAIN.replace("SCALE = 1", "SCALE = 3"))  # uncommitted
    train = run_json(repro, ws, PY, "train.py")
    assert train["git"]["dirty"]
    target = output_hash(train, "model.txt")
    plan = reproduce(repro, ws, target)
    assert "[+ recorded diff]" in plan.stdout and "Code: clone" in plan.stdout, plan.stdout
    dest = tmp_path / "dirty-replay"
    proc = reproduce(repro, ws, target, "--run", "-y", "--dir", str(dest))
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert "SCALE = 3" in (dest / "train.py").read_text()


def test_whole_session_by_lineage_hash(repro: RoarEnv, tmp_path: Path) -> None:
    ws, _ = stdlib_pipeline(repro, tmp_path)
    lineage = json.loads(repro.roarctl("dag", "--json", cwd=ws, check=True).stdout)["lineage_hash"]
    proc = reproduce(repro, ws, lineage, "--lineage", "--run", "-y", "--dir", str(tmp_path / "l"), "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    verdict = verdict_json(proc)
    assert {a["path"] for a in verdict["artifacts"] if a["target"]} == {"data/raw.csv", "model.txt"}


def test_unsourced_input_is_found_by_hash_and_copied_in(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {"train.py": STDLIB_TRAIN})
    (ws / "data").mkdir()
    (ws / "data" / "raw.csv").write_text("1,0.5\n2,0.25\n")  # never committed, never produced
    train = run_json(repro, ws, PY, "train.py")
    assert "unsourced" in train["inputs"][[i["path"] for i in train["inputs"]].index("data/raw.csv")]["flags"]
    dest = tmp_path / "copy-in"
    proc = reproduce(repro, ws, output_hash(train, "model.txt"), "--run", "-y", "--dir", str(dest))
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert (dest / "data" / "raw.csv").read_text() == "1,0.5\n2,0.25\n"


def test_package_sync_checks_the_recorded_system_packages(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {"in.txt": "hello\n"})
    job = run_json(repro, ws, "sh", "-c", "cat in.txt > out.txt")
    if not Path("/var/lib/dpkg/status").exists():
        pytest.skip("no dpkg on this machine: system packages are not recorded")
    shown = json.loads(repro.roarctl("show", "@1", "--json", cwd=ws, check=True).stdout)
    names = {p["name"] for p in shown["runtime"]["system_packages"]}
    assert {"dash", "coreutils"} & names, names  # sh and cat came from these
    assert "system" in repro.roarctl("show", "@1", cwd=ws, check=True).stdout
    proc = reproduce(repro, ws, output_hash(job, "out.txt"), "--run", "-y", "--package-sync", "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    notes = verdict_json(proc)["notes"]
    assert any("recorded system package(s) are installed" in n for n in notes), notes


# --- bad input: each stops before any step runs --------------------------------------------------

def test_unknown_and_ambiguous_hashes(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {})
    # blake3("46\n") and blake3("959\n") share the prefix 518a6e.
    run_json(repro, ws, "sh", "-c", "echo 46 > a.txt; echo 959 > b.txt")
    proc = reproduce(repro, ws, "518a6e")
    assert proc.returncode == 2 and "ambiguous" in proc.stderr and proc.stderr.count("518a6e") >= 3, proc.stderr
    proc = reproduce(repro, ws, "0123456789abcdef", "--run", "-y")
    assert proc.returncode == EXIT_NOT_FOUND and "0123456789abcdef" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_unsourced_input_stops_before_anything_runs(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {"train.py": STDLIB_TRAIN})
    (ws / "data").mkdir()
    (ws / "data" / "raw.csv").write_text("1,0.5\n")
    train = run_json(repro, ws, PY, "train.py")
    (ws / "data" / "raw.csv").unlink()
    dest = tmp_path / "never"
    proc = reproduce(repro, ws, output_hash(train, "model.txt"), "--run", "-y", "--dir", str(dest))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "data/raw.csv" in proc.stderr and "not found" in proc.stderr
    assert not dest.exists() and job_count(repro, ws) == 1


def test_remote_that_cannot_be_cloned(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = stdlib_pipeline(repro, tmp_path, remote=str(tmp_path / "gone.git"))
    (ws / "other.txt").write_text("x\n")
    git(ws, "add", "other.txt")
    git(ws, "commit", "-qm", "moved on")  # the checkout is no longer at the recorded commit
    proc = reproduce(repro, ws, output_hash(train, "model.txt"), "--run", "-y")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "cannot clone" in proc.stderr and "--dir" in proc.stderr
    assert not list((tmp_path / "data" / "roar" / "reproductions").glob("*"))
    assert job_count(repro, ws) == 2


def _rewrite_runtime(ws: Path, **changes) -> None:
    """Pretend the jobs were recorded on another machine. (Editing the record is the only way to
    get an interpreter this machine does not have into it.)"""
    from roard.lineage.store import DOC_COLUMNS, content_digest

    # The runtime is a doc the jobs reference; docs never change (roard keeps those it read),
    # so each job is pointed at a new one.
    db = sqlite3.connect(ws / ".roar" / "roar.db")
    at = DOC_COLUMNS.index("runtime")
    for uid, refs in db.execute("SELECT uid, docs FROM jobs").fetchall():
        ids = refs.split(",")
        data = json.loads(db.execute("SELECT body FROM docs WHERE id = ?", (ids[at],)).fetchone()[0])
        for key, value in changes.items():
            data[key] = value(data) if callable(value) else value
        body = json.dumps(data)
        db.execute("INSERT OR IGNORE INTO docs (digest, body) VALUES (?, ?)", (content_digest(body), body))
        ids[at] = str(db.execute("SELECT id FROM docs WHERE digest = ?", (content_digest(body),)).fetchone()[0])
        db.execute("UPDATE jobs SET docs = ? WHERE uid = ?", (",".join(ids), uid))
    db.commit()
    db.close()


def test_interpreter_version_not_on_this_machine(repro: RoarEnv, tmp_path: Path) -> None:
    ws, train = stdlib_pipeline(repro, tmp_path)
    _rewrite_runtime(ws, python_version="3.4.1", python_executable="/opt/python3.4/bin/python3.4")
    target = output_hash(train, "model.txt")
    plan = reproduce(repro, ws, target)
    assert "blocker" in plan.stdout and "Python 3.4.1" in plan.stdout
    proc = reproduce(repro, ws, target, "--run", "-y", "--dir", str(tmp_path / "x"))
    assert proc.returncode == 1 and "Python 3.4.1" in proc.stderr and "--python" in proc.stderr
    assert not (tmp_path / "x").exists()
    proc = reproduce(repro, ws, target, "--run", "-y", "--python", PY, "--dir", str(tmp_path / "y"))
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert "--python" in proc.stdout  # the note says the interpreter differs from the record


def test_package_that_cannot_be_installed(repro: RoarEnv, tmp_path: Path) -> None:
    site = tmp_path / "vendored" / "site-packages"
    (site / "roartestvendored").mkdir(parents=True)
    (site / "roartestvendored" / "__init__.py").write_text("VALUE = 2\n")
    dist = site / "roartestvendored-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: roartestvendored\nVersion: 1.0\n\n")
    (dist / "RECORD").write_text("roartestvendored/__init__.py,,\n")
    ws = make_repo(repro, tmp_path, {"use.py": "import roartestvendored\nopen('o.txt','w').write('x')\n"})
    job = run_json(repro, ws, PY, "use.py", env={"PYTHONPATH": str(site)})
    assert {"name": "roartestvendored", "version": "1.0"} in job["runtime"]["packages_used"]
    git(ws, "commit", "--allow-empty", "-qm", "later")
    dest = tmp_path / "pkg"
    for extra in ([], ["--pip-any-version"]):
        proc = reproduce(repro, ws, output_hash(job, "o.txt"), "--run", "-y", "--dir", str(dest), *extra)
        assert proc.returncode == 1, (proc.stdout[-2000:], proc.stderr)
        assert "roartestvendored==1.0 cannot be installed" in proc.stderr, proc.stderr
        assert not dest.exists() and job_count(repro, ws) == 1


def test_get_step_is_fetched_again_and_verified(repro: RoarEnv, tmp_path: Path, http_url: str) -> None:
    ws = make_repo(repro, tmp_path, {})
    got = repro.roarctl("get", f"{http_url}/data.csv", "data/data.csv", "--json", cwd=ws)
    assert got.returncode == 0, got.stderr
    job = run_json(repro, ws, "sh", "-c", "wc -l data/data.csv > count.txt")
    target = output_hash(job, "count.txt")
    plan = json.loads(reproduce(repro, ws, target, "--json").stdout)
    fetched = [i for i in plan["inputs"] if i["path"] == "data/data.csv"]
    assert fetched and fetched[0]["source"] == "get" and f"{http_url}/data.csv" in fetched[0]["detail"]
    dest = tmp_path / "refetch"
    proc = reproduce(repro, ws, target, "--run", "-y", "--dir", str(dest), "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    verdict = verdict_json(proc)
    assert {(a["path"], a["verdict"]) for a in verdict["artifacts"]} == {
        ("data/data.csv", "identical"), ("count.txt", "identical")}
    assert (dest / "data" / "data.csv").read_bytes() == (ws / "data" / "data.csv").read_bytes()


def test_pip_any_version_takes_the_nearest_available_version(repro: RoarEnv, tmp_path: Path) -> None:
    """A job that used a version no index has (six 99.0, vendored): refused by name, then with
    --pip-any-version the nearest available version is installed and the verdict says so."""
    site = tmp_path / "vendored" / "site-packages"
    site.mkdir(parents=True)
    (site / "six.py").write_text("VALUE = 1\n")
    dist = site / "six-99.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: six\nVersion: 99.0\n\n")
    (dist / "RECORD").write_text("six.py,,\n")
    ws = make_repo(repro, tmp_path, {"use.py": "import six\nopen('o.txt', 'w').write('uses six')\n"})
    job = run_json(repro, ws, PY, "use.py", env={"PYTHONPATH": str(site)})
    assert {"name": "six", "version": "99.0"} in job["runtime"]["packages_used"]
    git(ws, "commit", "--allow-empty", "-qm", "later")
    target = output_hash(job, "o.txt")
    proc = reproduce(repro, ws, target, "--run", "-y", "--dir", str(tmp_path / "strict"))
    assert proc.returncode == 1 and "six==99.0 cannot be installed" in proc.stderr, proc.stderr
    assert "--pip-any-version" in proc.stderr
    proc = reproduce(repro, ws, target, "--run", "-y", "--pip-any-version", "--dir", str(tmp_path / "any"), "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    notes = verdict_json(proc)["notes"]
    assert any(n.startswith("six 99.0 is not available; installed ") for n in notes), notes


def test_build_steps_run_first(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {"src.txt": "source\n"})
    built = repro.roarctl("build", "--json", "sh", "-c", "tr a-z A-Z < src.txt > tool.txt", cwd=ws)
    assert built.returncode == 0, built.stderr
    job = run_json(repro, ws, "sh", "-c", "cat tool.txt tool.txt > out.txt")
    target = output_hash(job, "out.txt")
    plan = json.loads(reproduce(repro, ws, target, "--json").stdout)
    assert [s["ref"] for s in plan["steps"]] == ["@B1", "@1"]
    dest = tmp_path / "with-build"
    proc = reproduce(repro, ws, target, "--run", "-y", "--dir", str(dest), "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert (dest / "tool.txt").read_text() == "SOURCE\n"
    assert {a["step"] for a in verdict_json(proc)["artifacts"]} == {"@B1", "@1"}


def test_recorded_environment_variables_are_injected(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {"seeded.py": "import os\nopen('out.txt', 'w').write(os.environ['SEED'])\n"})
    repro.roarctl("env", "set", "SEED", "1234", cwd=ws, check=True)
    job = run_json(repro, ws, PY, "seeded.py")
    assert (ws / "out.txt").read_text() == "1234"
    dest = tmp_path / "env-replay"
    plan = json.loads(reproduce(repro, ws, output_hash(job, "out.txt"), "--json").stdout)
    assert plan["steps"][0]["env_names"] == ["SEED"]
    proc = reproduce(repro, ws, output_hash(job, "out.txt"), "--run", "-y", "--dir", str(dest))
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert (dest / "out.txt").read_text() == "1234"  # the fresh workspace has no env of its own
