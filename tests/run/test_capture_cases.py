"""CAPTURE_CASES.md through the whole pipeline: a real program under `roarctl run` (preload
tracer), and the inputs and outputs the recorded job must show."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import blake3
import pytest

from tests.run.helpers import PY, by_path, paths, run_json, write_script


def job_of(roard, ws: Path, script: str, *args: str, expect_rc: int = 0, tracer: str = "preload") -> dict:
    write_script(ws, "case.py", script)
    return run_json(roard, ws, "--tracer", tracer, PY, "case.py", *args, expect_rc=expect_rc)


def test_case1_relative_paths_chdir_fchdir_threads(roard, workspace: Path, tracer: str) -> None:
    (workspace / "sub").mkdir()
    (workspace / "sub" / "a.txt").write_text("a")
    job = job_of(roard, workspace, tracer=tracer, script="""
import os, threading
d = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
fd = os.open("a.txt", os.O_RDONLY, dir_fd=d); os.close(fd)
os.chdir("sub")
open("b.txt", "w").write("b")
os.chdir("..")
os.fchdir(d)
open("c.txt", "w").write("c")
def worker():
    open("t.txt", "w").write("t")
th = threading.Thread(target=worker); th.start(); th.join()
""")
    assert "sub/a.txt" in paths(job["inputs"])
    assert {"sub/b.txt", "sub/c.txt", "sub/t.txt"} <= paths(job["outputs"])


def test_case2_symlink_records_name_and_target(roard, workspace: Path, tracer: str) -> None:
    (workspace / "real.csv").write_text("1,2\n")
    (workspace / "link.csv").symlink_to("real.csv")
    os.link(workspace / "real.csv", workspace / "hard.csv")
    job = job_of(roard, workspace, tracer=tracer, script="open('link.csv').read(); open('hard.csv').read()")
    inputs = by_path(job["inputs"])
    assert inputs["link.csv"]["target"].endswith("/real.csv")
    assert "symlink" in inputs["link.csv"]["flags"]
    assert inputs["link.csv"]["hash"] == blake3.blake3(b"1,2\n").hexdigest()


def test_case3_write_temp_then_rename(roard, workspace: Path, tracer: str) -> None:
    job = job_of(roard, workspace, tracer=tracer, script="""
import os
with open("model.bin.tmp", "w") as f: f.write("weights")
os.rename("model.bin.tmp", "model.bin")
open("a", "w").write("A"); open("b", "w").write("B")
os.replace("a", "b")
""")
    assert paths(job["outputs"]) == {"model.bin", "b"}
    assert by_path(job["outputs"])["b"]["hash"] == blake3.blake3(b"A").hexdigest()


def test_case4_created_and_deleted_is_neither_and_deleted_input(roard, workspace: Path, tracer: str) -> None:
    (workspace / "gone.txt").write_text("read me then delete me")
    job = job_of(roard, workspace, tracer=tracer, script="""
import os
open("scratch", "w").write("x"); os.unlink("scratch")
f = open("gone.txt"); os.unlink("gone.txt"); f.read()
open("kept.txt", "w").write("k")
""")
    assert paths(job["outputs"]) == {"kept.txt"}
    gone = by_path(job["inputs"])["gone.txt"]
    assert "deleted" in gone["flags"]


def test_case5_tmpfile_then_linkat(roard, workspace: Path, tracer: str) -> None:
    job = job_of(roard, workspace, tracer=tracer, script="""
import ctypes, os
fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o644)
os.write(fd, b"anonymous")
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400
assert libc.linkat(AT_FDCWD, f"/proc/self/fd/{fd}".encode(), AT_FDCWD, b"named.bin", AT_SYMLINK_FOLLOW) == 0
""")
    assert paths(job["outputs"]) == {"named.bin"}
    assert by_path(job["outputs"])["named.bin"]["hash"] == blake3.blake3(b"anonymous").hexdigest()


def test_case6_proc_self_fd_and_dev_stdin(roard, workspace: Path, tracer: str) -> None:
    (workspace / "in.txt").write_text("stdin data")
    write_script(workspace, "case.py", "import sys\nopen('/dev/stdin').read()\nopen('out.txt','w').write('o')\n")
    env = roard.env
    subprocess.run(f"{PY} -m roarctl run -q --tracer {tracer} {PY} case.py < in.txt", shell=True,
                   cwd=workspace, env=env, check=True)
    import json
    job = json.loads(roard.roarctl("show", "@1", "--json", cwd=workspace, check=True).stdout)
    assert "in.txt" in paths(job["inputs"])
    assert "out.txt" in paths(job["outputs"])


def test_case8_modes_and_failed_opens(roard, workspace: Path, tracer: str) -> None:
    (workspace / "state.db").write_text("v1")
    (workspace / "log.txt").write_text("line1\n")
    job = job_of(roard, workspace, tracer=tracer, script="""
import os
for p in ("missing1.py", "nope/missing2.py"):
    try: open(p)
    except OSError: pass
with open("state.db", "r+") as f:
    f.read(); f.seek(0); f.write("v2")
with open("log.txt", "a") as f: f.write("line2\\n")
""")
    ins, outs = by_path(job["inputs"]), by_path(job["outputs"])
    assert not any("missing" in p for p in ins)
    assert "state.db" in ins and "state.db" in outs  # read-write: both
    assert "read-write" in ins["state.db"]["flags"]
    assert outs["state.db"]["hash"] == blake3.blake3(b"v2").hexdigest()
    assert "log.txt" in outs


def test_case9_mmap_read_is_input(roard, workspace: Path, tracer: str) -> None:
    (workspace / "weights.bin").write_bytes(os.urandom(8192))
    job = job_of(roard, workspace, tracer=tracer, script="""
import mmap
with open("weights.bin", "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
print(len(m[:100]))
""")
    assert "weights.bin" in paths(job["inputs"])


def test_case10_sendfile_copy_file_range_truncate(roard, workspace: Path, tracer: str) -> None:
    (workspace / "src.bin").write_bytes(b"s" * 5000)
    job = job_of(roard, workspace, tracer=tracer, script="""
import os, shutil
shutil.copyfile("src.bin", "copy.bin")            # sendfile / copy_file_range underneath
with open("src.bin", "rb") as a, open("cfr.bin", "wb") as b:
    os.copy_file_range(a.fileno(), b.fileno(), 5000)
open("t.bin", "w").write("xxxxxxxx")
os.truncate("t.bin", 2)
""")
    outs = by_path(job["outputs"])
    assert {"copy.bin", "cfr.bin", "t.bin"} <= set(outs)
    assert outs["copy.bin"]["hash"] == blake3.blake3(b"s" * 5000).hexdigest()
    assert outs["t.bin"]["size"] == 2


def test_case11_directory_listing_and_mkdir(roard, workspace: Path, tracer: str) -> None:
    (workspace / "data").mkdir()
    for i in range(3):
        (workspace / "data" / f"{i}.csv").write_text(str(i))
    job = job_of(roard, workspace, tracer=tracer, script="""
import os
names = sorted(os.listdir("data"))
total = sum(len(open(os.path.join("data", n)).read()) for n in names)
os.makedirs("ckpt/epoch1")
open("ckpt/epoch1/w.bin", "w").write(str(total))
""")
    assert {f"data/{i}.csv" for i in range(3)} <= paths(job["inputs"])
    assert paths(job["outputs"]) == {"ckpt/epoch1/w.bin"}
    shown = roard.roarctl("show", "@1", "--explain", cwd=workspace, check=True).stdout
    assert "directory listing" in shown and "directory created by the job" in shown


def test_case12_shebang_script_and_execvp(roard, workspace: Path, tracer: str) -> None:
    script = workspace / "tool.sh"
    script.write_text("#!/bin/sh\ncat data.txt > result.txt\n")
    script.chmod(0o755)
    (workspace / "data.txt").write_text("d")
    job = run_json(roard, workspace, "--tracer", tracer, "./tool.sh")
    assert {"tool.sh", "data.txt"} <= paths(job["inputs"])
    assert paths(job["outputs"]) == {"result.txt"}


def test_case13_workspace_shared_library(roard, workspace: Path, tmp_path: Path, tracer: str) -> None:
    src = tmp_path / "lib.c"
    src.write_text("int answer(void) { return 42; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(workspace / "libanswer.so"), str(src)], check=True)
    job = job_of(roard, workspace, tracer=tracer, script="""
import ctypes
print(ctypes.CDLL("./libanswer.so").answer())
""")
    assert "libanswer.so" in paths(job["inputs"])
    assert not any(p.startswith("/usr/") or "libc.so" in p for p in paths(job["inputs"]))


def test_case14_subprocess_and_double_fork(roard, workspace: Path, tracer: str) -> None:
    job = job_of(roard, workspace, tracer=tracer, script="""
import os, subprocess, sys
subprocess.run([sys.executable, "-c", "open('child.txt','w').write('c')"], check=True)
subprocess.run(["sh", "-c", "echo g > grandchild.txt"], check=True, env={})
if os.fork() == 0:
    if os.fork() == 0:
        open("daemonized.txt", "w").write("d")
        os._exit(0)
    os._exit(0)
os.wait()
import time; time.sleep(0.3)
""")
    assert {"child.txt", "grandchild.txt", "daemonized.txt"} <= paths(job["outputs"])


def test_case15_many_threads(roard, workspace: Path, tracer: str) -> None:
    for i in range(16):
        (workspace / f"in{i}.txt").write_text(str(i))
    job = job_of(roard, workspace, tracer=tracer, script="""
import threading
def work(i):
    data = open(f"in{i}.txt").read()
    open(f"out{i}.txt", "w").write(data * 2)
ts = [threading.Thread(target=work, args=(i,)) for i in range(16)]
[t.start() for t in ts]; [t.join() for t in ts]
""")
    assert {f"in{i}.txt" for i in range(16)} <= paths(job["inputs"])
    assert {f"out{i}.txt" for i in range(16)} == paths(job["outputs"])


def test_case16_non_regular_files_and_edge_sizes(roard, workspace: Path, tracer: str) -> None:
    os.mkfifo(workspace / "fifo")
    job = job_of(roard, workspace, tracer=tracer, script="""
import os, threading
def feed():
    with open("fifo", "w") as f: f.write("through the pipe")
threading.Thread(target=feed).start()
open("fifo").read()
open("/dev/null", "w").write("x")
open("/proc/self/status").read()
open("empty.bin", "w").close()
open("k16.bin", "wb").write(b"k" * 16384)
with open("sparse.bin", "wb") as f: f.truncate(10 * 1024 * 1024)
""")
    outs = by_path(job["outputs"])
    assert {"empty.bin", "k16.bin", "sparse.bin"} <= set(outs)
    assert outs["empty.bin"]["hash"] == blake3.blake3(b"").hexdigest()
    assert outs["k16.bin"]["hash"] == blake3.blake3(b"k" * 16384).hexdigest()
    every = paths(job["inputs"]) | set(outs)
    assert "fifo" not in every and not any(p.startswith(("/dev/", "/proc/")) for p in every)


def test_case17_odd_names(roard, workspace: Path, tracer: str) -> None:
    job = job_of(roard, workspace, tracer=tracer, script="""
import os
open("with space.txt", "w").write("s")
open("new\\nline.txt", "w").write("n")
open(os.fsdecode(b"latin\\xe9.txt"), "w").write("l")
os.makedirs("a/b", exist_ok=True); os.symlink("a/b", "lnk")
open("lnk/../up.txt", "w").write("u")
""")
    outs = paths(job["outputs"])
    assert {"with space.txt", "new\nline.txt"} <= outs
    latin = [p for p in outs if p.startswith("latin")]
    assert latin == ["latin\\xe9.txt"]  # the non-UTF-8 byte, shown escaped
    assert "a/up.txt" in outs  # `..` through a symlinked dir goes to the physical parent


RAWSYS_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    char buf[64] = {0};
    long in = syscall(SYS_openat, AT_FDCWD, "in.txt", O_RDONLY);
    if (in < 0 || read((int)in, buf, sizeof buf - 1) < 0) return 2;
    close((int)in);
    struct open_how how = {.flags = O_WRONLY | O_CREAT | O_TRUNC, .mode = 0644};
    long out = syscall(SYS_openat2, AT_FDCWD, "tmp.bin", &how, sizeof how);
    if (out < 0 || write((int)out, buf, 5) != 5) return 3;
    close((int)out);
    if (syscall(SYS_renameat2, AT_FDCWD, "tmp.bin", AT_FDCWD, "out.bin", 0) != 0) return 4;
    long scratch = syscall(SYS_openat, AT_FDCWD, "scratch", O_WRONLY | O_CREAT, 0644);
    if (scratch < 0) return 5;
    close((int)scratch);
    if (syscall(SYS_unlinkat, AT_FDCWD, "scratch", 0) != 0) return 6;
    return 0;
}
"""


@pytest.mark.parametrize("backend", ["preload", "ptrace", "ebpf", "auto"])
def test_case19_raw_syscalls(roard, workspace: Path, tmp_path: Path, backend: str) -> None:
    """syscall(SYS_openat / SYS_openat2 / SYS_renameat2 / SYS_unlinkat): the preload shim
    interposes glibc's syscall(); ptrace sees the system calls themselves."""
    if backend != "auto":
        from roard.tracing.backends import backend_status

        status = backend_status(backend)
        if not status.usable:
            pytest.skip(f"{backend} is not usable here: {status.reason}")
    src = tmp_path / "rawsys.c"
    src.write_text(RAWSYS_C)
    subprocess.run(["cc", "-O1", "-o", str(workspace / "rawsys"), str(src)], check=True)
    (workspace / "in.txt").write_text("hello raw")
    job = run_json(roard, workspace, "--tracer", backend, "./rawsys")
    assert job["tracer"] == ("preload" if backend == "auto" else backend)
    assert {"in.txt", "rawsys"} <= paths(job["inputs"])
    assert paths(job["outputs"]) == {"out.bin"}
    assert by_path(job["outputs"])["out.bin"]["hash"] == blake3.blake3(b"hello").hexdigest()
    assert not any("not seen" in w or "tracer warning" in w for w in job["warnings"]), job["warnings"]


INLINE_C = r"""
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    long fd;
    register long r10 __asm__("r10") = 0644;
    __asm__ volatile("syscall" : "=a"(fd)
                     : "a"((long)SYS_openat), "D"((long)AT_FDCWD), "S"("inline.txt"),
                       "d"((long)(O_WRONLY | O_CREAT | O_TRUNC)), "r"(r10)
                     : "rcx", "r11", "memory");
    if (fd < 0) return 1;
    write((int)fd, "raw", 3);
    close((int)fd);
    return 0;
}
"""


@pytest.mark.parametrize("backend", ["preload", "auto", "ptrace"])
def test_case19_inline_syscalls_are_warned_or_seen(roard, workspace: Path, tmp_path: Path, backend: str) -> None:
    """An inline `syscall` instruction bypasses every LD_PRELOAD shim. Under preload (and auto,
    which is preload for a dynamically linked program) roard finds the instruction pattern in the
    program and says so; ptrace sees the call itself."""
    import platform

    if platform.machine() != "x86_64":
        pytest.skip("the inline-syscall check reads x86-64 code")
    if backend == "ptrace":
        from roard.tracing.backends import backend_status

        if not backend_status("ptrace").usable:
            pytest.skip("ptrace is not usable here")
    src = tmp_path / "inline.c"
    src.write_text(INLINE_C)
    subprocess.run(["cc", "-O1", "-o", str(workspace / "inline-tool"), str(src)], check=True)
    job = run_json(roard, workspace, "--tracer", backend, "./inline-tool")
    warned = [w for w in job["warnings"] if "its own syscall instructions" in w]
    if backend == "ptrace":
        assert "inline.txt" in paths(job["outputs"]) and not warned
    else:
        assert "inline.txt" not in paths(job["outputs"])  # invisible to the shim...
        assert warned and "inline-tool" in warned[0], job["warnings"]  # ...but the user is told
    assert (workspace / "inline.txt").read_text() == "raw"


def test_ordinary_programs_are_not_suspected_of_raw_syscalls(roard, workspace: Path) -> None:
    job = run_json(roard, workspace, sys.executable, "-c", "open('o.txt', 'w').write('x')")
    assert not any("its own syscall instructions" in w for w in job["warnings"]), job["warnings"]
