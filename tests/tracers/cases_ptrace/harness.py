"""Machinery of the ptrace backend tests: build ``roar-ptrace`` from the working tree, compile
the C cases beside this file, run real programs under the tracer and read their spool.

Fixtures are defined here and imported by the ``test_ptrace_*.py`` modules.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pytest

from roard.tracing.spool import Event, Open, ProcessStart, SpoolReader, SpoolStats

REPO = Path(__file__).resolve().parents[3]
CASES = Path(__file__).resolve().parent
CC = shutil.which("cc") or shutil.which("gcc")


def _tracer_build():
    """tracers/build.py, loaded by path (it is not a package)."""
    spec = importlib.util.spec_from_file_location("roar_tracer_build_pt", REPO / "tracers" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_cc(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"compile failed: {' '.join(cmd)}\n{proc.stderr}")


def build_ptrace(out: Path) -> Path:
    """roar-ptrace from tracers/build.py's TARGETS entry and flags, with warnings as errors."""
    tb = _tracer_build()
    name, sources, flags = next(t for t in tb.TARGETS if t[0] == "roar-ptrace")
    _run_cc([tb.compiler(), *tb.CFLAGS, "-Werror", "-o", str(out),
             *(str(tb.TRACERS / s) for s in sources), *flags])
    return out


class CaseCompiler:
    """cc("name", *flags) -> tests/tracers/cases_ptrace/name.c compiled once per session."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.cache: dict[tuple[str, tuple[str, ...]], Path] = {}

    def __call__(self, name: str, *flags: str) -> Path:
        key = (name, flags)
        if key not in self.cache:
            tag = hashlib.sha1(" ".join(flags).encode()).hexdigest()[:8] if flags else "plain"
            out = self.out_dir / f"{name}-{tag}"
            _run_cc([CC, "-O1", "-g", "-Wall", "-D_GNU_SOURCE", "-o", str(out),
                     str(CASES / f"{name}.c"), *flags, "-pthread"])
            self.cache[key] = out
        return self.cache[key]


def _under(path: str | None, root: str) -> bool:
    return bool(path) and (path == root or path.startswith(root.rstrip("/") + "/"))


@dataclass
class Traced:
    proc: subprocess.CompletedProcess[bytes]
    spool: Path
    events: list[Event]
    stats: SpoolStats

    @property
    def stdout(self) -> str:
        return self.proc.stdout.decode(errors="replace")

    @property
    def stderr(self) -> str:
        return self.proc.stderr.decode(errors="replace")

    def opens(self, under: Path | str) -> list[Open]:
        return [e for e in self.events if isinstance(e, Open) and _under(e.path, str(under))]

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def touching(self, under: Path | str) -> list[Event]:
        """File events (O R L U T K) naming a path under `under`, in spool order."""
        root = str(under)
        return [e for e in self.events if e.kind in "ORLUTK"
                and any(_under(getattr(e, a, None), root) for a in ("path", "old", "new"))]

    def headers(self) -> list[ProcessStart]:
        return [e for e in self.events if isinstance(e, ProcessStart)]

    def pids(self) -> set[int]:
        return {int(p.stem) for p in self.spool.glob("*.spool")}

    def reread(self) -> "Traced":
        return read_spool(self.proc, self.spool)


def read_spool(proc: subprocess.CompletedProcess[bytes], spool: Path) -> Traced:
    reader = SpoolReader(spool)
    events = reader.events()
    # Whatever a test asserts, the tracer must never write a line the reader rejects.
    st = reader.stats
    assert st.malformed == 0 and st.torn == 0 and st.unknown == 0, st
    return Traced(proc, spool, events, st)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    env.update(extra or {})
    return env


class PtraceRunner:
    """run(cmd, ...) -> Traced: cmd run under roar-ptrace with a fresh spool directory."""

    def __init__(self, binary: Path, base: Path) -> None:
        self.binary = binary
        self.base = base
        self.count = 0

    def new_spool(self) -> Path:
        self.count += 1
        return self.base / f"spool{self.count}"

    def __call__(self, cmd: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None,
                 env: dict[str, str] | None = None, check: bool = True, timeout: float = 60,
                 stdin: int | None = None, input: bytes | None = None) -> Traced:
        spool = self.new_spool()
        argv = [str(self.binary), "--spool", str(spool), "--", *map(str, cmd)]
        proc = subprocess.run(argv, cwd=cwd or self.base, env=clean_env(env),
                              capture_output=True, timeout=timeout, stdin=stdin, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"{cmd} exited {proc.returncode}\nstdout:\n"
                                 f"{proc.stdout.decode(errors='replace')}\nstderr:\n"
                                 f"{proc.stderr.decode(errors='replace')}")
        return read_spool(proc, spool)


def rel(events, root: Path) -> list[str]:
    """Paths (or old->new) relative to root, in spool order, prefixed with the kind."""
    out = []
    for e in events:
        if e.kind in "RL":
            old = os.path.relpath(e.old, root) if e.old else "-"
            out.append(f"{e.kind} {old} {os.path.relpath(e.new, root)}")
        else:
            out.append(f"{e.kind} {os.path.relpath(e.path, root)}")
    return out


# ---- fixtures ----

@pytest.fixture(scope="session")
def ptrace_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """roar-ptrace built from the working tree."""
    if CC is None:
        pytest.skip("no C compiler")
    return build_ptrace(tmp_path_factory.mktemp("ptrace-native") / "roar-ptrace")


@pytest.fixture(scope="session")
def pcc(tmp_path_factory: pytest.TempPathFactory) -> CaseCompiler:
    return CaseCompiler(tmp_path_factory.mktemp("ptrace-cases"))


@pytest.fixture
def prun(ptrace_bin: Path, tmp_path: Path) -> PtraceRunner:
    return PtraceRunner(ptrace_bin, tmp_path)


@pytest.fixture
def pwork(tmp_path: Path) -> Path:
    """The directory a case works in (the spool directories live beside it)."""
    w = tmp_path / "work"
    w.mkdir()
    return w
