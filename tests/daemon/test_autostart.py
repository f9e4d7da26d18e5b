"""Autostart: a command that needs roard starts it (detached), within a bound, or fails with
one sentence naming the log file; --no-autostart and ROAR_NO_AUTOSTART turn it off."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.daemon.daemon_helpers import REPO, wait_for
from roarctl.commands.daemon import pid_alive



def test_a_command_autostarts_a_detached_daemon(roar_env):
    assert not roar_env.socket.exists()
    r = roar_env.roarctl("daemon", "status", check=True)
    assert r.stdout.startswith("roard ") and " running (pid " in r.stdout
    pid = roar_env.daemon_pid()
    assert pid and pid_alive(pid)
    assert os.getsid(pid) == pid, "the autostarted daemon leads its own session (detached)"
    # It outlives the command that started it and is reused by the next one.
    r = roar_env.roarctl("daemon", "status", check=True)
    assert f"(pid {pid}," in r.stdout


@pytest.mark.parametrize("how", ["flag", "env"])
def test_autostart_can_be_turned_off(roar_env, how):
    args, env = (["--no-autostart"], {}) if how == "flag" else ([], {"ROAR_NO_AUTOSTART": "1"})
    r = roar_env.roarctl(*args, "daemon", "status", env=env)
    assert r.returncode == 3
    assert r.stderr == (f"roarctl: roard is not running on {roar_env.socket} "
                        "(autostart is off: run `roarctl daemon start`)\n")
    assert not roar_env.socket.exists() and roar_env.daemon_pid() is None
    # An explicit start still works with autostart off.
    roar_env.roarctl(*args, "daemon", "start", env=env, check=True)
    assert pid_alive(roar_env.daemon_pid())


def _unsafe_socket_dir(roar_env, kind: str) -> str:
    sock_dir = roar_env.socket.parent
    if kind == "symlink":
        target = roar_env.base / "elsewhere"
        target.mkdir(mode=0o700)
        sock_dir.symlink_to(target)
        return f"refusing to use socket directory {sock_dir}: it is a symlink"
    sock_dir.mkdir(mode=0o700)
    os.chown(sock_dir, 65534, 65534)
    return f"refusing to use socket directory {sock_dir}: it is owned by uid 65534, not by you"


@pytest.mark.parametrize("kind", ["symlink", "other-owner"])
def test_autostart_failure_is_one_sentence_naming_the_log(roar_env, kind):
    if kind == "other-owner" and os.geteuid() != 0:
        pytest.skip("needs root to chown")
    reason = _unsafe_socket_dir(roar_env, kind)
    # The bound is far away: a refusal is reported with its reason (below), never as a time-out.
    r = roar_env.roarctl("daemon", "status", env={"ROAR_AUTOSTART_TIMEOUT": "120"})
    assert r.returncode == 3 and r.stdout == ""
    assert r.stderr == f"roarctl: roard could not start: {reason}; see {roar_env.log}\n"
    assert reason in roar_env.read_log()


def test_autostart_gives_up_at_the_bound(roar_env, tmp_path):
    """A roard that starts but never answers: roarctl waits ROAR_AUTOSTART_TIMEOUT seconds,
    fails with one sentence naming the log, and does not leave the stuck process behind."""
    fake = tmp_path / "fake" / "roard"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    pid_file = tmp_path / "fake.pid"
    (fake / "__main__.py").write_text(
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(120)\n")
    env = {"ROAR_AUTOSTART_TIMEOUT": "1.5", "PYTHONPATH": f"{fake.parent}{os.pathsep}{REPO}"}
    r = roar_env.roarctl("daemon", "status", env=env)
    assert r.returncode == 3
    assert r.stderr == f"roarctl: roard did not answer within 1.5 s of starting; see {roar_env.log}\n"
    stuck = int(pid_file.read_text())
    wait_for(lambda: not pid_alive(stuck), 5, "roarctl to stop the stuck roard")


@pytest.mark.parametrize("value", ["abc", "0", "-2"])
def test_bad_autostart_timeout(roar_env, value):
    r = roar_env.roarctl("daemon", "status", env={"ROAR_AUTOSTART_TIMEOUT": value})
    assert r.returncode == 2
    assert r.stderr == ("roarctl: ROAR_AUTOSTART_TIMEOUT must be a positive number of seconds, "
                        f"not {value!r}\n")
    assert roar_env.daemon_pid() is None


def test_autostart_with_a_socket_path_that_is_too_long(roar_env):
    sock = Path("/tmp") / ("x" * 60) / ("y" * 60) / "roard.sock"
    r = roar_env.roarctl("--socket", str(sock), "daemon", "status")
    assert r.returncode == 3
    assert r.stderr == (f"roarctl: roard could not start: socket path {sock} is longer than 107 "
                        f"bytes; choose a shorter --socket; see {roar_env.log}\n")
    assert not sock.parent.exists()
