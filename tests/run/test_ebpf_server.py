"""The eBPF tracer kept loaded in roard between runs (roard/tracing/ebpf_server.py): one server
for consecutive and concurrent runs, restarted when it died, flushed at EndRun, lost events still
reported. Real daemon, real processes; skipped where the eBPF backend is unusable (not root...)."""
from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RoarEnv
from tests.run.helpers import PY, paths, run_json, write_script


@pytest.fixture(autouse=True)
def ebpf_usable() -> None:
    from roard.tracing.backends import backend_status

    status = backend_status("ebpf")
    if not status.usable:
        pytest.skip(f"ebpf is not usable here: {status.reason}")


def server_pids(renv: RoarEnv) -> list[int]:
    """`roar-ebpf --server SOCK` processes of this test's daemon (SOCK is beside its socket)."""
    sock = str(renv.socket.parent / "roar-ebpf.sock")
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--server" in argv and sock.encode() in argv:
            found.append(int(d.name))
    return found


def one_server(renv: RoarEnv) -> int:
    pids = server_pids(renv)
    assert len(pids) == 1, (pids, renv.read_log())
    return pids[0]


def ebpf_job(renv: RoarEnv, ws: Path, *cmd: str, expect_rc: int = 0) -> dict:
    job = run_json(renv, ws, "--tracer", "ebpf", *cmd, expect_rc=expect_rc)
    assert job["tracer"] == "ebpf"
    return job


def test_consecutive_runs_reuse_one_server(roard: RoarEnv, workspace: Path) -> None:
    (workspace / "in.txt").write_text("in")
    write_script(workspace, "cp_file.py", "import sys\nopen(sys.argv[2], 'w').write(open(sys.argv[1]).read())\n")
    first = ebpf_job(roard, workspace, PY, "cp_file.py", "in.txt", "a.txt")
    pid = one_server(roard)
    second = ebpf_job(roard, workspace, PY, "cp_file.py", "a.txt", "b.txt")
    assert one_server(roard) == pid                      # not reloaded
    assert {"in.txt", "cp_file.py"} <= paths(first["inputs"]) and paths(first["outputs"]) == {"a.txt"}
    assert {"a.txt", "cp_file.py"} <= paths(second["inputs"]) and paths(second["outputs"]) == {"b.txt"}
    assert not [w for w in first["warnings"] + second["warnings"] if "eBPF" in w], second["warnings"]


def _attached_probes(pid: int) -> int:
    """The server's tracepoint attachments: one perf event descriptor each."""
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd) == "anon_inode:[perf_event]")


def test_probes_detach_when_idle_and_come_back_for_the_next_run(roar_env: RoarEnv) -> None:
    roar_env.env["ROAR_EBPF_LINGER_MS"] = "2000"
    roar_env.roarctl("daemon", "start", check=True)
    ws = roar_env.base / "ws"
    ws.mkdir()
    roar_env.roarctl("init", "-n", cwd=ws, check=True)
    write_script(ws, "w.py", "import sys\nopen(sys.argv[1], 'w').write('x')\n")
    assert paths(ebpf_job(roar_env, ws, PY, "w.py", "a.txt")["outputs"]) == {"a.txt"}
    pid = one_server(roar_env)
    assert _attached_probes(pid) > 0
    deadline = time.monotonic() + 20
    while _attached_probes(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _attached_probes(pid) == 0, "no run for longer than the linger: the machine is spared the probes"
    assert paths(ebpf_job(roar_env, ws, PY, "w.py", "b.txt")["outputs"]) == {"b.txt"}
    assert one_server(roar_env) == pid


def test_end_run_flushes_what_the_last_instant_wrote(roard: RoarEnv, workspace: Path) -> None:
    """A command that writes a file and exits at once: its event is still in the ring (the
    server reads it only when woken or every 100 ms) when EndRun comes."""
    for i in range(5):
        job = ebpf_job(roard, workspace, "sh", "-c", f"echo {i} > out{i}.txt")
        assert paths(job["outputs"]) == {f"out{i}.txt"}, job


def test_concurrent_runs_get_only_their_own_files(roard: RoarEnv, workspace: Path) -> None:
    write_script(workspace, "work.py", """
import os, sys, time, subprocess
n = sys.argv[1]
os.makedirs(f"d{n}", exist_ok=True)
for i in range(20):
    open(f"d{n}/f{i}.txt", "w").write(n)
    time.sleep(0.01)
subprocess.run(["cat", f"d{n}/f0.txt"], stdout=open(f"d{n}/cat.txt", "w"), check=True)
""")
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        jobs = list(pool.map(lambda n: ebpf_job(roard, workspace, PY, "work.py", str(n)), range(5)))
    for n, job in enumerate(jobs):
        assert paths(job["outputs"]) == {f"d{n}/f{i}.txt" for i in range(20)} | {f"d{n}/cat.txt"}, job
        theirs = {p for p in paths(job["inputs"]) | paths(job["outputs"]) if p.startswith("d")}
        assert all(p.startswith(f"d{n}/") for p in theirs), theirs
    assert len(server_pids(roard)) == 1


def test_killed_server_is_restarted(roard: RoarEnv, workspace: Path) -> None:
    ebpf_job(roard, workspace, "sh", "-c", "echo a > a.txt")
    old = one_server(roard)
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while old in server_pids(roard) and time.monotonic() < deadline:
        time.sleep(0.05)
    job = ebpf_job(roard, workspace, "sh", "-c", "echo b > b.txt")
    assert paths(job["outputs"]) == {"b.txt"}
    new = one_server(roard)
    assert new != old


def test_launcher_failing_before_exec_is_cleaned_up(roard: RoarEnv, workspace: Path) -> None:
    proc = roard.roarctl("run", "--tracer", "ebpf", "no-such-program-roar", cwd=workspace)
    assert proc.returncode == 127, proc.stderr
    assert "no-such-program-roar" in proc.stderr
    job = ebpf_job(roard, workspace, "sh", "-c", "echo c > c.txt")   # the server is fine
    assert paths(job["outputs"]) == {"c.txt"}
    assert not (workspace / ".roar" / "runs").exists() or not any((workspace / ".roar" / "runs").iterdir())


def test_server_stops_with_the_daemon(roard: RoarEnv, workspace: Path) -> None:
    ebpf_job(roard, workspace, "true")
    pid = one_server(roard)
    roard.roarctl("daemon", "stop", check=True)
    deadline = time.monotonic() + 10
    while server_pids(roard) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid not in server_pids(roard)
    assert not (roard.socket.parent / "roar-ebpf.sock").exists()


def test_lost_events_are_reported_on_the_job(roar_env: RoarEnv) -> None:
    """A 4 KiB ring and a server that does not read for a while after the launcher attached."""
    roar_env.env.update({"ROAR_EBPF_RINGBUF_KB": "4", "ROAR_EBPF_TEST_PAUSE_MS": "1500"})
    roar_env.roarctl("daemon", "start", check=True)
    ws = roar_env.base / "ws"
    ws.mkdir()
    roar_env.roarctl("init", "-n", cwd=ws, check=True)
    (ws / "f.txt").write_text("x")
    write_script(ws, "loop.py", "import os\nfor _ in range(3000): os.close(os.open('f.txt', os.O_RDONLY))\n"
                 "open('out.txt', 'w').write('o')\n")
    job = ebpf_job(roar_env, ws, PY, "loop.py")
    assert any("LOST" in w for w in job["warnings"]), job["warnings"]


def test_i386_program_is_reported_as_not_followed(roard: RoarEnv, workspace: Path, tmp_path: Path) -> None:
    """The server sees file calls through the per-call `syscalls:sys_exit_*` tracepoints, which
    the kernel does not fire for i386 calls: such an image is reported, not silently missed."""
    src = tmp_path / "w32.c"
    src.write_text('#include <stdio.h>\nint main(void) { FILE *f = fopen("out32.txt", "w"); '
                   'fputs("x", f); fclose(f); return 0; }\n')
    cc = subprocess.run(["cc", "-m32", "-o", str(workspace / "w32"), str(src)], capture_output=True)
    if cc.returncode != 0:
        pytest.skip("cannot build i386 programs here (install gcc-multilib)")
    job = ebpf_job(roard, workspace, "./w32")
    assert any("32-bit (i386) program" in w and "w32" in w for w in job["warnings"]), job["warnings"]


def test_tracer_status_and_run_say_why_when_unusable(roard: RoarEnv, workspace: Path, tmp_path: Path) -> None:
    """A server that cannot start (here: a ring size it refuses) makes the run fail with the
    server's own sentence, and nothing of the run is left behind."""
    roard.roarctl("daemon", "stop", check=True)
    roard.env["ROAR_EBPF_RINGBUF_KB"] = "3"
    roard.roarctl("daemon", "start", check=True)
    proc = roard.roarctl("run", "--tracer", "ebpf", "true", cwd=workspace)
    assert proc.returncode != 0
    assert "ebpf tracer cannot run here" in proc.stderr and "power of two" in proc.stderr, proc.stderr
    assert not server_pids(roard)
    st = json.loads(roard.roarctl("tracer", "status", "--json", cwd=workspace, check=True).stdout)
    ebpf = {t["name"]: t for t in st["tracers"]}["ebpf"]
    assert not ebpf["usable"] and "power of two" in ebpf["reason"], ebpf
    runs = workspace / ".roar" / "runs"
    assert not runs.exists() or not any(runs.iterdir())


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
