"""The preload shim across processes and in hostile programs: cases 6, 7, 12-15, 18, 20, 21, 23
and 24 of CAPTURE_CASES.md, the spool's robustness (SIGKILL, programs closing every
descriptor) and the pass-through when ROAR_SPOOL_DIR is unset."""
from __future__ import annotations

import os
import shutil
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roard.tracing.spool import Library, ProcessStart

from .helpers import compile_to, is_static_elf, kernel_name, py, read_spool, traced_env

BUSYBOX = shutil.which("busybox")


def by_pid(events, pid):
    return [e for e in events if e.pid == pid]


def header(events, pid) -> ProcessStart:
    return next(e for e in events if e.pid == pid and isinstance(e, ProcessStart))


# ---- the process image: H and D lines ----

def test_header_and_loaded_libraries(run, cc, work):
    t = run([cc("opener"), "a.txt"], cwd=work)
    (pid,) = t.pids()
    h = t.events[0]
    assert isinstance(h, ProcessStart)
    assert (h.pid, h.ppid, h.exe, h.cwd) == (pid, os.getpid(), str(cc("opener")), str(work))
    libs = [e.path for e in t.events if isinstance(e, Library)]
    assert any(os.path.basename(p) == "libc.so.6" for p in libs)
    assert not any("libroar_preload" in p or "vdso" in p for p in libs)
    assert all(p.startswith("/") for p in libs)


def test_spool_descriptor_is_high_and_cloexec(run, work):
    script = ("import os\n"
              "for fd in os.listdir('/proc/self/fd'):\n"
              "    try: target = os.readlink(f'/proc/self/fd/{fd}')\n"
              "    except OSError: continue\n"
              "    if target.endswith('.spool'):\n"
              "        flags = open(f'/proc/self/fdinfo/{fd}').read().split()[3]\n"
              "        print(fd, flags)\n")
    t = run(py(script), cwd=work)
    ((fd, flags),) = [line.split() for line in t.stdout.splitlines()]
    assert int(fd) >= 800
    assert int(flags, 8) & os.O_CLOEXEC and int(flags, 8) & os.O_APPEND


def test_inactive_without_spool_dir(shim, cc, work):
    """LD_PRELOAD alone: programs run normally, nothing is written, nothing re-injected."""
    (work / "in.txt").write_text("x")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROAR")}
    env["LD_PRELOAD"] = str(shim)
    proc = subprocess.run(["sh", "-c", "cat in.txt > out.txt; env -i /usr/bin/env; "
                           f"{cc('execs')} env . FOO=1"],
                          cwd=work, env=env, capture_output=True, text=True, check=True)
    assert proc.stdout == "FOO=1\n"
    assert (work / "out.txt").read_text() == "x"
    assert not list(work.parent.rglob("*.spool"))


# ---- cases 6 and 7: descriptors ----

def test_case6_proc_self_fd_and_dev_stdin(run, cc, work):
    (work / "in.txt").write_text("input")
    with open(work / "in.txt", "rb") as stdin:
        t = run([cc("fdtricks"), work], stdin=stdin.fileno())
    ev = [e for e in t.of_kind("O") if e.path.startswith(("/proc/self/fd/", "/dev/stdin"))
          or e.path.startswith(str(work))]
    got = [(e.path, kernel_name(e), e.flags & os.O_ACCMODE) for e in ev]
    assert got == [
        ("/proc/self/fd/0", str(work / "in.txt"), os.O_RDONLY),
        ("/dev/stdin", str(work / "in.txt"), os.O_RDONLY),
        (str(work / "out.txt"), None, os.O_WRONLY),
    ]
    # case 7: dup2 / F_DUPFD / dup3 make no events; the exec'd shell writes through fd 1.
    (pid,) = t.pids()
    assert [h.exe for h in t.of_kind("H")] == [str(cc("fdtricks")), "/usr/bin/dash"]
    assert all(e.pid == pid for e in t.events)
    assert (work / "out.txt").read_text() == "via-inherited-fd\n"


def test_case6_shell_redirections(run, work):
    (work / "in.txt").write_text("abc")
    t = run(["sh", "-c", "cat < in.txt > out.txt"], cwd=work)
    got = [(os.path.basename(e.path), e.flags & os.O_ACCMODE) for e in t.opens(work)]
    assert got == [("in.txt", os.O_RDONLY), ("out.txt", os.O_WRONLY)]
    assert (work / "out.txt").read_text() == "abc"


# ---- case 12: exec ----

EXEC_MODES = ["execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "execveat",
              "fexecve", "emptyenv", "thread"]


@pytest.mark.parametrize("mode", EXEC_MODES)
def test_case12_case21_exec_family(run, cc, work, mode):
    """Every exec variant: the new image reports itself (H, same pid) and its opens, also when
    the environment passed was scrubbed (execvpe/execle/emptyenv pass FOO=1 or nothing)."""
    (work / "in.txt").write_text("in")
    t = run([cc("execs"), mode, work])
    assert t.stdout == "in"
    (pid,) = t.pids()
    assert [h.exe for h in t.of_kind("H")] == [str(cc("execs")), "/usr/bin/cat"]
    assert [(e.pid, e.path) for e in t.opens(work)] == [(pid, str(work / "in.txt"))]
    assert t.of_kind("W") == []


def test_case12_script_interpreter_and_script(run, cc, work):
    (work / "in.txt").write_text("in")
    script = work / "script.sh"
    script.write_text("#!/bin/sh\ncat in.txt\n")
    script.chmod(0o755)
    t = run([cc("execs"), "script", work])
    assert [h.exe for h in t.of_kind("H")] == [str(cc("execs")), "/usr/bin/dash",
                                                "/usr/bin/cat"]
    assert [os.path.basename(e.path) for e in t.opens(work)] == ["script.sh", "in.txt"]


def test_case12_execvp_path_search(run, cc, work):
    (work / "in.txt").write_text("in")
    (work / "nobin").mkdir()
    (work / "nobin" / "mytool").write_text("not executable")
    (work / "bin").mkdir()
    tool = work / "bin" / "mytool"
    tool.write_text("#!/bin/sh\ncat in.txt\n")
    tool.chmod(0o755)
    t = run([cc("execs"), "pathsearch", work])
    assert t.stdout == "in"
    # Failed candidates (/nonexistent/mytool, the non-executable nobin/mytool) are no inputs.
    assert [os.path.relpath(e.path, work) for e in t.opens(work)] == ["bin/mytool", "in.txt"]


# ---- case 13: shared libraries ----

def build_dl_case(work: Path, cc) -> Path:
    lib = work / "lib"
    lib.mkdir()
    compile_to("dep", lib / "libdep.so", "-shared", "-fPIC")
    compile_to("plugin", lib / "libplugin.so", "-shared", "-fPIC", f"-L{lib}", "-ldep")
    main = work / "dl_main"
    compile_to("dl_main", main, f"-L{lib}", "-ldep", "-Wl,--enable-new-dtags",
               "-Wl,-rpath,$ORIGIN/lib", "-ldl")
    return main


def test_case13_workspace_libraries(run, cc, work):
    main = build_dl_case(work, cc)
    assert subprocess.run([main], capture_output=True, text=True).stdout == "40 42\n"
    # Under the shim the bare-name dlopen must still find the plugin through the program's
    # RUNPATH, although the call now comes from the shim's dlopen.
    t = run([main], cwd=work)
    assert t.stdout == "40 42\n"
    libs = [e.path for e in t.events if isinstance(e, Library) and e.path.startswith(str(work))]
    assert libs == [str(work / "lib" / "libdep.so"), str(work / "lib" / "libplugin.so")]


def test_case13_python_extension_modules(run, work):
    t = run(py("import _json, ctypes; ctypes.CDLL('libm.so.6')"), cwd=work)
    libs = [os.path.basename(e.path) for e in t.events if isinstance(e, Library)]
    assert any(n.startswith("_ctypes") for n in libs) and "libm.so.6" in libs


# ---- case 14: processes ----

def test_case14_case23_fork_vfork_spawn_double_fork(run, cc, work):
    for n in ("in.txt", "in2.txt", "in3.txt"):
        (work / n).write_text(n + "\n")
    t = run([cc("procs"), work, BUSYBOX or "/bin/true"])
    pids = dict(line.split("=") for line in t.stdout.splitlines() if "=" in line)
    pids = {k: int(v) for k, v in pids.items()}
    root = t.events[0].pid
    deadline = time.monotonic() + 10
    while not (work / "orphan.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    t = read_spool(t.proc, t.spool)

    def files(pid):
        return [os.path.basename(e.path) for e in t.opens(work) if e.pid == pid]

    assert files(root) == ["parent_before.txt", "parent_after.txt"]
    # fork without exec: the child's file starts with an H naming its parent
    fork_h = by_pid(t.events, pids["fork"])[0]
    assert isinstance(fork_h, ProcessStart) and fork_h.ppid == root
    assert files(pids["fork"]) == ["fork_child.txt"]
    for name, inp in (("vfork", "in.txt"), ("spawn", "in2.txt"), ("spawnp", "in3.txt")):
        h = header(t.events, pids[name])
        assert (h.exe, h.ppid) == ("/usr/bin/cat", root), name
        assert files(pids[name]) == [inp], name
    assert files(pids["grandchild"]) == ["orphan.txt"]
    if BUSYBOX and is_static_elf(BUSYBOX):
        w = [e for e in t.of_kind("W") if e.pid == pids["vfork_static"]]
        assert [(e.code, e.path) for e in w] == [("static-exec", BUSYBOX)]
    assert {root, *pids.values()} - {pids["middle"]} <= t.pids()


def test_case14_multiprocessing_pools(run, work):
    script = ("import multiprocessing as mp, os, sys\n"
              "def job(i):\n"
              "    with open(f'out_{i}.txt', 'w') as f: f.write(str(os.getpid()))\n"
              "    return os.getpid()\n"
              "if __name__ == '__main__':\n"
              "    for method in ('fork', 'spawn', 'forkserver'):\n"
              "        with mp.get_context(method).Pool(2) as pool:\n"
              "            base = {'fork': 0, 'spawn': 10, 'forkserver': 20}[method]\n"
              "            print(method, *pool.map(job, range(base, base + 4)))\n")
    (work / "mp.py").write_text(script)
    t = run([sys.executable, "-I", "mp.py"], cwd=work, timeout=120)
    workers = {}
    for line in t.stdout.splitlines():
        method, *pids = line.split()
        workers[method] = [int(p) for p in pids]
    opens = {os.path.basename(e.path): e.pid for e in t.opens(work) if "out_" in e.path}
    for method, base in (("fork", 0), ("spawn", 10), ("forkserver", 20)):
        for i, pid in zip(range(base, base + 4), workers[method]):
            assert opens[f"out_{i}.txt"] == pid, (method, i)
            assert pid in t.pids()
            assert isinstance(by_pid(t.events, pid)[0], ProcessStart)


def test_case14_sigkill_keeps_what_was_written(run, cc, work):
    files = [f"f{i}.txt" for i in range(200)]
    t = run([cc("opener"), *files], cwd=work, env={"OPENER_KILL": "1"}, check=False)
    assert t.proc.returncode == -9
    assert [os.path.basename(e.path) for e in t.opens(work)] == files


def test_case14_sigkill_from_outside_mid_run(shim, work, tmp_path):
    """The traced program is killed while it is writing events: every line in the spool is
    whole, and everything up to the kill is there."""
    spool = tmp_path / "spool"
    spool.mkdir()
    script = ("import os\n"
              "i = 0\n"
              "while True:\n"
              "    os.close(os.open(f'f{i}.txt', os.O_WRONLY | os.O_CREAT | os.O_TRUNC))\n"
              "    if i == 300: print('ready', flush=True)\n"
              "    i += 1\n")
    proc = subprocess.Popen(py(script), cwd=work, env=traced_env(shim, spool),
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"ready\n"
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    t = read_spool(subprocess.CompletedProcess(proc.args, proc.returncode, b"", b""), spool)
    got = [os.path.basename(e.path) for e in t.opens(work)]
    assert len(got) > 300
    assert got == [f"f{i}.txt" for i in range(len(got))]


# ---- case 15: threads ----

def test_case15_many_threads(run, cc, work):
    (work / "in.txt").write_text("input")
    t = run([cc("threads"), work, "32", "100"])
    got = {os.path.basename(e.path) for e in t.opens(work)}
    assert got == {f"t{i}_{j}.txt" for i in range(32) for j in range(100)} | {"in.txt",
                                                                                "out.txt"}
    assert len(t.opens(work)) == 32 * 100 + 2
    modes = {os.path.basename(e.path): e.flags & os.O_ACCMODE for e in t.opens(work)}
    assert (modes["in.txt"], modes["out.txt"]) == (os.O_RDONLY, os.O_WRONLY)


# ---- case 18, 20: what the shim cannot follow ----

@pytest.mark.skipif(not BUSYBOX or not is_static_elf(BUSYBOX), reason="busybox-static not installed")
def test_case18_static_busybox(run, work):
    """Known limit: inside a static program the shim is blind (no loader, no LD_PRELOAD): the
    exec is reported as W static-exec and busybox's own opens are absent."""
    (work / "in.txt").write_text("in")
    t = run(["sh", "-c", f"{BUSYBOX} cat in.txt > out.txt"], cwd=work)
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("static-exec", BUSYBOX)]
    assert [os.path.basename(e.path) for e in t.opens(work)] == ["out.txt"]  # the shell's


def test_case18_static_c_program_and_script(run, cc, work):
    try:
        static = cc("opener", "-static")
    except AssertionError:
        pytest.skip("no static libc")
    (work / "in.txt").write_text("in")
    t = run([cc("execs"), "program", work, static])
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("static-exec", str(static))]
    assert t.opens(work) == []          # its open of in.txt is invisible
    # A #! script whose interpreter is static is reported with the interpreter's name.
    if BUSYBOX and is_static_elf(BUSYBOX):
        script = work / "bb.sh"
        script.write_text(f"#!{BUSYBOX} sh\ntrue\n")
        script.chmod(0o755)
        t = run([cc("execs"), "program", work, script])
        assert [(w.code, w.path) for w in t.of_kind("W")] == [("static-exec", BUSYBOX)]


def _crafted_go_elf(dest):
    """/bin/true with `.go.buildinfo` added to its section names: runs as before (the kernel
    ignores sections), but the shim's Go check (section-name fallback) now says Go."""
    data = bytearray(open("/bin/true", "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        pytest.skip("needs a little-endian 64-bit /bin/true")
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
    sh = shoff + shstrndx * shentsize
    off, size = struct.unpack_from("<QQ", data, sh + 24)
    names = bytes(data[off:off + size]) + b".go.buildinfo\0"
    struct.pack_into("<QQ", data, sh + 24, len(data), len(names))
    dest.write_bytes(bytes(data + names))
    dest.chmod(0o755)
    return dest


def test_case19_go_program_is_reported(run, cc, work):
    """A dynamically linked Go program makes its system calls without libc: without a ptrace
    tracer to route it to, its exec is reported as W go-exec (a real cgo program when Go is
    installed, else only the crafted ELF)."""
    fake = _crafted_go_elf(work / "fake-go")
    t = run([cc("execs"), "program", work, fake])
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("go-exec", str(fake))]
    plain = work / "plain"
    shutil.copy("/bin/true", plain)
    t = run([cc("execs"), "program", work, plain])
    assert t.of_kind("W") == []
    go = shutil.which("go")
    if go is None:
        return
    src = work / "gosrc"
    src.mkdir()
    (src / "main.go").write_text('package main\n\n// int one(void) { return 1; }\nimport "C"\n'
                                 'import "os"\n\nfunc main() { os.WriteFile("go.txt", nil, 0o644); '
                                 '_ = C.one() }\n')
    (src / "go.mod").write_text("module t\n\ngo 1.18\n")
    env = {**os.environ, "GOCACHE": str(work / "gocache"), "GOPATH": str(work / "gopath")}
    proc = subprocess.run([go, "build", "-ldflags=-linkmode=external", "-o", str(work / "real-go"), "."],
                          cwd=src, env=env, capture_output=True)
    if proc.returncode != 0:
        return
    (work / "in.txt").write_text("in")
    t = run([cc("execs"), "program", work, work / "real-go"])
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("go-exec", str(work / "real-go"))]
    assert (work / "go.txt").exists() and t.opens(work) == []   # invisible to the shim itself


def test_case20_setuid_and_setgid(run, cc, work):
    for mode, name in ((0o4755, "suid"), (0o2755, "sgid")):
        target = work / name
        shutil.copy(cc("opener"), target)
        target.chmod(mode)
        assert os.stat(target).st_mode & (stat.S_ISUID | stat.S_ISGID)
        t = run([cc("execs"), "program", work, target])
        assert [(w.code, w.path) for w in t.of_kind("W")] == [("setuid-exec", str(target))]


# ---- case 21: scrubbed environments ----

def test_case21_env_i_and_subprocess_env_empty(run, work):
    (work / "in.txt").write_text("in")
    t = run(["env", "-i", "/bin/cat", "in.txt"], cwd=work)
    assert [h.exe for h in t.of_kind("H")] == ["/usr/bin/env", "/usr/bin/cat"]
    assert len(t.opens(work)) == 1
    script = ("import subprocess\n"
              "subprocess.run(['/bin/cat', 'in.txt'], env={}, check=True)\n"
              "subprocess.run(['/bin/cat', 'in.txt'], env={'LD_PRELOAD': ''}, check=True)\n")
    t = run(py(script), cwd=work)
    cats = [h for h in t.of_kind("H") if h.exe == "/usr/bin/cat"]
    assert len(cats) == 2
    assert {e.pid for e in t.opens(work)} == {h.pid for h in cats}


def test_case21_reinjection_keeps_other_preloads(run, cc, work, tmp_path):
    other = compile_to("second_preload", tmp_path / "libother.so", "-shared", "-fPIC")
    t = run([cc("execs"), "env", work, f"LD_PRELOAD={other}"])
    env = dict(line.split("=", 1) for line in t.stdout.splitlines())
    assert env["ROAR_SPOOL_DIR"] == str(t.spool)
    assert env["LD_PRELOAD"].split() == [str(other), str(run.shim)]


# ---- case 24: re-entrancy ----

def test_case24_signal_handler_opens_a_file(run, cc, work):
    t = run([cc("reentry"), "signal", work], timeout=120)
    handled = int(t.stdout)
    assert handled >= 20
    sig = [e for e in t.opens(work) if e.path.endswith("sig.txt")]
    # Each handler call appended a byte, so each open had a new size: none de-duplicated.
    assert len(sig) == handled
    assert sorted(e.size for e in sig) == list(range(handled))
    assert {os.path.basename(e.path) for e in t.opens(work)} - {"sig.txt"} == {
        f"m{i}.txt" for i in range(200)}


def test_case24_fork_in_threaded_program(run, cc, work):
    t = run([cc("reentry"), "fork", work], timeout=120)
    children = [e for e in t.opens(work) if e.path.split("/")[-1].startswith("child")]
    assert sorted(os.path.basename(e.path) for e in children) == sorted(
        f"child{k}.txt" for k in range(50))
    root = t.events[0].pid
    for e in children:
        assert e.pid != root
        first = by_pid(t.events, e.pid)[0]
        assert isinstance(first, ProcessStart) and first.ppid == root


@pytest.mark.parametrize("order", ["other-first", "shim-first"])
def test_case24_second_preload_library(run, cc, work, tmp_path, order):
    other = compile_to("second_preload", tmp_path / "libother.so", "-shared", "-fPIC")
    preload = f"{other} {run.shim}" if order == "other-first" else f"{run.shim} {other}"
    t = run([cc("opener"), "a.txt", "b.txt"], cwd=work, env={"LD_PRELOAD": preload})
    assert [os.path.basename(e.path) for e in t.opens(work)] == ["a.txt", "b.txt"]
    assert b"second-preload saw 2 opens" in t.proc.stderr


# ---- robustness of the spool descriptor ----

@pytest.mark.parametrize("how", ["loop", "close_range", "closefrom", "raw_close", "raw_close_range"])
def test_program_closing_all_descriptors(run, cc, work, how):
    t = run([cc("closefds"), work, how])
    assert [os.path.basename(e.path) for e in t.opens(work)] == [
        "before.txt", "user.txt", "after.txt", "after2.txt"]
    assert (work / "user.txt").read_bytes() == b"user\n"
    assert (work / "after.txt").read_bytes() == b"" == (work / "after2.txt").read_bytes()
    assert len(t.pids()) == 1


def test_events_are_whole_lines_under_concurrency(run, cc, work):
    """Many threads and processes appending at once: every line parses (read_spool checks
    that nothing is malformed or torn) and every event is there."""
    script = ("import os, subprocess, threading\n"
              "def w(k):\n"
              "    for i in range(200):\n"
              "        os.close(os.open(f'p{os.getpid()}_{k}_{i}', os.O_CREAT | os.O_WRONLY))\n"
              "ts = [threading.Thread(target=w, args=(k,)) for k in range(8)]\n"
              "[t.start() for t in ts]; [t.join() for t in ts]\n")
    t = run(["sh", "-c", f"for i in 1 2 3 4; do {py(script)[0]} -I -c \"$0\" & done; wait",
             script], cwd=work)
    assert len(t.opens(work)) == 4 * 8 * 200


def test_inherited_descriptors_are_invisible(run, work):
    """Known limit: descriptors opened before the traced tree started (the user's shell doing
    `roarctl run cmd < in.txt`) produce no O line: nothing was opened under the shim. The
    daemon has to inspect the root's descriptors itself."""
    (work / "in.txt").write_text("data")
    with open(work / "in.txt", "rb") as stdin:
        t = run(["cat"], cwd=work, stdin=stdin.fileno())
    assert t.stdout == "data"
    assert t.opens(work) == []


def test_loader_run_as_a_program_is_not_static(run, work):
    """ld.so has no PT_INTERP, yet `ld.so /bin/cat` honours LD_PRELOAD: no W line, and cat's
    opens are seen."""
    loader = "/lib64/ld-linux-x86-64.so.2"
    if not os.path.exists(loader):
        pytest.skip("not an x86-64 glibc system")
    (work / "in.txt").write_text("in")
    t = run(["sh", "-c", f"{loader} /bin/cat in.txt"], cwd=work)
    assert t.stdout == "in"
    assert t.of_kind("W") == []
    assert [os.path.basename(e.path) for e in t.opens(work)] == ["in.txt"]
