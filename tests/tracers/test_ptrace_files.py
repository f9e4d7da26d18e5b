"""The ptrace backend on file operations: CAPTURE_CASES 1-5, 8, 10, 11, 16, 17, 19 and 28, plus
statically linked programs (18), all as real programs under ``roar-ptrace``, asserting the exact
spool events."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from roard.tracing.spool import Link, Open, Rename, Unlink

from .cases_ptrace.harness import pcc, prun, ptrace_bin, pwork, rel  # noqa: F401 (fixtures)

W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
RENAME_EXCHANGE, RENAME_NOREPLACE = 2, 1


def files(pcc, *flags):
    return pcc("files", *flags)


def test_case1_relative_paths_dirfds_fchdir_and_shared_cwd(prun, pcc, pwork):
    for d in ("sub", "sub2"):
        (pwork / d).mkdir()
    (pwork / "a.txt").write_text("a")
    (pwork / "sub" / "b.txt").write_text("b")
    t = prun([files(pcc), "relative", pwork])
    got = [(os.path.relpath(e.path, pwork), e.flags & (os.O_ACCMODE | os.O_CREAT | os.O_DIRECTORY))
           for e in t.opens(pwork)]
    assert got == [
        ("a.txt", os.O_RDONLY),
        ("sub", os.O_RDONLY | os.O_DIRECTORY),
        ("sub/b.txt", os.O_RDONLY),
        ("a.txt", os.O_RDONLY),                         # openat(sub, "../a.txt"), normalised
        ("sub/c.txt", os.O_WRONLY | os.O_CREAT),         # after fchdir(sub)
        ("sub2/d.txt", os.O_WRONLY | os.O_CREAT),        # another thread chdir'd the process
    ]
    # openat(sub, "missing.txt") failed: no event. One process, one spool file.
    assert t.pids() == {t.events[0].pid}


def test_open_fields_match_fstat(prun, pcc, pwork):
    (pwork / "sub").mkdir()
    (pwork / "sub2").mkdir()
    (pwork / "a.txt").write_text("abcdef")
    (pwork / "sub" / "b.txt").write_text("b")
    t = prun([files(pcc), "relative", pwork])
    a = t.opens(pwork)[0]
    st = os.stat(pwork / "a.txt")
    assert (a.dev, a.ino, a.size, a.mtime_ns, a.ftype) == (st.st_dev, st.st_ino, 6,
                                                         st.st_mtime_ns, "f")
    assert a.real is None                                # the kernel's name equals PATH
    d = t.opens(pwork)[1]
    assert d.ftype == "d" and d.ino == os.stat(pwork / "sub").st_ino


def test_case2_case17_symlinks_hardlinks_and_dotdot(prun, pcc, pwork):
    (pwork / "target.txt").write_text("t")
    (pwork / "link.txt").symlink_to("target.txt")
    (pwork / "real" / "sub").mkdir(parents=True)
    (pwork / "real" / "t2.txt").write_text("t2")
    (pwork / "ldir").symlink_to("real/sub")
    t = prun([files(pcc), "symlinks", pwork])
    ev = t.touching(pwork)
    assert [(e.kind, os.path.relpath(e.path if e.kind == "O" else e.new, pwork),
             e.real if e.kind == "O" else e.old) for e in ev] == [
        ("O", "link.txt", str(pwork / "target.txt")),     # the name used, and the target
        ("L", "hard.txt", str(pwork / "target.txt")),
        ("O", "hard.txt", None),                          # a hardlink is a name of its own
        # "ldir/../t2.txt": PATH is lexical, REAL is where the kernel went
        ("O", "t2.txt", str(pwork / "real" / "t2.txt")),
    ]


def test_case3_rename_renameat_renameat2(prun, pcc, pwork):
    (pwork / "sub").mkdir()
    (pwork / "sub" / "x").write_text("x")
    (pwork / "left").write_text("L")
    (pwork / "right").write_text("R")
    t = prun([files(pcc), "renames", pwork])
    assert rel(t.touching(pwork), pwork) == [
        "O tmp1", "R tmp1 final1", "O sub", "R sub/x moved_x", "R left right"]
    renames = [e for e in t.events if isinstance(e, Rename)]
    assert [e.flags for e in renames] == [0, 0, RENAME_EXCHANGE]
    # RENAME_NOREPLACE onto an existing name and a rename of a missing file failed: absent.
    assert (pwork / "left").read_text() == "R"


def test_case4_created_deleted_and_deleted_while_open(prun, pcc, pwork):
    (pwork / "in.txt").write_text("input")
    (pwork / "keep").mkdir()
    t = prun([files(pcc), "create_delete", pwork])
    assert rel(t.touching(pwork), pwork) == [
        "O scratch.tmp", "U scratch.tmp",
        "O in.txt", "U in.txt",                          # read after the unlink: still an open
        "K d1", "U d1",                                  # rmdir is a U
        "K d2", "U d2",                                  # unlinkat(AT_REMOVEDIR) too
    ]
    inp = t.opens(pwork)[1]
    assert inp.flags & os.O_ACCMODE == os.O_RDONLY and inp.size == 5


def test_case5_tmpfile_then_linkat(prun, pcc, pwork):
    t = prun([files(pcc), "tmpfile", pwork])
    opens = t.opens(pwork)
    assert [(os.path.relpath(e.path, pwork), e.flags & os.O_TMPFILE == os.O_TMPFILE)
            for e in opens] == [(".", True), (".", True)]
    assert all(e.real.startswith(str(pwork) + "/#") and e.real.endswith(" (deleted)")
               for e in opens)
    links = [e for e in t.events if isinstance(e, Link)]
    # /proc/self/fd/N with AT_SYMLINK_FOLLOW, then AT_EMPTY_PATH: no old name either way.
    assert [(e.old, os.path.relpath(e.new, pwork)) for e in links] == [
        (None, "final1.bin"), (None, "final2.bin")]
    assert (pwork / "final2.bin").read_text() == "two"


def test_case10_case11_case16_truncate_dirs_fifos_devices(prun, pcc, pwork):
    (pwork / "t.txt").write_text("longer")
    t = prun([files(pcc), "kinds", pwork])
    assert rel(t.touching(pwork), pwork) == ["T t.txt", "O .", "O fifo"]
    listing, fifo = t.opens(pwork)
    assert listing.ftype == "d" and listing.flags & os.O_DIRECTORY
    assert fifo.ftype == "o" and fifo.flags & os.O_ACCMODE == os.O_RDWR
    (null,) = [e for e in t.opens("/dev") if e.path == "/dev/null"]
    assert null.ftype == "o"
    assert (pwork / "t.txt").read_text() == "lo"


def test_case8_modes_and_failed_opens(prun, pwork):
    (pwork / "in.txt").write_text("i")
    (pwork / "both.txt").write_text("b")
    script = ("import os\n"
              "open('in.txt').read(); open('out.txt', 'w').write('o')\n"
              "open('both.txt', 'r+').write('B'); open('app.txt', 'a').write('a')\n"
              "open('x.txt', 'x').write('x')\n"
              "for name, mode in (('missing.txt', 'r'), ('x.txt', 'x'), ('nodir/f', 'w')):\n"
              "    try: open(name, mode)\n"
              "    except OSError: pass\n")
    t = prun([sys.executable, "-I", "-c", script], cwd=pwork)
    mask = os.O_ACCMODE | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_EXCL
    got = [(os.path.relpath(e.path, pwork), e.flags & mask) for e in t.opens(pwork)]
    assert got == [("in.txt", os.O_RDONLY), ("out.txt", W), ("both.txt", os.O_RDWR),
                   ("app.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND),
                   ("x.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL)]


def test_case6_case7_stdin_proc_self_fd_and_redirections(prun, pwork):
    (pwork / "in.txt").write_text("abc")
    script = ("import os\n"
              "os.dup2(0, 5)\n"
              "print(open('/proc/self/fd/5').read(), open('/dev/stdin').read(), end='')\n")
    with open(pwork / "in.txt", "rb") as stdin:
        t = prun([sys.executable, "-I", "-c", script], cwd=pwork, stdin=stdin.fileno())
    got = [(e.path, e.real) for e in t.of_kind("O")
           if e.path in ("/proc/self/fd/5", "/dev/stdin")]
    assert got == [("/proc/self/fd/5", str(pwork / "in.txt")),
                   ("/dev/stdin", str(pwork / "in.txt"))]
    t = prun(["sh", "-c", "cat < in.txt > out.txt"], cwd=pwork)
    assert [(os.path.basename(e.path), e.flags & os.O_ACCMODE) for e in t.opens(pwork)] == [
        ("in.txt", os.O_RDONLY), ("out.txt", os.O_WRONLY)]
    assert (pwork / "out.txt").read_text() == "abc"


def test_case17_names_survive_escaping(prun, pcc, pwork):
    t = prun([files(pcc), "names", pwork])
    got = [os.fsencode(os.path.basename(e.path)) for e in t.opens(pwork)]
    assert got == [b"sp ace.txt", b"new\nline.txt", b"tab\t.txt", b"back\\slash.txt",
                   b"\xff\xfe-latin.bin", b"ctl\x01.txt", b"del\x7f.txt", b"caf\xc3\xa9.txt"]
    assert sorted(got) == sorted(os.fsencode(p.name) for p in pwork.iterdir())


def test_case17_case28_paths_longer_than_path_max(prun, pcc, pwork):
    t = prun([files(pcc), "longpath", pwork])
    ks = t.of_kind("K")
    name = "d" * 200
    assert [e.path for e in ks] == [str(pwork) + ("/" + name) * n for n in range(1, 25)]
    deepest = ks[-1].path
    assert len(deepest) > 4096                               # /proc cannot print these
    ev = rel(t.touching(pwork)[-3:], pwork)
    base = os.path.relpath(deepest, pwork)
    assert ev == [f"O {base}/deep.txt", f"O {base}/rel.txt", f"R {base}/rel.txt {base}/rel2.txt"]
    assert t.of_kind("W") == []


def test_case28_path_argument_at_a_page_boundary(prun, pcc, pwork):
    t = prun([files(pcc), "page_edge", pwork])
    assert [(os.path.basename(e.path), e.flags & os.O_ACCMODE) for e in t.opens(pwork)] == [
        ("edge.txt", os.O_WRONLY), ("edge.txt", os.O_RDONLY)]


def test_case19_raw_syscalls_are_seen(prun, pcc, pwork):
    """What the preload shim cannot see: syscall(SYS_openat / SYS_openat2 / SYS_open)."""
    t = prun([files(pcc), "raw", pwork])
    got = [(os.path.basename(e.path), e.flags & (os.O_ACCMODE | os.O_CREAT))
           for e in t.opens(pwork)]
    assert got == [("raw_openat.txt", os.O_WRONLY | os.O_CREAT),
                   ("raw_openat2.txt", os.O_WRONLY | os.O_CREAT),
                   ("raw_open.txt", os.O_WRONLY | os.O_CREAT),
                   ("work", os.O_RDONLY),                     # the directory itself
                   # openat2(dir, "/../../raw_openat.txt", RESOLVE_IN_ROOT): dir is the root
                   ("raw_openat.txt", os.O_RDONLY)]
    # openat2 with a too-small struct failed (EINVAL): absent, and the file was never made.
    assert not (pwork / "raw_bad.txt").exists()


def test_open_by_handle_and_io_uring(prun, pcc, pwork):
    """Calls that name no file: open_by_handle_at is an open whose PATH is the kernel's name;
    io_uring_setup gets a warning (its operations bypass system calls and seccomp)."""
    if os.geteuid() != 0:
        pytest.skip("open_by_handle_at needs CAP_DAC_READ_SEARCH")
    (pwork / "h.txt").write_text("h")
    t = prun([files(pcc), "handles", pwork])
    (o,) = [e for e in t.opens(pwork) if e.path.endswith("h.txt")]
    assert (o.path, o.real, o.ino) == (str(pwork / "h.txt"), None, os.stat(pwork / "h.txt").st_ino)
    t = prun([files(pcc), "uring", pwork])
    warnings = [(w.code, w.path) for w in t.of_kind("W")]
    if t.stdout == "io_uring=no\n":
        assert warnings == []        # io_uring disabled here: nothing happened
    else:
        assert warnings == [("io-uring", None)]


@pytest.mark.parametrize("mode", ["relative", "renames", "create_delete"])
def test_case18_static_binary_sees_the_same_events(prun, pcc, tmp_path, mode):
    """A program linked with -static: the same events as its dynamic twin (paths relative to
    each run's directory), where a preload shim would see nothing at all."""
    static = files(pcc, "-static")
    out = subprocess.run(["file", "-L", str(static)], capture_output=True, text=True).stdout
    assert "statically linked" in out or "static-pie" in out, out
    runs = []
    for binary in (files(pcc), static):
        w = tmp_path / f"w-{binary.name}"
        for d in ("sub", "sub2", "keep"):
            (w / d).mkdir(parents=True)
        for f, text in (("a.txt", "a"), ("sub/b.txt", "b"), ("sub/x", "x"), ("left", "L"),
                        ("right", "R"), ("in.txt", "input")):
            (w / f).write_text(text)
        t = prun([binary, mode, w])
        runs.append([(e.kind, e.flags if isinstance(e, (Open, Rename)) else 0)
                     for e in t.touching(w)] + rel(t.touching(w), w))
    assert runs[0] == runs[1] and len(runs[0]) > 4


def busybox_static() -> str:
    """Debian's busybox-static, installed with apt if missing (skips only if apt fails)."""
    def is_static(path):
        out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
        return "statically linked" in out or "static-pie" in out
    path = shutil.which("busybox")
    if path and is_static(path):
        return path
    for cmd in (["apt-get", "install", "-y", "-q", "busybox-static"],
                ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "busybox-static"]):
        subprocess.run(cmd, capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        path = shutil.which("busybox")
        if path and is_static(path):
            return path
    pytest.skip("busybox-static is not installed and apt-get could not install it")


def test_case18_busybox_static(prun, pwork):
    bb = busybox_static()
    (pwork / "in.txt").write_text("hello\n")
    (pwork / "gone.txt").write_text("x")
    t = prun([bb, "sh", "-c", "cat in.txt > out.txt; mv out.txt moved.txt; rm gone.txt;"
              " mkdir newdir; cat moved.txt"], cwd=pwork)
    assert t.stdout == "hello\n"
    assert rel(t.touching(pwork), pwork) == [
        "O out.txt", "O in.txt", "R out.txt moved.txt", "U gone.txt", "K newdir", "O moved.txt"]
    assert {h.exe for h in t.headers()} == {os.path.realpath(bb)}
    unlinks = [e for e in t.events if isinstance(e, Unlink)]
    assert [os.path.basename(e.path) for e in unlinks] == ["gone.txt"]


def compile_m32(pcc):
    """files.c as an i386 program, or skip: that needs gcc-multilib (not installed by default,
    and too big to install from a test)."""
    try:
        return pcc("files", "-m32")
    except AssertionError as e:
        pytest.skip(f"cannot build i386 programs here (install gcc-multilib): {str(e)[-200:]}")


@pytest.mark.parametrize("regs", ["syscall-info", "getregs"])
def test_i386_program_on_x86_64(prun, pcc, pwork, regs):
    """A 32-bit program has other syscall numbers and argument registers, and passes
    AT_FDCWD as a 32-bit -100: the filter and the decoder handle the i386 ABI too."""
    if os.uname().machine != "x86_64":
        pytest.skip("i386 programs run only on x86_64")
    prog = compile_m32(pcc)
    for d in ("sub", "sub2"):
        (pwork / d).mkdir()
    (pwork / "a.txt").write_text("a")
    (pwork / "sub" / "b.txt").write_text("b")
    env = {"ROAR_PTRACE_FORCE_GETREGS": "1"} if regs == "getregs" else None
    t = prun([prog, "relative", pwork], env=env)
    assert rel(t.opens(pwork), pwork) == ["O a.txt", "O sub", "O sub/b.txt", "O a.txt",
                                          "O sub/c.txt", "O sub2/d.txt"]
    w2 = pwork / "raw"
    w2.mkdir()
    t = prun([prog, "raw", w2], env=env)
    assert rel(t.opens(w2), w2) == ["O raw_openat.txt", "O raw_openat2.txt", "O raw_open.txt",
                                    "O .", "O raw_openat.txt"]
