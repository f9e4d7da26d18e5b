"""roarctl env set|get|list|unset."""
from __future__ import annotations

import os

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.errors import EXIT_NOT_FOUND, ClientError
from roarctl.render import emit_json


@click.group()
def env() -> None:
    """Environment variables injected into every run and build of this workspace."""


@env.command("set")
@click.argument("name")
@click.argument("value")
@click.pass_obj
def set_(opts: Options, name: str, value: str) -> None:
    """Set NAME=VALUE for future runs."""
    from roar_api.v1 import env_pb2

    stubs = client.connect(opts)
    client.call(stubs.env.SetEnv, env_pb2.SetEnvRequest(workspace=os.getcwd(), name=name, value=value))
    click.echo(f"{name}={value}")


@env.command()
@click.argument("name")
@click.pass_obj
def get(opts: Options, name: str) -> None:
    """Print NAME's value."""
    from roar_api.v1 import env_pb2

    stubs = client.connect(opts)
    resp = client.call(stubs.env.ListEnv, env_pb2.ListEnvRequest(workspace=os.getcwd()))
    for var in resp.vars:
        if var.name == name:
            click.echo(var.value)
            return
    raise ClientError(f"{name} is not set in this workspace (see `roarctl env list`)", EXIT_NOT_FOUND)


@env.command("list")
@json_option
@click.pass_obj
def list_(opts: Options, as_json: bool) -> None:
    """Every injected variable."""
    from roar_api.v1 import env_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    resp = client.call(stubs.env.ListEnv, env_pb2.ListEnvRequest(workspace=os.getcwd()))
    if as_json:
        emit_json({v.name: v.value for v in resp.vars})
        return
    for var in resp.vars:
        click.echo(f"{var.name}={var.value}")


@env.command()
@click.argument("name")
@click.pass_obj
def unset(opts: Options, name: str) -> None:
    """Stop injecting NAME."""
    from roar_api.v1 import env_pb2

    stubs = client.connect(opts)
    client.call(stubs.env.UnsetEnv, env_pb2.UnsetEnvRequest(workspace=os.getcwd(), name=name))
    click.echo(f"unset {name}")
