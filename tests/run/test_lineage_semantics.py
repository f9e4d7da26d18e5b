"""Issue 14 items 7-9 with the real daemon and `roarctl run`: a re-run of @N with a parameter
overridden is step N's next version and a step whose outputs another step overwrote is marked
superseded (dag, status, --json); what follows @N is roarctl's options, overrides and, after
`--`, the script's arguments; an artifact's producer is named with its session after an
in-place reproduce, the active session's first."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RoarEnv
from tests.run.helpers import PY, run_json
from tests.run.test_current_dag import dag, diamond  # noqa: F401 (fixture: a -> (b, c) -> d)
from tests.run.test_reproduce import (STDLIB_PREPARE, STDLIB_TRAIN, env_cache, job_count,  # noqa: F401
                                      make_repo, output_hash, repro, reproduce, verdict_json)


def jobs_in_log(renv: RoarEnv, ws: Path) -> list[dict]:
    return json.loads(renv.roarctl("log", "--json", cwd=ws, check=True).stdout)


# --- item 7 -------------------------------------------------------------------------------------

def test_rerun_with_override_is_the_new_version_of_its_step(roard, diamond: Path) -> None:
    before = {j["ref"]: j for j in jobs_in_log(roard, diamond)}
    job = run_json(roard, diamond, "@2", "--C=0.5")
    assert job["ref"] == "@2" and job["argv"][-2:] == ["--C", "0.5"]
    assert job["rerun_of"] == before["@2"]["uid"]
    d = dag(roard, diamond)
    nodes = {n["ref"]: n for n in d["nodes"]}
    assert [n["ref"] for n in d["nodes"]].count("@2") == 1 and sorted(nodes) == ["@1", "@2", "@3", "@4"]
    assert nodes["@2"]["argv"][-2:] == ["--C", "0.5"] and nodes["@2"]["job_uid"] == job["uid"]
    # Typed again by hand, the overridden command is that step too.
    again = run_json(roard, diamond, PY, "b.py", "1", "--C", "0.5")
    assert again["ref"] == "@2"


def test_step_whose_output_another_step_overwrote_is_superseded(roard, diamond: Path) -> None:
    other = run_json(roard, diamond, PY, "-c", "open('b.out', 'w').write('from elsewhere')")
    assert other["ref"] == "@5"
    nodes = {n["ref"]: n for n in dag(roard, diamond)["nodes"]}
    assert nodes["@2"].get("superseded_by") == ["@5"]
    assert not nodes["@1"].get("superseded_by") and not nodes["@4"].get("superseded_by")
    assert any("b.out was rewritten by @5" in r for r in nodes["@4"]["stale_reasons"])
    text = roard.roarctl("dag", cwd=diamond, check=True).stdout
    line = next(line for line in text.splitlines() if line.strip().startswith("@2 "))
    assert "superseded by @5" in line
    status = json.loads(roard.roarctl("status", "--json", cwd=diamond, check=True).stdout)
    assert status["superseded"] == [{"ref": "@2", "by": ["@5"]}]
    assert "superseded @2 (outputs overwritten by @5)" in roard.roarctl("status", cwd=diamond, check=True).stdout
    # Re-running @2 makes its output current again: no longer superseded, @5 is.
    run_json(roard, diamond, "@2")
    nodes = {n["ref"]: n for n in dag(roard, diamond)["nodes"]}
    assert not nodes["@2"].get("superseded_by") and nodes["@5"].get("superseded_by") == ["@2"]


# --- item 8 -------------------------------------------------------------------------------------

def test_roarctl_options_after_the_step_ref_are_roarctls(roard, diamond: Path) -> None:
    (diamond / "seed.txt").write_text("new seed")
    proc = roard.roarctl("run", "@4", "--upstream", cwd=diamond)
    assert proc.returncode == 0, proc.stderr
    order = [line.split()[2].rstrip(":") for line in proc.stderr.splitlines() if "re-running" in line]
    assert order == ["@1", "@2", "@3", "@4"]
    jobs = jobs_in_log(roard, diamond)
    assert not any("--upstream" in j["argv"] for j in jobs)
    assert (diamond / "d.out").read_text().startswith("new seed")
    proc = roard.roarctl("run", "@3", "--json", "-q", cwd=diamond)
    assert proc.returncode == 0, proc.stderr
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    assert job["ref"] == "@3" and job["argv"][-1] == "c.py"


def test_arguments_after_double_dash_go_to_the_script(roard, diamond: Path) -> None:
    job = run_json(roard, diamond, "@2", "--", "--upstream", "extra")
    assert job["ref"] == "@2" and job["argv"][-2:] == ["--upstream", "extra"]
    job = run_json(roard, diamond, "@2", "--extra=X")   # an override may add a parameter
    assert job["ref"] == "@2" and job["argv"][-2:] == ["--extra", "X"]


def test_unknown_option_after_the_step_ref_is_one_sentence_and_runs_nothing(roard, diamond: Path) -> None:
    count = len(jobs_in_log(roard, diamond))
    for args, what in ((["--upstrem"], "unknown option --upstrem after @2"),
                       (["--extra", "X"], "unknown option --extra after @2"),
                       (["data.csv"], "unexpected argument 'data.csv' after @2")):
        proc = roard.roarctl("run", "@2", *args, cwd=diamond)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("roarctl: ") and what in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert len(jobs_in_log(roard, diamond)) == count


# --- item 9 -------------------------------------------------------------------------------------

OTHER = "open('other.txt', 'w').write('unrelated')\n"


def test_show_names_the_active_sessions_producer_after_an_in_place_reproduce(repro: RoarEnv, tmp_path: Path) -> None:
    ws = make_repo(repro, tmp_path, {"prepare.py": STDLIB_PREPARE, "other.py": OTHER, "train.py": STDLIB_TRAIN})
    run_json(repro, ws, PY, "prepare.py")
    run_json(repro, ws, PY, "other.py")
    train = run_json(repro, ws, PY, "train.py")
    assert train["ref"] == "@3"
    proc = reproduce(repro, ws, output_hash(train, "model.txt"), "--run", "-y", "--json")
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    replay = verdict_json(proc)["session_id"]
    assert job_count(repro, ws) == 3   # the active session is the user's again
    art = json.loads(repro.roarctl("show", "model.txt", "--json", cwd=ws, check=True).stdout)
    assert art["produced_by"] == "@3"
    producers = art["producers"]
    assert producers[0]["ref"] == "@3" and producers[0]["active_session"] and producers[0]["job_uid"] == train["uid"]
    assert producers[1]["session_id"] == replay and producers[1]["name"] == f"@2 in session {replay[:12]}"
    text = repro.roarctl("show", "model.txt", cwd=ws, check=True).stdout
    assert f"produced by  @3 (the active session, {producers[0]['session_id'][:12]})\n" in text
    assert f"also by      @2 in session {replay[:12]}" in text
