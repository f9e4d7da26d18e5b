"""roarctl tracer status|set-default."""
from __future__ import annotations

import os

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.render import emit_json, message_dict


@click.group()
def tracer() -> None:
    """Tracer backends: which can run here, and the workspace's default."""


@tracer.command()
@json_option
@click.pass_obj
def status(opts: Options, as_json: bool) -> None:
    """Each backend, whether it is usable and, if not, exactly why."""
    from roar_api.v1 import tracers_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    resp = client.call(stubs.tracers.ListTracers, tracers_pb2.ListTracersRequest(workspace=os.getcwd()))
    if as_json:
        emit_json(message_dict(resp))
        return
    for t in resp.tracers:
        mark = click.style("usable", fg="green") if t.usable else click.style("unusable", fg="red")
        click.echo(f"{t.name:<8} {mark}  {t.description}")
        if t.reason:
            click.echo(f"         why: {t.reason}")
    if resp.default:
        click.echo(f"\nworkspace default: {resp.default}" + (f" (auto picks {resp.auto_choice})"
                                                           if resp.default == "auto" else ""))


@tracer.command("set-default")
@click.argument("name", type=click.Choice(["auto", "preload", "ptrace", "ebpf"]))
@click.pass_obj
def set_default(opts: Options, name: str) -> None:
    """Make NAME the workspace's tracer (config key tracer.default)."""
    from roar_api.v1 import config_pb2

    stubs = client.connect(opts)
    client.call(stubs.config.SetConfig, config_pb2.SetConfigRequest(
        workspace=os.getcwd(), key="tracer.default", value=name))
    click.echo(f"tracer.default = {name}")
