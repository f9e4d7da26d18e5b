"""The preload shim's mapped spool: after its first events a process copies lines into a file
mapping (<pid>.<ns>.spoolmap) instead of one write(2) each. Nothing may be lost or misattributed:
with threads, across a fork that runs no fork handlers, when the process is SIGKILLed, and when
the spool's file system is full (which must never kill the program with SIGBUS)."""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
from pathlib import Path

import pytest

from roard.tracing.spool import Open, ProcessStart, SpoolReader

from .helpers import read_spool, traced_env


def _opened(t, prefix: str) -> list[Open]:
    return [e for e in t.events if isinstance(e, Open) and os.path.basename(e.path).startswith(prefix)]


def _mapped_files(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.spoolmap"))


def test_lines_go_through_the_mapping_and_all_arrive(run, cc, work):
    t = run([cc("mapped"), "open", work, "3000"])
    events = _opened(t, "m")
    # Each file: an open for writing, then one for reading (its size changed: not de-duplicated).
    assert len(events) == 6000
    assert {e.path for e in events} == {str(work / f"m{i}.txt") for i in range(3000)}
    (pid,) = t.pids()
    assert {e.pid for e in events} == {pid}
    maps = _mapped_files(t.spool)
    assert len(maps) == 1 and maps[0].name.startswith(f"{pid}.")
    # Most lines are in the mapping, padded with NULs; none was cut short.
    assert maps[0].read_bytes().count(b"\n") > 5900
    assert t.stats.torn == 0 and t.stats.malformed == 0


def test_a_small_process_allocates_little(run, cc, work):
    """On tmpfs what the map file allocates is memory until finalize, and a build runs thousands
    of compilers with a few dozen events each: space grows from 4 KiB."""
    t = run([cc("mapped"), "open", work, "20"])
    assert len(_opened(t, "m")) == 40
    (mapped,) = _mapped_files(t.spool)
    assert 0 < mapped.read_bytes().rstrip(b"\0").count(b"\n") <= 24
    assert mapped.stat().st_size <= 8192


def test_sigkilled_process_keeps_every_line_it_copied(run, cc, work):
    t = run([cc("mapped"), "kill", work, "2000"], check=False)
    assert t.proc.returncode == -9
    events = _opened(t, "m")
    assert len(events) == 4000 and t.stats.torn == 0
    assert _mapped_files(t.spool)


def test_threads_share_one_mapping(run, cc, work):
    t = run([cc("mapped"), "threads", work, "1000"])
    for k in range(8):
        events = _opened(t, f"t{k}_")
        assert len(events) == 2000, k
        assert {e.path for e in events} == {str(work / f"t{k}_{i}.txt") for i in range(1000)}
    assert t.stats.torn == 0 and t.stats.malformed == 0
    assert len(_mapped_files(t.spool)) == 1


def _forked(run, cc, work, mode: str):
    t = run([cc("mapped"), mode, work, "500"])
    child = int(t.stdout.split()[0])
    (parent,) = t.pids() - {child}
    assert {e.pid for e in _opened(t, "c")} == {child} and len(_opened(t, "c")) == 1000
    assert {e.pid for e in _opened(t, "p")} == {parent} and len(_opened(t, "p")) == 1000
    assert {e.pid for e in _opened(t, "m")} == {parent}
    starts = [e for e in t.events if isinstance(e, ProcessStart) and e.pid == child]
    assert [s.ppid for s in starts] == [parent]
    assert t.stats.torn == 0 and t.stats.malformed == 0
    owners = {int(p.name.split(".")[0]) for p in _mapped_files(t.spool)}
    return parent, child, owners


def test_forked_child_maps_a_file_of_its_own(run, cc, work):
    parent, child, owners = _forked(run, cc, work, "fork")
    assert owners == {parent, child}


def test_child_of_a_fork_without_handlers_writes_its_own_files(run, cc, work):
    """_Fork runs no pthread_atfork handlers: the child learns it is a new process only from
    the wiped page (MADV_WIPEONFORK), and must not write into its parent's mapping (which it
    does not even have: MADV_DONTFORK). Without the handler it cannot tell itself from a vfork
    child sharing its parent's memory, so it keeps write(2): only the parent has a mapping."""
    parent, child, owners = _forked(run, cc, work, "_fork")
    assert owners == {parent}


def test_repeated_opens_of_many_files_are_reported_once(run, cc, work):
    """20,000 files read twice: more than the static de-dup table holds, so the process maps a
    bigger one, and the second pass reports nothing again."""
    for i in range(20000):
        (work / f"r{i}.txt").write_bytes(b"r")
    t = run([cc("mapped"), "reread", work, "20000"])
    paths = [e.path for e in _opened(t, "r")]
    assert len(paths) == 20000 and len(set(paths)) == 20000


def test_the_mapping_leaves_the_address_space_to_the_program(shim, cc, work, tmp_path):
    """Under `ulimit -v 512M` a program that maps 300 MiB after 6,000 events still gets it: the
    shim maps its spool 1 MiB at a time, not one big reservation."""
    spool = tmp_path / "spool"
    spool.mkdir()
    limit = 512 << 20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run([str(cc("mapped")), "alloc", str(work), "3000"], capture_output=True,
                          env=traced_env(shim, spool, {"ROAR_TEST_MIB": "300"}), timeout=120,
                          preexec_fn=cap)
    assert proc.returncode == 0 and proc.stdout.split() == [b"done"], proc.stderr
    t = read_spool(proc, spool)
    assert len(_opened(t, "m")) == 6000 and _mapped_files(spool)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None,
                    reason="mounting a small tmpfs needs root")
def test_full_spool_file_system_never_kills_the_program(shim, cc, work, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(small)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        spool = small / "spool"
        spool.mkdir()
        proc = subprocess.run([str(cc("mapped")), "open", str(work), "20000"], capture_output=True,
                              env=traced_env(shim, spool), timeout=120)
        assert proc.returncode == 0 and proc.stdout.split() == [b"done"], proc.stderr
        reader = SpoolReader(spool)
        events = [e for e in reader.events() if isinstance(e, Open)]
        # What fitted is there, whole; the rest (about 5 MB of lines) could not be kept. The
        # last write(2) may have been cut short by the full disk: a torn line, dropped.
        assert 1000 < len(events) < 40000
        assert reader.stats.malformed == 0 and reader.stats.torn <= 1
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
