"""SpoolReader on hand-written spool files: every kind, escaping, merge order, damaged input,
and the parse of many events (its speed is in bench/bench_spool_reader.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from roard.tracing.spool import (UNRESOLVED, Library, Link, Mkdir, Open, ProcessStart, Rename,
                                 SpoolReader, TracerWarning, Truncate, Unlink, unescape)


def write(spool: Path, pid: int, lines: list[str], tail: bytes = b"") -> None:
    data = "".join(line.replace(" | ", "\t") + "\n" for line in lines).encode() + tail
    (spool / f"{pid}.spool").write_bytes(data)


def test_every_kind(tmp_path):
    write(tmp_path, 7, [
        "H | 1 | 7 | 3 | /usr/bin/python3 | /home/u",
        "O | 2 | 7 | 241 | f | 64 | 99 | 12 | 1700000000000000000 | /w/out.txt | -",
        "O | 3 | 7 | 0 | f | 64 | 98 | 5 | 17 | /w/link | /w/real",
        "R | 4 | 7 | 2 | /w/a | /w/b",
        "L | 5 | 7 | - | /w/final",
        "L | 6 | 7 | /w/a | /w/h",
        "U | 7 | 7 | /w/tmp",
        "T | 8 | 7 | /w/t",
        "K | 9 | 7 | /w/d",
        "D | 10 | 7 | /w/lib/libx.so",
        "W | 11 | 7 | static-exec | /usr/bin/busybox",
        "H | 12 | 7 | 3 | - | /",
    ])
    reader = SpoolReader(tmp_path)
    assert reader.events() == [
        ProcessStart(1, 7, 3, "/usr/bin/python3", "/home/u"),
        Open(2, 7, 0x241, "f", 64, 99, 12, 1700000000000000000, "/w/out.txt", None),
        Open(3, 7, 0, "f", 64, 98, 5, 17, "/w/link", "/w/real"),
        Rename(4, 7, 2, "/w/a", "/w/b"),
        Link(5, 7, None, "/w/final"),
        Link(6, 7, "/w/a", "/w/h"),
        Unlink(7, 7, "/w/tmp"),
        Truncate(8, 7, "/w/t"),
        Mkdir(9, 7, "/w/d"),
        Library(10, 7, "/w/lib/libx.so"),
        TracerWarning(11, 7, "static-exec", "/usr/bin/busybox"),
        ProcessStart(12, 7, 3, None, "/"),
    ]
    assert [e.kind for e in reader.events()] == list("HOORLLUTKDWH")
    assert reader.stats.files == 1 and reader.stats.lines == 12 and reader.stats.events == 12
    o = reader.events()[1]
    assert o.accmode == os.O_WRONLY and o.target == "/w/out.txt"
    assert reader.events()[2].target == "/w/real"


def test_events_are_frozen(tmp_path):
    write(tmp_path, 1, ["U | 1 | 1 | /x"])
    (e,) = SpoolReader(tmp_path).events()
    with pytest.raises(AttributeError):
        e.path = "/y"  # type: ignore[misc]


def test_unescape_and_non_utf8(tmp_path):
    raw = (b"U\t1\t1\t/w/tab\\there\n"
           b"U\t2\t1\t/w/new\\nline \\\\ back\n"
           b"U\t3\t1\t/w/ctl\\x01\\x7f\\x1B\n"
           b"U\t4\t1\t/w/caf\xe9\n")
    (tmp_path / "1.spool").write_bytes(raw)
    got = [os.fsencode(e.path) for e in SpoolReader(tmp_path).events()]
    assert got == [b"/w/tab\there", b"/w/new\nline \\ back", b"/w/ctl\x01\x7f\x1b",
                   b"/w/caf\xe9"]
    assert unescape(b"a\\\\x41") == b"a\\x41"     # an escaped backslash, then plain text


def test_merge_order_ts_then_pid_then_file_order(tmp_path):
    write(tmp_path, 20, ["U | 5 | 20 | /b1", "U | 5 | 20 | /b2", "U | 1 | 20 | /b0"])
    write(tmp_path, 10, ["U | 5 | 10 | /a1", "U | 9 | 10 | /a2"])
    got = [e.path for e in SpoolReader(tmp_path).events()]
    assert got == ["/b0", "/a1", "/b1", "/b2", "/a2"]


def test_torn_unknown_and_malformed_lines(tmp_path):
    write(tmp_path, 3, [
        "U | 1 | 3 | /ok",
        "Z | 2 | 3 | something new",             # a kind from a newer tracer
        "O | 3 | 3 | zz | f | 1 | 2 | 3 | 4 | /p | -",  # bad hex
        "R | 4 | 3 | 0 | /only-one-path",
        "O | 5 | 3 | 0 | q | 1 | 2 | 3 | 4 | /p | -",    # bad FTYPE
        "U | 6 | 3 | /bad\\q escape",
        "",
        "K | 7 | 3 | /ok2",
    ], tail=b"O\t8\t3\t0\tf\t1\t2")               # torn: no newline
    reader = SpoolReader(tmp_path)
    assert [e.path for e in reader.events()] == ["/ok", "/ok2"]
    s = reader.stats
    assert (s.torn, s.unknown, s.malformed, s.lines, s.events) == (1, 1, 5, 8, 2)
    assert s.unknown_kinds == {"Z": 1}


def test_mapped_file_nul_padding_and_cut_short_lines(tmp_path):
    """A .spoolmap file: lines copied into a mapping, NUL bytes where a copy was cut short (its
    '\\n' is always the missing byte) or a reservation never filled, and unused space at the end.
    Its events merge with the same pid's .spool file by TS."""
    write(tmp_path, 4, ["H | 1 | 4 | 1 | /bin/x | /w", "U | 6 | 4 | /late"])
    (tmp_path / "4.123.spoolmap").write_bytes(
        b"U\t2\t4\t/a\n"
        b"U\t3\t4\t/cut\0\0"            # cut short: no newline, NUL follows
        b"\0\0\0\0\0"                    # a reservation never written
        b"U\t4\t4\t/b\n"
        b"O\t5\t4\t0\tf\t1\t2\t3\t4\t/c\t?\n"
        + b"\0" * 65536)
    reader = SpoolReader(tmp_path)
    events = reader.events()
    assert [getattr(e, "path", None) for e in events] == [None, "/a", "/b", "/c", "/late"]
    assert events[3].real == UNRESOLVED and events[3].target == "/c"
    s = reader.stats
    assert (s.files, s.torn, s.malformed, s.events) == (2, 1, 0, 5)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "1.spool").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("U\t1\t1\t/ignored\n")
    reader = SpoolReader(tmp_path)
    assert reader.events() == []
    assert reader.stats.files == 1 and reader.stats.torn == 0


def test_ten_thousand_events_over_ten_files(tmp_path):
    """Every event of 10 files is read, in order per file, and reading again gives the same."""
    for pid in range(100, 110):
        lines = []
        for i in range(1000):
            lines.append(f"O | {i * 10 + pid} | {pid} | 8241 | f | 64 | {i} | 123 | 1700000000"
                         f"000000000 | /work/data/some/deeper/dir/file_{i}.csv | -")
        write(tmp_path, pid, lines)
    reader = SpoolReader(tmp_path)
    events = reader.events()
    assert len(events) == 10000 and reader.stats.torn == 0
    assert len(reader.events()) == 10000
