"""The current DAG: re-runs collapse, staleness downstream of a re-run or an edit by hand."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.run.helpers import PY, write_script


@pytest.fixture
def diamond(roard, workspace: Path) -> Path:
    """a -> (b, c) -> d, with b's behaviour controlled by a parameter."""
    ws = workspace
    write_script(ws, "a.py", "open('a.out','w').write(open('seed.txt').read())\n")
    write_script(ws, "b.py", "import sys\nopen('b.out','w').write(open('a.out').read() + sys.argv[1])\n")
    write_script(ws, "c.py", "open('c.out','w').write(open('a.out').read() + 'c')\n")
    write_script(ws, "d.py", "open('d.out','w').write(open('b.out').read() + open('c.out').read())\n")
    (ws / "seed.txt").write_text("seed")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "diamond")
    for cmd in (["a.py"], ["b.py", "1"], ["c.py"], ["d.py"]):
        roard.roarctl("run", "-q", PY, *cmd, cwd=ws, check=True)
    return ws


def dag(roard, ws: Path, *flags: str) -> dict:
    return json.loads(roard.roarctl("dag", "--json", *flags, cwd=ws, check=True).stdout)


def test_fresh_diamond_is_not_stale(roard, diamond: Path) -> None:
    d = dag(roard, diamond)
    nodes = {n["ref"]: n for n in d["nodes"]}
    assert sorted(nodes["@4"]["depends_on"]) == ["@2", "@3"]
    assert nodes["@2"]["depends_on"] == ["@1"] and nodes["@3"]["depends_on"] == ["@1"]
    assert not any(n["stale"] for n in d["nodes"])


def test_rerun_of_middle_step_collapses_and_marks_downstream_stale(roard, diamond: Path) -> None:
    roard.roarctl("run", "-q", PY, "b.py", "1", cwd=diamond, check=True)  # same step, same result
    assert not any(n["stale"] for n in dag(roard, diamond)["nodes"])
    (diamond / "b.py").write_text("import sys\nopen('b.out','w').write(open('a.out').read() + sys.argv[1]*2)\n")
    git(diamond, "commit", "-qam", "b changes")
    roard.roarctl("run", "-q", PY, "b.py", "1", cwd=diamond, check=True)
    d = dag(roard, diamond)
    nodes = {n["ref"]: n for n in d["nodes"]}
    assert len(d["nodes"]) == 4 and sorted(nodes) == ["@1", "@2", "@3", "@4"]  # one node per step
    assert not nodes["@2"]["stale"] and not nodes["@3"]["stale"] and not nodes["@1"]["stale"]
    assert nodes["@4"]["stale"]
    assert any("b.out was rewritten by @2" in r for r in nodes["@4"]["stale_reasons"])
    expanded = dag(roard, diamond, "--expanded")
    assert len(expanded["nodes"]) == 6
    assert sum(n["superseded"] for n in expanded["nodes"]) == 2
    text = roard.roarctl("dag", "--stale-only", cwd=diamond, check=True).stdout
    steps = [line.split()[0] for line in text.splitlines()[1:] if line.strip().startswith("@")]
    assert steps == ["@4"] and "b.out was rewritten by @2" in text


def test_input_edited_by_hand_is_stale_with_reason(roard, diamond: Path) -> None:
    (diamond / "c.out").write_text("edited by hand")
    nodes = {n["ref"]: n for n in dag(roard, diamond)["nodes"]}
    assert nodes["@4"]["stale"]
    assert "c.out changed on disk since @4 read it" in nodes["@4"]["stale_reasons"]
    assert not nodes["@3"]["stale"]
    (diamond / "seed.txt").unlink()
    nodes = {n["ref"]: n for n in dag(roard, diamond)["nodes"]}
    assert "seed.txt is gone from disk" in nodes["@1"]["stale_reasons"]
    assert "upstream @1 is stale" in nodes["@2"]["stale_reasons"]


def test_code_change_makes_step_stale(roard, diamond: Path) -> None:
    (diamond / "c.py").write_text("open('c.out','w').write('different')\n")
    nodes = {n["ref"]: n for n in dag(roard, diamond)["nodes"]}
    assert "c.py changed on disk since @3 read it" in nodes["@3"]["stale_reasons"]
    assert "upstream @3 is stale" in nodes["@4"]["stale_reasons"]


def test_dot_and_mermaid(roard, diamond: Path) -> None:
    dot = roard.roarctl("dag", "--format", "dot", cwd=diamond, check=True).stdout
    assert dot.startswith("digraph roar {") and dot.count("->") == 4
    mer = roard.roarctl("dag", "--format", "mermaid", cwd=diamond, check=True).stdout
    assert mer.startswith("flowchart LR") and mer.count("-->") == 4


def test_rerun_step_with_param_override(roard, diamond: Path) -> None:
    proc = roard.roarctl("run", "--json", "@2", "--extra=X", cwd=diamond)
    assert proc.returncode == 0, proc.stderr
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    assert job["argv"][-3:] == ["1", "--extra", "X"]
    proc = roard.roarctl("run", "--json", "@2", cwd=diamond / ".roar")  # any cwd in the workspace
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    assert job["cwd"] == str(diamond)
    proc = roard.roarctl("run", "@9", cwd=diamond)
    assert proc.returncode == 4 and "@9" in proc.stderr


def test_rerun_warns_about_stale_upstream_and_upstream_flag(roard, diamond: Path) -> None:
    (diamond / "seed.txt").write_text("new seed")  # @1's input changed: @1 and all below are stale
    proc = roard.roarctl("run", "@4", cwd=diamond)
    assert proc.returncode == 0
    assert "upstream step(s) @1, @2, @3 are stale" in proc.stderr or \
        ("stale" in proc.stderr and "--upstream" in proc.stderr)
    proc = roard.roarctl("run", "--upstream", "@4", cwd=diamond)
    assert proc.returncode == 0, proc.stderr
    order = [line.split()[2].rstrip(":") for line in proc.stderr.splitlines() if "re-running" in line]
    assert order == ["@1", "@2", "@3", "@4"]
    assert (diamond / "d.out").read_text().startswith("new seed")
    assert not any(n["stale"] for n in dag(roard, diamond)["nodes"])
