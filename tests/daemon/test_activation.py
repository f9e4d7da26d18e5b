"""systemd socket activation: roard serves a listening socket passed as fd 3 (LISTEN_FDS /
LISTEN_PID), through the relay in roard/listener.py, without rebinding the path."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from tests.daemon.daemon_helpers import wait_for
from roarctl.commands.daemon import pid_alive

# Plays systemd's part after fork: put the listening socket on fd 3, set LISTEN_PID to the pid
# that will exec roard (exec keeps it) and LISTEN_FDS=1, then exec roard.
EXEC_AS_SYSTEMD = """
import os, sys
fd = int(sys.argv[1])
os.dup2(fd, 3)
os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "1"
os.execv(sys.executable, [sys.executable, "-m", "roard", *sys.argv[2:]])
"""


@pytest.fixture
def activated(roar_env):
    """roard started with a listening socket the test bound itself, as systemd would."""
    sock_path = roar_env.socket
    sock_path.parent.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    os.chmod(sock_path, 0o600)
    listener.listen(64)
    env = {**roar_env.env}
    env.pop("ROARD_SOCKET")  # like the unit: roard finds its path from XDG_RUNTIME_DIR
    proc = subprocess.Popen([sys.executable, "-c", EXEC_AS_SYSTEMD, str(listener.fileno()), "--foreground"],
                            pass_fds=(listener.fileno(),), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    inode = os.stat(sock_path).st_ino
    try:
        roar_env.wait_ready()
        yield roar_env, proc, inode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        listener.close()


def _status(channel):
    from roar_api.v1 import daemon_pb2, daemon_pb2_grpc

    return daemon_pb2_grpc.DaemonServiceStub(channel).Status(daemon_pb2.StatusRequest(), timeout=5)


def test_serves_the_passed_socket(activated, channel_to):
    renv, proc, inode = activated
    st = _status(channel_to(renv.socket))
    assert st.listen_mode == "socket-activation"
    assert st.pid == proc.pid and st.socket_path == str(renv.socket)
    assert os.stat(renv.socket).st_ino == inode, "roard must not rebind the path systemd owns"

    # roarctl works through it too, and says how roard listens.
    r = renv.roarctl("--no-autostart", "daemon", "status", check=True)
    assert f"  socket:     {renv.socket} (socket-activation)" in r.stdout.splitlines()

    # It holds the lock, so a manually started roard cannot start beside it.
    manual = renv.start_roard()
    _, err = manual.communicate(timeout=30)
    assert manual.returncode == 1 and "is already running on" in err.decode()


def test_sigterm_with_a_stream_through_the_relay(activated, channel_to):
    from roar_api.v1 import events_pb2, events_pb2_grpc

    renv, proc, _ = activated
    got: list[str] = []

    def watch() -> None:
        try:
            for ev in events_pb2_grpc.EventServiceStub(channel_to(renv.socket)).WatchEvents(
                    events_pb2.WatchEventsRequest()):
                got.append(ev.topic)
            got.append("<end OK>")
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            got.append(f"<error {exc}>")

    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    watcher.join(10)
    assert got == ["daemon.stopping", "<end OK>"]
    # The path belongs to "systemd": it stays; roard's private backend socket is gone.
    assert renv.socket.is_socket()
    assert sorted(p.name for p in renv.socket.parent.iterdir()) == ["roard.sock", "roard.sock.lock"]


def test_roarctl_stop_does_not_wait_for_the_socket_to_go(activated):
    renv, proc, _ = activated
    r = renv.roarctl("--no-autostart", "daemon", "stop", check=True)
    assert r.stdout == (f"roard stopped; systemd still listens on {renv.socket} and starts it again "
                        "on the next connection (`systemctl --user stop roard.socket` ends that)\n")
    wait_for(lambda: proc.poll() is not None, 10, "the activated roard to exit")
    assert proc.returncode == 0 and not pid_alive(proc.pid)
