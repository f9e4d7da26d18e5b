"""``glaas-server``: serve (the default), migrate, users add, tokens create|list|revoke."""
from __future__ import annotations

import sys
import time

import click

from glaas.config import DEFAULT_HOST, DEFAULT_PORT, Settings


def _settings(data_dir: str | None, database_url: str | None) -> Settings:
    return Settings.from_env(data_dir=data_dir, database_url=database_url)


def _db(s: Settings):
    from glaas.db import Database
    from glaas.migrate import upgrade

    db = Database(s.url)
    upgrade(db)
    return db


db_options = [
    click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                 help="where the SQLite database lives (default $GLAAS_DATA_DIR or $XDG_DATA_HOME/glaas)"),
    click.option("--database-url", default=None,
                 help="a database URL instead (postgresql://user@host/db); default $GLAAS_DATABASE_URL"),
]


def with_db_options(f):
    for option in reversed(db_options):
        f = option(f)
    return f


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", envvar="GLAAS_HOST", default=DEFAULT_HOST, show_default=True, help="address to listen on ($GLAAS_HOST)")
@click.option("--port", envvar="GLAAS_PORT", type=int, default=DEFAULT_PORT, show_default=True, help="port ($GLAAS_PORT)")
@click.option("--workers", type=int, default=1, show_default=True, help="server processes (PostgreSQL for more than one)")
@click.option("--no-anonymous", is_flag=True, help="refuse registration without a token")
@click.option("--max-body-bytes", type=int, default=None, help="refuse larger request bodies with 413")
@click.option("--log-level", default="info", show_default=True)
@with_db_options
@click.pass_context
def main(ctx: click.Context, host: str, port: int, workers: int, no_anonymous: bool, max_body_bytes: int | None,
         log_level: str, data_dir: str | None, database_url: str | None) -> None:
    """GLaaS lineage registry. Without a subcommand: migrate the database, then serve."""
    ctx.ensure_object(dict)
    ctx.obj.update(data_dir=data_dir, database_url=database_url)
    if ctx.invoked_subcommand is not None:
        return
    import os

    import uvicorn

    s = _settings(data_dir, database_url)
    if no_anonymous:
        s.anonymous_writes = False
    if max_body_bytes:
        s.max_body_bytes = max_body_bytes
    _db(s).dispose()  # migrate once, before any worker starts
    # Workers build their app from the environment (uvicorn's factory), so pass settings there.
    os.environ["GLAAS_DATA_DIR"] = str(s.data_dir)
    if s.database_url:
        os.environ["GLAAS_DATABASE_URL"] = s.database_url
    os.environ["GLAAS_ANONYMOUS_WRITES"] = "1" if s.anonymous_writes else "0"
    os.environ["GLAAS_MAX_BODY_BYTES"] = str(s.max_body_bytes)
    click.echo(f"glaas-server: serving http://{host}:{port} ({'PostgreSQL' if s.database_url else s.url})", err=True)
    # access_log off: request lines are not needed and tokens must never reach a log
    uvicorn.run("glaas.asgi:app", host=host, port=port, workers=workers, log_level=log_level, access_log=False,
                proxy_headers=True)


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create or upgrade the database schema to this version."""
    s = _settings(ctx.obj["data_dir"], ctx.obj["database_url"])
    _db(s).dispose()
    click.echo("glaas-server: the database is up to date")


@main.group()
def users() -> None:
    """Local user accounts."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="an administrator")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.pass_context
def users_add(ctx: click.Context, name: str, admin: bool, password_stdin: bool) -> None:
    """Create user NAME (asks for a password, or reads it with --password-stdin)."""
    from glaas.auth.accounts import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = _db(_settings(ctx.obj["data_dir"], ctx.obj["database_url"]))
    try:
        with db.begin() as conn:
            create_user(conn, name, password, is_admin=admin)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"glaas-server: user {name} created{' (admin)' if admin else ''}")


@main.group()
def tokens() -> None:
    """API tokens (random, shown once, stored hashed)."""


def _user_id(conn, name: str) -> int:
    from glaas.auth.accounts import user_id_by_name

    uid = user_id_by_name(conn, name)
    if uid is None:
        raise click.ClickException(f"no user {name!r}; create it with: glaas-server users add {name}")
    return uid


@tokens.command("create")
@click.argument("user")
@click.option("--name", default="cli", show_default=True, help="what the token is for")
@click.option("--scope", default="read write", show_default=True, help="read, or read write")
@click.option("--expires-days", type=int, default=90, show_default=True, help="0 for never")
@click.pass_context
def tokens_create(ctx: click.Context, user: str, name: str, scope: str, expires_days: int) -> None:
    """Create a token for USER and print it (the only time it is shown)."""
    from glaas.auth.tokens import TokenError, issue_token, parse_scopes

    try:
        scopes = parse_scopes(scope)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db = _db(_settings(ctx.obj["data_dir"], ctx.obj["database_url"]))
    with db.begin() as conn:
        issued = issue_token(conn, _user_id(conn, user), scopes, name=name,
                             expires_in_s=expires_days * 86400 if expires_days else None)
    click.echo(issued.token)
    click.echo(f"glaas-server: token {issued.id} for {user} ({' '.join(scopes)}); it is not shown again", err=True)


@tokens.command("list")
@click.argument("user")
@click.pass_context
def tokens_list(ctx: click.Context, user: str) -> None:
    """List USER's tokens (id, prefix, scopes, expiry, state)."""
    from glaas.auth.tokens import list_tokens

    db = _db(_settings(ctx.obj["data_dir"], ctx.obj["database_url"]))
    with db.read() as conn:
        rows = list_tokens(conn, _user_id(conn, user))
    for t in rows:
        expires = time.strftime("%Y-%m-%d", time.gmtime(t["expires_at"])) if t["expires_at"] else "never"
        state = "revoked" if t["revoked"] else ("expired" if t["expires_at"] and t["expires_at"] < time.time() else "active")
        click.echo(f"{t['id']}\t{t['prefix']}…\t{','.join(t['scopes'])}\texpires {expires}\t{state}\t{t['name']}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke token TOKEN_ID."""
    from glaas.auth.tokens import revoke_token

    db = _db(_settings(ctx.obj["data_dir"], ctx.obj["database_url"]))
    with db.begin() as conn:
        if not revoke_token(conn, token_id):
            raise click.ClickException(f"no active token {token_id}")
    click.echo(f"glaas-server: token {token_id} revoked")


if __name__ == "__main__":
    main()
