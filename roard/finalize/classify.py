"""Classify what a run touched: replay the spool's events in time order into one state per file.

The result says, for every path, whether the job read it before writing it (an input, with the
identity it had when read), wrote it (an output), or made and removed it (neither).

A file opened for append or read-write that existed before the run's first open of it is an input
too (the version it changed); one the open created is not. The tracers report the identity after
the open, so "created by this open" is read from it: ``O_CREAT`` and an empty file that is
``O_EXCL`` or modified after the run began (``created_by_run``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable

from roard.tracing.spool import UNRESOLVED

O_ACCMODE = os.O_ACCMODE
O_TMPFILE = getattr(os, "O_TMPFILE", 0o20200000)
#: File timestamps come from the kernel's coarse clock, which lags the precise one by up to a tick
#: (1-10 ms); a file created that soon after BeginRun may carry an mtime just before it.
COARSE_CLOCK_SLACK_NS = 10_000_000


@dataclass
class PathState:
    key: str                       # the physical path (symlinks resolved)
    name: str                      # the name the job used first
    read_first: bool = False       # read before the job wrote it: an input
    read_identity: tuple[int, int, int, int] | None = None   # dev, ino, size, mtime_ns
    written: bool = False
    deleted: bool = False          # gone at the end of the run (unlinked or renamed away)
    renamed_to: str = ""
    ftype: str = "f"               # f regular, d directory, o other
    how: set[str] = field(default_factory=set)   # open, exec, lib, inherited, mkdir, append, ...


@dataclass
class Classification:
    states: dict[str, PathState]
    executables: list[str]
    warnings: list[str]
    pids: set[int]


def _val(value: Any) -> str:
    return "" if value in (None, "-") else str(value)


_PER_PROCESS = ("/proc/", "/dev/fd/", "/dev/std")  # names whose meaning depends on the process


class PhysicalPaths:
    """Physical paths of names the tracer did not resolve, as they are when the run ends.

    Directories are resolved once each (a run's files share a few directories), so a name costs
    one ``lstat`` of its own.
    """

    def __init__(self) -> None:
        self._dirs: dict[str, str] = {}

    def parent(self, path: str) -> str:
        """Realpath of the directory part, the last component kept (for renames and unlinks)."""
        parent, base = os.path.split(path)
        real = self._dirs.get(parent)
        if real is None:
            try:
                real = os.path.realpath(parent)
            except OSError:
                real = os.path.normpath(parent)
            self._dirs[parent] = real
        return os.path.join(real, base)

    def full(self, path: str) -> str:
        """Realpath of the whole name (the last component too, when it is a symlink). A name
        that leads into /proc is kept as it is: it meant something only in the traced process."""
        physical = self.parent(path)
        if os.path.islink(physical):
            try:
                target = os.path.join(os.path.dirname(physical), os.readlink(physical))
            except OSError:
                return physical
            if target.startswith(_PER_PROCESS):
                return path
            physical = os.path.realpath(physical)
        return path if physical.startswith(_PER_PROCESS) else physical


def created_by_run(flags: int, size: int, mtime_ns: int, started_ns: int) -> bool:
    """Whether an open made the file: the tracer reports the file after the open, so a created file
    is one opened with ``O_CREAT`` that is empty and either ``O_EXCL`` or modified since the run
    began (an empty file from before the run keeps its older mtime)."""
    if not flags & os.O_CREAT or size != 0:
        return False
    return bool(flags & os.O_EXCL) or (started_ns > 0 and mtime_ns >= started_ns - COARSE_CLOCK_SLACK_NS)


class Classifier:
    def __init__(self, started_ns: int = 0) -> None:
        """``started_ns``: when the run began (wall clock, ns); 0 when unknown, and then only
        ``O_EXCL`` tells that an open created a file."""
        self.started_ns = started_ns
        self.paths = PhysicalPaths()
        self.states: dict[str, PathState] = {}
        self.executables: list[str] = []
        self.warnings: list[str] = []
        self.pids: set[int] = set()

    def _state(self, key: str, name: str) -> PathState:
        st = self.states.get(key)
        if st is None:
            st = self.states[key] = PathState(key=key, name=name or key)
        return st

    def read(self, key: str, name: str, identity: tuple[int, int, int, int] | None, how: str,
             ftype: str = "f") -> None:
        st = self._state(key, name)
        st.how.add(how)
        st.ftype = ftype
        if not st.written and not st.read_first:
            st.read_first = True
            st.read_identity = identity

    def write(self, key: str, name: str, how: str) -> None:
        st = self._state(key, name)
        st.how.add(how)
        st.written = True
        st.deleted = False

    def on_open(self, ev: Any) -> None:
        flags = int(ev.flags)
        path = _val(ev.path)
        real = _val(ev.real)
        resolved_here = real == UNRESOLVED
        if resolved_here:
            real = self.paths.full(path)
        if flags & O_TMPFILE == O_TMPFILE:
            return  # an anonymous file; it becomes visible (and an output) through a link event
        if real.endswith(" (deleted)"):  # unlinked while open: its last name is still the key
            real = real[: -len(" (deleted)")]
        key = real or path
        # The name used is kept when it leads to the file the kernel opened: through a symlinked
        # file (case 2) or a symlinked directory (`data -> /elsewhere`). A name that does not (a
        # lexical ".." after a symlinked directory, case 17) misleads: the kernel's name wins.
        via_fd = path.startswith(_PER_PROCESS)
        name = path if real and real != path and not via_fd and (resolved_here or self.paths.full(path) == real) \
            else key
        acc = flags & O_ACCMODE
        trunc = bool(flags & os.O_TRUNC)
        ident = (int(ev.dev), int(ev.ino), int(ev.size), int(ev.mtime_ns))
        if ev.ftype != "f":
            st = self._state(key, name)
            st.how.add("open")
            st.ftype = ev.ftype
            if not st.written and not st.read_first and acc != os.O_WRONLY:
                st.read_first = True
            return
        in_place = not trunc and (acc == os.O_RDWR or bool(flags & os.O_APPEND))
        earlier = self.states.get(key)
        first = earlier is None or not (earlier.written or earlier.read_first)
        if in_place and first and created_by_run(flags, ident[2], ident[3], self.started_ns):
            self.write(key, name, "create")  # the open made it: there was no earlier version
            return
        if (acc == os.O_RDONLY and not trunc) or in_place:
            # read, or changed in place (append, read-write): the version before is an input
            self.read(key, name, ident, "open" if acc != os.O_WRONLY else "append")
        if acc in (os.O_WRONLY, os.O_RDWR) or trunc:
            self.write(key, name, "open")

    def on_rename(self, ev: Any) -> None:
        old, new = self.paths.parent(_val(ev.old)), self.paths.parent(_val(ev.new))
        exchange = int(ev.flags) & 2  # RENAME_EXCHANGE
        if exchange:
            a, b = self._state(old, _val(ev.old)), self._state(new, _val(ev.new))
            for st in (a, b):
                st.written = True
                st.deleted = False
                st.how.add("rename-exchange")
            return
        src = self._state(old, _val(ev.old))
        dst = self._state(new, _val(ev.new))
        dst.written = True
        dst.deleted = False
        dst.how.add("rename")
        src.deleted = True
        src.renamed_to = new

    def on_link(self, ev: Any) -> None:
        new = self.paths.parent(_val(ev.new))
        self.write(new, _val(ev.new), "link")

    def on_unlink(self, ev: Any) -> None:
        st = self._state(self.paths.parent(_val(ev.path)), _val(ev.path))
        st.deleted = True
        st.how.add("unlink")

    def feed(self, events: Iterable[Any]) -> Classification:
        for ev in events:
            self.pids.add(int(ev.pid))
            kind = ev.kind
            if kind == "O":
                self.on_open(ev)
            elif kind == "R":
                self.on_rename(ev)
            elif kind == "L":
                self.on_link(ev)
            elif kind == "U":
                self.on_unlink(ev)
            elif kind == "T":
                p = _val(ev.path)
                self.write(self.paths.parent(p), p, "truncate")
            elif kind == "K":
                p = _val(ev.path)
                st = self._state(self.paths.parent(p), p)
                st.ftype = "d"
                st.how.add("mkdir")
                st.written = True
            elif kind == "D":
                p = _val(ev.path)
                self.read(os.path.realpath(p), p, None, "lib")
            elif kind == "H":
                exe = _val(ev.exe)
                if exe:
                    exe = exe[: -len(" (deleted)")] if exe.endswith(" (deleted)") else exe
                    if exe not in self.executables:
                        self.executables.append(exe)
                    self.read(exe, exe, None, "exec")
            elif kind == "W":
                self.warnings.append(warning_text(_val(ev.code), _val(ev.path)))
        return Classification(self.states, self.executables, self.warnings, self.pids)


WARNING_TEXT = {
    "static-exec": "{path} is statically linked and the ptrace tracer is not usable here, so its "
                   "file I/O was not seen (see `roarctl tracer status`)",
    "go-exec": "{path} is a Go program, which makes its own system calls, and the ptrace tracer is not "
               "usable here, so its file I/O was not seen (see `roarctl tracer status`)",
    "static-program": "{path} is statically linked and ran under the preload tracer, which cannot see "
                      "inside it: its file I/O was not recorded (use --tracer auto or ptrace)",
    "go-program": "{path} is a Go program, which makes its own system calls, and ran under the preload "
                  "tracer: its file I/O was not recorded (use --tracer auto or ptrace)",
    "setuid-exec": "{path} is set-uid/set-gid: the loader ignores LD_PRELOAD, so its file I/O was not seen",
    "raw-syscalls": "{path} makes file system calls with its own syscall instructions, which the preload "
                    "tracer cannot see: files it opened that way may be missing (use --tracer ptrace)",
    "spool-error": "the tracer could not record an event ({path}); the job may be missing files",
    "setuid-unprivileged": "{path} is set-uid/set-gid and ran without its privileges under the ptrace tracer",
    "nested-ptrace": "a program in the run tried to ptrace another ({path}); nested tracing is refused under roar",
    "seccomp-listener": "{path} installed a seccomp notification filter; calls it lets through are not seen",
    "io-uring": "{path} set up io_uring; file I/O through the ring bypasses system calls and was not seen",
    "ebpf-i386": "{path} is a 32-bit (i386) program, whose file calls the eBPF tracer server does not "
                 "see: its file I/O was not recorded (use --tracer ptrace or preload)",
    "ebpf-lost": "the eBPF tracer LOST {path} event(s) (ring buffer full): this job's inputs and outputs are incomplete",
}


def warning_text(code: str, path: str) -> str:
    template = WARNING_TEXT.get(code, "tracer warning {code}: {path}")
    return template.format(code=code, path=path)
