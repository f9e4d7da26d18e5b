"""The ptrace backend across processes: H lines, exec in all its forms (case 12), fork, vfork,
posix_spawn, threads, multiprocessing and orphans (14, 15), and the cases only this backend
has: the seccomp filter's reach (25), nested tracing and tracee filters (26), the ptrace
options and their races (27). Also the CLI and exit-status contract of roar-ptrace."""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roard.tracing.spool import ProcessStart

from .cases_ptrace.harness import (clean_env, pcc, prun, ptrace_bin, pwork,  # noqa: F401
                                   read_spool, rel)


def by_pid(events, pid):
    return [e for e in events if e.pid == pid]


def names(events) -> list[str]:
    return [os.path.basename(e.path) for e in events]


def pid_lines(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in (line.split("=") for line in text.splitlines() if "=" in line)}


# ---- H lines and exit statuses ----

def test_header_of_the_root(prun, pcc, pwork):
    t = prun([pcc("procs"), "exit", pwork, "0"], cwd=pwork)
    (h,) = t.headers()
    assert (h.exe, h.cwd) == (str(pcc("procs")), str(pwork))
    assert h.ppid > 1 and h.ppid != h.pid
    assert t.events[0] == h and t.pids() == {h.pid}
    # case 13: what the loader maps is an open like any other (no D lines from this backend)
    libc = [e for e in t.of_kind("O") if os.path.basename(e.target) == "libc.so.6"]
    assert len(libc) == 1 and libc[0].flags & os.O_ACCMODE == os.O_RDONLY
    assert t.of_kind("D") == []


def test_exit_status_and_death_by_signal(ptrace_bin, pcc, pwork, tmp_path):
    base = [str(ptrace_bin), "--spool", str(tmp_path / "s"), "--", str(pcc("procs"))]
    assert subprocess.run([*base, "exit", str(pwork), "42"]).returncode == 42
    # Killed by a signal: roar-ptrace dies of the same signal (so a shell shows 128+N).
    assert subprocess.run([*base, "kill", str(pwork), str(int(signal.SIGKILL))]).returncode == -9
    assert subprocess.run([*base, "kill", str(pwork), str(int(signal.SIGSEGV))]).returncode == -11
    t = read_spool(None, tmp_path / "s")
    assert names(t.opens(pwork)) == ["before_kill.txt", "before_kill.txt"]


def test_cli_errors(ptrace_bin, tmp_path, pwork):
    def run(*args, env=None):
        return subprocess.run([str(ptrace_bin), *args], capture_output=True, text=True,
                              env=clean_env(env))
    r = run("true")
    assert r.returncode == 125 and "no spool directory" in r.stderr
    r = run("--spool")
    assert r.returncode == 125 and "--spool needs a directory" in r.stderr
    r = run("--spool", str(tmp_path / "s"))
    assert r.returncode == 125 and "no program" in r.stderr
    r = run("--bogus", "true")
    assert r.returncode == 125 and "unknown option" in r.stderr
    r = run("--spool", str(tmp_path / "missing" / "deeper"), "true")
    assert r.returncode == 125 and "spool directory" in r.stderr
    r = run("--spool", str(tmp_path / "s"), "--", "/nonexistent/program")
    assert r.returncode == 127 and "cannot run /nonexistent/program" in r.stderr
    (pwork / "noexec").write_text("#!/bin/sh\n")
    r = run(f"--spool={tmp_path / 's'}", str(pwork / "noexec"))
    assert r.returncode == 126 and "Permission denied" in r.stderr
    # ROAR_SPOOL_DIR is the default; "--" is optional before PROGRAM.
    r = run("true", env={"ROAR_SPOOL_DIR": str(tmp_path / "env-spool")})
    assert r.returncode == 0 and list((tmp_path / "env-spool").glob("*.spool"))
    assert run("-h").returncode == 0


def test_sigterm_is_forwarded_to_the_program(ptrace_bin, pcc, pwork, tmp_path):
    spool = tmp_path / "s"
    p = subprocess.Popen([str(ptrace_bin), "--spool", str(spool), "--", str(pcc("procs")),
                          "term", str(pwork)], stdout=subprocess.PIPE, env=clean_env())
    assert p.stdout.readline() == b"ready\n"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 7
    assert (pwork / "got_term.txt").exists()
    assert names(read_spool(None, spool).opens(pwork)) == ["got_term.txt"]


def test_job_control_stop_and_continue(ptrace_bin, pwork, tmp_path):
    """SIGSTOP stops the traced program (a group-stop kept with PTRACE_LISTEN, not resumed by
    the tracer), SIGCONT lets it go on."""
    script = ("import os, sys, time\n"
              "print(os.getpid(), flush=True)\n"
              "sys.stdin.readline()\n"
              "open('after_cont.txt', 'w').close()\n")
    p = subprocess.Popen([str(ptrace_bin), "--spool", str(tmp_path / "s"), "--", sys.executable,
                          "-I", "-c", script], cwd=pwork, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=clean_env())
    pid = int(p.stdout.readline())

    def state():
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while state() not in "tT" and time.monotonic() < deadline:
        time.sleep(0.02)
    p.stdin.write(b"go\n")
    p.stdin.flush()
    time.sleep(0.3)
    assert state() in "tT" and not (pwork / "after_cont.txt").exists()   # still stopped
    os.kill(pid, signal.SIGCONT)
    assert p.wait(timeout=20) == 0
    assert names(read_spool(None, tmp_path / "s").opens(pwork)) == ["after_cont.txt"]


# ---- case 12: exec ----

@pytest.mark.parametrize("mode", ["execve", "execveat", "fexecve"])
def test_case12_exec_family(prun, pcc, pwork, mode):
    (pwork / "in.txt").write_text("in")
    t = prun([pcc("execs"), mode, pwork])
    assert t.stdout == "in"
    (pid,) = t.pids()
    assert [h.exe for h in t.headers()] == [str(pcc("execs")), os.path.realpath("/bin/cat")]
    assert [(e.pid, e.path) for e in t.opens(pwork)] == [(pid, str(pwork / "in.txt"))]


def test_case12_script_interpreter_and_script(prun, pcc, pwork):
    (pwork / "in.txt").write_text("in")
    script = pwork / "script.sh"
    script.write_text("#!/bin/sh\ncat in.txt\n")
    script.chmod(0o755)
    t = prun([pcc("execs"), "script", pwork])
    assert t.stdout == "in"
    sh = os.path.realpath("/bin/sh")
    assert [h.exe for h in t.headers()] == [str(pcc("execs")), sh, os.path.realpath("/bin/cat")]
    assert names(t.opens(pwork)) == ["script.sh", "in.txt"]


def test_case12_execvp_path_search(prun, pcc, pwork):
    (pwork / "in.txt").write_text("in")
    (pwork / "nobin").mkdir()
    (pwork / "nobin" / "mytool").write_text("not executable")
    (pwork / "bin").mkdir()
    tool = pwork / "bin" / "mytool"
    tool.write_text("#!/bin/sh\ncat in.txt\n")
    tool.chmod(0o755)
    t = prun([pcc("execs"), "pathsearch", pwork])
    assert t.stdout == "in"
    # Failed candidates (/nonexistent/mytool, the non-executable nobin/mytool) are no inputs.
    assert rel(t.opens(pwork), pwork) == ["O bin/mytool", "O in.txt"]


def test_case12_case27_exec_from_a_non_leader_thread(prun, pcc, pwork):
    (pwork / "in.txt").write_text("in")
    t = prun([pcc("procs"), "thread_exec", pwork])
    leader = pid_lines(t.stdout)["leader"]
    assert t.stdout.endswith("in")
    # The execing thread takes over the leader's pid: one process, two images.
    assert t.pids() == {leader}
    assert [(h.pid, h.exe) for h in t.headers()] == [
        (leader, str(pcc("procs"))), (leader, os.path.realpath("/bin/cat"))]
    assert [(e.pid, os.path.basename(e.path)) for e in t.opens(pwork)] == [
        (leader, "before_exec.txt"), (leader, "in.txt")]


# ---- case 14: processes ----

def test_case14_fork_vfork_spawn_and_an_orphan(prun, pcc, pwork):
    for n in ("in.txt", "in2.txt"):
        (pwork / n).write_text(n + "\n")
    t = prun([pcc("procs"), "processes", pwork])
    # The root exits without waiting for the grandchild (a daemon: its stdio on /dev/null):
    # so does roar-ptrace, before the grandchild's 1 s sleep is over and without holding the
    # caller's pipes; the tracer stays and keeps tracing the grandchild.
    assert not (pwork / "orphan.txt").exists()
    pids = pid_lines(t.stdout)
    deadline = time.monotonic() + 10
    while not (pwork / "orphan.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    t = t.reread()
    root = t.headers()[0].pid

    def files(pid):
        return names(e for e in t.opens(pwork) if e.pid == pid)

    assert files(root) == ["parent_before.txt", "parent_after.txt"]
    fork_h = by_pid(t.events, pids["fork"])[0]           # H first, naming its parent
    assert isinstance(fork_h, ProcessStart) and fork_h.ppid == root
    assert fork_h.exe == str(pcc("procs")) and files(pids["fork"]) == ["fork_child.txt"]
    cat = os.path.realpath("/bin/cat")
    for name, inp in (("vfork", "in.txt"), ("spawn", "in2.txt")):
        hs = [h for h in t.headers() if h.pid == pids[name]]
        assert (hs[-1].exe, hs[-1].ppid) == (cat, root), name
        assert files(pids[name]) == [inp], name
    assert files(pids["grandchild"]) == ["orphan.txt"]    # written after the root was gone
    assert pids["middle"] not in t.pids()                 # it did nothing: no file, no H


def test_case14_multiprocessing_pools(prun, pwork):
    script = ("import multiprocessing as mp, os\n"
              "def job(i):\n"
              "    with open(f'out_{i}.txt', 'w') as f: f.write(str(os.getpid()))\n"
              "    return os.getpid()\n"
              "if __name__ == '__main__':\n"
              "    for method, base in (('fork', 0), ('spawn', 10)):\n"
              "        with mp.get_context(method).Pool(2) as pool:\n"
              "            print(method, *pool.map(job, range(base, base + 4)))\n")
    (pwork / "mp.py").write_text(script)
    t = prun([sys.executable, "-I", "mp.py"], cwd=pwork, timeout=120)
    workers = {}
    for line in t.stdout.splitlines():
        method, *ps = line.split()
        workers[method] = [int(p) for p in ps]
    opens = {os.path.basename(e.path): e.pid for e in t.opens(pwork) if "out_" in e.path}
    for method, base in (("fork", 0), ("spawn", 10)):
        for i, pid in zip(range(base, base + 4), workers[method]):
            assert opens[f"out_{i}.txt"] == pid, (method, i)
            assert isinstance(by_pid(t.events, pid)[0], ProcessStart)


def test_case14_sigkill_from_outside_keeps_what_was_written(ptrace_bin, pwork, tmp_path):
    spool = tmp_path / "s"
    script = ("import os, sys\n"
              "print('go', flush=True)\n"
              "i = 0\n"
              "while True:\n"
              "    os.close(os.open(f'f{i % 50}.txt', os.O_WRONLY | os.O_CREAT)); i += 1\n")
    p = subprocess.Popen([str(ptrace_bin), "--spool", str(spool), "--", sys.executable, "-I",
                          "-c", script], cwd=pwork, stdout=subprocess.PIPE, env=clean_env())
    assert p.stdout.readline() == b"go\n"
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGKILL)        # the front: the tracer and the program die with it
    p.wait(timeout=10)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{p.pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    t = read_spool(None, spool)           # every line whole, none torn
    got = names(t.opens(pwork))
    assert len(got) > 20 and got[:3] == ["f0.txt", "f1.txt", "f2.txt"]
    # Nothing traced survives: the program was killed with its tracer (PTRACE_O_EXITKILL).
    time.sleep(0.2)
    n = len(read_spool(None, spool).opens(pwork))
    time.sleep(0.3)
    assert len(read_spool(None, spool).opens(pwork)) == n


# ---- case 15: threads ----

def test_case15_many_threads_at_once(prun, pcc, pwork):
    t = prun([pcc("procs"), "threads", pwork, "64"])
    (pid,) = t.pids()
    assert sorted(names(t.opens(pwork))) == sorted(f"t{i}.txt" for i in range(64))
    assert {e.pid for e in t.events} == {pid}            # PID is the process, not the thread
    assert len(t.headers()) == 1


def test_overlapping_calls_of_many_threads_name_their_own_files(prun, pcc, pwork):
    """The tracer lets a thread into a traced call before decoding its arguments (the decoding
    overlaps the call). With eight threads racing through opens by dirfd and by relative name,
    failed opens (EEXIST, ENOENT, EFAULT) among them, every event must name the thread's own
    file, successful opens appear exactly once each, and failed ones never."""
    n, rounds = 8, 200
    t = prun([pcc("procs"), "racing", pwork, str(n)], timeout=120)
    (pid,) = t.pids()
    files = [e for e in t.opens(pwork) if e.ftype == "f"]
    got = [os.path.relpath(e.path, pwork) for e in files]
    want = [f"r{i}/f{j}.txt" for i in range(n) for j in range(rounds)]
    dirs = [os.path.relpath(e.path, pwork) for e in t.opens(pwork) if e.ftype == "d"]
    assert sorted(dirs) == [f"r{i}" for i in range(n)]   # each thread's dirfd
    assert sorted(got) == sorted(want * 2)               # the O_EXCL create and the re-open
    assert not [p for p in got if "missing" in p]
    creates = [e for e in files if e.flags & os.O_CREAT]
    assert sorted(os.path.relpath(e.path, pwork) for e in creates) == sorted(want)
    for e in files:                                      # PATH and the descriptor agree
        assert e.real is None and e.ino == os.stat(e.path).st_ino
    assert {e.pid for e in t.events} == {pid}


# ---- case 27: the race of a new tracee's first stop with its parent's fork event ----

def test_case27_fork_and_thread_storm(prun, pcc, pwork):
    n = 60
    t = prun([pcc("procs"), "storm", pwork, str(n)], timeout=120)
    root = t.headers()[0].pid
    children = t.pids() - {root}
    assert len(children) == n
    for pid in children:
        ev = by_pid(t.events, pid)
        assert isinstance(ev[0], ProcessStart) and ev[0].ppid == root
        got = names(e for e in ev if e.kind == "O" and e.path.startswith(str(pwork)))
        assert sorted(got[:2]) == ["t0.txt", "t1.txt"] and got[2].startswith("p"), got
    assert sorted(p.name for p in pwork.glob("p*.txt")) == sorted(f"p{i}.txt" for i in range(n))


# ---- case 25: only the traced syscalls stop ----

def test_case25_untraced_syscalls_do_not_stop(ptrace_bin, pcc, pwork, tmp_path):
    loops = 100_000
    stats = tmp_path / "stats.json"
    cmd = [str(pcc("procs")), "spin", str(pwork), str(loops)]
    subprocess.run([str(ptrace_bin), "--spool", str(tmp_path / "s"), "--", *cmd], check=True,
                   env=clean_env({"ROAR_PTRACE_STATS": str(stats)}))
    counts = json.loads(stats.read_text())
    # 200,000 getpid/stat calls, and only the loader's few opens and done.txt stopped (the
    # tracer's own count of stops; what a stop costs is bench/bench_ptrace.py's to measure).
    assert counts["seccomp_stops"] < 20, counts
    assert counts["exit_stops"] == counts["seccomp_stops"]
    assert counts["events"] >= 3 and counts["processes"] == 1


@pytest.mark.parametrize("spin", ["0", "1000"])
def test_waiting_asleep_or_polling_gives_the_same_events(prun, pcc, pwork, spin):
    """ROAR_PTRACE_SPIN_US=0 never polls for the next stop; a long window polls whenever stops
    come densely. Either way every event is there, in order, in the right process."""
    t = prun([pcc("procs"), "storm", pwork, "20"], env={"ROAR_PTRACE_SPIN_US": spin})
    root = t.headers()[0].pid
    assert len(t.pids() - {root}) == 20
    got = sorted(names(e for e in t.opens(pwork)))
    assert got == sorted([f"p{i}.txt" for i in range(20)] + ["t0.txt", "t1.txt"] * 20)


def test_getregs_fallback_for_kernels_without_get_syscall_info(prun, pcc, pwork):
    """PTRACE_GET_SYSCALL_INFO needs Linux 5.3; older kernels use the registers. Forced here,
    the same program must give the same events."""
    (pwork / "sub").mkdir()
    (pwork / "sub2").mkdir()
    (pwork / "a.txt").write_text("a")
    (pwork / "sub" / "b.txt").write_text("b")
    a = prun([pcc("files"), "relative", pwork])
    for p in pwork.glob("sub*/[cd].txt"):
        p.unlink()
    b = prun([pcc("files"), "relative", pwork], env={"ROAR_PTRACE_FORCE_GETREGS": "1"})
    assert rel(a.touching(pwork), pwork) == rel(b.touching(pwork), pwork)
    assert [e.flags for e in a.opens(pwork)] == [e.flags for e in b.opens(pwork)]


# ---- case 26: nested tracing, the tracee's own filters ----

def test_case26_roar_ptrace_under_another_tracer_fails_clearly(ptrace_bin, tmp_path):
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed")
    r = subprocess.run([strace, "-f", "-o", "/dev/null", str(ptrace_bin), "--spool",
                        str(tmp_path / "s"), "--", "true"], capture_output=True, text=True,
                       env=clean_env(), timeout=30)
    assert r.returncode == 125
    assert "already being traced by process" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1                      # one sentence
    assert not list((tmp_path / "s").glob("*.spool"))    # the program never ran


@pytest.mark.parametrize("forbidden, message", [
    ("ptrace", "cannot trace true: ptrace is not permitted here (Operation not permitted)"),
    ("seccomp", "cannot install the seccomp filter (Operation not permitted)"),
])
def test_tracing_forbidden_exits_125_with_one_sentence(ptrace_bin, pcc, tmp_path, forbidden,
                                                        message):
    """Where a container's seccomp profile forbids ptrace or seccomp (simulated with a filter
    that makes the call fail with EPERM), roar-ptrace says so in one sentence and exits 125
    without running the program."""
    spool = tmp_path / "s"
    r = subprocess.run([str(pcc("deny")), forbidden, str(ptrace_bin), "--spool", str(spool),
                        "--", "true"], capture_output=True, text=True, env=clean_env(),
                       timeout=30)
    assert r.returncode == 125
    assert r.stderr.startswith("roar-ptrace: " + message), r.stderr
    assert r.stderr.count("\n") == 1
    assert not list(spool.glob("*.spool"))


def test_case26_tracee_that_asks_to_be_traced(prun, pcc, pwork):
    t = prun([pcc("procs"), "traceme", pwork])
    assert t.stdout.startswith("traceme=-1 errno=1\n")   # EPERM: it is traced already
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("nested-ptrace", None)]
    assert names(t.opens(pwork)) == ["after.txt"]


def test_case26_tracee_with_its_own_seccomp_filter(prun, pcc, pwork):
    """The tracee's filter can only add restrictions: its ERRNO wins over our TRACE (mkdir
    fails, nothing is recorded because nothing happened); its own SECCOMP_RET_TRACE, which
    would make getppid fail with ENOSYS without a tracer, comes to us and simply runs."""
    t = prun([pcc("ownfilter"), "deny", pwork])
    assert t.stdout == "getppid=1\n"
    assert rel(t.touching(pwork), pwork) == ["O allowed.txt"]
    assert not (pwork / "denied").exists()
    t = prun([pcc("ownfilter"), "listener", pwork])
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("seccomp-listener", None)]
    assert rel(t.touching(pwork), pwork) == ["O after_listener.txt"]


def test_setuid_program_runs_unprivileged_with_a_warning(prun, pwork):
    """no_new_privs (needed for the filter) and ptrace both ignore the set-uid bit."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a set-uid copy owned by another user")
    ident = pwork / "myid"
    shutil.copy("/usr/bin/id", ident)
    os.chown(ident, 65534, 65534)
    ident.chmod(0o755 | stat.S_ISUID)
    pwork.chmod(0o755)
    plain = subprocess.run([ident, "-u"], capture_output=True, text=True).stdout
    t = prun([ident, "-u"])
    assert (plain, t.stdout) == ("65534\n", f"{os.getuid()}\n")
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("setuid-unprivileged", str(ident))]
