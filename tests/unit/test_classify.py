"""classify: replaying spool events into per-path roles (CAPTURE_CASES 3, 4, 5, 6, 8)."""
from __future__ import annotations

import os
from types import SimpleNamespace as Ev

from roard.finalize.classify import Classifier

RD, WR, RW = os.O_RDONLY, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.O_RDWR
O_TMPFILE = getattr(os, "O_TMPFILE", 0o20200000)


def o(ts, path, flags, real="-", ftype="f", ino=1):
    return Ev(kind="O", ts=ts, pid=10, flags=flags, ftype=ftype, dev=1, ino=ino, size=3, mtime_ns=5,
              path=path, real=real)


def run(*events):
    return Classifier().feed(events).states


def test_temp_then_rename_is_output_under_final_name(tmp_path) -> None:
    tmp, final = str(tmp_path / "out.tmp"), str(tmp_path / "out.bin")
    states = run(o(1, tmp, WR), Ev(kind="R", ts=2, pid=10, flags=0, old=tmp, new=final))
    assert states[final].written and not states[final].deleted
    assert states[tmp].deleted and states[tmp].renamed_to == final


def test_rename_exchange_makes_both_outputs(tmp_path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    states = run(Ev(kind="R", ts=1, pid=1, flags=2, old=a, new=b))
    assert states[a].written and states[b].written


def test_created_and_deleted_is_neither(tmp_path) -> None:
    p = str(tmp_path / "scratch")
    st = run(o(1, p, WR), Ev(kind="U", ts=2, pid=10, path=p))[p]
    assert st.written and st.deleted and not st.read_first


def test_read_write_is_input_with_identity_then_output(tmp_path) -> None:
    p = str(tmp_path / "db")
    st = run(o(1, p, RW))[p]
    assert st.read_first and st.written and st.read_identity == (1, 1, 3, 5)


def test_read_after_own_write_is_not_input(tmp_path) -> None:
    p = str(tmp_path / "x")
    st = run(o(1, p, WR), o(2, p, RD))[p]
    assert st.written and not st.read_first


def test_tmpfile_then_link(tmp_path) -> None:
    final = str(tmp_path / "final")
    states = run(o(1, str(tmp_path), O_TMPFILE | os.O_WRONLY, real=str(tmp_path / "#123 (deleted)")),
                 Ev(kind="L", ts=2, pid=10, old="-", new=final))
    assert list(states) == [final] and states[final].written


def test_proc_fd_path_resolves_to_real_file(tmp_path) -> None:
    real = str(tmp_path / "in.txt")
    states = run(o(1, "/proc/self/fd/0", RD, real=real))
    assert states[real].name == real and states[real].read_first


def test_symlink_keeps_name_used_and_target(tmp_path) -> None:
    link, target = str(tmp_path / "link"), str(tmp_path / "target")
    (tmp_path / "target").write_text("t")
    os.symlink(target, link)
    st = run(o(1, link, RD, real=target))[target]
    assert st.name == link and st.key == target


def test_dotdot_after_symlinked_dir_uses_kernel_name(tmp_path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink(tmp_path / "a" / "b", tmp_path / "lnk")
    lexical, physical = str(tmp_path / "up.txt"), str(tmp_path / "a" / "up.txt")
    st = run(o(1, lexical, WR, real=physical))[physical]
    assert st.name == physical


def test_unresolved_name_is_resolved_by_the_reader(tmp_path) -> None:
    """REAL '?': the shim left symlink resolution to finalize. A symlinked directory in the
    path, a symlink as the last component, and a file removed before the end are all keyed by
    their physical path; the name used is kept (issue 14: a symlinked directory too)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("x")
    (tmp_path / "data" / "y.csv").write_text("y")
    os.symlink(tmp_path / "data", tmp_path / "via")
    os.symlink("y.csv", tmp_path / "data" / "latest.csv")
    via_dir, via_link = str(tmp_path / "via" / "x.csv"), str(tmp_path / "via" / "latest.csv")
    gone = str(tmp_path / "via" / "gone.tmp")
    states = run(o(1, via_dir, RD, real="?"), o(2, via_link, RD, real="?"),
                 o(3, gone, WR, real="?"), Ev(kind="U", ts=4, pid=10, path=gone))
    x, y = str(tmp_path / "data" / "x.csv"), str(tmp_path / "data" / "y.csv")
    assert set(states) == {x, y, str(tmp_path / "data" / "gone.tmp")}
    assert states[x].name == via_dir and states[x].read_first
    assert states[y].name == via_link and states[y].read_first
    assert states[str(tmp_path / "data" / "gone.tmp")].deleted


def test_unresolved_name_into_proc_is_kept(tmp_path) -> None:
    """A symlink into /proc meant the traced process's descriptors, not the daemon's."""
    os.symlink("/proc/self/fd/0", tmp_path / "stdin-link")
    name = str(tmp_path / "stdin-link")
    assert list(run(o(1, name, RD, real="?"))) == [name]


def test_warnings_are_sentences() -> None:
    c = Classifier().feed([Ev(kind="W", ts=1, pid=1, code="static-exec", path="/bin/busybox")])
    assert "statically linked" in c.warnings[0] and "/bin/busybox" in c.warnings[0]
