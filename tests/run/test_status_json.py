"""`roarctl status --json` stays small for a session of many Python jobs: each distinct set of
installed packages is listed once (package_sets) and each job names its set, while `show --json`
of one job keeps the full list (issue 14 item 10)."""
from __future__ import annotations

import json
from pathlib import Path

from tests.run.helpers import PY, write_script


def test_installed_packages_are_listed_once_per_distinct_set(roard, workspace: Path) -> None:
    for i in range(3):
        write_script(workspace, f"s{i}.py", f"import json\nopen('o{i}.txt', 'w').write('{i}')\n")
        roard.roarctl("run", "-q", PY, f"s{i}.py", cwd=workspace, check=True)
    full = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    installed = full["runtime"]["packages_installed"]
    assert installed, "a job run by the venv's Python records the venv's installed packages"

    status = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)
    assert [j["ref"] for j in status["jobs"]] == ["@1", "@2", "@3"]
    refs = {j["runtime"]["packages_installed_set"] for j in status["jobs"]}
    assert len(refs) == 1 and all(j["runtime"]["packages_installed"] == [] for j in status["jobs"])
    [key] = refs
    assert status["package_sets"] == {key: {"packages": installed}}


def test_jobs_without_installed_packages_name_no_set(roard, workspace: Path) -> None:
    roard.roarctl("run", "-q", "true", cwd=workspace, check=True)
    status = json.loads(roard.roarctl("status", "--json", cwd=workspace, check=True).stdout)
    assert status["jobs"][0]["runtime"]["packages_installed_set"] == ""
    assert status["package_sets"] == {}
