"""Issue 13 item 4: roarctl trusts only the user's own daemon and runs only roar's own tracers.

A fake roard (tests/reliability/fake_roard.py, grpcio on a Unix socket) stands in for a hostile
daemon: run as a second user made with useradd, or as us with a socket file given away, or as us
answering BeginRun with a launch plan that is not roar's."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roarctl.launch import native_dir
from tests.conftest import REPO, RoarEnv

OTHER_USER = "roar13peer"
FAKE = Path(__file__).with_name("fake_roard.py")


def other_user() -> pwd.struct_passwd:
    """A second local user (created once with useradd); skips where we may not."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a second user with useradd and run a process as it")
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        pass
    if shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("useradd or runuser is not installed")
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER],
                   check=True, capture_output=True)
    return pwd.getpwnam(OTHER_USER)


def start_fake(sock: Path, counts: Path, prefix: list[str] | None = None,
               env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, str(FAKE), str(sock), json.dumps(prefix or []), json.dumps(env or {}), str(counts)]
    proc = subprocess.Popen(argv, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd="/")
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


#: The other user's daemon: a plain socket that accepts and writes down how many bytes each
#: connection sent (stdlib only: that user cannot read root's virtual environment).
LISTENER = """
import socket, sys, threading
path, counts = sys.argv[1:3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path); srv.listen(8)
open(counts, "w").close()
print("ready", flush=True)
def serve(conn):
    got = 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        got += len(data)
    with open(counts, "a") as f:
        f.write(f"{got}\\n")
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"""


def start_listener(sock: Path, counts: Path, user: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(["runuser", "-u", user, "--", "/usr/bin/python3", "-c", LISTENER, str(sock), str(counts)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def sock_dir(tmp_path_factory) -> Path:
    path = Path(f"/tmp/roar13-{os.getpid()}-{time.monotonic_ns() % 10**6}")
    path.mkdir(mode=0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_another_users_daemon_is_refused_before_anything_is_sent(roar_env: RoarEnv, sock_dir: Path,
                                                                tmp_path: Path) -> None:
    """root's `roarctl --socket S run` against a daemon run by another user: refused with one
    sentence naming the uid, exit 1; the daemon received no call and the command never ran."""
    user = other_user()
    os.chown(sock_dir, user.pw_uid, user.pw_gid)
    sock, counts = sock_dir / "roard.sock", sock_dir / "calls.txt"
    fake = start_listener(sock, counts, OTHER_USER)
    try:
        assert os.stat(sock).st_uid == user.pw_uid
        proc = roar_env.roarctl("--socket", str(sock), "run", "touch", "ran.txt", cwd=tmp_path)
        time.sleep(0.2)   # the listener writes down the closed connection
    finally:
        stop(fake)
    assert proc.returncode == 1, proc.stderr
    assert f"refusing to talk to {sock}: the process serving it" in proc.stderr
    assert f"runs as uid {user.pw_uid}, not as you (uid 0)" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert counts.read_text().split() == ["0"]   # connected, and not one byte sent
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "ran.txt").exists()


def test_socket_file_owned_by_another_user_is_refused(roar_env: RoarEnv, sock_dir: Path, tmp_path: Path) -> None:
    user = other_user()
    sock, counts = sock_dir / "roard.sock", sock_dir / "calls.txt"
    fake = start_fake(sock, counts)
    try:
        os.chown(sock, user.pw_uid, user.pw_gid)
        proc = roar_env.roarctl("--socket", str(sock), "log", cwd=tmp_path)
    finally:
        stop(fake)
    assert proc.returncode == 1, proc.stderr
    assert f"the socket file is owned by uid {user.pw_uid}, not by you (uid 0)" in proc.stderr, proc.stderr
    assert counts.read_text() == ""


@pytest.mark.parametrize("prefix, env, refusal", [
    (["/bin/sh", "-c", "touch {tmp}/pwned", "sh"], {}, "refusing to run the launch prefix '/bin/sh' roard sent"),
    ([], {"LD_PRELOAD": "{tmp}/evil.so"}, "refusing to preload '{tmp}/evil.so' as roard asked"),
    ([], {"ROAR_PTRACE": "/bin/sh"}, "refusing ROAR_PTRACE='/bin/sh' from roard"),
    (["{tmp}/roar-ptrace", "--"], {}, "refusing to run the launch prefix '{tmp}/roar-ptrace' roard sent"),
])
def test_launch_plan_naming_anything_but_roars_tracers_is_refused(roar_env: RoarEnv, sock_dir: Path,
                                                                 tmp_path: Path, prefix, env, refusal) -> None:
    """A daemon of our own uid (another installation, or a process impersonating roard) answers
    BeginRun with a launch plan that is not roar's installed tracers: roarctl runs nothing."""
    (tmp_path / "roar-ptrace").write_text("#!/bin/sh\ntouch pwned\n")   # right name, wrong place
    (tmp_path / "roar-ptrace").chmod(0o755)
    fill = lambda s: s.replace("{tmp}", str(tmp_path))  # noqa: E731
    sock, counts = sock_dir / "roard.sock", sock_dir / "calls.txt"
    fake = start_fake(sock, counts, [fill(a) for a in prefix], {k: fill(v) for k, v in env.items()})
    try:
        proc = roar_env.roarctl("--socket", str(sock), "run", "touch", "ran.txt", cwd=tmp_path)
    finally:
        stop(fake)
    assert proc.returncode == 1, proc.stderr
    assert fill(refusal) in proc.stderr, proc.stderr
    assert f"roar's tracers in {native_dir()}" in proc.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "ran.txt").exists()
    assert counts.read_text().splitlines() == ["Hello", "BeginRun"]


def test_roars_own_tracers_pass_the_launch_check() -> None:
    from roarctl.launch import check_launch

    native = native_dir()
    assert native is not None and (native / "libroar_preload.so").exists()
    check_launch([str(native / "roar-ptrace"), "--spool", "/x", "--"], {}, {})
    check_launch([], {"LD_PRELOAD": f"{native}/libroar_preload.so:/usr/lib/mine.so",
                      "ROAR_PTRACE": str(native / "roar-ptrace")}, {"LD_PRELOAD": "/usr/lib/mine.so"})
