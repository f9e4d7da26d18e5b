"""roarctl dag."""
from __future__ import annotations

import os

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.render import emit_json, message_dict, short_hash


def _label(node) -> str:
    cmd = " ".join(node.argv)
    return cmd if len(cmd) <= 60 else cmd[:57] + "..."


def render_dot(dag) -> str:
    lines = ["digraph roar {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for n in dag.nodes:
        style = ', style=filled, fillcolor="#ffe0a0"' if n.stale else ""
        style += ", style=dashed" if n.superseded else ""
        label = f"{n.ref}\\n{_label(n)}".replace('"', '\\"')
        lines.append(f'  "{n.job_uid}" [label="{label}"{style}];')
    refs = {n.ref: n.job_uid for n in dag.nodes if not n.superseded}
    for n in dag.nodes:
        for dep in n.depends_on:
            if dep in refs:
                lines.append(f'  "{refs[dep]}" -> "{n.job_uid}";')
    lines.append("}")
    return "\n".join(lines)


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
        if node.stale:
            marks.append(click.style("stale", fg="yellow"))
        mark = f"  ({', '.join(marks)})" if marks else ""
        click.echo(f"{node.ref:>5}  {' '.join(node.argv)}{mark}{deps}")
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
