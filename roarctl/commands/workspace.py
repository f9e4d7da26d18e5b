"""roarctl init / status / reset."""
from __future__ import annotations

import os
import sys

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option, yes_option
from roarctl.render import checklist, emit_json, message_dict, short_hash


@click.command()
@click.option("-y", "gitignore", flag_value="yes", help="Add .roar/ to .gitignore without asking.")
@click.option("-n", "gitignore", flag_value="no", help="Do not touch .gitignore.")
@json_option
@click.pass_obj
def init(opts: Options, gitignore: str | None, as_json: bool) -> None:
    """Make this directory a roar workspace (.roar/ with config.toml and the database)."""
    from roar_api.v1 import workspaces_pb2

    opts.json = as_json
    if gitignore is None:
        if sys.stdin.isatty() and not as_json:
            gitignore = "yes" if click.confirm("Add .roar/ to .gitignore?", default=True) else "no"
        else:
            gitignore = "no"
    stubs = client.connect(opts)
    resp = client.call(stubs.workspaces.InitWorkspace, workspaces_pb2.InitWorkspaceRequest(
        path=os.getcwd(), add_to_gitignore=gitignore == "yes"))
    if as_json:
        emit_json(message_dict(resp))
        return
    root = resp.workspace.root
    click.echo(f"Initialized roar workspace in {root}/.roar" if resp.created
               else f"{root} is already a roar workspace")
    if resp.gitignore_updated:
        click.echo("Added .roar/ to .gitignore")


@click.command()
@click.option("--untracked-dirs", is_flag=True,
              help="List output directories a clean checkout would not recreate.")
@json_option
@click.pass_obj
def status(opts: Options, as_json: bool, untracked_dirs: bool = False) -> None:
    """Summary of the active session: jobs, lineage hash, unsourced inputs, checklist."""
    from roar_api.v1 import workspaces_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    ws = client.call(stubs.workspaces.GetWorkspace, workspaces_pb2.GetWorkspaceRequest(path=os.getcwd()))
    if as_json:
        emit_json(message_dict(ws))
        return
    s = ws.session
    click.echo(f"workspace  {ws.root}")
    click.echo(f"session    {s.id[:12]}  ({s.job_count} job(s))")
    click.echo(f"lineage    {s.lineage_hash or '-'}")
    failed = [j for j in ws.jobs if j.status != "ok"]
    if failed:
        click.echo(f"not ok     {', '.join(f'{j.ref} ({j.status})' for j in failed)}")
    if ws.superseded:
        click.echo("superseded " + ", ".join(f"{s.ref} (outputs overwritten by {', '.join(s.by)})"
                                             for s in ws.superseded))
    if untracked_dirs:
        if ws.untracked_output_dirs:
            click.echo("output directories a clean checkout would not recreate (commit a .gitkeep in each):")
            for d in ws.untracked_output_dirs:
                click.echo(f"  {d}/")
        else:
            click.echo("every output directory is tracked by git")
        return
    if ws.unsourced_inputs:
        click.echo(f"unsourced  {len(ws.unsourced_inputs)} input(s) neither produced by a job nor committed:")
        for f in ws.unsourced_inputs:
            click.echo(f"  {f.path}  {short_hash(f.hash)}")
    if ws.checklist:
        click.echo()
        checklist(ws.checklist)


@click.command()
@yes_option
@click.pass_obj
def reset(opts: Options, yes: bool) -> None:
    """Start a fresh session (earlier sessions stay in the database)."""
    from roar_api.v1 import workspaces_pb2

    if not yes:
        click.confirm("Start a new session? The current one is kept in the database", abort=True)
    stubs = client.connect(opts)
    sess = client.call(stubs.workspaces.ResetSession, workspaces_pb2.ResetSessionRequest(workspace=os.getcwd()))
    click.echo(f"new session {sess.id[:12]}")
