"""roarctl daemon start|stop|restart|status|logs|install-service."""
from __future__ import annotations

import os
import sys
import time

import click

from roar_api import paths
from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.errors import EXIT_DAEMON, ClientError
from roarctl.render import emit_json, human_duration, message_dict

STOP_TIMEOUT = 15.0


@click.group()
def daemon() -> None:
    """Start, stop and inspect roard, the per-user daemon."""


@daemon.command()
@click.option("--foreground", is_flag=True, help="Run in this terminal, logging to stderr.")
@click.option("--idle-timeout", type=float, default=None, metavar="SECONDS",
              help="Exit after this many idle seconds.")
@click.pass_obj
def start(opts: Options, foreground: bool, idle_timeout: float | None) -> None:
    """Start roard (no-op when it is already running)."""
    sock = opts.socket_path
    extra = ["--idle-timeout", str(idle_timeout)] if idle_timeout is not None else []
    if foreground:
        cmd = client.roard_command(sock, foreground=True, extra=extra)
        os.execv(cmd[0], cmd)
    if client.daemon_answers(sock):
        click.echo(f"roard is already running on {sock}")
        return
    client.start_daemon(sock, extra=extra)
    click.echo(f"roard started on {sock}")


def _stop(opts: Options) -> bool:
    """Ask roard to shut down and wait until its socket is gone; False if it was not running."""
    import grpc

    from roar_api.v1 import daemon_pb2

    sock = opts.socket_path
    if not client.daemon_answers(sock):
        return False
    stubs = client.Stubs(client._channel(sock))
    try:
        status = stubs.daemon.Status(daemon_pb2.StatusRequest(), timeout=5)
        stubs.daemon.Shutdown(daemon_pb2.ShutdownRequest(), timeout=5)
    except grpc.RpcError as exc:
        raise client.translate(exc) from None
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not _pid_alive(status.pid) and not client.daemon_answers(sock, timeout=0.2):
            return True
        time.sleep(0.05)
    raise ClientError(f"roard (pid {status.pid}) did not stop within {STOP_TIMEOUT:g} s; "
                      f"see {paths.log_path()}", EXIT_DAEMON)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@daemon.command()
@click.pass_obj
def stop(opts: Options) -> None:
    """Stop roard; in-flight calls finish first."""
    if _stop(opts):
        click.echo("roard stopped")
    else:
        click.echo(f"roard is not running on {opts.socket_path}")


@daemon.command()
@click.pass_obj
def restart(opts: Options) -> None:
    """Stop roard if it runs, then start it (picks up a newly installed version)."""
    _stop(opts)
    client.start_daemon(opts.socket_path)
    click.echo(f"roard restarted on {opts.socket_path}")


@daemon.command()
@json_option
@click.pass_obj
def status(opts: Options, as_json: bool) -> None:
    """Show whether roard runs, its pid, version, uptime and socket."""
    opts.json = as_json
    from roar_api.v1 import daemon_pb2

    stubs = client.connect(opts, autostart=False) if not opts.autostart else client.connect(opts)
    st = client.call(stubs.daemon.Status, daemon_pb2.StatusRequest(), timeout=5)
    if as_json:
        emit_json(message_dict(st))
        return
    click.echo(f"roard {st.version} running (pid {st.pid}, up {human_duration(st.uptime_seconds)})")
    click.echo(f"  socket:     {st.socket_path} ({st.listen_mode})")
    click.echo(f"  protocol:   {st.protocol_major}.{st.protocol_minor}")
    click.echo(f"  active runs: {st.active_runs}")
    click.echo(f"  workspaces: {len(st.workspaces)}" + "".join(f"\n    {w}" for w in st.workspaces))
    click.echo(f"  log:        {st.log_path}")
    if st.idle_timeout_seconds:
        click.echo(f"  idle timeout: {st.idle_timeout_seconds:g} s")


@daemon.command()
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
@click.option("-n", "--lines", default=50, show_default=True, help="Lines to show first.")
def logs(follow: bool, lines: int) -> None:
    """Print roard's log."""
    path = paths.log_path()
    if not path.exists():
        raise ClientError(f"no daemon log yet at {path}")
    with open(path, "rb") as f:
        tail = f.read().splitlines()[-lines:] if lines > 0 else []
        for line in tail:
            sys.stdout.buffer.write(line + b"\n")
        sys.stdout.flush()
        if not follow:
            return
        try:
            while True:
                chunk = f.readline()
                if chunk:
                    sys.stdout.buffer.write(chunk)
                    sys.stdout.flush()
                    continue
                time.sleep(0.2)
                if path.exists() and path.stat().st_ino != os.fstat(f.fileno()).st_ino:
                    f.close()
                    f = open(path, "rb")  # rotated
        except KeyboardInterrupt:
            pass
