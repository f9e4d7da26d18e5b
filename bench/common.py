"""Shared helpers for benchmarks: timing, an isolated roar environment, and reporting."""
from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def machine() -> str:
    cpu = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def compile_c(source: str, out: Path) -> Path:
    """Compile a benchmark's C loop (source text) into the executable `out`, beside `out.c`."""
    src = out.with_suffix(".c")
    src.write_text(source)
    subprocess.run(["cc", "-O2", "-o", str(out), str(src)], check=True)
    return out


def timed(cmd: list[str] | str, repeat: int = 5, warmup: int = 1, **kw) -> float:
    """Median wall seconds of running ``cmd`` (a list, or a shell string)."""
    shell = isinstance(cmd, str)
    times = []
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL, **kw)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


class RoarSandbox:
    """A temporary XDG environment with its own daemon and an initialized git workspace."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="roar-bench-"))
        self.ws = self.base / "ws"
        self.ws.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "XDG_"))}
        self.env.update({"XDG_RUNTIME_DIR": str(self.base / "run"), "XDG_STATE_HOME": str(self.base / "state"),
                         "XDG_CONFIG_HOME": str(self.base / "config"), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"})
        # An installed roar has its .pyc files; a checkout run with PYTHONDONTWRITEBYTECODE=1
        # would recompile roarctl on every call, so give the runs a private bytecode cache.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(self.base / "pycache")
        (self.base / "run").mkdir(mode=0o700)
        subprocess.run(["git", "init", "-q"], cwd=self.ws, check=True)
        self.roarctl("init", "-n")

    def roarctl(self, *args: str) -> None:
        subprocess.run([str(VENV_BIN / "roarctl"), *args], cwd=self.ws, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def close(self) -> None:
        subprocess.run([str(VENV_BIN / "roarctl"), "daemon", "stop"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.base, ignore_errors=True)


def report(title: str, rows: list[tuple[str, str, str, str]]) -> str:
    """A markdown table: what, baseline, measured, ratio/verdict."""
    lines = [f"### {title}", "", "| what | baseline | roar | ratio / target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)
