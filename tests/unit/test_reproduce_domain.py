"""reproduce's plan (which steps, which interpreter and packages, where each input comes from)
and its verdict, on built records and files in a temporary directory: no daemon, no tracer."""
from __future__ import annotations

from pathlib import Path

from roard.capture.runtime import Runtime
from roard.hashing import HashCache, hash_bytes_of
from roard.lineage.model import JobRecord
from roard.reproduce.plan import _packages, _source_of, plan_steps
from roard.reproduce.verdict import StepRun, judge
from tests.unit.records import Session, entry


def test_plan_steps_are_builds_first_then_the_lineage_across_sessions() -> None:
    old, new = Session("old"), Session("new", start=100.0)
    fetch = old.run("roarctl get s3://b/raw.csv raw.csv", writes={"raw.csv": "r"}, kind="get")
    old.run("python unrelated.py", writes={"x": "x"})
    build = new.run("make native", kind="build", writes={"lib.so": "l"})
    prep = new.run("python prep.py", reads={"raw.csv": "r", "lib.so": "l"}, writes={"clean.csv": "c"})
    train = new.run("python train.py", reads={"clean.csv": "c"}, writes={"model.bin": "m"})
    steps = plan_steps(train, old.jobs + new.jobs)
    assert [j.uid for j in steps] == [build.uid, fetch.uid, prep.uid, train.uid]
    assert build.ref == "@B1"


def test_packages_pin_what_was_used_and_constrain_the_rest() -> None:
    s = Session()
    s.run("python a.py", runtime={"python_version": "3.10.1", "packages_used": [{"name": "numpy", "version": "1"}],
                                  "packages_installed": [{"name": "numpy", "version": "1"},
                                                         {"name": "roar-provenance", "version": "0"},
                                                         {"name": "Pillow", "version": "9"}]})
    s.run("python b.py", runtime={"python_version": "3.11.7",
                                  "packages_used": [{"name": "roar-provenance", "version": "0"}]})
    version, pins, constraints, notes = _packages(s.jobs)
    assert version == "3.11.7" and pins == [("numpy", "1")] and constraints == [("Pillow", "9")]
    assert notes == ["the steps ran on 2 Python versions (3.10.1, 3.11.7); the reproduction uses 3.11.7"]


def test_where_each_input_comes_from(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "hashes.db")
    data = tmp_path / "copy-of-data.csv"
    data.write_bytes(b"1,2\n")
    digest = hash_bytes_of(data, data.stat().st_size)
    made_by = {"c": "@1", "r": "@2 s3://b/raw.csv"}
    assert _source_of(entry("clean.csv", "c"), made_by, "", cache, []).source == "step"
    assert _source_of(entry("raw.csv", "r"), made_by, "", cache, []).source == "get"
    assert _source_of(entry("train.py", "t", ["git-tracked"]), made_by, "", cache, []).source == "git"
    external = _source_of(entry(str(data), digest), made_by, "", cache, [])
    assert (external.source, external.available, external.detail) == ("external", True, "present, unchanged")
    gone = _source_of(entry(str(tmp_path / "gone"), digest), made_by, "", cache, [])
    assert not gone.available and gone.detail == "gone"
    found = _source_of(entry("data.csv", digest, ["unsourced"]), made_by, "", cache, [str(data)])
    assert (found.source, found.copy_from) == ("unsourced", str(data))
    missing = _source_of(entry("data.csv", "0" * 64, ["unsourced"]), made_by, "", cache, [str(data)])
    assert not missing.available and missing.detail == "not found"


def replay(original: JobRecord, outputs: dict[str, str], exit_code: int = 0, inputs=None,
           runtime: dict | None = None) -> JobRecord:
    return JobRecord(uid="r" + original.uid, session_id="replay", kind=original.kind, argv=original.argv,
                     cwd=original.cwd, started_at=0, ended_at=1, exit_code=exit_code, status="ok",
                     inputs=original.inputs if inputs is None else inputs,
                     outputs=[entry(p, h) for p, h in outputs.items()], runtime=Runtime.from_json(runtime))


def two_steps() -> tuple[JobRecord, JobRecord]:
    s = Session()
    prep = s.run("python prep.py", reads={"raw.csv": "r"}, writes={"clean.csv": "c"},
                 runtime={"python_version": "3.11.7", "packages_used": [{"name": "numpy", "version": "1"}]})
    train = s.run("python train.py", reads={"clean.csv": "c"}, writes={"model.bin": "m"})
    return prep, train


def test_verdict_identical() -> None:
    prep, train = two_steps()
    runs = [StepRun("@1", prep, [replay(prep, {"clean.csv": "c"})]),
            StepRun("@2", train, [replay(train, {"model.bin": "m"})])]
    v = judge(runs, {"m"}, rounds=1)
    assert v.identical and v.first_diverged_step == "" and [a.verdict for a in v.artifacts] == ["identical"] * 2
    assert [a.target for a in v.artifacts] == [False, True]


def test_verdict_names_the_first_diverged_step_and_its_causes() -> None:
    prep, train = two_steps()
    runs = [StepRun("@1", prep, [replay(prep, {"clean.csv": "c2"}, inputs=[entry("raw.csv", "r2")],
                                        runtime={"python_version": "3.12.0",
                                                 "packages_used": [{"name": "numpy", "version": "2"}]})]),
            StepRun("@2", train, [replay(train, {"model.bin": "m2"})])]
    v = judge(runs, {"m"}, rounds=1)
    assert not v.identical and v.first_diverged_step == "@1"
    assert v.causes == ["input raw.csv differs: recorded r, reproduced r2",
                        "different interpreter: recorded Python 3.11.7, reproduced with 3.12.0",
                        "package numpy: recorded 1, reproduced 2"]


def test_verdict_for_a_failed_step_a_missing_output_and_rounds_that_disagree() -> None:
    prep, train = two_steps()
    failed = judge([StepRun("@1", prep, [replay(prep, {}, exit_code=3)])], {"c"}, rounds=1)
    assert failed.artifacts[0].verdict == "missing"
    assert failed.causes == ["@1 exited with 3 in the reproduction (recorded: 0); see its output above"]
    rounds = judge([StepRun("@1", prep, [replay(prep, {"clean.csv": "c"}), replay(prep, {"clean.csv": "x"})])],
                   {"c"}, rounds=2)
    assert rounds.artifacts[0].verdict == "non-deterministic" and "non-deterministic" in rounds.causes[0]
    same = judge([StepRun("@2", train, [replay(train, {"model.bin": "m2"})])], {"m"}, rounds=1)
    assert same.causes == ["inputs, code, packages and interpreter were identical, so the step itself is "
                           "non-deterministic: unseeded randomness, timestamps or thread scheduling"]
