"""What roarctl prints for people: commands quoted as a shell needs them, long output lists
counted rather than dumped, and nothing cut where a program reads the output."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.run.helpers import PY, write_script


def test_run_lists_the_first_outputs_and_counts_the_rest(roard, workspace: Path) -> None:
    write_script(workspace, "many.py",
                 "import os\nos.makedirs('out', exist_ok=True)\n"
                 "for i in range(30):\n    open(f'out/f{i:02d}.txt', 'w').write(str(i))\n")
    r = roard.roarctl("run", PY, "many.py", cwd=workspace, check=True)
    wrote = [line for line in r.stderr.splitlines() if line.startswith("  wrote ")]
    assert len(wrote) == 10
    assert "  … and 20 more (roarctl show @1)" in r.stderr.splitlines()
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    assert len(job["outputs"]) == 30


def test_explain_lists_every_output(roard, workspace: Path) -> None:
    write_script(workspace, "many.py",
                 "for i in range(12):\n    open(f'f{i:02d}.txt', 'w').write(str(i))\n")
    r = roard.roarctl("run", "--explain", PY, "many.py", cwd=workspace, check=True)
    assert len([line for line in r.stderr.splitlines() if line.startswith("  wrote ")]) == 12
    assert "more (roarctl show" not in r.stderr


def test_commands_are_shown_quoted(roard, workspace: Path) -> None:
    (workspace / "data.csv").write_text("b\na\nc\n")
    argv = ["bash", "-c", "sort data.csv | head -n 2 > top.csv"]
    roard.roarctl("run", "-q", *argv, cwd=workspace, check=True)
    quoted = shlex.join(argv)
    assert quoted == "bash -c 'sort data.csv | head -n 2 > top.csv'"
    assert f"command   {quoted}" in roard.roarctl("show", "@1", cwd=workspace, check=True).stdout
    assert quoted in roard.roarctl("dag", cwd=workspace, check=True).stdout
    assert quoted in roard.roarctl("log", cwd=workspace, check=True).stdout


def test_log_does_not_cut_commands_into_a_pipe_or_json(roard, workspace: Path) -> None:
    long_arg = "x" * 150
    roard.roarctl("run", "-q", "true", long_arg, cwd=workspace, check=True)
    assert f"true {long_arg}" in roard.roarctl("log", cwd=workspace, check=True).stdout
    jobs = json.loads(roard.roarctl("log", "--json", cwd=workspace, check=True).stdout)
    assert jobs[0]["argv"] == ["true", long_arg]
