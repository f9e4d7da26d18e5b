"""Compile the native tracers with the system C compiler.

Used by ``setup.py`` (so ``pip install .`` builds them) and by ``python tracers/build.py`` for
a quick rebuild during development. Outputs go to ``roard/_native/`` (or ``out_dir``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TRACERS = Path(__file__).resolve().parent
DEFAULT_OUT = TRACERS.parent / "roard" / "_native"

#: (output name, sources, extra flags). Shared objects end in .so; the rest are executables.
TARGETS: list[tuple[str, list[str], list[str]]] = [
    ("libroar_preload.so", ["preload/roar_preload.c"],
     ["-shared", "-fPIC", "-ldl", "-pthread"]),
    ("roar-ptrace", ["ptrace/main.c", "ptrace/launch.c", "ptrace/loop.c", "ptrace/syscalls.c",
                     "ptrace/remote.c", "ptrace/spool.c", "ptrace/filter.c",
                     "ptrace/text.c", "ptrace/pool.c"], ["-pthread"]),
]

CFLAGS = ["-O2", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11",
          "-D_GNU_SOURCE", "-fno-strict-aliasing"]


def compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise SystemExit("roar: no C compiler found (install gcc) to build the tracers")
    return cc


def build(out_dir: Path = DEFAULT_OUT, verbose: bool = False) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for name, sources, flags in TARGETS:
        srcs = [str(TRACERS / s) for s in sources]
        if not all(Path(s).exists() for s in srcs):
            continue
        out = out_dir / name
        tmp = out.with_suffix(out.suffix + ".tmp")
        cmd = [compiler(), *CFLAGS, "-o", str(tmp), *srcs, *flags]
        if verbose:
            print(" ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
        os.replace(tmp, out)
        built.append(out)
    return built


if __name__ == "__main__":
    for p in build(verbose=True):
        print(p)
