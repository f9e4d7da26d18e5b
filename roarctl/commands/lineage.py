"""roarctl dag, diff and export."""
from __future__ import annotations

import itertools
import os
import sys
import tempfile
from typing import Any, Iterable, Iterator

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.errors import ClientError
from roarctl.render import command_line, emit_json, fit, human_size, message_dict, short_hash


def _label(node) -> str:
    return fit(command_line(node.argv), 60)


def render_dot(dag) -> str:
    from roar_api.graphviz import DotNode, digraph

    nodes = []
    for n in dag.nodes:
        styles = (["filled"] if n.stale else []) + (["dashed"] if n.superseded or n.superseded_by else [])
        attrs = {"style": ",".join(styles)} if styles else {}
        if n.stale:
            attrs["fillcolor"] = "#ffe0a0"
        nodes.append(DotNode(n.job_uid, f"{n.ref}\n{_label(n)}", attrs))
    refs = {n.ref: n.job_uid for n in dag.nodes if not n.superseded}
    edges = [(refs[dep], n.job_uid) for n in dag.nodes for dep in n.depends_on if dep in refs]
    return digraph(nodes, edges)


def render_mermaid(dag) -> str:
    lines = ["flowchart LR"]
    ids = {}
    for i, n in enumerate(dag.nodes):
        ids.setdefault(n.ref, f"n{i}")
        text = f"{n.ref} {_label(n)}".replace('"', "'")
        lines.append(f'  n{i}["{text}"]')
        if n.stale:
            lines.append(f"  style n{i} fill:#ffe0a0")
    for i, n in enumerate(dag.nodes):
        for dep in n.depends_on:
            if dep in ids:
                lines.append(f"  {ids[dep]} --> n{i}")
    return "\n".join(lines)


@click.command()
@click.option("--expanded", is_flag=True, help="Every execution, superseded re-runs marked.")
@click.option("--show-artifacts", is_flag=True, help="List each step's outputs with their hashes.")
@click.option("--stale-only", is_flag=True, help="Only steps that are stale, with the reasons.")
@click.option("--format", "fmt", type=click.Choice(["text", "dot", "mermaid"]), default="text",
              help="dot or mermaid for a picture.")
@json_option
@click.pass_obj
def dag(opts: Options, expanded: bool, show_artifacts: bool, stale_only: bool, fmt: str,
        as_json: bool) -> None:
    """The pipeline DAG of the active session: what is true now."""
    from roar_api.v1 import lineage_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    d = client.call(stubs.lineage.GetDag, lineage_pb2.GetDagRequest(workspace=os.getcwd(), expanded=expanded))
    if stale_only:
        keep = [n for n in d.nodes if n.stale]
        del d.nodes[:]
        d.nodes.extend(keep)
    if as_json:
        emit_json(message_dict(d))
        return
    if fmt == "dot":
        click.echo(render_dot(d))
        return
    if fmt == "mermaid":
        click.echo(render_mermaid(d))
        return
    if not d.nodes:
        click.echo("no stale steps" if stale_only else "the session has no jobs yet")
        return
    click.echo(f"session {d.session_id[:12]}  lineage {short_hash(d.lineage_hash, 16)}")
    for node in d.nodes:
        deps = f"  <- {', '.join(node.depends_on)}" if node.depends_on else ""
        marks = []
        if node.exit_code:
            marks.append(f"exit {node.exit_code}")
        if node.superseded:
            marks.append("superseded")
        elif node.superseded_by:
            marks.append(f"superseded by {', '.join(node.superseded_by)}")
        if node.stale:
            marks.append(click.style("stale", fg="yellow"))
        mark = f"  ({', '.join(marks)})" if marks else ""
        click.echo(f"{node.ref:>5}  {command_line(node.argv)}{mark}{deps}")
        for reason in node.stale_reasons:
            click.echo(f"         ! {reason}")
        if show_artifacts:
            for f in node.outputs:
                click.echo(f"         -> {f.path}  {short_hash(f.hash)}")
        else:
            outs = ", ".join(f.path for f in node.outputs[:4])
            more = f" +{len(node.outputs) - 4}" if len(node.outputs) > 4 else ""
            if outs:
                click.echo(f"         -> {outs}{more}")


@click.command("diff")
@click.argument("a")
@click.argument("b")
@json_option
@click.pass_obj
def diff_(opts: Options, a: str, b: str, as_json: bool) -> None:
    """What differs between how A and B came to be (artifacts: path or hash; jobs: @N or uid):
    input data, code, command and parameters, packages, environment."""
    from roar_api.v1 import lineage_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    d = client.call(stubs.lineage.DiffLineage, lineage_pb2.DiffLineageRequest(workspace=os.getcwd(), a=a, b=b))
    if as_json:
        emit_json(message_dict(d))
        return
    click.echo(f"A: {d.a}\nB: {d.b}")
    if not d.sections:
        click.echo("their lineages do not differ in data, code, command, packages or environment")
        return
    for section in d.sections:
        click.echo(f"\n{section.kind}")
        for line in section.lines:
            click.echo(f"  {line}")


EXPORT_FORMATS = ("prov-json", "openlineage", "dot")


def _export_chunks(stubs: client.Stubs, request: Any) -> Iterator[Any]:
    """The daemon's chunks; a gRPC error (raised before the first chunk) as a client error."""
    from roarctl import wire

    try:
        yield from stubs.lineage.ExportLineage(request)
    except wire.RpcError as exc:
        raise client.translate(exc) from None


def _write_atomically(path: str, chunks: Iterable[bytes]) -> int:
    """Write to a temporary name next to ``path``, then rename: readers never see half a file."""
    target = os.path.abspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.")
    try:
        with os.fdopen(fd, "wb") as out:
            size = sum(out.write(chunk) for chunk in chunks)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return size


@click.command("export")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="prov-json", show_default=True,
              help="W3C PROV-JSON, OpenLineage run events (JSON lines) or Graphviz dot.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically: a temporary name, then a rename) instead of stdout.")
@click.pass_obj
def export(opts: Options, ref: str, fmt: str, output: str | None) -> None:
    """Export the lineage of REF to a standard format. REF is an artifact (path or hash prefix:
    the job that wrote it and everything upstream) or a session (`current`, a session id or a
    lineage hash prefix: its current DAG). Environment values are never exported."""
    from roar_api.v1 import lineage_pb2

    stubs = client.connect(opts)
    chunks = _export_chunks(stubs, lineage_pb2.ExportLineageRequest(workspace=os.getcwd(), ref=ref, format=fmt))
    first = next(chunks)
    data = itertools.chain([first.data], (c.data for c in chunks))
    if output in (None, "-"):
        for piece in data:
            sys.stdout.buffer.write(piece)
        sys.stdout.flush()
        return
    try:
        size = _write_atomically(output, data)
    except OSError as exc:
        raise ClientError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"exported {first.scope} ({first.job_count} jobs, {human_size(size)}) to {output}", err=True)
