"""Benchmarks for `roarctl run`: CLI overhead, traced/untraced ratios, finalize, hashing.

    .venv/bin/python bench/bench_run.py [--quick]

Every ratio is against a baseline measured in the same invocation. Prints a markdown section
for docs/performance.md.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import RoarSandbox, machine, report, timed  # noqa: E402

from roard.hashing import HashCache, hash_bytes_of  # noqa: E402
from roard.tracing.backends import PRELOAD_LIB  # noqa: E402


def preload_env(spool: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"LD_PRELOAD": str(PRELOAD_LIB), "ROAR_SPOOL_DIR": str(spool)})
    return env


def traced_ratio(cmd: str, repeat: int) -> tuple[float, float]:
    spool = Path(tempfile.mkdtemp(prefix="roar-spool-"))
    try:
        base = timed(cmd, repeat=repeat)
        traced = timed(cmd, repeat=repeat, env=preload_env(spool))
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    return base, traced


def bench_cli_overhead(sb: RoarSandbox, repeat: int) -> tuple[str, str, str, str]:
    roarctl = str(Path(sys.executable).parent / "roarctl")
    base = timed(["true"], repeat=repeat)
    run = timed([roarctl, "run", "-q", "true"], repeat=repeat, cwd=sb.ws, env=sb.env)
    return ("`roarctl run true` minus `true`, warm daemon", f"{base * 1000:.1f} ms",
            f"{run * 1000:.1f} ms", f"+{(run - base) * 1000:.0f} ms (target <= 100 ms)")


def bench_finalize_cache_hits(sb: RoarSandbox, n: int) -> tuple[str, str, str, str]:
    data = sb.ws / "many"
    data.mkdir(exist_ok=True)
    for i in range(n):
        (data / f"f{i:05d}.txt").write_text(f"file {i}\n")
    script = sb.ws / "readall.py"
    script.write_text("import os\nfor n in sorted(os.listdir('many')):\n    open('many/' + n).read()\n")
    roarctl = str(Path(sys.executable).parent / "roarctl")
    py = sys.executable
    untraced = timed([py, "readall.py"], repeat=3, cwd=sb.ws)
    subprocess.run([roarctl, "run", "-q", py, "readall.py"], cwd=sb.ws, env=sb.env, check=True)  # fills the cache
    warm = timed([roarctl, "run", "-q", py, "readall.py"], repeat=3, warmup=0, cwd=sb.ws, env=sb.env)
    return (f"run reading {n:,} unchanged files (cache hits): total minus untraced",
            f"{untraced:.2f} s", f"{warm:.2f} s", f"+{warm - untraced:.2f} s (target finalize <= 0.5 s)")


def bench_hash_1gib(tmp: Path) -> tuple[str, str, str, str]:
    path = tmp / "big.bin"
    with open(path, "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(1024):
            f.write(chunk)
    size = path.stat().st_size
    b3sum = shutil.which("b3sum")
    base = timed([b3sum, str(path)], repeat=3) if b3sum else float("nan")
    t0 = time.perf_counter()
    for _ in range(3):
        hash_bytes_of(path, size)
    ours = (time.perf_counter() - t0) / 3
    cache = HashCache(tmp / "cache.db")
    t0 = time.perf_counter()
    cache.hash_file(str(path))
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    cache.hash_file(str(path))
    warm = time.perf_counter() - t0
    gb = size / 1e9
    ratio = (gb / ours) / (gb / base) if b3sum else float("nan")
    return ("hash a new 1 GiB file vs `b3sum`", f"{gb / base:.2f} GB/s" if b3sum else "b3sum missing",
            f"{gb / ours:.2f} GB/s (cache miss {cold:.2f} s, hit {warm * 1000:.1f} ms)",
            f"{ratio:.2f} of b3sum (target >= 0.8)")


def main() -> None:
    quick = "--quick" in sys.argv
    repeat = 3 if quick else 7
    rows = []
    py = sys.executable
    workloads = [
        ("open+close loop, 20,000 files", f"{py} -c \"import os\nfor i in range(20000):\n os.close(os.open('/etc/hostname', os.O_RDONLY))\"", "<= 1.15"),
        ("python -c 'import numpy'", f"{py} -c 'import numpy'", "<= 1.05"),
        ("small scikit-learn pipeline", f"{py} {Path(__file__).parent / 'sklearn_small.py'}", "<= 1.05"),
        ("fork+exec loop (200 x /bin/true)", "for i in $(seq 200); do /bin/true; done", "<= 1.3"),
    ]
    for name, cmd, target in workloads:
        try:
            base, traced = traced_ratio(cmd, repeat)
        except subprocess.CalledProcessError:
            rows.append((name, "-", "-", "skipped (workload failed: is numpy/scikit-learn installed?)"))
            continue
        rows.append((name + ", traced / untraced", f"{base * 1000:.0f} ms", f"{traced * 1000:.0f} ms",
                     f"{traced / base:.3f} (target {target})"))
    sb = RoarSandbox()
    try:
        rows.append(bench_cli_overhead(sb, repeat))
        rows.append(bench_finalize_cache_hits(sb, 2000 if quick else 10000))
    finally:
        sb.close()
    tmp = Path(tempfile.mkdtemp(prefix="roar-hash-"))
    try:
        rows.append(bench_hash_1gib(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(report("roarctl run (preload tracer)", rows))
    print(f"\nMachine: {machine()}\nCommand: `.venv/bin/python bench/bench_run.py{' --quick' if quick else ''}`")


if __name__ == "__main__":
    main()
