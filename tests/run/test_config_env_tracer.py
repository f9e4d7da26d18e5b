"""roarctl config, env and tracer commands end to end."""
from __future__ import annotations

import json
from pathlib import Path

from tests.run.helpers import run_json


def test_env_is_injected_and_recorded(roard, workspace: Path) -> None:
    roard.roarctl("env", "set", "SEED", "42", cwd=workspace, check=True)
    assert roard.roarctl("env", "get", "SEED", cwd=workspace, check=True).stdout.strip() == "42"
    job = run_json(roard, workspace, "sh", "-c", 'echo "$SEED" > seed.txt')
    assert (workspace / "seed.txt").read_text() == "42\n"
    assert job["env"] == {"SEED": "42"}
    assert json.loads(roard.roarctl("env", "list", "--json", cwd=workspace, check=True).stdout) == {"SEED": "42"}
    roard.roarctl("env", "unset", "SEED", cwd=workspace, check=True)
    proc = roard.roarctl("env", "get", "SEED", cwd=workspace)
    assert proc.returncode == 4 and "not set" in proc.stderr
    for bad in (("1BAD", "x"), ("LD_PRELOAD", "/evil.so")):
        proc = roard.roarctl("env", "set", *bad, cwd=workspace)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_config_set_get_and_refusals(roard, workspace: Path) -> None:
    roard.roarctl("config", "set", "output.quiet", "true", cwd=workspace, check=True)
    assert roard.roarctl("config", "get", "output.quiet", cwd=workspace, check=True).stdout.strip() == "true"
    proc = roard.roarctl("run", "sh", "-c", "echo q > q.txt", cwd=workspace, check=True)
    assert "recorded" not in proc.stderr  # output.quiet silences the summary
    entries = json.loads(roard.roarctl("config", "list", "--json", cwd=workspace, check=True).stdout)
    keys = {e["key"]: e for e in entries}
    assert keys["output.quiet"]["value"] == "true" and keys["output.quiet"]["is_set"]
    assert keys["tracer.default"]["choices"] == ["auto", "preload", "ptrace", "ebpf"]
    proc = roard.roarctl("config", "set", "no.such", "1", cwd=workspace)
    assert proc.returncode == 2 and "valid keys" in proc.stderr
    proc = roard.roarctl("config", "set", "filters.ignore_tmp_files", "maybe", cwd=workspace)
    assert proc.returncode == 2 and "true or false" in proc.stderr
    assert roard.roarctl("config", "get", "filters.ignore_tmp_files", cwd=workspace,
                         check=True).stdout.strip() == "true"  # nothing half-written


def test_tracer_status_explains(roard, workspace: Path) -> None:
    st = json.loads(roard.roarctl("tracer", "status", "--json", cwd=workspace, check=True).stdout)
    by = {t["name"]: t for t in st["tracers"]}
    assert by["preload"]["usable"] and by["preload"]["reason"] == ""
    ebpf = by["ebpf"]
    assert ebpf["usable"] == (ebpf["reason"] == ""), ebpf  # unusable always says why
    assert st["default"] == "auto" and st["auto_choice"] == "preload"
    roard.roarctl("tracer", "set-default", "preload", cwd=workspace, check=True)
    st = json.loads(roard.roarctl("tracer", "status", "--json", cwd=workspace, check=True).stdout)
    assert st["default"] == "preload"
    proc = roard.roarctl("run", "--tracer", "ebpf", "true", cwd=workspace)
    if ebpf["usable"]:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0 and "ebpf" in proc.stderr.lower() and ebpf["reason"] in proc.stderr
