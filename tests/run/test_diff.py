"""roarctl diff: two models trained with different parameters, and two jobs."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git
from tests.run.helpers import PY, run_json, write_script

TRAIN = """
import argparse
p = argparse.ArgumentParser(); p.add_argument("--epochs", type=int); p.add_argument("--out")
a = p.parse_args()
data = open("data.csv").read()
open(a.out, "w").write(f"model({len(data)}, epochs={a.epochs})")
"""


def test_diff_of_two_models(roard, workspace: Path) -> None:
    write_script(workspace, "train.py", TRAIN)
    (workspace / "data.csv").write_text("x\n1\n")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "train")
    roard.roarctl("env", "set", "SEED", "1", cwd=workspace, check=True)
    run_json(roard, workspace, PY, "train.py", "--epochs", "1", "--out", "m1.txt")
    (workspace / "data.csv").write_text("x\n1\n2\n")
    roard.roarctl("env", "set", "SEED", "2", cwd=workspace, check=True)
    run_json(roard, workspace, PY, "train.py", "--epochs", "5", "--out", "m2.txt")
    d = json.loads(roard.roarctl("diff", "m1.txt", "m2.txt", "--json", cwd=workspace, check=True).stdout)
    sections = {s["kind"]: s["lines"] for s in d["sections"]}
    assert [s["kind"] for s in d["sections"]][:1] == ["data"]  # most consequential first
    assert any(line.startswith("data.csv:") for line in sections["data"])
    assert any("1 -> 5" in line for line in sections["command"])
    assert sections["environment"] == ["SEED: 1 -> 2"]
    # same commit; but data.csv is tracked and was edited, so B ran on a dirty tree
    assert not any(line.startswith("commits:") for line in sections["code"])
    assert any("B's @2 ran with uncommitted changes" in line for line in sections["code"])
    text = roard.roarctl("diff", "@1", "@2", cwd=workspace, check=True).stdout
    assert "data.csv" in text and "SEED: 1 -> 2" in text


def test_diff_identical_and_bad_refs(roard, workspace: Path) -> None:
    run_json(roard, workspace, "sh", "-c", "cat README.md > a.txt")
    out = roard.roarctl("diff", "a.txt", "@1", cwd=workspace, check=True).stdout
    assert "do not differ" in out
    proc = roard.roarctl("diff", "a.txt", "nope.txt", cwd=workspace)
    assert proc.returncode == 4 and "nope.txt" in proc.stderr
