"""Helpers of the tracer tests: compile the C cases, run programs traced, read their spool.

Every traced run gets a fresh spool directory; programs run as real processes with
``LD_PRELOAD=<shim>`` and ``ROAR_SPOOL_DIR=<spool>``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from roard.finalize.classify import PhysicalPaths
from roard.tracing.spool import UNRESOLVED, Event, Open, SpoolReader, SpoolStats

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"

def _load_tracer_build():
    """tracers/build.py, loaded by path (it is not a package)."""
    spec = importlib.util.spec_from_file_location("roar_tracer_build", REPO / "tracers" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tracer_build = _load_tracer_build()

CC = shutil.which("cc") or shutil.which("gcc")


def _compile(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"compile failed: {' '.join(cmd)}\n{proc.stderr}")


def compile_to(name: str, out: Path, *flags: str) -> Path:
    """Compile tests/tracers/cases/<name>.c into `out` (an executable, or a .so with -shared)."""
    _compile([CC, "-O1", "-g", "-Wall", "-D_GNU_SOURCE", "-o", str(out), str(CASES / f"{name}.c"),
              *flags, "-pthread", "-ldl"])
    return out


class Compiler:
    """Compiles tests/tracers/cases/<name>.c once per session."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.cache: dict[tuple[str, tuple[str, ...]], Path] = {}

    def __call__(self, name: str, *flags: str, out_name: str | None = None) -> Path:
        key = (name, flags)
        if key not in self.cache:
            suffix = "-" + hashlib.sha1(" ".join(flags).encode()).hexdigest()[:8] if flags else ""
            out = self.out_dir / (out_name or name + suffix)
            self.cache[key] = compile_to(name, out, *flags)
        return self.cache[key]


@dataclass
class Traced:
    proc: subprocess.CompletedProcess[bytes]
    spool: Path
    events: list[Event]
    stats: SpoolStats

    def opens(self, under: Path | str) -> list[Open]:
        """O events whose PATH is under `under`."""
        root = str(under)
        return [e for e in self.events if isinstance(e, Open) and _under(e.path, root)]

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def touching(self, under: Path | str) -> list[Event]:
        """File events (O R L U T K) with a path under `under`, in spool order."""
        root = str(under)
        out = []
        for e in self.events:
            paths = [getattr(e, a, None) for a in ("path", "old", "new")]
            if e.kind in "ORLUTK" and any(p and _under(p, root) for p in paths):
                out.append(e)
        return out

    def pids(self) -> set[int]:
        return {int(p.stem) for p in self.spool.glob("*.spool")}

    @property
    def stdout(self) -> str:
        return self.proc.stdout.decode(errors="replace")


def kernel_name(e: Open) -> str | None:
    """REAL as the reader settles it: the file's physical name, None when that is PATH. The
    preload shim leaves most names for the reader to resolve (``?``)."""
    if e.real != UNRESOLVED:
        return e.real
    full = PhysicalPaths().full(e.path)
    return None if full == e.path else full


def spool_bytes(spool: Path) -> bytes:
    """Every spool file's bytes (``.spool`` and ``.spoolmap``), for tests of raw escaping."""
    return b"".join(p.read_bytes() for p in SpoolReader(spool).files())


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def traced_env(shim: Path, spool: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    env.update({"LD_PRELOAD": str(shim), "ROAR_SPOOL_DIR": str(spool)})
    env.update(extra or {})
    return env


class Runner:
    """run(cmd, ...) -> Traced: the command run under the shim with a fresh spool."""

    def __init__(self, shim: Path, base: Path) -> None:
        self.shim = shim
        self.base = base
        self.count = 0

    def new_spool(self) -> Path:
        self.count += 1
        spool = self.base / f"spool{self.count}"
        spool.mkdir()
        return spool

    def __call__(self, cmd: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None,
                 env: dict[str, str] | None = None, check: bool = True, timeout: float = 60,
                 stdin: int | None = None, input: bytes | None = None) -> Traced:
        spool = self.new_spool()
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd or self.base,
                              env=traced_env(self.shim, spool, env), capture_output=True,
                              timeout=timeout, stdin=stdin, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"{cmd} exited {proc.returncode}\nstdout:\n"
                                 f"{proc.stdout.decode(errors='replace')}\nstderr:\n"
                                 f"{proc.stderr.decode(errors='replace')}")
        return read_spool(proc, spool)


def read_spool(proc: subprocess.CompletedProcess[bytes], spool: Path) -> Traced:
    reader = SpoolReader(spool)
    events = reader.events()
    # Whatever a test asserts, the shim must never write a line the reader rejects.
    assert reader.stats.malformed == 0 and reader.stats.torn == 0 and reader.stats.unknown == 0, \
        reader.stats
    return Traced(proc, spool, events, reader.stats)


def names(events: Iterable[Open], root: Path) -> list[str]:
    """PATHs relative to root, in spool order."""
    return [os.path.relpath(e.path, root) for e in events]


def build_shim(out: Path) -> Path:
    """Compile libroar_preload.so from the working tree with tracers/build.py's flags."""
    name, sources, flags = next(t for t in tracer_build.TARGETS if t[0] == "libroar_preload.so")
    _compile([tracer_build.compiler(), *tracer_build.CFLAGS, "-Werror", "-o", str(out),
              *(str(tracer_build.TRACERS / s) for s in sources), *flags])
    return out


def py(script: str, *args: object) -> list[str]:
    """A Python command for a traced run. -I keeps the cwd out of sys.path, so the interpreter
    does not list the work directory while importing."""
    return [sys.executable, "-I", "-c", script, *map(str, args)]


def is_static_elf(path: str | os.PathLike[str]) -> bool:
    """An ELF executable without a PT_INTERP program header (the loader never runs)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return False
        is64 = head[4] == 2
        order = "<" if head[5] == 1 else ">"
        if is64:
            phoff, = struct.unpack_from(order + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
        else:
            phoff, = struct.unpack_from(order + "I", head, 28)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 42)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if struct.unpack(order + "I", f.read(4))[0] == 3:  # PT_INTERP
                return False
        return True
