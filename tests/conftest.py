"""Shared fixtures: a real roard on a temporary socket, and roarctl run as a real subprocess.

Every test gets its own XDG directories, so daemons, logs and hash caches never mix.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from roarctl.commands.daemon import pid_alive

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class RoarEnv:
    """A per-test environment: where the socket, state and config go."""

    base: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def socket(self) -> Path:
        return Path(self.env["ROARD_SOCKET"])

    @property
    def state_dir(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"]) / "roar"

    @property
    def log(self) -> Path:
        return self.state_dir / "roard.log"

    def roarctl(self, *args: str, cwd: str | Path | None = None, input: str | None = None,
                check: bool = False, timeout: float = 120, env: dict[str, str] | None = None,
                ) -> subprocess.CompletedProcess[str]:
        """Run ``roarctl ARGS`` as a subprocess with this environment."""
        proc = subprocess.run([PYTHON, "-m", "roarctl", *args], cwd=cwd or self.base, env={**self.env, **(env or {})},
                              input=input, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"roarctl {' '.join(args)} exited {proc.returncode}\n"
                                 f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def start_roard(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start roard in the foreground as a child of the test (not detached)."""
        return subprocess.Popen([PYTHON, "-m", "roard", "--socket", str(self.socket), *extra],
                                env={**self.env, **(env or {})}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)

    def wait_ready(self, timeout: float = 15) -> None:
        from roarctl.client import daemon_answers

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if daemon_answers(self.socket, timeout=0.5):
                return
            time.sleep(0.05)
        raise AssertionError(f"roard did not become ready; log:\n{self.read_log()}")

    def read_log(self) -> str:
        return self.log.read_text() if self.log.exists() else "(no log)"

    def daemon_pid(self) -> int | None:
        lock = self.socket.with_name(self.socket.name + ".lock")
        try:
            text = lock.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def stop_daemon(self) -> None:
        pid = self.daemon_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        # Gone: the lock file's pid is history.
        self.socket.with_name(self.socket.name + ".lock").unlink(missing_ok=True)


def make_env(base: Path) -> RoarEnv:
    # Short socket paths: sun_path holds 107 bytes and pytest's tmp paths can be long.
    run_dir = Path(os.environ.get("ROAR_TEST_RUNTIME", "/tmp")) / f"roar-t{os.getpid()}-{abs(hash(base)) % 10**8}"
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD", "XDG_"))}
    env.update({
        "XDG_RUNTIME_DIR": str(run_dir),
        "XDG_STATE_HOME": str(base / "state"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "XDG_DATA_HOME": str(base / "data"),   # reproduce's clones land here, not in ~/.local/share
        "ROARD_SOCKET": str(run_dir / "roar" / "roard.sock"),
        "ROAR_AUTOSTART_TIMEOUT": "20",
        "PYTHONPATH": str(REPO),
        "GIT_AUTHOR_NAME": "roar test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "roar test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    })
    return RoarEnv(base=base, env=env)


@pytest.fixture
def roar_env(tmp_path: Path):
    """An isolated environment; any daemon started in it is stopped after the test, and its
    runtime directory under /tmp is removed."""
    renv = make_env(tmp_path)
    run_dir = Path(renv.env["XDG_RUNTIME_DIR"])  # tests may change the env; remember it now
    yield renv
    try:
        renv.stop_daemon()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
def roard(roar_env: RoarEnv):
    """A running daemon (started through roarctl, as a user would)."""
    roar_env.roarctl("daemon", "start", check=True)
    yield roar_env


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def workspace(roard: RoarEnv, tmp_path: Path) -> Path:
    """A git repository with one commit, initialized as a roar workspace."""
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    (ws / "README.md").write_text("demo\n")
    (ws / ".gitignore").write_text(".roar/\n")
    git(ws, "add", "-A")
    git(ws, "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit", "-qm", "init")
    roard.roarctl("init", "-n", cwd=ws, check=True)
    return ws
