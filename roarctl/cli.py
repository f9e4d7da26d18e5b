"""The roarctl command tree. Subcommands live in ``roarctl/commands/`` and are loaded lazily,
so ``roarctl --help`` and commands that do not talk to the daemon start fast."""
from __future__ import annotations

import importlib
import os
import sys

import click

from roar_api.version import VERSION
from roarctl.client import Options

#: command name -> "module:function" under roarctl.commands
COMMANDS = {
    "daemon": "daemon:daemon",
    "init": "workspace:init",
    "status": "workspace:status",
    "reset": "workspace:reset",
    "run": "run:run",
    "build": "run:build",
    "show": "jobs:show",
    "log": "jobs:log",
    "pop": "jobs:pop",
    "dag": "lineage:dag",
    "config": "config:config",
    "tracer": "tracer:tracer",
    "env": "env:env",
    "inputs": "jobs:inputs",
    "label": "label:label",
    "diff": "lineage:diff_",
    "get": "transfer:get",
    "put": "transfer:put",
    "reproduce": "reproduce:reproduce",
    "export": "lineage:export",
    "register": "register:register",
    "login": "register:login",
    "logout": "register:logout",
    "whoami": "register:whoami",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(f"roarctl.commands.{module}"), attr)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"roarctl {VERSION}")
    opts = Options(socket=ctx.params.get("socket"))
    try:
        from roarctl.client import daemon_answers

        if daemon_answers(opts.socket_path, timeout=1.0):
            from roar_api.v1 import daemon_pb2
            from roarctl.client import Stubs, _channel

            resp = Stubs(_channel(opts.socket_path)).daemon.Hello(
                daemon_pb2.HelloRequest(client_name="roarctl", client_version=VERSION), timeout=2)
            click.echo(f"roard {resp.daemon_version} (protocol {resp.protocol_major}.{resp.protocol_minor})")
        else:
            click.echo("roard not running")
    except Exception:  # the version line must never fail
        click.echo("roard not reachable")
    ctx.exit(0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--socket", envvar="ROARD_SOCKET", metavar="PATH", is_eager=True,
              help="roard's Unix socket (default: $XDG_RUNTIME_DIR/roar/roard.sock).")
@click.option("--no-autostart", is_flag=True, help="Fail instead of starting roard when it is not running.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=False, callback=_print_version,
              help="Print roarctl's version and, when reachable, roard's.")
@click.pass_context
def root(ctx: click.Context, socket: str | None, no_autostart: bool) -> None:
    """roar: provenance for ML and data pipelines.

    Prefix a command with `roarctl run` and roar records which files it read and wrote, names
    each by its BLAKE3 hash and links the steps into a lineage DAG.
    """
    ctx.obj = Options(socket=socket, no_autostart=no_autostart)


def main() -> None:
    try:
        root(prog_name=_prog_name())
    except SystemExit as exc:
        _exit(exc.code)
    _exit(0)


def _exit(code: int | str | None) -> None:
    """Leave without the interpreter's teardown.

    Tearing down every loaded module (protobuf's runtime among them) costs milliseconds that
    nothing of ours needs: output is flushed here, logging is shut down, and when a non-daemon
    thread still runs (which normal exit would wait for) we exit normally.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message") prints the message, exits 1
        print(code, file=sys.stderr)
        code = 1
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # reader went away, or stream closed
        code = code or 120
    os._exit(code)


def _prog_name() -> str:
    name = sys.argv[0].rsplit("/", 1)[-1]
    return name if name in ("roar", "roarctl") else "roarctl"
