"""roarctl dag."""
from __future__ import annotations

import os

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.render import emit_json, message_dict, short_hash


@click.command()
@click.option("--show-artifacts", is_flag=True, help="List each step's outputs with their hashes.")
@json_option
@click.pass_obj
def dag(opts: Options, show_artifacts: bool, as_json: bool) -> None:
    """The pipeline DAG of the active session."""
    from roar_api.v1 import lineage_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    d = client.call(stubs.lineage.GetDag, lineage_pb2.GetDagRequest(workspace=os.getcwd()))
    if as_json:
        emit_json(message_dict(d))
        return
    if not d.nodes:
        click.echo("the session has no jobs yet")
        return
    click.echo(f"session {d.session_id[:12]}  lineage {short_hash(d.lineage_hash, 16)}")
    for node in d.nodes:
        deps = f"  <- {', '.join(node.depends_on)}" if node.depends_on else ""
        status = "" if node.exit_code == 0 else f"  (exit {node.exit_code})"
        click.echo(f"{node.ref:>5}  {' '.join(node.argv)}{status}{deps}")
        if show_artifacts:
            for f in node.outputs:
                click.echo(f"         -> {f.path}  {short_hash(f.hash)}")
        else:
            outs = ", ".join(f.path for f in node.outputs[:4])
            more = f" +{len(node.outputs) - 4}" if len(node.outputs) > 4 else ""
            if outs:
                click.echo(f"         -> {outs}{more}")
