"""The one lineage walk (roard/lineage/graph.py) on built records: links, upstream and
downstream, the current DAG, staleness and the `@N --upstream` set; and the views read from a
store (the re-run plan, an artifact's checklist)."""
from __future__ import annotations

from pathlib import Path

from roard.lineage import views
from roard.lineage.graph import (LineageGraph, current_dag, downstream_steps, lineage_hash, lineage_of,
                                 stale_upstream, upstream_steps)
from tests.unit.records import Session, store_with


def pipeline() -> tuple[Session, list]:
    s = Session()
    prep = s.run("python prep.py", reads={"raw.csv": "r1", "prep.py": "p1"}, writes={"clean.csv": "c1"})
    train = s.run("python train.py", reads={"clean.csv": "c1", "train.py": "t1"}, writes={"model.bin": "m1"})
    report = s.run("python report.py", reads={"model.bin": "m1"}, writes={"report.txt": "x1"})
    return s, [prep, train, report]


def refs(jobs) -> list[str]:
    return [j.ref for j in jobs]


def test_jobs_link_by_content_even_when_the_file_was_renamed() -> None:
    s = Session()
    a = s.run("python a.py", writes={"out/a.csv": "h1"})
    b = s.run("python b.py", reads={"moved/a.csv": "h1"})
    graph = LineageGraph(s.jobs)
    assert graph.producers(b) == [a]
    assert refs(graph.upstream(b)) == ["@1", "@2"] and refs(graph.downstream(a)) == ["@1", "@2"]


def test_an_input_links_to_the_most_recent_earlier_writer() -> None:
    s = Session()
    first = s.run("python gen.py --v 1", writes={"d.csv": "same"})
    second = s.run("python gen.py --v 2", writes={"d.csv": "same"})
    reader = s.run("python use.py", reads={"d.csv": "same"})
    assert LineageGraph(s.jobs).producers(reader) == [second]
    assert first not in LineageGraph(s.jobs).upstream(reader)


def test_record_order_decides_across_sessions() -> None:
    old, new = Session("old"), Session("new", start=100.0)
    writer = old.run("python make.py", writes={"a": "h"})
    reader = new.run("python use.py", reads={"a": "h"})
    # given out of order, the walk still finds the earlier writer (by when each finished)
    assert lineage_of(reader, [reader, writer]) == [writer, reader]
    assert lineage_of(writer, [reader, writer]) == [writer]


def test_current_dag_collapses_reruns_and_links_to_the_current_execution() -> None:
    s, (prep, train, _) = pipeline()
    rerun = s.run("python prep.py", reads={"raw.csv": "r1", "prep.py": "p1"}, writes={"clean.csv": "c1"})
    nodes = current_dag(s.jobs)
    assert [(n.job.ref, n.job.uid) for n in nodes] == [("@2", train.uid), ("@3", s.jobs[2].uid), ("@1", rerun.uid)]
    assert {n.job.ref: n.depends_on for n in nodes} == {"@1": [], "@2": ["@1"], "@3": ["@2"]}
    expanded = current_dag(s.jobs, expanded=True)
    assert [n.superseded for n in expanded] == [True, False, False, False]
    assert expanded[0].job is prep


def test_an_upstream_rerun_that_rewrote_an_input_makes_the_step_and_its_downstream_stale() -> None:
    s, _ = pipeline()
    s.run("python prep.py", reads={"raw.csv": "r2", "prep.py": "p1"}, writes={"clean.csv": "c2"})
    nodes = {n.job.ref: n for n in current_dag(s.jobs)}
    assert not nodes["@1"].stale
    assert nodes["@2"].stale_reasons == ["clean.csv was rewritten by @1 after @2 read it"]
    assert nodes["@3"].stale_reasons == ["upstream @2 is stale"]


def test_the_disk_check_finds_changed_and_missing_inputs() -> None:
    s, _ = pipeline()
    disk = {"/w/raw.csv": "r-edited", "/w/prep.py": "p1", "/w/clean.csv": "c1", "/w/train.py": None,
            "/w/model.bin": "m1"}
    nodes = {n.job.ref: n for n in current_dag(s.jobs, disk_hash=disk.get)}
    assert nodes["@1"].stale_reasons == ["raw.csv changed on disk since @1 read it"]
    assert nodes["@2"].stale_reasons == ["train.py is gone from disk", "upstream @1 is stale"]
    assert nodes["@3"].stale_reasons == ["upstream @2 is stale"]
    assert not any(n.stale for n in current_dag(s.jobs))   # no disk check, nothing stale


def test_upstream_downstream_and_the_stale_set() -> None:
    s, _ = pipeline()
    side = s.run("python side.py", reads={"raw.csv": "r1"}, writes={"side.txt": "s1"})
    nodes = current_dag(s.jobs, disk_hash={"/w/raw.csv": "r-edited"}.get)
    assert refs(upstream_steps(nodes, "@3")) == ["@1", "@2", "@3"]
    assert refs(downstream_steps(nodes, "@1")) == ["@1", "@2", "@3"]
    assert refs(downstream_steps(nodes, side.ref)) == [side.ref]
    assert refs(stale_upstream(nodes, "@3")) == ["@1", "@2"]
    assert stale_upstream(nodes, "@1") == []


def test_lineage_hash_is_content_only() -> None:
    a, _ = pipeline()
    b, _ = pipeline()
    for job in b.jobs:
        job.uid, job.started_at, job.ended_at = "other" + job.uid, job.started_at + 1000, job.ended_at + 1000
    assert lineage_hash(a.jobs) == lineage_hash(b.jobs) != ""
    b.jobs[0].outputs[0].hash = "changed"
    assert lineage_hash(a.jobs) != lineage_hash(b.jobs)


async def test_rerun_plan_puts_stale_upstream_steps_first(tmp_path: Path) -> None:
    s, _ = pipeline()
    store = await store_with(tmp_path, s)
    edited = {"/w/raw.csv": "r-edited"}.get
    plan = await views.rerun_plan(store, "@3", upstream=True, disk_hash=edited)
    assert refs(plan.steps) == ["@1", "@2", "@3"] and plan.stale_upstream == ["@1", "@2"]
    plan = await views.rerun_plan(store, "@3", upstream=False, disk_hash=edited)
    assert refs(plan.steps) == ["@3"] and plan.stale_upstream == ["@1", "@2"]
    await store.close()


async def test_an_artifacts_checklist_covers_its_lineage(tmp_path: Path) -> None:
    s, _ = pipeline()
    store = await store_with(tmp_path, s)
    art = await views.describe_artifact(store, "/w/model.bin", "/w")
    assert art.produced_by == "@2" and art.consumed_by == ["@3"]
    code = next(i for i in art.checklist if i.name == "code committed to git")
    assert not code.ok and code.detail.startswith("@1, @2 ran outside a git repository")
    await store.close()
