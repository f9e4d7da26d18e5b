"""Sourcing and the reproducibility checklist: inputs --unsourced, status --untracked-dirs."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git
from tests.run.helpers import run_json


def test_unsourced_inputs_with_fixes(roard, workspace: Path) -> None:
    (workspace / "loose.csv").write_text("1\n")
    run_json(roard, workspace, "sh", "-c", "cat loose.csv README.md > out.txt")
    rows = json.loads(roard.roarctl("inputs", "--unsourced", "@1", "--json", cwd=workspace, check=True).stdout)
    assert [r["path"] for r in rows] == ["loose.csv"]
    assert "git add 'loose.csv'" in rows[0]["fix"]
    text = roard.roarctl("inputs", "--unsourced", cwd=workspace, check=True).stdout
    assert "loose.csv" in text and "README.md" not in text
    all_inputs = roard.roarctl("inputs", "@1", cwd=workspace, check=True).stdout
    assert "README.md" in all_inputs


def test_checklist_and_untracked_dirs(roard, workspace: Path) -> None:
    (workspace / "results").mkdir()
    run_json(roard, workspace, "sh", "-c", "cat README.md > results/out.txt")
    ws = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)
    items = {i["name"]: i for i in ws["checklist"]}
    assert items["code committed to git"]["ok"]
    assert items["single git commit across all steps"]["ok"]
    assert not items["commit reachable on a remote"]["ok"]  # no remote in the test repo
    assert items["all inputs sourced"]["ok"]
    assert not items["all artifact paths in tracked directories"]["ok"]
    assert ws["untracked_output_dirs"] == ["results"]
    text = roard.roarctl("status", "--untracked-dirs", cwd=workspace, check=True).stdout
    assert "results/" in text
    (workspace / "results" / ".gitkeep").write_text("")
    git(workspace, "add", "results/.gitkeep")
    git(workspace, "commit", "-qm", "keep results")
    ws = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)
    assert ws["untracked_output_dirs"] == []
    # one commit across steps no longer holds after a new commit and a new step
    run_json(roard, workspace, "sh", "-c", "cat results/out.txt > results/again.txt")
    items = {i["name"]: i for i in json.loads(roard.roarctl("status", "--json", cwd=workspace,
                                                             check=True).stdout)["checklist"]}
    assert not items["single git commit across all steps"]["ok"]
    art = json.loads(roard.roarctl("show", "results/again.txt", "--json", cwd=workspace, check=True).stdout)
    names = {i["name"]: i["ok"] for i in art["checklist"]}
    assert names["single git commit across all steps"] is False and len(names) == 7
    shown = roard.roarctl("show", "results/again.txt", cwd=workspace, check=True).stdout
    assert "Reproducibility — " in shown
