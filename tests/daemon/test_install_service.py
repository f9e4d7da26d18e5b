"""roarctl daemon install-service: the unit files it writes, and what it does with and without a
running service manager. systemctl/launchctl are stand-ins on PATH, so the test never touches
the real user manager of the machine it runs on."""
from __future__ import annotations

import json
import os
import plistlib
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tests.daemon.daemon_helpers import REPO
from roarctl.commands.daemon import pid_alive

ROARD = Path(sys.executable).parent / "roard"

FAKE_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
case "$*" in
  "--user is-system-running") echo "{state}"; [ "{state}" = running ] || exit 1 ;;
  "print gui/"*) [ "{state}" = running ] || exit 113 ;;
esac
exit 0
"""


def _fake_manager(roar_env, tmp_path: Path, tool: str, state: str) -> Path:
    """Put a fake ``tool`` first on PATH; returns the file that records its calls."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir(exist_ok=True)
    calls = tmp_path / f"{tool}.calls"
    script = bindir / tool
    script.write_text(FAKE_TOOL.format(log=calls, state=state))
    script.chmod(0o755)
    roar_env.env["PATH"] = f"{bindir}{os.pathsep}{roar_env.env['PATH']}"
    return calls


def _unit_dir(roar_env) -> Path:
    return Path(roar_env.env["XDG_CONFIG_HOME"]) / "systemd" / "user"


def test_systemd_dry_run_prints_the_units_and_writes_nothing(roar_env, tmp_path):
    _fake_manager(roar_env, tmp_path, "systemctl", "offline")
    r = roar_env.roarctl("daemon", "install-service", "--manager", "systemd", "--dry-run", check=True)
    unit_dir = _unit_dir(roar_env)
    out = r.stdout.splitlines()
    assert f"would write {unit_dir / 'roard.service'}:" in out
    assert f"would write {unit_dir / 'roard.socket'}:" in out
    assert f"    ExecStart={ROARD} --foreground" in out
    assert ROARD.is_absolute() and os.access(ROARD, os.X_OK)
    for line in ("ListenStream=%t/roar/roard.sock", "SocketMode=0600", "DirectoryMode=0700",
                 "Requires=roard.socket", "WantedBy=sockets.target"):
        assert f"    {line}" in out, line
    assert not any(line.startswith("would run") for line in out)
    assert out[-1] == ("no systemd user manager is running here (`systemctl --user is-system-running` "
                       "says offline), so the service is not enabled; roarctl keeps starting roard on demand")
    assert not unit_dir.exists()


def test_systemd_install_without_a_manager_writes_but_does_not_enable(roar_env, tmp_path):
    calls = _fake_manager(roar_env, tmp_path, "systemctl", "offline")
    dry = json.loads(roar_env.roarctl("daemon", "install-service", "--manager", "systemd", "--dry-run",
                                      "--json", check=True).stdout)
    r = roar_env.roarctl("daemon", "install-service", "--manager", "systemd", "--json", check=True)
    res = json.loads(r.stdout)
    assert set(res) == {"manager", "roard", "dry_run", "files", "manager_running", "manager_state",
                        "commands", "enabled", "message"}
    assert res["manager"] == "systemd" and res["roard"] == str(ROARD)
    assert (res["dry_run"], res["manager_running"], res["enabled"], res["commands"]) == (False, False, False, [])
    assert res["message"].endswith("so the service is not enabled; roarctl keeps starting roard on demand")
    unit_dir = _unit_dir(roar_env)
    assert [f["path"] for f in res["files"]] == [str(unit_dir / "roard.service"), str(unit_dir / "roard.socket")]
    for f, d in zip(res["files"], dry["files"]):
        assert f["written"] and not d["written"]
        assert Path(f["path"]).read_text() == f["content"] == d["content"]
        assert stat.S_IMODE(os.stat(f["path"]).st_mode) == 0o644
    assert calls.read_text() == "systemctl --user is-system-running\n" * 2, "nothing was enabled"
    if shutil.which("systemd-analyze"):
        v = subprocess.run(["systemd-analyze", "verify", "--man=no", *(f["path"] for f in res["files"])],
                           capture_output=True, text=True, cwd=unit_dir, env={**os.environ, "XDG_RUNTIME_DIR": "/tmp"})
        assert v.returncode == 0 and v.stderr == "", v.stderr


def test_systemd_install_with_a_manager_enables_the_socket(roard, tmp_path):
    """With a (fake) running user manager: a daemon roarctl had started is stopped first, so
    systemd can own the socket path, then the socket unit is enabled and started."""
    calls = _fake_manager(roard, tmp_path, "systemctl", "running")
    pid = roard.daemon_pid()
    r = roard.roarctl("daemon", "install-service", "--manager", "systemd", check=True)
    unit_dir = _unit_dir(roard)
    assert r.stdout.splitlines() == [
        f"wrote {unit_dir / 'roard.service'}",
        f"wrote {unit_dir / 'roard.socket'}",
        "ran: systemctl --user daemon-reload",
        "ran: systemctl --user enable --now roard.socket",
        f"enabled the systemd user manager's roard service; roard starts when something connects to {roard.socket}",
    ]
    assert calls.read_text().splitlines() == ["systemctl --user is-system-running",
                                              "systemctl --user daemon-reload",
                                              "systemctl --user enable --now roard.socket"]
    assert not pid_alive(pid) and not roard.socket.exists()


def test_launchd_agent(roar_env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    roar_env.env["HOME"] = str(home)
    calls = _fake_manager(roar_env, tmp_path, "launchctl", "running")
    plist_path = home / "Library" / "LaunchAgents" / "io.roar.roard.plist"

    # Without XDG_RUNTIME_DIR (as on macOS) roarctl's socket is the agent's: no warning.
    roar_env.env.pop("XDG_RUNTIME_DIR")
    roar_env.env["ROARD_SOCKET"] = str(Path(roar_env.env["XDG_STATE_HOME"]) / "roar" / "roard.sock")
    r = roar_env.roarctl("daemon", "install-service", "--manager", "launchd", "--dry-run", "--json", check=True)
    assert r.stderr == ""
    res = json.loads(r.stdout)
    assert res["files"][0]["path"] == str(plist_path) and not plist_path.exists()
    agent = plistlib.loads(res["files"][0]["content"].encode())
    state_dir = Path(roar_env.env["XDG_STATE_HOME"]) / "roar"
    assert agent == {"Label": "io.roar.roard", "ProgramArguments": [str(ROARD), "--foreground"],
                     "RunAtLoad": True, "KeepAlive": {"SuccessfulExit": False}, "ProcessType": "Background",
                     "EnvironmentVariables": {"XDG_STATE_HOME": roar_env.env["XDG_STATE_HOME"]},
                     "StandardOutPath": str(state_dir / "launchd.log"),
                     "StandardErrorPath": str(state_dir / "launchd.log")}
    uid = os.getuid()
    assert res["commands"] == [["launchctl", "bootout", f"gui/{uid}/io.roar.roard"],
                               ["launchctl", "bootstrap", f"gui/{uid}", str(plist_path)]]

    roar_env.roarctl("daemon", "install-service", "--manager", "launchd", check=True)
    assert plistlib.loads(plist_path.read_bytes()) == agent
    assert state_dir.is_dir()
    assert calls.read_text().splitlines()[-2:] == [f"launchctl bootout gui/{uid}/io.roar.roard",
                                                   f"launchctl bootstrap gui/{uid} {plist_path}"]


def test_warns_when_roarctl_uses_another_socket(roar_env, tmp_path):
    _fake_manager(roar_env, tmp_path, "systemctl", "offline")
    other = roar_env.base / "other.sock"
    r = roar_env.roarctl("--socket", str(other), "daemon", "install-service", "--manager", "systemd",
                         "--dry-run", check=True)
    assert r.stderr == (f"roarctl: warning: this roarctl uses the socket {other} (--socket or ROARD_SOCKET) "
                        f"but the service serves {roar_env.socket}\n")


def test_launchd_without_launchctl(roar_env, tmp_path):
    roar_env.env["HOME"] = str(tmp_path)
    roar_env.env["PATH"] = "/nonexistent"
    r = roar_env.roarctl("daemon", "install-service", "--manager", "launchd", "--dry-run", check=True)
    assert r.stdout.splitlines()[-1] == ("no launchd user session is running here (launchctl is not "
                                         "installed), so the service is not enabled; roarctl keeps "
                                         "starting roard on demand")


@pytest.mark.parametrize("repo_file", ["systemd/roard.service", "systemd/roard.socket",
                                       "launchd/io.roar.roard.plist"])
def test_repository_unit_files_are_what_roarctl_installs(repo_file):
    from roarctl.commands import daemon

    name = repo_file.split("/")[1]
    assert (REPO / repo_file).read_text() == daemon.service_template(name), \
        f"roarctl/_services/{name} is stale; reinstall (pip install -e .) to copy {repo_file}"
