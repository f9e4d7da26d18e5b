"""The socket is private: directory 0700 (and ours, not a symlink), socket 0600, and a client
running as another user cannot connect."""
from __future__ import annotations

import os
import stat
import subprocess

import pytest


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_socket_0600_directory_0700(roard):
    st = os.lstat(roard.socket)
    assert stat.S_ISSOCK(st.st_mode)
    assert _mode(roard.socket) == 0o600
    assert _mode(roard.socket.parent) == 0o700
    assert _mode(roard.socket.with_name("roard.sock.lock")) == 0o600
    assert st.st_uid == os.geteuid()


def test_an_existing_directory_is_tightened_to_0700(roar_env):
    roar_env.socket.parent.mkdir(mode=0o755)
    os.chmod(roar_env.socket.parent, 0o755)
    roar_env.roarctl("daemon", "start", check=True)
    assert _mode(roar_env.socket.parent) == 0o700


def _refused(roar_env) -> str:
    proc = roar_env.start_roard()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_symlinked_directory_is_refused(roar_env):
    target = roar_env.base / "elsewhere"
    target.mkdir(mode=0o700)
    roar_env.socket.parent.symlink_to(target)
    assert _refused(roar_env) == (f"roard: refusing to use socket directory {roar_env.socket.parent}: "
                                  "it is a symlink")
    assert list(target.iterdir()) == [], "nothing is created through the symlink"


def test_directory_owned_by_another_uid_is_refused(roar_env):
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    roar_env.socket.parent.mkdir(mode=0o700)
    os.chown(roar_env.socket.parent, 65534, 65534)
    assert _refused(roar_env) == (f"roard: refusing to use socket directory {roar_env.socket.parent}: "
                                  "it is owned by uid 65534, not by you")
    assert list(roar_env.socket.parent.iterdir()) == []


def test_something_else_at_the_socket_path_is_refused(roar_env):
    roar_env.socket.parent.mkdir(mode=0o700)
    roar_env.socket.write_text("not a socket\n")
    assert _refused(roar_env) == (f"roard: refusing to replace {roar_env.socket}: "
                                  "it exists and is not a socket")
    assert roar_env.socket.read_text() == "not a socket\n"


CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("permission denied"); sys.exit(3)
print("connected")
"""


def _connect_as(user: str, sock) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", user, "--", "/usr/bin/python3", "-c", CONNECT, str(sock)],
                          capture_output=True, text=True, timeout=30, cwd="/")


def test_another_user_cannot_connect(roard, other_user):
    sock = roard.socket
    r = _connect_as(other_user, sock)
    assert (r.returncode, r.stdout) == (3, "permission denied\n"), r.stderr

    # Even with the directories opened for traversal, the 0600 socket alone keeps them out...
    dirs = [sock.parent, sock.parent.parent]
    saved = [_mode(d) for d in dirs]
    try:
        for d in dirs:
            os.chmod(d, _mode(d) | 0o011)
        r = _connect_as(other_user, sock)
        assert (r.returncode, r.stdout) == (3, "permission denied\n"), r.stderr
        # ...and it is the socket's mode that does it: opened up, the same client gets in.
        os.chmod(sock, 0o666)
        r = _connect_as(other_user, sock)
        assert (r.returncode, r.stdout) == (0, "connected\n"), r.stderr
    finally:
        os.chmod(sock, 0o600)
        for d, mode in zip(dirs, saved):
            os.chmod(d, mode)
