"""The lineage picture: DOT generation, a real `dot -Tsvg` layout (left to right, one linked
SVG node per record), the content cache, and the plain-list answer when dot is missing."""
from __future__ import annotations

import asyncio
import re
import shutil
import threading

import pytest

from glaas.web import dagsvg
from glaas.web.dagsvg import (
    ARTIFACT,
    JOB,
    MAX_NODES,
    NO_DOT,
    Dag,
    DagNode,
    Picture,
    render_svg,
    render_svg_blocking,
    to_dot,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed (scripts/setup.sh --test)")


def pipeline() -> Dag:
    """raw.csv -> @1 prepare -> clean.csv -> @2 train -> model.pt."""
    dag = Dag()
    dag.add_node(DagNode("a:raw", ARTIFACT, "raw.csv", "/artifact/" + "a" * 64, detail="1.0 KiB"))
    dag.add_node(DagNode("j:1", JOB, "@1 python prepare.py", "/job/j1", detail="exit 0"))
    dag.add_node(DagNode("a:clean", ARTIFACT, "clean.csv", "/artifact/" + "b" * 64))
    dag.add_node(DagNode("j:2", JOB, "@2 python train.py --lr 0.1", "/job/j2"))
    dag.add_node(DagNode("a:model", ARTIFACT, 'model "v1" <best>.pt', "/artifact/" + "c" * 64, focus=True))
    for src, dst in (("a:raw", "j:1"), ("j:1", "a:clean"), ("a:clean", "j:2"), ("j:2", "a:model")):
        dag.add_edge(src, dst)
    return dag


def test_dot_source_escapes_labels_and_links_every_node() -> None:
    source = to_dot(pipeline())
    assert "rankdir=LR" in source
    assert source.count("URL=") == 5
    assert 'model &quot;v1&quot; &lt;best&gt;.pt' in source  # HTML-like label, escaped
    assert source.count("->") == 4


def test_edges_only_between_nodes_in_the_picture() -> None:
    dag = pipeline()
    dag.add_edge("a:raw", "j:missing")
    assert len(dag.edges) == 4


def test_a_picture_is_cut_at_max_nodes_and_says_so() -> None:
    dag = Dag()
    for i in range(MAX_NODES + 5):
        dag.add_node(DagNode(f"a:{i}", ARTIFACT, f"f{i}", f"/artifact/{i}"))
    assert len(dag.nodes) == MAX_NODES and dag.truncated


@needs_dot
def test_svg_has_one_linked_node_per_record_laid_out_left_to_right() -> None:
    dagsvg.svg_cache.clear()
    svg = render_svg_blocking(pipeline())
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    nodes = re.findall(r'<g id="(job|artifact)&#45;n(\d+)" class="node (job|artifact)">(.*?)</g>\n</g>', svg, re.S)
    assert [(kind, int(i)) for kind, i, _, _ in nodes] == [
        ("artifact", 0), ("job", 1), ("artifact", 2), ("job", 3), ("artifact", 4)]
    hrefs = re.findall(r'xlink:href="([^"]+)"', svg)
    assert sorted(hrefs) == sorted(n.href for n in pipeline().nodes)
    # Left to right: each node of the chain starts further right than the one before it.
    xs = [min(float(x) for x in re.findall(r'<text[^>]* x="([\d.-]+)"', body)) for _, _, _, body in nodes]
    assert xs == sorted(xs) and len(set(xs)) == 5


@needs_dot
def test_the_same_graph_is_laid_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    dagsvg.svg_cache.clear()
    first = render_svg_blocking(pipeline())
    calls = []
    monkeypatch.setattr(dagsvg, "run_dot", lambda source, program: calls.append(source) or "<svg/>")
    assert render_svg_blocking(pipeline()) == first
    assert asyncio.run(render_svg(pipeline())).svg == first
    assert calls == []
    changed = pipeline()
    changed.add_node(DagNode("a:extra", ARTIFACT, "extra.txt", "/artifact/x"))
    assert render_svg_blocking(changed) == "<svg/>" and len(calls) == 1


@needs_dot
def test_render_runs_dot_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    dagsvg.svg_cache.clear()
    on_main_thread = []
    real = dagsvg.run_dot

    def spy(source: str, program: str) -> str:
        on_main_thread.append(threading.current_thread() is threading.main_thread())
        return real(source, program)

    monkeypatch.setattr(dagsvg, "run_dot", spy)
    picture = asyncio.run(render_svg(pipeline()))
    assert picture.svg.startswith("<svg") and on_main_thread == [False]


def test_without_dot_the_answer_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    dagsvg.svg_cache.clear()
    monkeypatch.setenv("PATH", "/nonexistent")
    assert render_svg_blocking(pipeline()) is None
    assert asyncio.run(render_svg(pipeline())) == Picture(None, NO_DOT)


def test_dot_failure_is_one_sentence_and_the_page_lists_instead(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(dagsvg.DotError, match="dot failed: syntax error in line 1"):
        dagsvg.run_dot("digraph {", str(fake))
    dagsvg.svg_cache.clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    assert asyncio.run(render_svg(pipeline())) == Picture(None, "The lineage picture could not be drawn this time")


@needs_dot
def test_one_dot_process_draws_many_pictures_and_a_dead_one_is_replaced() -> None:
    from glaas.web.dotworkers import DotPool

    pool = DotPool(shutil.which("dot"), size=1)
    worker = pool.idle.queue[0]
    sources = []
    for i in range(3):
        dag = pipeline()
        dag.add_node(DagNode(f"a:extra{i}", ARTIFACT, f"extra{i}.txt", f"/artifact/{i}"))
        sources.append(to_dot(dag))
    first = pool.render(sources[0], 20)
    pid = worker.proc.pid
    assert "extra0.txt" in first and first.rstrip().endswith("</svg>")
    assert "extra1.txt" in pool.render(sources[1], 20) and worker.proc.pid == pid
    worker.proc.kill()
    worker.proc.wait()
    assert "extra2.txt" in pool.render(sources[2], 20) and worker.proc.pid != pid
    worker.stop()
