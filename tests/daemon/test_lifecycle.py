"""roarctl daemon start/stop/restart/status/logs, and roard's own lifecycle: one daemon per
socket, stale sockets, graceful SIGTERM/SIGINT, idle timeout."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from roar_api.version import PROTOCOL_MAJOR, PROTOCOL_MINOR, VERSION

from tests.daemon.daemon_helpers import wait_for
from roarctl.commands.daemon import pid_alive

STATUS_KEYS = {"pid", "version", "uptime_seconds", "socket_path", "active_runs", "workspaces",
               "log_path", "started_at", "protocol_major", "protocol_minor", "listen_mode",
               "idle_timeout_seconds", "watching"}


def test_start_status_stop(roar_env):
    sock = roar_env.socket
    r = roar_env.roarctl("daemon", "start", check=True)
    assert r.stdout == f"roard started on {sock}\n"
    pid = roar_env.daemon_pid()
    assert pid and pid_alive(pid)

    r = roar_env.roarctl("daemon", "start", check=True)
    assert r.stdout == f"roard is already running on {sock}\n"
    assert roar_env.daemon_pid() == pid

    r = roar_env.roarctl("daemon", "status", check=True)
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert re.fullmatch(rf"roard {re.escape(VERSION)} running \(pid {pid}, up .+\)", lines[0])
    assert f"  socket:     {sock} (self)" in lines
    assert f"  protocol:   {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}" in lines
    assert f"  log:        {roar_env.log}" in lines
    assert not any("idle timeout" in line for line in lines)

    r = roar_env.roarctl("daemon", "status", "--json", check=True)
    assert r.stderr == ""
    st = json.loads(r.stdout)
    assert set(st) == STATUS_KEYS
    assert st["pid"] == pid and st["version"] == VERSION
    assert st["socket_path"] == str(sock) and st["log_path"] == str(roar_env.log)
    assert st["listen_mode"] == "self"
    assert (st["protocol_major"], st["protocol_minor"]) == (PROTOCOL_MAJOR, PROTOCOL_MINOR)
    assert st["active_runs"] == 0 and st["workspaces"] == [] and st["watching"] == []
    assert st["idle_timeout_seconds"] == 0
    assert isinstance(st["uptime_seconds"], float) and st["uptime_seconds"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", st["started_at"])

    r = roar_env.roarctl("daemon", "stop", check=True)
    assert r.stdout == "roard stopped\n"
    assert not pid_alive(pid)
    assert not sock.exists(), "a clean stop removes the socket"
    assert "shutdown requested: Shutdown call" in roar_env.read_log()

    r = roar_env.roarctl("--no-autostart", "daemon", "status")
    assert r.returncode == 3 and r.stdout == ""
    assert r.stderr == (f"roarctl: roard is not running on {sock} "
                        "(autostart is off: run `roarctl daemon start`)\n")

    r = roar_env.roarctl("daemon", "stop", check=True)
    assert r.stdout == f"roard is not running on {sock}\n"


def test_restart_replaces_the_process(roard):
    old = roard.daemon_pid()
    r = roard.roarctl("daemon", "restart", check=True)
    assert r.stdout == f"roard restarted on {roard.socket}\n"
    new = roard.daemon_pid()
    assert new and new != old
    assert not pid_alive(old) and pid_alive(new)
    st = json.loads(roard.roarctl("--no-autostart", "daemon", "status", "--json", check=True).stdout)
    assert st["pid"] == new


def test_restart_when_not_running_starts_it(roar_env):
    r = roar_env.roarctl("daemon", "restart", check=True)
    assert r.stdout == f"roard restarted on {roar_env.socket}\n"
    assert pid_alive(roar_env.daemon_pid())


def test_second_daemon_on_a_live_socket_is_refused(roard):
    pid = roard.daemon_pid()
    proc = roard.start_roard()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.decode().splitlines() == [
        f"roard: another roard (pid {pid}) is already running on {roard.socket}; "
        "see `roarctl daemon status`, or stop it with `roarctl daemon stop`"]
    # The first daemon is untouched and still serves.
    assert pid_alive(pid)
    roard.roarctl("--no-autostart", "daemon", "status", check=True)


@pytest.mark.parametrize("via", ["start", "autostart"])
def test_stale_socket_after_sigkill_is_replaced(roard, via):
    pid = roard.daemon_pid()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), 10, "the killed daemon to go away")
    assert roard.socket.is_socket(), "SIGKILL leaves the socket behind"

    if via == "start":
        r = roard.roarctl("daemon", "start", check=True)
        assert r.stdout == f"roard started on {roard.socket}\n"
    else:
        r = roard.roarctl("daemon", "status", check=True)
        assert "running" in r.stdout
    new = roard.daemon_pid()
    assert new != pid and pid_alive(new)
    assert f"removing stale socket {roard.socket}" in roard.read_log()


def _watch(channel, got: list) -> None:
    import grpc

    from roar_api.v1 import events_pb2, events_pb2_grpc

    try:
        for ev in events_pb2_grpc.EventServiceStub(channel).WatchEvents(events_pb2.WatchEventsRequest()):
            got.append(ev.topic)
        got.append("<end OK>")
    except grpc.RpcError as exc:
        got.append(f"<error {exc.code().name}>")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_with_a_call_in_flight_exits_cleanly(roar_env, channel_to, sig):
    """An open WatchEvents stream gets the daemon.stopping event and a clean end (OK, not the
    cancellation that the end of the shutdown grace would bring); roard exits 0 and removes its
    socket."""
    proc = roar_env.start_roard()
    try:
        roar_env.wait_ready()
        got: list[str] = []
        watcher = threading.Thread(target=_watch, args=(channel_to(roar_env.socket), got))
        watcher.start()
        time.sleep(0.5)  # let the stream reach the daemon
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0
        watcher.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert got == ["daemon.stopping", "<end OK>"]
    assert not roar_env.socket.exists()
    assert f"roard stopped ({sig.name})" in roar_env.read_log()


def test_idle_timeout_exits_by_itself(roar_env):
    roar_env.roarctl("daemon", "start", "--idle-timeout", "1", check=True)
    pid = roar_env.daemon_pid()
    st = json.loads(roar_env.roarctl("daemon", "status", "--json", check=True).stdout)
    assert st["idle_timeout_seconds"] == 1
    assert "  idle timeout: 1 s" in roar_env.roarctl("daemon", "status", check=True).stdout
    wait_for(lambda: not pid_alive(pid), 10, "roard to exit after 1 s idle")
    assert not roar_env.socket.exists()
    assert "roard stopped (idle for 1 s)" in roar_env.read_log()


def test_idle_timeout_waits_for_an_open_stream(roar_env, channel_to):
    from roar_api.v1 import events_pb2, events_pb2_grpc

    proc = roar_env.start_roard("--idle-timeout", "1")
    try:
        roar_env.wait_ready()
        call = events_pb2_grpc.EventServiceStub(channel_to(roar_env.socket)).WatchEvents(
            events_pb2.WatchEventsRequest())
        time.sleep(2.5)
        assert proc.poll() is None, "roard went idle with a WatchEvents stream open"
        call.cancel()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "roard stopped (idle for 1 s)" in roar_env.read_log()


def test_idle_timeout_exit_code_and_bad_value(roar_env):
    proc = roar_env.start_roard("--idle-timeout", "0.5")
    assert proc.wait(timeout=15) == 0
    proc = roar_env.start_roard("--idle-timeout", "-3")
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 2
    assert err.decode() == "roard: --idle-timeout must be 0 (off) or a positive number of seconds\n"


def test_logs(roard):
    r = roard.roarctl("daemon", "logs", check=True)
    assert f"listening on {roard.socket}" in r.stdout
    r = roard.roarctl("daemon", "logs", "-n", "1", check=True)
    assert len(r.stdout.splitlines()) == 1

    follower = subprocess.Popen([*_roarctl_cmd(), "daemon", "logs", "-f", "-n", "0"], env=roard.env,
                                stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        roard.roarctl("daemon", "stop", check=True)
        seen = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("roard stopped" in s for s in seen):
            seen.append(follower.stdout.readline())
        assert any("shutdown requested: Shutdown call" in s for s in seen), seen
    finally:
        follower.kill()
        follower.wait()


def test_logs_without_a_log(roar_env):
    r = roar_env.roarctl("daemon", "logs")
    assert r.returncode == 1
    assert r.stderr == f"roarctl: no daemon log yet at {roar_env.log}\n"


def _roarctl_cmd() -> list[str]:
    import sys

    return [sys.executable, "-m", "roarctl"]


def test_start_foreground_runs_roard_in_place_logging_to_stderr(roar_env):
    """`roarctl daemon start --foreground` becomes roard (same pid), which logs to stderr as
    well as to the log file."""
    proc = subprocess.Popen([*_roarctl_cmd(), "daemon", "start", "--foreground"], env=roar_env.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        roar_env.wait_ready()
        assert roar_env.daemon_pid() == proc.pid
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"listening on {roar_env.socket}" in err and "roard stopped (SIGTERM)" in err
    assert "roard stopped (SIGTERM)" in roar_env.read_log()
