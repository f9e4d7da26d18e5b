"""Lineage diff and the reproducibility checklist on built records (no daemon, no git repo)."""
from __future__ import annotations

from pathlib import Path

import pytest

from roard.errors import InvalidArgument
from roard.lineage.checklist import evaluate
from roard.lineage.diff import Side, diff_lineages, diff_refs
from tests.unit.records import Session, entry, store_with

PKGS = {"python_version": "3.11.7", "os": "Linux", "cpu": "x86", "gpu": "",
        "packages_used": [{"name": "numpy", "version": "1.26.0"}]}


def two_runs() -> tuple[Session, Session]:
    a, b = Session("a"), Session("b", start=100.0)
    for s, data, epochs, numpy in ((a, "d1", "10", "1.26.0"), (b, "d2", "20", "2.0.0")):
        runtime = {**PKGS, "packages_used": [{"name": "numpy", "version": numpy}]}
        s.run("python prep.py", reads={"raw.csv": data}, writes={"clean.csv": data + "c"}, runtime=runtime)
        s.run(f"python train.py --epochs {epochs}", reads={"clean.csv": data + "c"},
              writes={"model.bin": data + "m"}, runtime=runtime, env={"SEED": epochs})
    return a, b


def test_diff_sections_by_consequence() -> None:
    a, b = two_runs()
    result = diff_lineages(Side("A", a.jobs), Side("B", b.jobs))
    sections = dict(result.sections)
    assert list(sections) == ["data", "command", "packages", "environment"]
    assert sections["data"] == ["raw.csv: d1 -> d2"]
    assert sections["command"] == ["@2 vs @2 (python train.py): 10 -> 20"]
    assert sections["packages"] == ["numpy 1.26.0 -> 2.0.0"]
    assert sections["environment"] == ["SEED: 10 -> 20"]


def test_identical_lineages_have_no_sections() -> None:
    a, _ = two_runs()
    assert diff_lineages(Side("A", a.jobs), Side("B", a.jobs)).sections == []


async def test_diff_refs_walks_each_side_from_the_store(tmp_path: Path) -> None:
    a, b = two_runs()
    store = await store_with(tmp_path, a, b)
    result = await diff_refs(store, a.jobs[1].uid[:12], "/w/model.bin", "/w")
    assert [j.uid for j in result.a.jobs] == [j.uid for j in a.jobs]
    assert [j.uid for j in result.b.jobs] == [j.uid for j in b.jobs]
    assert result.b.label.startswith("artifact d2m")
    with pytest.raises(InvalidArgument, match="two references"):
        await diff_refs(store, "@1", "", "/w")
    await store.close()


def test_checklist_items() -> None:
    s = Session()
    s.run("python a.py", reads={"in.csv": "h"}, writes={"/tmp/o": "o"},
          git={"commit": "c1", "dirty": True, "repo_root": "/nonexistent-repo"}, runtime=PKGS)
    s.jobs[0].inputs[0].flags.append("unsourced")
    s.run("python b.py", git={"commit": "c2", "repo_root": "/nonexistent-repo"})
    items = {i.name: i for i in evaluate(s.jobs)}
    code = items["code committed to git"]
    assert not code.ok and "@1 ran with uncommitted changes" in code.detail
    assert not items["single git commit across all steps"].ok
    assert not items["commit reachable on a remote"].ok   # the repository is not there to ask
    assert items["all inputs sourced"].detail.startswith("1 unsourced: in.csv")
    assert items["all artifact paths in tracked directories"].ok   # no repo-relative outputs
    assert items["runtime captured (interpreter + packages)"].detail == "@2 have no runtime record"
    assert not items["lineage registered"].ok
    assert evaluate([]) == []


def test_checklist_without_git() -> None:
    s = Session()
    s.run("python a.py", runtime=PKGS)
    items = {i.name: i for i in evaluate(s.jobs)}
    assert items["code committed to git"].detail == "@1 ran outside a git repository or before its first commit"
    assert items["commit reachable on a remote"].detail == "no commit recorded"
    assert items["all inputs sourced"].ok and items["runtime captured (interpreter + packages)"].ok
    assert entry("x", "h").abs_path == "/w/x"
