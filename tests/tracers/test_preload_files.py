"""The preload shim on single-process file operations: cases 1-5, 8-11, 16, 17 and 22 of
CAPTURE_CASES.md, as far as the raw spool shows them (classification is the daemon's job)."""
from __future__ import annotations

import os

import pytest

from roard.tracing.spool import UNRESOLVED, Link, Open, Rename

from .helpers import kernel_name, names, py, spool_bytes

W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def test_case22_every_glibc_open_variant(run, cc, work):
    for name in ("r1.txt", "r2.txt", "r3.txt", "r4.txt", "rw.txt"):
        (work / name).write_text(name)
    t = run([cc("variants"), work])
    got = [(os.path.relpath(e.path, work), e.flags & ~os.O_LARGEFILE, e.ftype)
           for e in t.opens(work)]
    A = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    assert got == [
        (".", os.O_RDONLY | os.O_DIRECTORY, "d"),
        ("open.txt", W, "f"),
        ("open64.txt", W, "f"),
        ("openat.txt", W, "f"),
        ("openat64.txt", W, "f"),
        ("creat.txt", W, "f"),
        ("creat64.txt", W, "f"),
        ("r1.txt", os.O_RDONLY, "f"),
        ("r2.txt", os.O_RDONLY, "f"),
        ("r3.txt", os.O_RDONLY, "f"),
        ("r4.txt", os.O_RDONLY, "f"),
        ("rw.txt", os.O_RDWR, "f"),
        ("append.txt", A, "f"),
        ("fopen.txt", W, "f"),
        ("fopen64.txt", A, "f"),
        # fopen("r1.txt", "r") is the same key as __open_2("r1.txt") above: de-duplicated
        ("freopen.txt", os.O_RDWR | os.O_CREAT | os.O_TRUNC, "f"),
        ("freopen64.txt", W | os.O_CLOEXEC, "f"),
    ]
    # case 8: failed opens (ENOENT, EEXIST) left nothing: no missing.txt, no nodir/...
    assert all("missing" not in e.path and "nodir" not in e.path for e in t.opens(work))


def test_open_fields_match_fstat(run, cc, work):
    """DEV INO SIZE MTIME come from fstat of the new descriptor; REAL of a plain name is left to
    the reader ('?'), which finds no other name."""
    for name in ("r1.txt", "r2.txt", "r3.txt", "r4.txt", "rw.txt"):
        (work / name).write_text(name * 3)
    t = run([cc("variants"), work])
    (r2,) = [e for e in t.opens(work) if e.path == str(work / "r2.txt")]
    st = os.stat(work / "r2.txt")
    assert (r2.dev, r2.ino, r2.size, r2.mtime_ns) == (st.st_dev, st.st_ino, 18, st.st_mtime_ns)
    assert r2.real == UNRESOLVED and kernel_name(r2) is None and t.pids() == {r2.pid}


def test_dedup_same_file_same_state(run, work):
    """Opening an unchanged file again is not repeated; a changed file is reported again."""
    f = work / "data.txt"
    f.write_text("v1")
    script = (
        "import os, sys\n"
        "p = sys.argv[1]\n"
        "for _ in range(100):\n"
        "    os.close(os.open(p, os.O_RDONLY))\n"
        "with open(p, 'a') as fh: fh.write('more')\n"
        "os.utime(p, ns=(1, 2_000_000_000))\n"
        "for _ in range(100):\n"
        "    os.close(os.open(p, os.O_RDONLY))\n")
    t = run(py(script, f))
    got = [(e.flags & os.O_ACCMODE, e.size, e.mtime_ns) for e in t.opens(work)]
    assert got[0][:2] == (os.O_RDONLY, 2)
    assert got[1][:2] == (os.O_WRONLY, 2)          # the append (Python's open(..., 'a'))
    assert got[2] == (os.O_RDONLY, 6, 2_000_000_000)
    assert len(got) == 3


def test_repeated_absolute_opens_until_the_process_renames(run, work):
    """Repeated read-only opens of one absolute name are reported once (no fstat after the
    first); a rename by the process itself makes the next open of that name report again."""
    a, b = work / "a.txt", work / "b.txt"
    a.write_text("one")
    b.write_text("three")
    script = (
        "import os, sys\n"
        "a, b = sys.argv[1], sys.argv[2]\n"
        "for _ in range(50):\n"
        "    os.close(os.open(a, os.O_RDONLY))\n"
        "os.rename(b, a)\n"
        "for _ in range(50):\n"
        "    os.close(os.open(a, os.O_RDONLY))\n")
    t = run(py(script, a, b))
    got = [(e.size, e.ino) for e in t.opens(work) if e.path == str(a)]
    assert [size for size, _ in got] == [3, 5]
    assert got[0][1] != got[1][1]


def test_case1_relative_paths(run, cc, work):
    for d in ("sub", "sub2", "sub3"):
        (work / d).mkdir()
    for f in ("sub/a.txt", "sub/b.txt", "sub2/c.txt", "sub3/t.txt"):
        (work / f).write_text(f)
    t = run([cc("relative"), work])
    assert names(t.opens(work), work) == [
        "sub",             # open("sub", O_DIRECTORY): the dirfd
        "sub/a.txt",       # openat(dirfd, "a.txt")
        "sub/a.txt",       # openat(dirfd, "../sub2/../sub/./a.txt"): collapsed lexically
        "sub/b.txt",       # after chdir("sub")
        "sub2",
        "sub2/c.txt",      # after fchdir(sub2)
        "sub3/t.txt",      # a thread opening relative to the cwd main just changed
    ]
    assert [e.ftype for e in t.opens(work)][:1] == ["d"]


def test_case2_symlink_and_hardlink(run, work):
    (work / "real.txt").write_text("r")
    (work / "link.txt").symlink_to("real.txt")
    os.link(work / "real.txt", work / "hard.txt")
    t = run(["cat", "link.txt", "hard.txt", "real.txt"], cwd=work)
    got = [(os.path.relpath(e.path, work), kernel_name(e) and os.path.relpath(kernel_name(e), work))
           for e in t.opens(work)]
    assert got == [("link.txt", "real.txt"), ("hard.txt", None), ("real.txt", None)]
    assert len({e.ino for e in t.opens(work)}) == 1


def test_case3_case4_case10_case11_path_operations(run, cc, work):
    (work / "listed").mkdir()
    (work / "listed" / "a").write_text("a")
    (work / "listed" / "b").write_text("b")
    t = run([cc("pathops"), work])
    summary = []
    for e in t.touching(work):
        rel = lambda p: p and os.path.relpath(p, work)  # noqa: E731
        if isinstance(e, Open):
            summary.append(("O", rel(e.path), e.ftype))
        elif isinstance(e, Rename):
            summary.append(("R", e.flags, rel(e.old), rel(e.new)))
        elif isinstance(e, Link):
            summary.append(("L", rel(e.old), rel(e.new)))
        else:
            summary.append((e.kind, rel(e.path)))
    assert summary == [
        ("O", ".", "d"),
        ("O", "out.tmp", "f"), ("R", 0, "out.tmp", "out.txt"),
        ("O", "b.tmp", "f"), ("R", 0, "b.tmp", "b.txt"),
        ("O", "x.txt", "f"), ("O", "y.txt", "f"), ("R", 2, "x.txt", "y.txt"),
        ("L", "out.txt", "hard.txt"), ("L", "b.txt", "hard2.txt"),
        ("O", "scratch.txt", "f"), ("U", "scratch.txt"),
        ("O", "scratch2.txt", "f"), ("U", "scratch2.txt"),
        ("O", "scratch3.txt", "f"), ("U", "scratch3.txt"),
        ("K", "d1"), ("K", "d2"), ("U", "d1"), ("U", "d2"), ("K", "d3"), ("U", "d3"),
        ("T", "y.txt"), ("T", "out.txt"),
        ("O", "listed", "d"), ("O", "listed", "d"),   # opendir, scandir
    ]
    assert (work / "out.txt").read_text() == "re"


def test_case3_python_tempfile_then_replace(run, work):
    script = (
        "import os, tempfile\n"
        "fd, tmp = tempfile.mkstemp(dir='.', suffix='.part')\n"
        "os.write(fd, b'weights'); os.close(fd)\n"
        "os.replace(tmp, 'model.bin')\n")
    t = run(py(script), cwd=work)
    ev = t.touching(work)
    assert [e.kind for e in ev] == ["O", "R"]
    assert ev[0].path.endswith(".part") and ev[0].flags & os.O_CREAT
    assert (ev[1].old, ev[1].new) == (ev[0].path, str(work / "model.bin"))


def test_mkstemp_is_seen(run, cc, work):
    """glibc's mkstemp opens internally; the shim wraps it so the temporary name is known."""
    t = run([cc("tmpnames"), work])
    ev = t.touching(work)
    assert [e.kind for e in ev] == ["O", "R", "O", "R"]
    for o, r in ((ev[0], ev[1]), (ev[2], ev[3])):
        assert o.flags & (os.O_CREAT | os.O_EXCL) == os.O_CREAT | os.O_EXCL
        assert r.old == o.path and r.new.startswith(str(work / "final"))


def test_case4_input_deleted_while_open(run, work):
    (work / "in.txt").write_text("precious")
    script = ("import os\n"
              "f = open('in.txt'); os.unlink('in.txt'); assert f.read() == 'precious'\n")
    t = run(py(script), cwd=work)
    assert [(e.kind, os.path.basename(e.path)) for e in t.touching(work)] == [
        ("O", "in.txt"), ("U", "in.txt")]


def test_case5_tmpfile_then_linkat(run, cc, work):
    t = run([cc("tmpfile"), work])
    ev = t.touching(work)
    assert [e.kind for e in ev] == ["O", "L", "O", "L"]
    for o, lnk, final in ((ev[0], ev[1], "final1.bin"), (ev[2], ev[3], "final2.bin")):
        assert o.flags & os.O_TMPFILE == os.O_TMPFILE
        assert o.path == str(work) and o.ftype == "f"
        assert o.real.startswith(str(work) + "/#") and o.real.endswith("(deleted)")
        assert lnk.old is None and lnk.new == str(work / final)
    assert (work / "final1.bin").read_bytes() == b"one" and (work / "final2.bin").exists()


def test_case9_mmap_and_case10_copy_calls(run, cc, work):
    (work / "src.bin").write_bytes(b"x" * 5000)
    (work / "shared.bin").write_bytes(b"\0" * 4096)
    t = run([cc("datamove"), work])
    got = [(os.path.relpath(e.path, work), e.flags & os.O_ACCMODE) for e in t.opens(work)]
    assert got == [
        ("src.bin", os.O_RDONLY),          # read only through mmap after close
        ("shared.bin", os.O_RDWR),         # shared writable mapping, written after close
        ("sendfile.out", os.O_WRONLY),
        ("cfr.out", os.O_WRONLY),
        ("splice.out", os.O_WRONLY),
    ]
    assert [e.kind for e in t.touching(work)][-1] == "T"
    assert (work / "sendfile.out").read_bytes() == b"x" * 5000
    assert (work / "shared.bin").read_bytes()[:5] == b"after"


def test_case11_python_listing_and_makedirs(run, work):
    (work / "inputs").mkdir()
    (work / "inputs" / "a.csv").write_text("1")
    script = ("import os\n"
              "assert os.listdir('inputs') == ['a.csv']\n"
              "assert [e.name for e in os.scandir('./inputs')] == ['a.csv']\n"
              "os.makedirs('ckpt/epoch1')\n")
    t = run(py(script), cwd=work)
    got = [(e.kind, os.path.relpath(e.path, work), getattr(e, "ftype", None))
           for e in t.touching(work)]
    assert got == [("O", "inputs", "d"), ("O", "inputs", "d"),
                   ("K", "ckpt", None), ("K", "ckpt/epoch1", None)]


def test_case16_file_types_and_sizes(run, work):
    os.mkfifo(work / "fifo")
    (work / "empty").write_bytes(b"")
    (work / "16k").write_bytes(b"a" * 16384)
    with open(work / "sparse", "wb") as f:
        f.truncate(1 << 30)
    script = ("import os\n"
              "for p in ['fifo', 'empty', '16k', 'sparse', '/dev/null', '/proc/self/status',"
              " '.']:\n"
              "    os.close(os.open(p, os.O_RDWR if p == 'fifo' else os.O_RDONLY))\n")
    t = run(py(script), cwd=work)
    want = {"fifo": ("o", 0), "empty": ("f", 0), "16k": ("f", 16384), "sparse": ("f", 1 << 30),
            "/dev/null": ("o", 0), "/proc/self/status": ("f", 0), ".": ("d", None)}
    got = {}
    for e in t.of_kind("O"):
        for key in want:
            if e.path == (key if key.startswith("/") else os.path.normpath(work / key)):
                got[key] = (e.ftype, e.size if e.ftype != "d" else None)
    assert got == want


def test_case17_awkward_names_round_trip(run, work):
    names_ = [b"caf\xe9 latin1.txt", "na\u00efve utf8.txt".encode(), b"with space.txt",
              b"new\nline.txt", b"tab\there.txt", b"back\\slash.txt", b"ctl\x01\x7f.txt",
              b"-", b"dash-\t-.txt"]
    script = ("import os, sys\n"
              "for n in sys.argv[1:]:\n"
              "    b = bytes.fromhex(n)\n"
              "    os.close(os.open(b, os.O_WRONLY | os.O_CREAT, 0o644))\n"
              "    os.rename(b, b + b'.renamed')\n")
    t = run(py(script, *(n.hex() for n in names_)), cwd=work)
    base = os.fsencode(work) + b"/"
    opened = [os.fsencode(e.path) for e in t.opens(work)]
    renamed = [(os.fsencode(e.old), os.fsencode(e.new)) for e in t.of_kind("R")]
    assert opened == [base + n for n in names_]
    assert renamed == [(base + n, base + n + b".renamed") for n in names_]
    raw = spool_bytes(t.spool)
    assert b"new\\nline.txt" in raw and b"ctl\\x01\\x7f.txt" in raw and b"caf\xe9" in raw


def test_case17_dotdot_through_symlinked_dir(run, work):
    """PATH is lexical (the name used); REAL is where the kernel went."""
    (work / "a" / "b").mkdir(parents=True)
    (work / "a" / "x.txt").write_text("behind the link")
    (work / "sl").symlink_to("a/b")
    t = run(["cat", "sl/../x.txt"], cwd=work)
    (e,) = t.opens(work)
    assert (e.path, e.real) == (str(work / "x.txt"), str(work / "a" / "x.txt"))


def test_case17_paths_longer_than_path_max(run, cc, work):
    """Known limit: a directory descriptor whose path is longer than a page cannot be named
    (readlink of /proc/self/fd/N fails with ENAMETOOLONG), so an open relative to it is reported
    as a W spool-error instead of an O line. Paths between PATH_MAX and that limit work."""
    t = run([cc("longpath"), work])
    ks = t.of_kind("K")
    assert all(e.path.startswith(str(work) + "/") for e in ks)
    assert len(ks[-1].path) > 4096                   # the last mkdirat, past PATH_MAX
    deepest = t.opens(work)[-1]                      # openat(parent, name, O_DIRECTORY)
    assert deepest.path == ks[-1].path and deepest.ftype == "d"
    # openat(deepest, "deep.txt", O_CREAT) succeeded (the program checked) but cannot be named:
    assert not any(e.path.endswith("deep.txt") for e in t.of_kind("O"))
    assert [(w.code, w.path) for w in t.of_kind("W")] == [("spool-error", "unresolved-path")]


def test_case8_read_write_modes(run, work):
    (work / "in.txt").write_text("i")
    (work / "both.txt").write_text("b")
    script = ("open('in.txt').read(); open('out.txt', 'w').write('o');"
              "open('both.txt', 'r+').write('B'); open('app.txt', 'a').write('a');"
              "open('x.txt', 'x').write('x')")
    t = run(py(script), cwd=work)
    got = {os.path.basename(e.path): e.flags for e in t.opens(work)}
    acc = {k: v & (os.O_ACCMODE | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_EXCL)
           for k, v in got.items()}
    assert acc == {"in.txt": os.O_RDONLY, "out.txt": W, "both.txt": os.O_RDWR,
                   "app.txt": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                   "x.txt": os.O_WRONLY | os.O_CREAT | os.O_EXCL}


def _rel(events, root):
    """Kind and paths relative to root, in spool order (old and new for R and L)."""
    out = []
    for e in events:
        if e.kind in "RL":
            old = os.path.relpath(e.old, root) if e.old else "-"
            out.append(f"{e.kind} {old} {os.path.relpath(e.new, root)}")
        else:
            out.append(f"{e.kind} {os.path.relpath(e.path, root)}")
    return out


def test_case19_raw_syscalls_through_syscall(run, cc, work):
    """syscall(SYS_openat / SYS_openat2 / SYS_open / SYS_creat / rename / link / unlink /
    truncate / mkdir ...) goes through glibc's syscall(), which the shim interposes: each is
    recorded exactly as its wrapper would record it; failed calls are not, errno is the
    kernel's, and other numbers pass straight through (the program checks all of that)."""
    (work / "in.txt").write_text("in")
    t = run([cc("rawsys"), work, "files"])
    W_ = os.O_WRONLY | os.O_CREAT
    got = [(os.path.relpath(e.path, work), e.flags & ~os.O_LARGEFILE) for e in t.opens(work)]
    assert got == [("raw_openat.txt", W_), ("raw_openat2.txt", W_), ("raw_open.txt", W_),
                   (".", os.O_RDONLY | os.O_DIRECTORY), ("in.txt", os.O_RDONLY),
                   ("raw_creat.txt", W), ("via_libc.txt", W_)]
    assert _rel([e for e in t.touching(work) if e.kind != "O"], work) == [
        "R raw_openat.txt renamed.txt", "R raw_creat.txt renamed2.txt",
        "L renamed.txt linked.txt", "U linked.txt", "T renamed2.txt", "K rawdir", "U rawdir"]
    assert not (work / "raw_bad.txt").exists()
    assert t.of_kind("W") == []


def test_case19_execve_through_syscall_reinjects(run, cc, work):
    """syscall(SYS_execve) with an empty environment: the shim follows it like execve()."""
    (work / "in.txt").write_text("in")
    t = run([cc("rawsys"), work, "exec"])
    assert t.stdout == "in"
    assert [h.exe for h in t.of_kind("H")][-1] == "/usr/bin/cat"
    assert [os.path.basename(e.path) for e in t.opens(work)] == ["in.txt"]


def test_case19_inline_syscall_is_invisible(run, cc, work):
    """Known limit: a `syscall` instruction written inline runs no libc code at all, so the
    shim has nothing to interpose and cannot even tell that it happened (no warning)."""
    if os.uname().machine != "x86_64":
        pytest.skip("the inline form is written for x86_64")
    t = run([cc("rawsys"), work, "inline"])
    assert (work / "inline.txt").exists()
    assert [os.path.basename(e.path) for e in t.opens(work)] == ["via_libc.txt"]
    assert t.of_kind("W") == []


def test_glibc_internal_opens_are_invisible(run, cc, work):
    """Known limit: glibc reaches these files through internal aliases, not the exported symbols
    the shim wraps: glob's directory listing, NSS's /etc/passwd (and the libnss module glibc
    loads for it), tmpfile(). The calls work; the spool has no line for them."""
    (work / "a.txt").write_text("a")
    (work / "b.txt").write_text("b")
    t = run([cc("internal"), work])
    assert t.stdout == "2 /root\n"
    paths = [e.path for e in t.of_kind("O")]
    assert not any(p.startswith(str(work)) or p == "/etc/passwd" or p.startswith("/tmp/#")
                   for p in paths), paths
    assert not any("libnss" in e.path for e in t.of_kind("D"))
