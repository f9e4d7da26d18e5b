"""roarctl register / login / whoami / logout against a real GLaaS server on loopback
(``glaas.testing``: SQLite in a temporary directory; the first test on PostgreSQL too), through
the real daemon."""
from __future__ import annotations

import json
import secrets
import re
import select
import stat
import subprocess
import time
from pathlib import Path

import blake3
import pytest

from tests.conftest import PYTHON, RoarEnv, git, make_env
from tests.glaas.conftest import postgres  # noqa: F401  (the fixture: the GLaaS tests' PostgreSQL)
from tests.run.glaas_server import GlaasServer, RecordingProxy, add_user, cleanup, get, http, new_server

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def glaas(tmp_path: Path):
    server = new_server(tmp_path / "glaas").start()
    yield server
    cleanup(server)


@pytest.fixture(params=["sqlite", "postgresql"])
def glaas_on(request: pytest.FixtureRequest, tmp_path: Path):
    """A server on each backend; PostgreSQL is the GLaaS tests' (skipped, saying why, where its
    binaries are absent)."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database("roar_" + secrets.token_hex(4))
    server = new_server(tmp_path / "glaas", url).start()
    yield server
    cleanup(server)


def pipeline(renv: RoarEnv, ws: Path) -> dict[str, str]:
    """raw.txt -> @1 -> clean.txt -> @2 -> model.bin -> @3 -> metrics.json; file -> hash."""
    (ws / "raw.txt").write_text("alpha\nbeta\n")
    git(ws, "add", "raw.txt")
    git(ws, "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit", "-qm", "data")
    steps = [("raw.txt", "clean.txt", "import sys; open(sys.argv[2],'w').write(open(sys.argv[1]).read().upper())"),
             ("clean.txt", "model.bin", "import sys; open(sys.argv[2],'w').write('model of ' + open(sys.argv[1]).read())"),
             ("model.bin", "metrics.json", "import sys, json; json.dump({'n': len(open(sys.argv[1]).read())}, open(sys.argv[2],'w'))")]
    for src, dst, code in steps:
        renv.roarctl("run", PYTHON, "-c", code, src, dst, cwd=ws, check=True)
    return {name: blake3.blake3((ws / name).read_bytes()).hexdigest()
            for name in ("raw.txt", "clean.txt", "model.bin", "metrics.json")}


def lineage_hash(renv: RoarEnv, ws: Path) -> str:
    return json.loads(renv.roarctl("status", "--json", cwd=ws, check=True).stdout)["session"]["lineage_hash"]


def test_register_pipeline_final_artifact(roard: RoarEnv, workspace: Path, glaas_on: GlaasServer):
    glaas = glaas_on
    hashes = pipeline(roard, workspace)
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    out = roard.roarctl("register", "-y", "metrics.json", cwd=workspace, check=True).stdout
    metrics = hashes["metrics.json"]
    assert f"{glaas.url}/artifact/{metrics}" in out
    assert "new: 1 session, 3 jobs" in out
    assert re.search(r"\[✅\] lineage registered", out), out
    status, art = get(glaas, f"/api/v1/artifacts/{metrics}")
    assert status == 200 and art["hash"] == metrics
    status, graph = get(glaas, f"/api/v1/artifacts/{metrics}/dag")
    assert status == 200
    assert len(graph["jobs"]) == 3
    assert {a["hash"] for a in graph["artifacts"]} >= {hashes[n] for n in ("raw.txt", "clean.txt", "model.bin", "metrics.json")}
    assert graph["sources"] == [hashes["raw.txt"]]

    # Idempotent: the same lineage again is all known, and nothing on the server changes.
    again = roard.roarctl("register", "-y", "metrics.json", cwd=workspace, check=True).stdout
    assert "new: nothing" in again and "3 jobs" in again
    status, graph2 = get(glaas, f"/api/v1/artifacts/{metrics}/dag")
    assert graph2["jobs"] == graph["jobs"]


def test_register_whole_session_and_job_targets(roard: RoarEnv, workspace: Path, glaas: GlaasServer):
    pipeline(roard, workspace)
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    digest = lineage_hash(roard, workspace)
    out = roard.roarctl("register", "-y", "--json", digest[:12], cwd=workspace, check=True).stdout
    reg = json.loads(out)
    assert reg["kind"] == "session" and reg["new"]["jobs"] == 3
    assert reg["sessions"] == [{"hash": digest, "url": f"{glaas.url}/dag/{digest}"}]
    status, session = get(glaas, f"/api/v1/sessions/{digest}")
    assert status == 200 and len(session["jobs"]) == 3
    # A job uid (8 hex) is a job, and wins over a session hash prefix.
    uid = json.loads(roard.roarctl("show", "@2", "--json", cwd=workspace, check=True).stdout)["uid"]
    job = json.loads(roard.roarctl("register", "-y", "--json", uid[:8], cwd=workspace, check=True).stdout)
    assert job["kind"] == "job" and job["counts"]["jobs"] == 2
    # glaas.web_url, when set, is where the receipt's pages are
    roard.roarctl("config", "set", "glaas.web_url", "https://lineage.example.org/", cwd=workspace, check=True)
    again = json.loads(roard.roarctl("register", "-y", "--json", "@3", cwd=workspace, check=True).stdout)
    assert again["artifacts"][0]["url"].startswith("https://lineage.example.org/artifact/")
    assert again["new"] == {} or not any(again["new"].values())


def test_dry_run_sends_nothing_and_shows_redactions(roard: RoarEnv, workspace: Path, glaas: GlaasServer):
    proxy = RecordingProxy(glaas.port)
    try:
        roard.roarctl("config", "set", "glaas.url", proxy.url, cwd=workspace, check=True)
        key = "sk-proj-" + "a1B2c3D4" * 5
        (workspace / "in.txt").write_text("x\n")
        roard.roarctl("run", PYTHON, "-c", "import shutil,sys; shutil.copy('in.txt', 'out.txt')",
                      "--api-key", key, cwd=workspace, check=True)
        out = roard.roarctl("register", "--dry-run", "out.txt", cwd=workspace, check=True).stdout
        assert "nothing was sent" in out
        assert "by openai-key" in out or "by secret-flag" in out
        assert key not in out and "[REDACTED:" in out
        assert proxy.requests() == []
        # the JSON form carries the payload as a document
        doc = json.loads(roard.roarctl("register", "--dry-run", "--json", "out.txt", cwd=workspace, check=True).stdout)
        assert doc["payload"]["jobs"][0]["argv"][-1].startswith("[REDACTED:")
        assert proxy.requests() == []
    finally:
        proxy.close()


def test_bad_targets_and_no_server(roard: RoarEnv, workspace: Path, glaas: GlaasServer):
    pipeline(roard, workspace)
    nourl = roard.roarctl("register", "-y", "metrics.json", cwd=workspace)
    assert nourl.returncode == 1 and "glaas.url" in nourl.stderr
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    missing = roard.roarctl("register", "-y", "nope.txt", cwd=workspace)
    assert missing.returncode == 4 and "nope.txt" in missing.stderr
    noarg = roard.roarctl("register", cwd=workspace)
    assert noarg.returncode == 2
    unasked = roard.roarctl("register", "metrics.json", cwd=workspace, input="")
    assert unasked.returncode == 2 and "-y" in unasked.stderr
    assert roard.roarctl("register", "--queue", "metrics.json", cwd=workspace).returncode == 2
    assert roard.roarctl("register", "--queue", "--drop", "99", cwd=workspace).returncode == 4
    glaas.stop()
    down = roard.roarctl("register", "-y", "metrics.json", cwd=workspace)
    assert down.returncode == 1 and "cannot reach" in down.stderr, down.stderr


def test_a_server_without_anonymous_writes_asks_for_a_login(roard: RoarEnv, workspace: Path, tmp_path: Path):
    server = new_server(tmp_path / "closed")
    server.extra_args = ["--no-anonymous"]
    server.start()
    try:
        pipeline(roard, workspace)
        roard.roarctl("config", "set", "glaas.url", server.url, cwd=workspace, check=True)
        refused = roard.roarctl("register", "-y", "metrics.json", cwd=workspace)
        assert refused.returncode == 1 and "roarctl login" in refused.stderr, refused.stderr
    finally:
        cleanup(server)


def _login(renv: RoarEnv, ws: Path, glaas: GlaasServer, token: str) -> str:
    """``roarctl login``, approved through the server's API with ``token``; returns its output."""
    proc = subprocess.Popen([PYTHON, "-m", "roarctl", "login"], cwd=ws, env=renv.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = ""
    deadline = time.monotonic() + 60
    while "enter the code" not in line and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line = proc.stdout.readline()
    code = re.search(r"enter the code (\S+)", line)
    assert code, line
    assert re.search(r"Open http://127\.0\.0\.1:\d+/device", line)
    status, body = http(glaas.url, "POST", "/api/v1/auth/device/approve", {"user_code": code.group(1)}, token=token)
    assert status == 200, body
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (rest, err)
    return line + rest


def test_login_device_flow_whoami_logout_and_scope_flip(roard: RoarEnv, workspace: Path, glaas: GlaasServer):
    alice = add_user(glaas, "alice")
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    before = roard.roarctl("whoami", cwd=workspace, check=True).stdout
    assert "not logged in" in before and "anonymous" in before
    out = _login(roard, workspace, glaas, alice)
    assert "logged in" in out and "alice" in out and "private" in out
    creds = Path(roard.env["XDG_CONFIG_HOME"]) / "roar" / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    me = json.loads(roard.roarctl("whoami", "--json", cwd=workspace, check=True).stdout)
    assert me["user"] == "alice" and me["logged_in"] and "write" in me["scopes"]
    assert me["expires_at"] and me["scope"] == "private"
    assert roard.roarctl("logout", cwd=workspace, check=True).stdout.startswith("logged out")
    assert "not logged in" in roard.roarctl("whoami", cwd=workspace, check=True).stdout
    assert "was not logged in" in roard.roarctl("logout", cwd=workspace, check=True).stdout


def test_private_registration_is_invisible_to_others(roard: RoarEnv, workspace: Path, glaas: GlaasServer):
    alice, bob = add_user(glaas, "alice"), add_user(glaas, "bob")
    hashes = pipeline(roard, workspace)
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    _login(roard, workspace, glaas, alice)
    out = roard.roarctl("register", "-y", "model.bin", cwd=workspace, check=True).stdout
    assert "(private)" in out
    model = hashes["model.bin"]
    assert get(glaas, f"/api/v1/artifacts/{model}", token=alice)[0] == 200
    assert get(glaas, f"/api/v1/artifacts/{model}", token=bob)[0] == 404
    assert get(glaas, f"/api/v1/artifacts/{model}")[0] == 404


def test_put_registers_what_it_uploaded_and_the_url_is_a_target(roard: RoarEnv, workspace: Path, glaas: GlaasServer,
                                                                 tmp_path: Path):
    hashes = pipeline(roard, workspace)
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    remote = tmp_path / "remote"
    remote.mkdir()
    roard.roarctl("put", "model.bin", f"file://{remote}/", "-m", "v1", "--no-tag", cwd=workspace, check=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = json.loads(roard.roarctl("register", "--queue", "--json", cwd=workspace, check=True).stdout)
        if state["counts"].get("delivered"):
            break
        time.sleep(0.5)
    assert state["counts"] == {"delivered": 1}, state
    status, consumers = get(glaas, f"/api/v1/artifacts/{hashes['model.bin']}/consumers")
    assert status == 200 and [j["job_type"] for j in consumers["jobs"]] == ["put"]
    assert get(glaas, f"/api/v1/artifacts/{hashes['model.bin']}/producer")[0] == 200
    # the recorded remote URL names the artifact
    reg = json.loads(roard.roarctl("register", "-y", "--json", f"file://{remote}/model.bin", cwd=workspace,
                                   check=True).stdout)
    assert reg["kind"] == "artifact" and reg["artifacts"][0]["hash"] == hashes["model.bin"]
    assert reg["new"].get("jobs", 0) == 0      # all of it came with the put
    unknown = roard.roarctl("register", "-y", "s3://nowhere/x", cwd=workspace)
    assert unknown.returncode == 4 and "no get or put" in unknown.stderr


def test_reproduce_a_hash_known_only_to_the_server(roard: RoarEnv, workspace: Path, glaas: GlaasServer,
                                                    tmp_path: Path):
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(workspace, "remote", "add", "origin", str(remote))
    hashes = pipeline(roard, workspace)
    git(workspace, "push", "-q", "origin", "main")
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    roard.roarctl("register", "-y", "metrics.json", cwd=workspace, check=True)

    # another user (own daemon, state and workspaces) on another machine, so to speak
    other = make_env(tmp_path / "other")
    try:
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        git(fresh, "init", "-q", "-b", "main")
        other.roarctl("init", "-n", cwd=fresh, check=True)
        target = hashes["metrics.json"]
        nourl = other.roarctl("reproduce", target, cwd=fresh)
        assert nourl.returncode == 4 and "glaas.url" in nourl.stderr, nourl.stderr
        other.roarctl("config", "set", "glaas.url", glaas.url, cwd=fresh, check=True)
        plan = other.roarctl("reproduce", target, cwd=fresh, check=True).stdout
        assert f"the lineage came from {glaas.url}" in plan
        assert str(remote) in plan and "@3" in plan
        run = other.roarctl("reproduce", target, "--run", "-y", cwd=fresh, timeout=600)
        assert run.returncode == 0, (run.stdout, run.stderr)
        assert "identical" in run.stdout
        unknown = other.roarctl("reproduce", "ab" * 32, cwd=fresh)
        assert unknown.returncode == 4 and "does not know it" in unknown.stderr
    finally:
        other.stop_daemon()


def test_register_a_directory_put_as_a_whole(roard: RoarEnv, workspace: Path, glaas: GlaasServer, tmp_path: Path):
    """A directory is a composite artifact: registering it sends its components and the
    lineage of the jobs that wrote them."""
    roard.roarctl("run", PYTHON, "-c", "import os; os.makedirs('out', exist_ok=True); "
                  "open('out/a.txt', 'w').write('A'); open('out/b.txt', 'w').write('B')", cwd=workspace, check=True)
    remote = tmp_path / "remote"
    remote.mkdir()
    roard.roarctl("put", "out", f"file://{remote}/out", "-m", "both", "--no-tag", cwd=workspace, check=True)
    roard.roarctl("config", "set", "glaas.url", glaas.url, cwd=workspace, check=True)
    reg = json.loads(roard.roarctl("register", "-y", "--json", "out", cwd=workspace, check=True).stdout)
    composite = reg["artifacts"][0]["hash"]
    assert reg["kind"] == "artifact" and reg["new"]["jobs"] >= 1
    status, parts = get(glaas, f"/api/v1/artifacts/{composite}/components")
    assert status == 200 and sorted(c["path"] for c in parts) == ["a.txt", "b.txt"]
    a = blake3.blake3(b"A").hexdigest()
    status, producer = get(glaas, f"/api/v1/artifacts/{a}/producer")
    assert status == 200 and producer["jobs"][0]["job_type"] == "run"
