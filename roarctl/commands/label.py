"""roarctl label set|cp|show|history."""
from __future__ import annotations

import os

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.render import emit_json, message_dict

KIND = click.Choice(["dag", "job", "artifact"])


def _target(kind: str, ref: str):
    from roar_api.v1 import labels_pb2

    return labels_pb2.LabelTarget(workspace=os.getcwd(), kind=kind, ref=ref)


def _print(doc) -> None:
    click.echo(f"{doc.kind} {doc.entity[:16]}  version {doc.version}")
    for key in sorted(doc.labels):
        click.echo(f"  {key}={doc.labels[key]}")


@click.group()
def label() -> None:
    """Versioned labels on a DAG (current, or a session), a job (@N, uid) or an artifact."""


@label.command("set")
@click.argument("kind", type=KIND)
@click.argument("ref")
@click.argument("pairs", nargs=-1, required=True)
@click.pass_obj
def set_(opts: Options, kind: str, ref: str, pairs: tuple[str, ...]) -> None:
    """Patch labels: KEY=VALUE ... (KEY= removes KEY)."""
    from roar_api.v1 import labels_pb2

    patch = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.UsageError(f"{pair!r} is not KEY=VALUE")
        key, value = pair.split("=", 1)
        patch[key] = value
    stubs = client.connect(opts)
    _print(client.call(stubs.labels.SetLabels, labels_pb2.SetLabelsRequest(target=_target(kind, ref), patch=patch)))


@label.command("cp")
@click.argument("src_kind", type=KIND)
@click.argument("src_ref")
@click.argument("dst_kind", type=KIND)
@click.argument("dst_ref")
@click.pass_obj
def cp(opts: Options, src_kind: str, src_ref: str, dst_kind: str, dst_ref: str) -> None:
    """Copy one entity's labels onto another."""
    from roar_api.v1 import labels_pb2

    stubs = client.connect(opts)
    _print(client.call(stubs.labels.CopyLabels, labels_pb2.CopyLabelsRequest(
        source=_target(src_kind, src_ref), target=_target(dst_kind, dst_ref))))


@label.command()
@click.argument("kind", type=KIND)
@click.argument("ref")
@json_option
@click.pass_obj
def show(opts: Options, kind: str, ref: str, as_json: bool) -> None:
    """The current labels."""
    opts.json = as_json
    stubs = client.connect(opts)
    doc = client.call(stubs.labels.GetLabels, _target(kind, ref))
    if as_json:
        emit_json(message_dict(doc))
    else:
        _print(doc)


@label.command()
@click.argument("kind", type=KIND)
@click.argument("ref")
@json_option
@click.pass_obj
def history(opts: Options, kind: str, ref: str, as_json: bool) -> None:
    """Every version of the labels."""
    opts.json = as_json
    stubs = client.connect(opts)
    resp = client.call(stubs.labels.LabelHistory, _target(kind, ref))
    if as_json:
        emit_json([message_dict(d) for d in resp.versions])
        return
    if not resp.versions:
        click.echo("no labels yet")
    for doc in resp.versions:
        _print(doc)
