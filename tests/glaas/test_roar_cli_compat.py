"""The original client, roar-cli 0.4.7 from PyPI, registers a 2-step pipeline against this
server unchanged (`roar register -y`), and what it sent is browsable through the API."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import blake3
import pytest

ROAR_CLI = "roar-cli==0.4.7"


def roar_cli_venv() -> Path:
    """A venv with roar-cli 0.4.7, made once and cached (GLAAS_TEST_CACHE or the temp dir)."""
    cache = Path(os.environ.get("GLAAS_TEST_CACHE") or Path(tempfile.gettempdir()) / "glaas-test-cache")
    venv = cache / "roar-cli-0.4.7"
    roar = venv / "bin" / "roar"
    if roar.exists():
        return venv
    cache.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", ROAR_CLI],
                         capture_output=True, text=True, timeout=600) if made.returncode == 0 else made
    if pip.returncode != 0 or not roar.exists():
        pytest.skip(f"{ROAR_CLI} cannot be installed here: {(pip.stderr or pip.stdout).strip()[-300:]}")
    return venv


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_roar_cli_registers_a_pipeline(glaas_sqlite, tmp_path):
    roar = str(roar_cli_venv() / "bin" / "roar")
    work, home = tmp_path / "project", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "XDG_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    (work / "prep.py").write_text('open("data.csv", "w").write("a,b\\n1,2\\n3,4\\n")\n')
    (work / "train.py").write_text('rows = open("data.csv").read().splitlines()\nopen("model.txt", "w").write(str(len(rows)))\n')
    (work / ".gitignore").write_text("data.csv\nmodel.txt\n.roar/\n")
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "pipeline"]):
        assert run(cmd, work, env).returncode == 0
    setup = [[roar, "init", "-y"], [roar, "config", "set", "filters.ignore_tmp_files", "false"],
             [roar, "tracer", "use", "preload"], [roar, "config", "set", "glaas.url", glaas_sqlite.url],
             [roar, "config", "set", "glaas.web_url", glaas_sqlite.url],
             [roar, "run", "python", "prep.py"], [roar, "run", "python", "train.py"]]
    for cmd in setup:
        done = run(cmd, work, env)
        assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-2000:])

    done = run([roar, "register", "-y", "model.txt"], work, env)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    model = blake3.blake3((work / "model.txt").read_bytes()).hexdigest()
    data = blake3.blake3((work / "data.csv").read_bytes()).hexdigest()
    assert f"{glaas_sqlite.url}/artifact/{model}" in done.stdout  # the link it prints is served by the web UI

    artifact = glaas_sqlite.request("GET", f"/api/v1/artifacts/{model}")
    assert artifact.status == 200 and artifact.data["hash"] == model
    assert artifact.data["producer"]["command"] == "python train.py"
    dag = glaas_sqlite.request("GET", f"/api/v1/artifacts/{model}/dag").data
    assert [j["command"] for j in dag["jobs"]] == ["python prep.py", "python train.py"]
    assert data in {a["hash"] for a in dag["artifacts"]}
    session = glaas_sqlite.request("GET", f"/api/v1/sessions/{dag['jobs'][0]['session_hash']}")
    assert session.status == 200 and len(session.data["jobs"]) == 2

    again = run([roar, "register", "-y", "model.txt"], work, env)  # the same lineage twice: one record
    assert again.returncode == 0, again.stdout[-2000:]
    assert len(glaas_sqlite.request("GET", f"/api/v1/sessions/{session.data['hash']}").data["jobs"]) == 2
