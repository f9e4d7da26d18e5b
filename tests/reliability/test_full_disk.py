"""Issue 13 item 3: a full workspace disk. The workspace is a small tmpfs mounted in a private
mount namespace (`unshare -m`); the daemon is started inside it, so it sees the same mount.
Each scenario runs as one shell script in that namespace and prints what it saw; the test
asserts on that and on the files."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, RoarEnv

ROARCTL = f"{PYTHON} -m roarctl"


def in_namespace(roar_env: RoarEnv, script: str, ws: Path, size: str = "4m") -> subprocess.CompletedProcess[str]:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a small tmpfs in a private mount namespace")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")
    ws.mkdir()
    prologue = f"""set -u
mount -t tmpfs -o size={size} tmpfs {ws}
cd {ws}
git init -q -b main && echo demo > README.md && printf '.roar/\\nballast\\n' > .gitignore
git add -A && git -c user.name=t -c user.email=t@e.invalid commit -qm init
{ROARCTL} init -n >/dev/null
"""
    epilogue = f"\n{ROARCTL} daemon stop >/dev/null 2>&1\n"
    return subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c",
                           prologue + script + epilogue], env=roar_env.env, capture_output=True, text=True,
                          timeout=300, cwd=roar_env.base)


def test_full_disk_keeps_exit_code_and_records_when_space_returns(roar_env: RoarEnv, tmp_path: Path) -> None:
    """The command fills the disk holding .roar/ and exits 7: roarctl exits 7 and says in one
    sentence what was not recorded; once space is freed the job is recorded with exit code 7
    and its output."""
    ws = tmp_path / "ws"
    script = f"""
head -c 600k /dev/zero > ballast
{ROARCTL} run sh -c 'dd if=/dev/zero of=big bs=16k 2>/dev/null; exit 7' 2>{ws.parent}/run.err
echo "RUN_EXIT=$?"
echo "RUN_ERR=$(cat {ws.parent}/run.err | tr '\\n' '|')"
echo "LOG_FULL=$({ROARCTL} log --json 2>&1 | tr '\\n' ' ')"
rm -f ballast
for i in $(seq 1 100); do
  out=$({ROARCTL} log --json 2>/dev/null)
  case "$out" in *exit_code*) break;; esac
  sleep 0.2
done
echo "LOG_AFTER=$(echo "$out" | tr '\\n' ' ')"
"""
    proc = in_namespace(roar_env, script, ws)
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert lines.get("RUN_EXIT") == "7", proc.stdout + proc.stderr
    err = lines["RUN_ERR"].strip("|")
    assert err.startswith("roarctl: not recorded: the disk holding"), err
    assert "is full; the run is kept (exit code 7) and will be recorded when space is freed" in err
    assert err.count("|") == 0, err                          # one sentence, one line
    assert "internal error" not in proc.stdout
    assert lines["LOG_FULL"].strip() == "[]"                 # a read command works on the full disk
    jobs = json.loads(lines["LOG_AFTER"])
    assert len(jobs) == 1, jobs
    assert jobs[0]["exit_code"] == 7 and jobs[0]["status"] == "failed", jobs[0]
    assert [o["path"] for o in jobs[0]["outputs"]] == ["big"]


def test_run_that_cannot_start_on_a_full_disk_fails_before_the_command(roar_env: RoarEnv, tmp_path: Path) -> None:
    """No room for the run's record: exit 1 with one sentence, the command never ran, and no
    empty run directory is left in .roar/runs."""
    ws = tmp_path / "ws"
    script = f"""
{ROARCTL} daemon start >/dev/null
dd if=/dev/zero of=ballast bs=4k 2>/dev/null
{ROARCTL} run touch ran.txt 2>{ws.parent}/run.err
echo "RUN_EXIT=$?"
echo "RUN_ERR=$(cat {ws.parent}/run.err 2>/dev/null | tr '\\n' '|')"
echo "RAN=$(test -e ran.txt && echo yes || echo no)"
echo "RUNS=$(ls -A .roar/runs 2>/dev/null | wc -l)"
"""
    proc = in_namespace(roar_env, script, ws, size="2m")
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert lines.get("RUN_EXIT") == "1", proc.stdout + proc.stderr
    assert lines["RUN_ERR"].strip("|").startswith("roarctl: cannot start the run: the disk holding"), lines
    assert lines["RAN"] == "no" and lines["RUNS"] == "0", lines


def test_read_only_roar_dir_read_commands_work_and_run_refuses_before_starting(roar_env: RoarEnv,
                                                                                tmp_path: Path) -> None:
    """`.roar/` bind-mounted read-only, the daemon restarted: log, show, dag and status answer
    from the database (opened immutable); `run` fails with one sentence and exit 1 before the
    command runs, leaving nothing in .roar/runs."""
    ws = tmp_path / "ws"
    script = f"""
{ROARCTL} run -q sh -c 'echo hi > a.txt'
{ROARCTL} daemon stop >/dev/null
mount --bind .roar .roar && mount -o remount,bind,ro .roar
for cmd in log "show @1" dag status; do
  {ROARCTL} $cmd >{ws.parent}/out.txt 2>&1
  echo "READ $cmd=$?:$(tr '\\n' '|' < {ws.parent}/out.txt)"
done
{ROARCTL} run touch ran.txt 2>{ws.parent}/run.err
echo "RUN_EXIT=$?"
echo "RUN_ERR=$(tr '\\n' '|' < {ws.parent}/run.err)"
echo "RAN=$(test -e ran.txt && echo yes || echo no)"
echo "RUNS=$(ls -A .roar/runs | wc -l)"
"""
    proc = in_namespace(roar_env, script, ws, size="16m")
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    for cmd in ("log", "show @1", "dag", "status"):
        code, _, out = lines[f"READ {cmd}"].partition(":")
        assert code == "0", (cmd, out, proc.stderr)
        assert "a.txt" in out or "echo hi" in out or "1 job" in out, (cmd, out)
    assert lines["RUN_EXIT"] == "1", lines
    assert lines["RUN_ERR"].strip("|").startswith("roarctl: cannot start the run: "), lines
    assert "read-only file system" in lines["RUN_ERR"] and lines["RUN_ERR"].count("|") == 1, lines
    assert lines["RAN"] == "no" and lines["RUNS"] == "0", lines


def test_full_state_directory(roar_env: RoarEnv, tmp_path: Path) -> None:
    """roard's state directory ($XDG_STATE_HOME/roar: hash cache, registration queue, log) on a
    full tmpfs: the run is still recorded with its outputs (the hash cache is a cache) and
    roarctl exits with the command's code."""
    ws = tmp_path / "ws"
    state = Path(roar_env.env["XDG_STATE_HOME"])
    state.mkdir(parents=True, exist_ok=True)
    script = f"""
{ROARCTL} daemon stop >/dev/null 2>&1
mount -t tmpfs -o size=1m tmpfs {state}
{ROARCTL} daemon start >/dev/null
dd if=/dev/zero of={state}/ballast bs=4k 2>/dev/null
{ROARCTL} run -q sh -c 'echo hi > a.txt; exit 4' 2>{ws.parent}/run.err
echo "RUN_EXIT=$?"
echo "RUN_ERR=$(tr '\\n' '|' < {ws.parent}/run.err)"
echo "LOG=$({ROARCTL} log --json | tr '\\n' ' ')"
"""
    proc = in_namespace(roar_env, script, ws, size="16m")
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert lines.get("RUN_EXIT") == "4", proc.stdout + proc.stderr
    jobs = json.loads(lines["LOG"])
    assert len(jobs) == 1 and jobs[0]["exit_code"] == 4, (lines, proc.stderr)
    assert [o["path"] for o in jobs[0]["outputs"]] == ["a.txt"], jobs[0]
