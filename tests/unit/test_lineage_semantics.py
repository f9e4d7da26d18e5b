"""Issue 14 items 7-9 on built records: a `run @N` re-run is step N's next version, a step
whose outputs other steps overwrote is superseded, an artifact's producers are named with
their session (the active one's first); and what follows `@N` on roarctl's command line."""
from __future__ import annotations

from pathlib import Path

import pytest

from roarctl.commands.run import _command, override_params
from roarctl.errors import ClientError
from roarctl.rerun_args import check_overrides, option_specs, split_rerun_args
from roard.lineage.artifacts import job_name, order_producers, resolve_artifact
from roard.lineage.graph import current_dag
from tests.unit.records import Session, store_with


def nodes_by_ref(jobs) -> dict:
    return {n.job.ref: n for n in current_dag(jobs)}


# --- item 7: re-runs and superseded steps ---------------------------------------------------

def test_rerun_with_override_is_one_node_showing_its_latest_version() -> None:
    s = Session()
    s.run("python a.py", writes={"a.out": "a1"})
    b = s.run("python b.py 1", reads={"a.out": "a1"}, writes={"b.out": "b1"})
    s.run("python d.py", reads={"b.out": "b1"}, writes={"d.out": "d1"})
    again = s.run("python b.py 1 --C=0.5", reads={"a.out": "a1"}, writes={"b.out": "b2"}, rerun_of=b)
    nodes = nodes_by_ref(s.jobs)
    assert again.ref == "@2" and sorted(nodes) == ["@1", "@2", "@3"]
    assert nodes["@2"].job.argv[-1] == "--C=0.5" and not nodes["@2"].superseded_by
    assert any("b.out was rewritten by @2" in r for r in nodes["@3"].stale_reasons)
    expanded = current_dag(s.jobs, expanded=True)
    assert [n.superseded for n in expanded if n.job.ref == "@2"] == [True, False]


def test_step_whose_every_output_another_step_overwrote_is_superseded() -> None:
    s = Session()
    s.run("python a.py", writes={"a.out": "a1"})
    s.run("python b.py 1", reads={"a.out": "a1"}, writes={"b.out": "b1", "b.log": "l1"})
    s.run("python b2.py", reads={"a.out": "a1"}, writes={"b.out": "b2"})
    nodes = nodes_by_ref(s.jobs)
    assert not nodes["@2"].superseded_by   # b.log is still its own
    s.run("python b3.py", writes={"b.log": "l3"})
    nodes = nodes_by_ref(s.jobs)
    assert nodes["@2"].superseded_by == ["@3", "@4"]
    assert not nodes["@1"].superseded_by and not nodes["@3"].superseded_by
    assert not nodes["@2"].superseded   # still the current version of its step: in the DAG, marked


def test_an_append_builds_on_the_version_it_read_so_it_does_not_supersede() -> None:
    s = Session()
    s.run("python start.py", writes={"log.txt": "v1"})
    s.run("sh -c append", reads={"log.txt": "v1"}, writes={"log.txt": "v2"})
    nodes = nodes_by_ref(s.jobs)
    assert not nodes["@1"].superseded_by and nodes["@2"].depends_on == ["@1"]
    s.run("python restart.py", writes={"log.txt": "v3"})   # overwrites @2's version without reading it
    nodes = nodes_by_ref(s.jobs)
    assert nodes["@2"].superseded_by == ["@3"] and not nodes["@1"].superseded_by


# --- item 9: an artifact's producers --------------------------------------------------------

def test_producers_put_the_active_session_first_then_the_most_recent() -> None:
    rows = [{"role": "out", "job_uid": "u1", "session_id": "active", "kind": "run", "step": 3},
            {"role": "in", "job_uid": "u2", "session_id": "active", "kind": "run", "step": 4},
            {"role": "out", "job_uid": "u3", "session_id": "replay1", "kind": "run", "step": 1},
            {"role": "out", "job_uid": "u4", "session_id": "replay2", "kind": "build", "step": 2}]
    found = order_producers(rows, "active")
    assert [(p.ref, p.session_id) for p in found] == [("@3", "active"), ("@B2", "replay2"), ("@1", "replay1")]
    assert [p.name for p in found] == ["@3", "@B2 in session replay2", "@1 in session replay1"]
    assert job_name("@1", "0123456789abcdef", False) == "@1 in session 0123456789ab"
    assert order_producers(rows[1:2], "active") == []


async def test_an_artifact_replayed_in_another_session_names_the_active_sessions_producer(tmp_path: Path) -> None:
    work = Session("s1", start=0)
    work.run("python prep.py", writes={"clean.csv": "c1"})
    work.run("python other.py", writes={"other.txt": "o1"})
    work.run("python train.py", reads={"clean.csv": "c1"}, writes={"model.txt": "m1"})
    replay = Session("s2", start=100)   # a reproduction: the lineage only, numbered afresh, later
    replay.run("python prep.py", writes={"clean.csv": "c1"})
    replay.run("python train.py", reads={"clean.csv": "c1"}, writes={"model.txt": "m1"})
    store = await store_with(tmp_path, work, replay)
    replay_sid = await store.active_session()
    await store.activate_session((await store.session_ids())[0])   # as reproduce leaves it
    art = await resolve_artifact(store, "/w/model.txt", "/w")
    assert art.produced_by == "@3"
    assert [p.name for p in art.producers] == ["@3", f"@2 in session {replay_sid[:12]}"]
    clean = await resolve_artifact(store, "/w/clean.csv", "/w")
    assert clean.produced_by == "@1" and clean.consumed_by == ["@3", f"@2 in session {replay_sid[:12]}"]
    await store.close()


# --- item 8: what follows @N ----------------------------------------------------------------

SPECS = option_specs(_command("run", "doc").params)


def test_roarctl_options_after_the_ref_are_roarctls() -> None:
    args = split_rerun_args("@2", ["--upstream", "-q", "--json", "--tracer", "ptrace", "--explain"], SPECS)
    assert args.options == {"upstream": True, "quiet": True, "as_json": True, "tracer": "ptrace", "explain": True}
    assert args.overrides == [] and args.script == []
    assert split_rerun_args("@2", ["--tracer=preload"], SPECS).options == {"tracer": "preload"}


def test_overrides_and_script_arguments() -> None:
    args = split_rerun_args("@2", ["--C=0.5", "--epochs", "20", "--upstream", "--", "--upstream", "x"], SPECS)
    assert args.options == {"upstream": True}
    assert args.overrides == [("--C", "0.5", False), ("--epochs", "20", True)]
    assert args.script == ["--upstream", "x"]
    recorded = ["python", "train.py", "--epochs", "5", "--C=1"]
    tokens = check_overrides("@2", recorded, args)
    assert tokens == ["--C=0.5", "--epochs=20"]
    assert override_params(override_params(recorded, tokens), args.script) == \
        ["python", "train.py", "--epochs", "20", "--C=0.5", "--upstream", "x"]
    new = split_rerun_args("@2", ["--lr=0.1"], SPECS)   # not recorded: the = form adds it
    assert override_params(recorded, check_overrides("@2", recorded, new))[-2:] == ["--lr", "0.1"]


@pytest.mark.parametrize("tokens, message", [
    (["--upstrem"], "unknown option --upstrem after @2"),
    (["-x"], "unknown option -x after @2"),
    (["data.csv"], "unexpected argument 'data.csv' after @2"),
    (["--tracer"], "--tracer needs a value"),
    (["--tracer", "strace"], "--tracer is one of auto, preload, ptrace, ebpf"),
    (["--json=yes"], "--json takes no value"),
])
def test_bad_tokens_after_the_ref_are_one_sentence(tokens: list[str], message: str) -> None:
    with pytest.raises(ClientError) as err:
        split_rerun_args("@2", tokens, SPECS)
    assert err.value.exit_code == 2 and message in err.value.format_message()
    assert "\n" not in err.value.format_message()


def test_spaced_override_of_an_option_the_step_was_not_recorded_with_is_refused() -> None:
    args = split_rerun_args("@2", ["--extra", "X"], SPECS)
    with pytest.raises(ClientError, match=r"unknown option --extra after @2: .*--extra=X or put it after `--`"):
        check_overrides("@2", ["python", "b.py", "1"], args)
