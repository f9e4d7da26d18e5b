"""roarctl register / login / logout / whoami: publishing lineage to a GLaaS server."""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option, yes_option
from roarctl.errors import EXIT_USAGE, ClientError
from roarctl.render import checklist, emit_json, message_dict, short_hash, table

KINDS = ("sessions", "jobs", "artifacts", "edges", "labels")


def _counts(counts: Any) -> str:
    return ", ".join(f"{counts[k]} {k if counts[k] != 1 else k[:-1]}" for k in KINDS if counts.get(k))


def _request(target: str, dry_run: bool) -> Any:
    from roar_api.v1 import registration_pb2

    return registration_pb2.CreateRegistrationRequest(
        workspace=os.getcwd(), target=target, dry_run=dry_run, environment=dict(os.environ))


def _show_redactions(reg: Any) -> None:
    if not reg.redactions:
        click.echo("secrets: none found")
        return
    click.echo(f"secrets: {len(reg.redactions)} redacted (sent as [REDACTED:<rule>]):")
    for r in reg.redactions:
        click.echo(f"  {r.path or '(value)'}  by {r.rule}")


def _receipt(reg: Any) -> None:
    click.echo(f"registered {reg.kind} {reg.target} with {reg.server} ({reg.scope})")
    new, known = _counts(reg.new), _counts(reg.known)
    click.echo(f"  new: {new or 'nothing'}")
    click.echo(f"  already known: {known or 'nothing'}")
    for link in reg.artifacts:
        click.echo(f"  artifact {short_hash(link.hash)}  {link.url}")
    for link in reg.sessions:
        click.echo(f"  dag      {short_hash(link.hash)}  {link.url}")
    if reg.checklist:
        click.echo()
        checklist(reg.checklist)


def _queue(opts: Options, stubs: Any, retry_failed: bool, drop: int | None, as_json: bool) -> None:
    from roar_api.v1 import registration_pb2

    if drop is not None:
        item = client.call(stubs.registration.DeleteQueueItem, registration_pb2.DeleteQueueItemRequest(id=drop))
        click.echo(f"dropped #{item.id} ({item.state}, {item.target})") if not as_json else emit_json(message_dict(item))
        return
    if retry_failed:
        resp = client.call(stubs.registration.RetryQueueItems, registration_pb2.RetryQueueItemsRequest())
        if not as_json:
            click.echo(f"{resp.retried} failed item(s) queued again")
    resp = client.call(stubs.registration.ListQueueItems, registration_pb2.ListQueueItemsRequest())
    if as_json:
        emit_json(message_dict(resp))
        return
    counts = ", ".join(f"{resp.counts.get(s, 0)} {s}" for s in ("pending", "delivered", "failed"))
    click.echo(f"registration queue: {counts}")
    if not resp.items:
        return
    now = time.time()
    rows = []
    for i in resp.items:
        nxt = ""
        if i.state == "pending" and i.next_try.seconds:
            wait = i.next_try.seconds - now
            nxt = "now" if wait <= 0 else f"in {wait:.0f} s"
        rows.append([f"#{i.id}", i.state, i.attempts, nxt, i.target, i.server, i.last_error[:80]])
    click.echo(table(rows, ["id", "state", "tries", "next try", "job", "server", "last error"]))


@click.command()
@click.argument("target", required=False)
@click.option("--dry-run", is_flag=True, help="Print exactly what would be sent (after secret omission); send nothing.")
@yes_option
@click.option("--queue", "show_queue", is_flag=True, help="List the background queue (pending, delivered, failed).")
@click.option("--retry-failed", is_flag=True, help="With --queue: try the failed items again.")
@click.option("--drop", type=int, metavar="ID", help="With --queue: remove item ID from the queue.")
@json_option
@click.pass_obj
def register(opts: Options, target: str | None, dry_run: bool, yes: bool, show_queue: bool,
             retry_failed: bool, drop: int | None, as_json: bool) -> None:
    """Send TARGET's lineage to the GLaaS server (glaas.url).

    TARGET: a path, an artifact hash or unique prefix, @N/@BN, a job uid, a session (lineage)
    hash, or a remote URL recorded by a put or get. Its whole upstream lineage goes (sessions,
    jobs, artifacts, composites, labels), secrets redacted. For a bare 8-hex TARGET a job uid
    wins over a session hash prefix.
    """
    opts.json = as_json
    if show_queue or retry_failed or drop is not None:
        if target:
            raise ClientError("--queue, --retry-failed and --drop take no TARGET", EXIT_USAGE)
        _queue(opts, client.connect(opts), retry_failed, drop, as_json)
        return
    if not target:
        raise ClientError("give what to register (a path, a hash, @N, a job uid or a session hash), "
                          "or --queue", EXIT_USAGE)
    stubs = client.connect(opts)
    if dry_run:
        reg = client.call(stubs.registration.CreateRegistration, _request(target, True))
        if as_json:
            emit_json({**message_dict(reg), "payload": json.loads(reg.payload_json), "payload_json": None})
            return
        click.echo(f"dry run: would register {reg.kind} {target} with {reg.server} ({reg.scope}): "
                   f"{_counts(reg.counts)}; nothing was sent")
        _show_redactions(reg)
        click.echo(reg.payload_json)
        return
    if not yes:
        preview = client.call(stubs.registration.CreateRegistration, _request(target, True))
        if not sys.stdin.isatty():
            raise ClientError("not asking on a non-interactive input: add -y to register", EXIT_USAGE)
        click.echo(f"about to register {preview.kind} {target} with {preview.server} ({preview.scope}): "
                   f"{_counts(preview.counts)}")
        _show_redactions(preview)
        if not click.confirm("register it?", default=True):
            raise ClientError("nothing was registered", 1)
    reg = client.call(stubs.registration.CreateRegistration, _request(target, False))
    if as_json:
        emit_json({**message_dict(reg), "payload_json": None})
        return
    _receipt(reg)


def _server_request(cls: Any, server: str) -> Any:
    return cls(workspace=os.getcwd(), server=server)


def _identity_lines(ident: Any) -> None:
    if not ident.logged_in:
        click.echo(f"not logged in to {ident.server} (registrations go as {ident.scope}); `roarctl login`")
        return
    expiry = ident.expires_at.ToDatetime().strftime("%Y-%m-%d %H:%M UTC") if ident.expires_at.seconds else "never"
    click.echo(f"server:  {ident.server}")
    click.echo(f"user:    {ident.user}")
    click.echo(f"scopes:  {', '.join(ident.scopes) or '-'}")
    click.echo(f"expires: {expiry}")
    click.echo(f"registrations from here go as: {ident.scope}")


@click.command()
@click.option("--server", default="", metavar="URL", help="The GLaaS server (default: glaas.url).")
@json_option
@click.pass_obj
def login(opts: Options, server: str, as_json: bool) -> None:
    """Log in to the GLaaS server with a device code: open the URL shown, enter the code and
    approve; the token is stored (0600) under $XDG_CONFIG_HOME/roar/."""
    from roar_api.v1 import registration_pb2
    from roarctl import wire

    opts.json = as_json
    stubs = client.connect(opts)
    responses = stubs.registration.Login(_server_request(registration_pb2.LoginRequest, server))
    try:
        for update in responses:
            if update.WhichOneof("update") == "prompt":
                p = update.prompt
                click.echo(f"Open {p.verification_uri} and enter the code {p.user_code}", err=as_json)
                if p.verification_uri_complete:
                    click.echo(f"  (or open {p.verification_uri_complete})", err=as_json)
                click.echo(f"Waiting for approval (the code expires in {p.expires_in // 60} min)...", err=as_json)
            else:
                if as_json:
                    emit_json(message_dict(update.identity))
                else:
                    click.echo(f"logged in to {update.identity.server} as {update.identity.user}")
                    click.echo(f"registrations from this workspace go as: {update.identity.scope}")
                return
    except wire.RpcError as exc:
        raise client.translate(exc) from None
    except KeyboardInterrupt:
        responses.cancel()
        raise ClientError("login cancelled", 130) from None
    raise ClientError("roard ended the login without a result; see the daemon log")


@click.command()
@click.option("--server", default="", metavar="URL", help="The GLaaS server (default: glaas.url).")
@click.pass_obj
def logout(opts: Options, server: str) -> None:
    """Forget the stored token for the GLaaS server."""
    from roar_api.v1 import registration_pb2

    stubs = client.connect(opts)
    resp = client.call(stubs.registration.Logout, _server_request(registration_pb2.LogoutRequest, server))
    click.echo(f"logged out of {resp.server}" if resp.forgotten else f"was not logged in to {resp.server}")


@click.command()
@click.option("--server", default="", metavar="URL", help="The GLaaS server (default: glaas.url).")
@json_option
@click.pass_obj
def whoami(opts: Options, server: str, as_json: bool) -> None:
    """Who you are on the GLaaS server: server, user, scopes, token expiry."""
    from roar_api.v1 import registration_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    ident = client.call(stubs.registration.GetIdentity, _server_request(registration_pb2.GetIdentityRequest, server))
    if as_json:
        emit_json(message_dict(ident))
        return
    _identity_lines(ident)
