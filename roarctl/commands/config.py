"""roarctl config list|get|set."""
from __future__ import annotations

import os

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.render import emit_json, message_dict, table


@click.group()
def config() -> None:
    """View or change the workspace's configuration (.roar/config.toml)."""


@config.command("list")
@json_option
@click.pass_obj
def list_(opts: Options, as_json: bool) -> None:
    """Every key with its value, default and description."""
    from roar_api.v1 import config_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    resp = client.call(stubs.config.ListConfig, config_pb2.ListConfigRequest(workspace=os.getcwd()))
    if as_json:
        emit_json([message_dict(e) for e in resp.entries])
        return
    click.echo(table([(e.key, e.value + ("" if e.is_set else "  (default)"), e.description)
                      for e in resp.entries], ["key", "value", "description"]))


@config.command()
@click.argument("key")
@json_option
@click.pass_obj
def get(opts: Options, key: str, as_json: bool) -> None:
    """Print one key's value."""
    from roar_api.v1 import config_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    e = client.call(stubs.config.GetConfig, config_pb2.GetConfigRequest(workspace=os.getcwd(), key=key))
    if as_json:
        emit_json(message_dict(e))
    else:
        click.echo(e.value)


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def set_(opts: Options, key: str, value: str) -> None:
    """Set KEY to VALUE (validated; unknown keys are refused)."""
    from roar_api.v1 import config_pb2

    stubs = client.connect(opts)
    e = client.call(stubs.config.SetConfig, config_pb2.SetConfigRequest(
        workspace=os.getcwd(), key=key, value=value))
    click.echo(f"{e.key} = {e.value}")
