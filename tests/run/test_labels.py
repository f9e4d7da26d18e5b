"""roarctl label set|cp|show|history on dag, job and artifact."""
from __future__ import annotations

import json
from pathlib import Path

from tests.run.helpers import run_json


def show(roard, ws: Path, *args: str) -> dict:
    return json.loads(roard.roarctl("label", "show", *args, "--json", cwd=ws, check=True).stdout)


def test_labels_versioned_and_copied(roard, workspace: Path) -> None:
    job = run_json(roard, workspace, "sh", "-c", "echo m > model.pt")
    roard.roarctl("label", "set", "job", "@1", "phase=train", "lr=0.001", cwd=workspace, check=True)
    roard.roarctl("label", "set", "job", "@1", "lr=0.01", cwd=workspace, check=True)
    doc = show(roard, workspace, "job", "@1")
    assert doc["labels"] == {"phase": "train", "lr": "0.01"} and doc["version"] == 2
    assert doc["entity"] == job["uid"]
    hist = json.loads(roard.roarctl("label", "history", "job", job["uid"][:8], "--json", cwd=workspace,
                                    check=True).stdout)
    assert [h["labels"].get("lr") for h in hist] == ["0.001", "0.01"]
    roard.roarctl("label", "cp", "job", "@1", "artifact", "model.pt", cwd=workspace, check=True)
    art = show(roard, workspace, "artifact", "model.pt")
    assert art["labels"] == {"phase": "train", "lr": "0.01"}
    assert art["entity"] == job["outputs"][0]["hash"]
    roard.roarctl("label", "set", "dag", "current", "owner=alice", cwd=workspace, check=True)
    assert show(roard, workspace, "dag", "current")["labels"] == {"owner": "alice"}
    roard.roarctl("label", "set", "job", "@1", "lr=", cwd=workspace, check=True)
    assert show(roard, workspace, "job", "@1")["labels"] == {"phase": "train"}


def test_label_bad_input(roard, workspace: Path) -> None:
    run_json(roard, workspace, "sh", "-c", "echo m > model.pt")
    proc = roard.roarctl("label", "set", "job", "@7", "a=b", cwd=workspace)
    assert proc.returncode == 4 and "@7" in proc.stderr
    proc = roard.roarctl("label", "set", "artifact", "missing.bin", "a=b", cwd=workspace)
    assert proc.returncode == 4 and "missing.bin" in proc.stderr
    proc = roard.roarctl("label", "set", "job", "@1", "no-equals", cwd=workspace)
    assert proc.returncode == 2
    proc = roard.roarctl("label", "set", "job", "@1", "bad key=x", cwd=workspace)
    assert proc.returncode == 2 and "label key" in proc.stderr
    assert show(roard, workspace, "job", "@1")["version"] == 0  # nothing half-written
