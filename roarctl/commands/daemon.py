"""roarctl daemon start|stop|restart|status|logs|install-service."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from roar_api import paths
from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.errors import EXIT_DAEMON, ClientError

STOP_TIMEOUT = 15.0
#: DaemonStatus.listen_mode when systemd passed the listening socket.
ACTIVATED = "socket-activation"


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


def _stop(opts: Options, sock: Path | None = None) -> Any:
    """Ask roard to shut down and wait until it is gone. Returns its last status, or None when
    it was not running.

    Under systemd socket activation systemd keeps listening on the socket, and connecting would
    start roard again, so then only the process is waited for."""
    from roarctl import wire

    from roar_api.v1 import daemon_pb2

    sock = sock or opts.socket_path
    if not client.daemon_answers(sock):
        return None
    stubs = client.Stubs(client._channel(sock))
    try:
        status = stubs.daemon.Status(daemon_pb2.StatusRequest(), timeout=5)
        stubs.daemon.Shutdown(daemon_pb2.ShutdownRequest(), timeout=5)
    except wire.RpcError as exc:
        raise client.translate(exc) from None
    finally:
        stubs.channel.close()
    activated = status.listen_mode == ACTIVATED
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not pid_alive(status.pid) and (activated or not client.daemon_answers(sock, timeout=0.2)):
            return status
        time.sleep(0.05)
    raise ClientError(f"roard (pid {status.pid}) did not stop within {STOP_TIMEOUT:g} s; "
                      f"see {paths.log_path()}", EXIT_DAEMON)


def _wait_answer(sock: Path) -> None:
    """Wait (bounded) until roard answers on ``sock``; connecting starts it under socket
    activation."""
    timeout = client.autostart_timeout()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.daemon_answers(sock, timeout=1.0):
            return
        time.sleep(0.1)
    raise ClientError(f"roard did not answer on {sock} within {timeout:g} s; see {paths.log_path()}",
                      EXIT_DAEMON)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (reaped late by its new parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@daemon.command()
@click.pass_obj
def stop(opts: Options) -> None:
    """Stop roard; in-flight calls finish first."""
    st = _stop(opts)
    if st is None:
        click.echo(f"roard is not running on {opts.socket_path}")
    elif st.listen_mode == ACTIVATED:
        click.echo(f"roard stopped; systemd still listens on {opts.socket_path} and starts it again "
                   "on the next connection (`systemctl --user stop roard.socket` ends that)")
    else:
        click.echo("roard stopped")


@daemon.command()
@click.pass_obj
def restart(opts: Options) -> None:
    """Stop roard if it runs, then start it (picks up a newly installed version)."""
    st = _stop(opts)
    if st is not None and st.listen_mode == ACTIVATED:
        _wait_answer(opts.socket_path)
    else:
        client.start_daemon(opts.socket_path)
    click.echo(f"roard restarted on {opts.socket_path}")


@daemon.command()
@json_option
@click.pass_obj
def status(opts: Options, as_json: bool) -> None:
    """Show whether roard runs, its pid, version, uptime and socket."""
    opts.json = as_json
    from roar_api.v1 import daemon_pb2
    from roarctl.render import emit_json, human_duration, message_dict

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
    if st.watching:
        click.echo("  watching:" + "".join(f"\n    {w}" for w in st.watching))
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


# --- install-service ---------------------------------------------------------------------------
# The unit files are the repository's systemd/ and launchd/ files; the package build copies them
# into roarctl/_services/ (setup.py) so install-service works from any install.

LAUNCHD_LABEL = "io.roar.roard"


def service_template(name: str) -> str:
    path = Path(__file__).resolve().parent.parent / "_services" / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise ClientError(f"the service template {path} is missing; reinstall roar (pip install .)") from None


def _roard_program() -> Path:
    """The installed roard: the console script beside this Python, else the one on PATH."""
    import shutil

    beside = Path(sys.executable).parent / "roard"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside.absolute()
    found = shutil.which("roard")
    if found:
        return Path(found).absolute()
    raise ClientError(f"cannot find the roard program next to {sys.executable} or on PATH; "
                      "install roar first")


def _systemd_arg(path: Path) -> str:
    """``path`` as one ExecStart word: % doubled, quoted when it holds blanks or quotes."""
    text = str(path).replace("%", "%%")
    if any(c in text for c in " \t\"'\\"):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _service_files(manager: str, roard: Path) -> list[tuple[Path, str]]:
    if manager == "systemd":
        unit_dir = paths.config_dir().parent / "systemd" / "user"
        return [(unit_dir / "roard.service",
                 service_template("roard.service").replace("@ROARD@", _systemd_arg(roard))),
                (unit_dir / "roard.socket", service_template("roard.socket"))]
    from xml.sax.saxutils import escape

    plist = (service_template(f"{LAUNCHD_LABEL}.plist").replace("@ROARD@", escape(str(roard)))
             .replace("@STATE_HOME@", escape(str(paths.state_dir().parent))))
    return [(Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist", plist)]


def _service_socket(manager: str) -> Path:
    """The socket the installed service will serve (``%t/roar/roard.sock`` for systemd)."""
    if manager == "systemd":
        runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
        return Path(runtime) / "roar" / paths.SOCKET_NAME
    return paths.state_dir() / paths.SOCKET_NAME


def _manager_state(manager: str) -> tuple[bool, str]:
    """Whether ``manager``'s per-user instance runs here, and what it said."""
    import shutil
    import subprocess

    tool = "systemctl" if manager == "systemd" else "launchctl"
    if shutil.which(tool) is None:
        return False, f"{tool} is not installed"
    cmd = ([tool, "--user", "is-system-running"] if manager == "systemd"
           else [tool, "print", f"gui/{os.getuid()}"])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"`{' '.join(cmd)}` failed: {exc}"
    if manager == "systemd":
        state = (proc.stdout.strip() or proc.stderr.strip() or f"exit code {proc.returncode}")
        state = state.splitlines()[-1]
        return state in ("running", "degraded", "starting", "initializing"), \
            f"`systemctl --user is-system-running` says {state}"
    if proc.returncode == 0:
        return True, f"launchd runs a gui/{os.getuid()} domain"
    return False, f"`{' '.join(cmd)}` exited with code {proc.returncode}"


def _enable_commands(manager: str, files: list[tuple[Path, str]]) -> list[list[str]]:
    if manager == "systemd":
        return [["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", "roard.socket"]]
    return [["launchctl", "bootout", f"gui/{os.getuid()}/{LAUNCHD_LABEL}"],
            ["launchctl", "bootstrap", f"gui/{os.getuid()}", str(files[0][0])]]


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


@daemon.command("install-service")
@click.option("--manager", type=click.Choice(["auto", "systemd", "launchd"]), default="auto",
              show_default=True, help="Service manager to write for (auto: launchd on macOS, "
              "else systemd).")
@click.option("--dry-run", is_flag=True, help="Print what would be written where; change nothing.")
@json_option
@click.pass_obj
def install_service(opts: Options, manager: str, dry_run: bool, as_json: bool) -> None:
    """Install roard as a per-user service (systemd socket activation or a launchd agent).

    Writes the unit files with the path of the installed roard and enables them when the
    service manager runs here; otherwise roarctl keeps starting roard on demand."""
    import subprocess

    if manager == "auto":
        manager = "launchd" if sys.platform == "darwin" else "systemd"
    roard = _roard_program()
    files = _service_files(manager, roard)
    running, state = _manager_state(manager)
    commands = _enable_commands(manager, files) if running else []
    service_sock = _service_socket(manager)
    if opts.socket_path != service_sock:
        click.echo(f"roarctl: warning: this roarctl uses the socket {opts.socket_path} (--socket or "
                   f"ROARD_SOCKET) but the service serves {service_sock}", err=True)
    enabled = False
    if not dry_run:
        try:
            for path, content in files:
                _write(path, content)
            if manager == "launchd":
                paths.state_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ClientError(f"cannot write {exc.filename}: {exc.strerror}") from None
        if running:
            # A daemon that roarctl started itself holds the socket path the service wants.
            if client.daemon_answers(service_sock):
                _stop(opts, service_sock)
            for i, cmd in enumerate(commands):
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0 and not (manager == "launchd" and i == 0):  # bootout: may not be loaded
                    detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
                    raise ClientError(f"`{' '.join(cmd)}` failed: {detail[-1] if detail else proc.returncode}")
            enabled = True
    manager_name = "systemd user manager" if manager == "systemd" else "launchd user session"
    if running:
        message = (f"{'would enable' if dry_run else 'enabled'} the {manager_name}'s roard service"
                   + (f"; roard starts when something connects to {service_sock}"
                      if manager == "systemd" else ""))
    else:
        message = (f"no {manager_name} is running here ({state}), so the service is not enabled; "
                   "roarctl keeps starting roard on demand")
    if as_json:
        from roarctl.render import emit_json

        emit_json({"manager": manager, "roard": str(roard), "dry_run": dry_run,
                   "files": [{"path": str(p), "content": c, "written": not dry_run} for p, c in files],
                   "manager_running": running, "manager_state": state, "commands": commands,
                   "enabled": enabled, "message": message})
        return
    for path, content in files:
        if dry_run:
            click.echo(f"would write {path}:")
            click.echo("".join(f"    {line}" for line in content.splitlines(keepends=True)), nl=False)
        else:
            click.echo(f"wrote {path}")
    for cmd in commands:
        click.echo(f"{'would run' if dry_run else 'ran'}: {' '.join(cmd)}")
    click.echo(message)
