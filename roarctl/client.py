"""Connecting to roard: autostart, the version handshake and gRPC error translation.

Every command that needs the daemon goes through ``connect()``. Calls go through roarctl's own
gRPC client (roarctl/wire.py), imported lazily so that commands which do not talk to the daemon
stay fast.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from roar_api import paths
from roar_api.services import SERVICES
from roar_api.version import PROTOCOL_MAJOR, PROTOCOL_MINOR, VERSION, install_root
from roarctl.errors import EXIT_DAEMON, EXIT_NOT_FOUND, EXIT_USAGE, ClientError

#: How long to wait for an autostarted daemon to answer its health check, unless
#: ROAR_AUTOSTART_TIMEOUT says otherwise (see autostart_timeout()).
AUTOSTART_TIMEOUT = 10.0


@dataclass
class Options:
    """Global options from the root command, shared by every subcommand."""

    socket: str | None = None
    no_autostart: bool = False
    json: bool = False

    @property
    def socket_path(self) -> Path:
        return paths.socket_path(self.socket)

    @property
    def autostart(self) -> bool:
        return not self.no_autostart and os.environ.get("ROAR_NO_AUTOSTART", "") not in ("1", "true", "yes")


class Stubs:
    """Lazily-created service stubs over one channel: ``stubs.jobs`` is the JobService stub
    (names from ``roar_api.services``)."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in SERVICES:
            raise AttributeError(name)
        if name not in self._cache:
            from roarctl import wire

            self._cache[name] = wire.service_stub(self.channel, name)
        return self._cache[name]


def _channel(sock: Path) -> Any:
    from roarctl import wire

    return wire.Channel(str(sock))


def daemon_answers(sock: Path, timeout: float = 1.0) -> bool:
    """True when a daemon on ``sock`` answers the gRPC health check."""
    if not sock.exists():
        return False
    from grpc_health.v1 import health_pb2

    from roarctl import wire

    channel = _channel(sock)
    try:
        check = wire.ServiceStub(channel, "grpc_health.v1.health_pb2", "Health").Check
        resp = check(health_pb2.HealthCheckRequest(), timeout=timeout)
        return resp.status == health_pb2.HealthCheckResponse.SERVING
    except wire.RpcError:
        return False
    finally:
        channel.close()


def roard_command(sock: Path, foreground: bool = False, extra: list[str] | None = None) -> list[str]:
    """The command line that starts roard from this same Python environment."""
    cmd = [sys.executable, "-m", "roard", "--socket", str(sock)]
    if foreground:
        cmd.append("--foreground")
    return cmd + (extra or [])


def autostart_timeout() -> float:
    """The bound on waiting for a starting roard: ``ROAR_AUTOSTART_TIMEOUT`` seconds, else 10."""
    raw = os.environ.get("ROAR_AUTOSTART_TIMEOUT", "").strip()
    if not raw:
        return AUTOSTART_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ClientError(f"ROAR_AUTOSTART_TIMEOUT must be a positive number of seconds, not {raw!r}",
                          EXIT_USAGE)
    return value


def _spawn_detached(argv: list[str], devnull: int, log: int) -> int:
    """Start argv in a session of its own, stdin and stdout on /dev/null, stderr to the log.
    posix_spawn, not fork: gRPC may already have threads in this process (a retry after a stale
    socket), and its fork handlers can crash a forked child before it execs."""
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
               (os.POSIX_SPAWN_DUP2, log, 2)]
    return os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)


def _exit_code(pid: int) -> int | None:
    """The started process's exit code once it has exited (reaped here), else None."""
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def _stop_started(pid: int) -> None:
    """SIGTERM, a second to go, then SIGKILL; reaped either way."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if _exit_code(pid) is not None:
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def start_daemon(sock: Path, extra: list[str] | None = None, timeout: float | None = None) -> None:
    """Start roard detached and wait (bounded) until it answers its health check."""
    if timeout is None:
        timeout = autostart_timeout()
    log = paths.log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(os.devnull, "rb") as devnull, open(log, "ab") as err:
            log_offset = err.tell()
            pid = _spawn_detached(roard_command(sock, extra=extra), devnull.fileno(), err.fileno())
    except OSError as exc:
        raise ClientError(f"cannot start roard: {exc.strerror or exc} ({exc.filename or log})",
                          EXIT_DAEMON) from None
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if daemon_answers(sock, timeout=min(0.5, left)):
            return
        code = _exit_code(pid)
        if code is not None:
            if daemon_answers(sock, timeout=0.5):  # lost a race with another starter: fine
                return
            reason = _startup_error(log, log_offset)
            if reason:
                raise ClientError(f"roard could not start: {reason}; see {log}", EXIT_DAEMON)
            raise ClientError(f"roard exited with code {code} while starting; see {log}",
                              EXIT_DAEMON)
        time.sleep(0.05)
    # Do not leave a daemon behind that holds the lock without answering.
    _stop_started(pid)
    raise ClientError(f"roard did not answer within {timeout:g} s of starting; see {log}", EXIT_DAEMON)


def _startup_error(log: Path, offset: int) -> str:
    """The reason roard printed (``roard: ...`` on stderr, which goes to the log) when it
    refused to start, or ""."""
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            lines = f.read(64 * 1024).decode(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith("roard: "):
            return line[len("roard: "):].strip().rstrip(".")
    return ""


def _hello(stubs: Stubs, opts: Options) -> Any:
    from roar_api.v1 import daemon_pb2

    resp = stubs.daemon.Hello(daemon_pb2.HelloRequest(
        client_name="roarctl", client_version=VERSION, protocol_major=PROTOCOL_MAJOR,
        protocol_minor=PROTOCOL_MINOR, client_install=install_root()), timeout=5)
    check_protocol(resp.protocol_major, resp.protocol_minor, resp.daemon_version, opts.json)
    if resp.stale_reason and not opts.json and resp.protocol_minor == PROTOCOL_MINOR:
        click.echo(f"roarctl: warning: {resp.stale_reason}", err=True)
    return resp


def check_protocol(major: int, minor: int, daemon_version: str, quiet: bool) -> None:
    if major != PROTOCOL_MAJOR:
        raise ClientError(
            f"roard {daemon_version} speaks protocol {major}.{minor} but roarctl {VERSION} speaks "
            f"{PROTOCOL_MAJOR}.{PROTOCOL_MINOR}; run `roarctl daemon restart`", EXIT_DAEMON)
    if minor != PROTOCOL_MINOR and not quiet:
        click.echo(f"roarctl: warning: roard {daemon_version} speaks protocol {major}.{minor}, "
                   f"roarctl {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}; `roarctl daemon restart` "
                   "picks up the installed version", err=True)


def connect(opts: Options, autostart: bool | None = None) -> Stubs:
    """A channel to a running daemon, started first when allowed; the handshake is done."""
    from roarctl import wire

    sock = opts.socket_path
    may_start = opts.autostart if autostart is None else autostart
    started = False
    # No separate health probe on the hot path: Hello itself tells us whether a daemon answers
    # (UNAVAILABLE below covers a stale socket or one nobody listens on).
    if may_start and not sock.exists():
        start_daemon(sock)
        started = True
    stubs = Stubs(_channel(sock))
    try:
        _hello(stubs, opts)
    except wire.RpcError as exc:
        if exc.code() == wire.StatusCode.UNAVAILABLE:
            stubs.channel.close()
            if may_start and not started:
                start_daemon(sock)
                stubs = Stubs(_channel(sock))
                _hello(stubs, opts)
                return stubs
            hint = "" if may_start else " (autostart is off: run `roarctl daemon start`)"
            raise ClientError(f"roard is not running on {sock}{hint}", EXIT_DAEMON) from None
        raise translate(exc) from None
    return stubs


def translate(exc: Any) -> ClientError:
    """Turn a gRPC error into the one-sentence client error with a fitting exit code."""
    from roarctl.wire import StatusCode

    code = exc.code()
    detail = exc.details() or code.name
    if code == StatusCode.NOT_FOUND:
        return ClientError(detail, EXIT_NOT_FOUND)
    if code == StatusCode.INVALID_ARGUMENT:
        return ClientError(detail, EXIT_USAGE)
    if code in (StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED):
        return ClientError(f"lost contact with roard ({detail}); see {paths.log_path()}", EXIT_DAEMON)
    return ClientError(detail, 1)


def call(fn: Any, request: Any, timeout: float | None = None) -> Any:
    """Call a unary RPC, translating errors."""
    from roarctl.wire import RpcError

    try:
        return fn(request, timeout=timeout)
    except RpcError as exc:
        raise translate(exc) from None
