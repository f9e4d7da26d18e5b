"""The eBPF backend (`roar-ebpf`) at the level of raw spool events: real programs under the
loader built from the working tree, asserting the exact lines (CAPTURE_CASES 1-5, 8, 12, 14, 17
and 29: lost events are counted and reported). Skipped, with the reason, where the backend is
unusable (not root, no BTF, no clang/libbpf/bpftool to build it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from roard.tracing.spool import Link, Open, ProcessStart, Rename, SpoolReader, TracerWarning, Unlink

from .helpers import tracer_build

W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


@pytest.fixture(scope="module")
def ebpf_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from roard.tracing.backends import backend_status

    status = backend_status("ebpf")
    if not status.usable and "was not built" not in status.reason:
        pytest.skip(f"the eBPF backend is not usable here: {status.reason}")
    out, reason = tracer_build.build_ebpf(tmp_path_factory.mktemp("ebpf"))
    if out is None:
        pytest.skip(f"roar-ebpf cannot be built here: {reason}")
    return out


def trace(ebpf_bin: Path, tmp_path: Path, argv: list[str], cwd: Path, env: dict | None = None,
          expect_rc: int = 0):
    spool = tmp_path / f"spool{len(list(tmp_path.glob('spool*')))}"
    spool.mkdir()
    stats = spool.with_suffix(".json")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    e.update(env or {})
    e["ROAR_EBPF_STATS"] = str(stats)
    proc = subprocess.run([str(ebpf_bin), "--spool", str(spool), "--", *argv], cwd=cwd, env=e,
                          capture_output=True, timeout=120)
    assert proc.returncode == expect_rc, proc.stderr.decode(errors="replace")
    reader = SpoolReader(spool)
    events = reader.events()
    st = reader.stats
    assert st.malformed == 0 and st.torn == 0 and st.unknown == 0, st
    return proc, events, json.loads(stats.read_text())


def under(events, root: Path):
    r = str(root)
    out = []
    for e in events:
        paths = [getattr(e, a, None) for a in ("path", "old", "new")]
        if e.kind in "ORLUTK" and any(p and (p == r or p.startswith(r + "/")) for p in paths):
            out.append(e)
    return out


SCRIPT = r"""
import os, threading, ctypes
os.mkdir("sub")
open("sub/a.txt", "w").write("abc")
d = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
os.close(os.open("a.txt", os.O_RDONLY, dir_fd=d))
os.symlink("sub/a.txt", "link.txt")
open("link.txt").read()
try: open("missing.txt")
except OSError: pass
os.chdir("sub")
open("b.tmp", "w").write("b")
os.rename("b.tmp", "b.txt")
os.link("b.txt", "hard.txt")
os.unlink("hard.txt")
os.chdir("..")
t = threading.Thread(target=lambda: open("sub/t.txt", "w").write("t")); t.start(); t.join()
fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o644)
libc = ctypes.CDLL(None, use_errno=True)
assert libc.linkat(-100, f"/proc/self/fd/{fd}".encode(), -100, b"named.bin", 0x400) == 0
open(os.fsdecode(b"odd\xe9 name\n.txt"), "w").write("x")
if os.fork() == 0:
    open("child.txt", "w").write("c"); os._exit(0)
os.wait()
"""


def test_files_renames_links_and_processes(ebpf_bin, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "case.py").write_text(SCRIPT)
    proc, events, stats = trace(ebpf_bin, tmp_path, [sys.executable, "case.py"], work)
    assert stats["lost"] == 0
    got = []
    for e in under(events, work):
        if isinstance(e, Open):
            if e.path.endswith("case.py") or (e.path == str(work) and e.flags & os.O_TMPFILE == os.O_DIRECTORY):
                continue    # the interpreter reading the script, scanning sys.path
            real = e.real and os.path.relpath(e.real, work)
            if real and real.endswith(" (deleted)"):
                real = "(deleted)"         # an O_TMPFILE: "#<inode> (deleted)", as d_path says
            got.append(("O", os.path.relpath(e.path, work), e.flags & (os.O_ACCMODE | os.O_CREAT), real))
        elif isinstance(e, (Rename, Link)):
            got.append((e.kind, e.old and os.path.relpath(e.old, work), os.path.relpath(e.new, work)))
        else:
            got.append((e.kind, os.path.relpath(e.path, work)))
    CW = os.O_WRONLY | os.O_CREAT
    assert got == [
        ("K", "sub"),
        ("O", "sub/a.txt", CW, None),
        ("O", "sub", os.O_RDONLY, None),
        ("O", "sub/a.txt", os.O_RDONLY, None),              # openat(dirfd, "a.txt")
        ("O", "link.txt", os.O_RDONLY, "sub/a.txt"),        # the name used, and the target
        ("O", "sub/b.tmp", CW, None),                       # after chdir
        ("R", "sub/b.tmp", "sub/b.txt"),
        ("L", "sub/b.txt", "sub/hard.txt"),
        ("U", "sub/hard.txt"),
        ("O", "sub/t.txt", CW, None),                       # another thread
        ("O", ".", os.O_WRONLY, "(deleted)"),               # O_TMPFILE (flags say so)
        ("L", None, "named.bin"),                           # /proc/self/fd/N made visible
        ("O", os.fsdecode(b"odd\xe9 name\n.txt"), CW, None),
        ("O", "child.txt", CW, None),                       # the forked child
    ]
    tmpfile = [e for e in under(events, work) if isinstance(e, Open) and e.path == str(work)
               and e.real and e.real.endswith(" (deleted)")]
    assert tmpfile[0].flags & os.O_TMPFILE == os.O_TMPFILE
    a = next(e for e in events if isinstance(e, Open) and e.path == str(work / "sub" / "a.txt")
             and e.flags & os.O_ACCMODE == os.O_RDONLY)
    st = os.stat(work / "sub" / "a.txt")
    assert (a.dev, a.ino, a.size, a.mtime_ns, a.ftype) == (st.st_dev, st.st_ino, 3, st.st_mtime_ns, "f")
    # process tree: the root's H names the interpreter; the child names its parent
    heads = [e for e in events if isinstance(e, ProcessStart)]
    root = heads[0]
    assert os.path.realpath(root.exe) == os.path.realpath(sys.executable) and root.cwd == str(work)
    child = next(e for e in events if isinstance(e, Open) and e.path.endswith("child.txt"))
    ch = [h for h in heads if h.pid == child.pid]
    assert ch and ch[0].ppid == root.pid


BASES = r"""
import os
os.makedirs("a/b/c")
open("a/b/c/f", "w").write("x")
os.symlink("a/b", "lb")
d = os.open("a", os.O_RDONLY | os.O_DIRECTORY)
for name in ["a/b/c/f", "a/b/../b/c/f", "lb/c/f", "./a/b/c/f"]:
    os.close(os.open(name, os.O_RDONLY))
for name in ["b/c/f", "../a/b/c/f", "b/c", "."]:
    os.close(os.open(name, os.O_RDONLY, dir_fd=d))
os.chdir("a/b/c")
for name in ["f", ".", "../../b/c/f"]:
    os.close(os.open(name, os.O_RDONLY))
root = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
os.close(os.open("dev/null", os.O_RDONLY, dir_fd=root))
"""


@pytest.mark.parametrize("hook", ["raw", "syscalls"])
def test_relative_names_against_their_base(ebpf_bin, tmp_path, hook):
    """A relative name's base (cwd or dirfd) met on the way up from the file is not walked again:
    its path is the kernel's name minus the components below it. The names must come out the same
    whether the base is an ancestor (several levels up, across a mount), or not (`..` out of it,
    a symlinked directory)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "case.py").write_text(BASES)
    proc, events, stats = trace(ebpf_bin, tmp_path, [sys.executable, "case.py"], work,
                                env={"ROAR_EBPF_HOOK": hook})
    assert stats["lost"] == 0
    got = [(os.path.relpath(e.path, work), e.real and os.path.relpath(e.real, work))
           for e in under(events, work) if isinstance(e, Open) and e.flags & os.O_ACCMODE == os.O_RDONLY
           and not e.path.endswith("case.py") and e.path != str(work)]
    assert got == [
        ("a", None),
        ("a/b/c/f", None), ("a/b/c/f", None), ("lb/c/f", "a/b/c/f"), ("a/b/c/f", None),
        ("a/b/c/f", None), ("a/b/c/f", None), ("a/b/c", None), ("a", None),
        ("a/b/c/f", None), ("a/b/c", None), ("a/b/c/f", None),
    ]
    null = [e for e in events if isinstance(e, Open) and e.path == "/dev/null"]
    assert len(null) == 1 and null[0].real is None


def test_exec_script_and_exit_status(ebpf_bin, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.txt").write_text("d")
    tool = work / "tool.sh"
    tool.write_text("#!/bin/sh\ncat data.txt > result.txt\nexit 3\n")
    tool.chmod(0o755)
    proc, events, stats = trace(ebpf_bin, tmp_path, ["./tool.sh"], work, expect_rc=3)
    kinds = {(e.kind, os.path.relpath(e.path, work)) for e in under(events, work)}
    assert {("O", "tool.sh"), ("O", "data.txt"), ("O", "result.txt")} <= kinds
    exes = {e.exe for e in events if isinstance(e, ProcessStart)}
    assert "/usr/bin/cat" in exes or "/bin/cat" in exes
    proc, _, _ = trace(ebpf_bin, tmp_path, ["no-such-program-roar"], work, expect_rc=127)


def test_case29_lost_events_are_counted_and_reported(ebpf_bin, tmp_path):
    """A 4 KiB ring buffer cannot hold a burst of opens while the loader is not reading."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "f.txt").write_text("x")
    script = "import os\nfor _ in range(3000): os.close(os.open('f.txt', os.O_RDONLY))\n"
    proc, events, stats = trace(ebpf_bin, tmp_path, [sys.executable, "-c", script], work,
                                env={"ROAR_EBPF_RINGBUF_KB": "4", "ROAR_EBPF_TEST_PAUSE_MS": "1500"})
    assert stats["lost"] > 0
    warns = [e for e in events if isinstance(e, TracerWarning) and e.code == "ebpf-lost"]
    assert len(warns) == 1 and int(warns[0].path) == stats["lost"]
    assert b"lost" in proc.stderr
    # and the daemon's sentence for it
    from roard.finalize.classify import warning_text
    assert "LOST" in warning_text("ebpf-lost", "12")
