"""Benchmarks for `roarctl run`: CLI overhead, traced/untraced ratios, finalize, hashing.

    .venv/bin/python bench/bench_run.py [--quick] [--ratios-only] [--compare OTHER.so]
                                        [--spool-root DIR] [--rounds N]

Every ratio is against a baseline measured in the same invocation. Prints a markdown section
for docs/performance.md.

The traced/untraced workloads run the command directly under the shim (LD_PRELOAD and
ROAR_SPOOL_DIR), untraced and traced interleaved round by round (median of the rounds). The
spool goes where `roarctl run` puts it: $XDG_RUNTIME_DIR/roar/spool when that is set (tmpfs on
a desktop), else the workspace's .roar/runs/ directory. --spool-root picks the directory (for
example /dev/shm, or a directory on the workspace's disk to see the cost of creating one spool
file per process there); the default is $XDG_RUNTIME_DIR or /dev/shm, else the temporary
directory. --compare OTHER.so adds a column for another build of the shim measured in the same
rounds (before/after figures from one run). --ratios-only skips the daemon, finalize and hash
benchmarks.
"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import RoarSandbox, machine, report, timed  # noqa: E402

from roard.hashing import HashCache, hash_bytes_of  # noqa: E402
from roard.tracing.backends import PRELOAD_LIB  # noqa: E402


def preload_env(spool: Path, shim: Path = PRELOAD_LIB) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    env.update({"LD_PRELOAD": str(shim), "ROAR_SPOOL_DIR": str(spool)})
    return env


def default_spool_root() -> Path:
    for cand in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if cand and os.path.isdir(cand) and os.access(cand, os.W_OK):
            return Path(cand)
    return Path(tempfile.gettempdir())


def traced_ratio(cmd: str, rounds: int, spool_root: Path, shims: list[Path]) -> list[float]:
    """Median seconds of `cmd` untraced, then under each shim: one run of each per round, in
    turn (after one warm-up round), so that machine noise hits all of them alike."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    spool = Path(tempfile.mkdtemp(prefix="roar-spool-", dir=spool_root))
    times: list[list[float]] = [[] for _ in range(len(shims) + 1)]
    try:
        for r in range(rounds + 1):
            for i, env in enumerate([base_env] + [preload_env(spool, s) for s in shims]):
                t = timed(cmd, repeat=1, warmup=0, env=env)
                if r:
                    times[i].append(t)
                for f in spool.iterdir():
                    f.unlink()
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    return [statistics.median(t) for t in times]


def bench_cli_overhead(repeat: int) -> tuple[str, str, str, str]:
    """The same measurement as bench/bench_cli.py (its own warm daemon, bytecode cache)."""
    from bench.bench_cli import TARGET_MS, measure

    result = measure(runs=repeat)
    med = result["median_ms"]
    return ("`roarctl run true` minus `true`, warm daemon", f"{med['true']:.1f} ms",
            f"{med['roarctl run -q true']:.1f} ms",
            f"+{result['run_minus_true_ms']:.0f} ms (target <= {TARGET_MS:.0f} ms)")


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
    finalize = sorted(float(m) for log in sb.base.rglob("*.log")
                      for m in re.findall(r"recorded .* finalize ([0-9.]+)s", log.read_text()))[:-1]
    said = f"; the daemon's finalize (its log, warm runs): {statistics.median(finalize):.2f} s" if finalize else ""
    return (f"run reading {n:,} unchanged files (cache hits): total minus untraced",
            f"{untraced:.2f} s", f"{warm:.2f} s",
            f"+{warm - untraced:.2f} s (target finalize <= 0.5 s){said}")


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
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ratios-only", action="store_true")
    ap.add_argument("--compare", type=Path, default=None)
    ap.add_argument("--spool-root", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=None)
    opts = ap.parse_args()
    quick = opts.quick
    repeat = 3 if quick else 7
    rounds = opts.rounds or (5 if quick else 11)
    spool_root = opts.spool_root or default_spool_root()
    shims = [PRELOAD_LIB] + ([opts.compare.resolve()] if opts.compare else [])
    rows = []
    py = sys.executable
    files = Path(tempfile.mkdtemp(prefix="roar-bench-files-"))
    for i in range(20000):
        (files / f"f{i}").write_bytes(b"x")
    workloads = [
        ("open+close loop, 20,000 different files",
         f"{py} -c \"import os\nfor i in range(20000):\n os.close(os.open('{files}/f%d' % i, os.O_RDONLY))\"",
         "<= 1.15"),
        ("open+close loop, one file 20,000 times (the de-dup path)",
         f"{py} -c \"import os\nfor i in range(20000):\n os.close(os.open('/etc/hostname', os.O_RDONLY))\"",
         "<= 1.15"),
        ("python -c 'import numpy'", f"{py} -c 'import numpy'", "<= 1.05"),
        ("small scikit-learn pipeline", f"{py} {Path(__file__).parent / 'sklearn_small.py'}", "<= 1.05"),
        ("fork+exec loop (200 x /bin/true)", "for i in $(seq 200); do /bin/true; done", "<= 1.3"),
    ]
    try:
        for name, cmd, target in workloads:
            try:
                base, traced, *other = traced_ratio(cmd, rounds, spool_root, shims)
            except subprocess.CalledProcessError:
                rows.append((name, "-", "-", "skipped (workload failed: is numpy/scikit-learn installed?)"))
                continue
            extra = "".join(f"; {opts.compare.name} from {opts.compare.parent}: {o * 1000:.0f} ms, "
                            f"{o / base:.3f}" for o in other)
            rows.append((name + ", traced / untraced", f"{base * 1000:.0f} ms", f"{traced * 1000:.0f} ms",
                         f"{traced / base:.3f} (target {target}){extra}"))
    finally:
        shutil.rmtree(files, ignore_errors=True)
    if opts.ratios_only:
        print(report("roarctl run (preload tracer)", rows))
        print(f"\nSpool directory under {spool_root}; median of {rounds} interleaved rounds.")
        print(f"Machine: {machine()}\nCommand: `.venv/bin/python {' '.join(sys.argv)}`")
        return
    sb = RoarSandbox()
    try:
        rows.append(bench_cli_overhead(repeat))
        rows.append(bench_finalize_cache_hits(sb, 2000 if quick else 10000))
    finally:
        sb.close()
    tmp = Path(tempfile.mkdtemp(prefix="roar-hash-"))
    try:
        rows.append(bench_hash_1gib(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(report("roarctl run (preload tracer)", rows))
    print(f"\nSpool directory under {spool_root}; median of {rounds} interleaved rounds.")
    print(f"Machine: {machine()}\nCommand: `.venv/bin/python {' '.join(sys.argv)}`")


if __name__ == "__main__":
    main()
