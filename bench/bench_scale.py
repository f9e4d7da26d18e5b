"""Tracing at scale (issue 19): a Python loop that opens and reads every file of a directory of
N small files, untraced and under `roarctl run -q`, first run (empty hash cache) and unchanged
re-runs; roard's own finalize/sourcing/store times from its log; the bytes each re-run adds to
.roar/roar.db; roard's peak RSS.

    .venv/bin/python bench/bench_scale.py [--files 20000 100000] [--reruns 3] [--config KEY=VALUE]

Each N runs in its own sandbox (own daemon, own hash cache, own workspace). Untraced and re-run
times are medians; the first run is one run (there is only one first run). Bytes per re-run are
measured with SQLite's dbstat (bytes of pages in use, less their unused space, so neither page
granularity nor the WAL hides them), averaged over the re-runs. Every target is printed beside
its figure.
"""
from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import VENV_BIN, RoarSandbox, machine, report, timed  # noqa: E402

OPENLOOP = """import os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    with open(os.path.join(d, n), 'rb') as f:
        f.read()
"""

LOG_LINE = re.compile(r"recorded .*?: (\d+) inputs, \d+ outputs; finalize ([0-9.]+)s \(classify ([0-9.]+)s, "
                      r"hash ([0-9.]+)s\), sourcing ([0-9.]+)s, store ([0-9.]+)s")


def db_bytes(db: Path) -> int:
    """Bytes in use in the database (pages less their unused space), WAL included."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT sum(pgsize - unused) FROM dbstat").fetchone()[0] or 0
    finally:
        conn.close()


def log_records(sb: RoarSandbox) -> list[tuple[float, ...]]:
    """(inputs, finalize, classify, hash, sourcing, store) of every recorded job, in order."""
    log = sb.base / "state" / "roar" / "roard.log"
    return [tuple(float(x) for x in m.groups()) for m in LOG_LINE.finditer(log.read_text())]


def roard_peak_rss_mib(sb: RoarSandbox) -> float:
    """VmHWM of this sandbox's roard (found by its XDG_STATE_HOME), in MiB."""
    state = f"XDG_STATE_HOME={sb.base / 'state'}".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"roard" not in cmd or state not in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            continue
    return float("nan")


def bench_files(n: int, reruns: int, config: list[str]) -> list[tuple[str, str, str, str]]:
    sb = RoarSandbox()
    try:
        for setting in config:
            sb.roarctl("config", "set", *setting.split("=", 1))
        data = sb.ws / "data"
        data.mkdir()
        for i in range(n):
            (data / f"s{i:07d}.json").write_bytes(b"%d" % (i % 10))
        (sb.ws / "openloop.py").write_text(OPENLOOP)
        py = sys.executable
        roarctl = str(VENV_BIN / "roarctl")
        cmd = [py, "openloop.py", "data"]
        untraced = timed(cmd, repeat=3, warmup=1, cwd=sb.ws)
        db = sb.ws / ".roar" / "roar.db"

        def run() -> float:
            t0 = time.perf_counter()
            subprocess.run([roarctl, "run", "-q", *cmd], cwd=sb.ws, env=sb.env, check=True,
                           stdout=subprocess.DEVNULL)
            return time.perf_counter() - t0

        first = run()
        times, growth = [], []
        for _ in range(reruns):
            before = db_bytes(db)
            times.append(run())
            growth.append(db_bytes(db) - before)
        recs = log_records(sb)
        rss = roard_peak_rss_mib(sb)
    finally:
        sb.close()
    if len(recs) != reruns + 1 or any(int(r[0]) < n for r in recs):
        raise SystemExit(f"expected {reruns + 1} jobs of >= {n} inputs in roard's log, found {recs}")
    f0 = recs[0]
    post = [r[1] + r[4] + r[5] for r in recs[1:]]    # finalize + sourcing + store
    re_f = statistics.median(r[1] for r in recs[1:])
    re_c = statistics.median(r[2] for r in recs[1:])
    re_h = statistics.median(r[3] for r in recs[1:])
    re_s = statistics.median(r[4] for r in recs[1:])
    re_st = statistics.median(r[5] for r in recs[1:])
    re_post = statistics.median(post)
    rerun = statistics.median(times)
    per_run = statistics.mean(growth)
    k = f"{n:,} files"
    scale = n / 100_000
    return [
        (f"{k}: `roarctl run` first run vs untraced", f"{untraced:.2f} s", f"{first:.2f} s",
         f"{first / untraced:.2f}x (target <= 2x)"),
        (f"{k}: `roarctl run` unchanged re-run vs untraced", f"{untraced:.2f} s", f"{rerun:.2f} s",
         f"{rerun / untraced:.2f}x (target <= 1.5x)"),
        (f"{k}: roard after the command, first run (finalize+sourcing+store)", "-",
         f"{f0[1] + f0[4] + f0[5]:.2f} s (classify {f0[2]:.2f}, hash {f0[3]:.2f}, sourcing {f0[4]:.2f}, "
         f"store {f0[5]:.2f})", f"{(f0[1] + f0[4] + f0[5]) / n * 1e6:.0f} us/input "
         f"(target <= 2 s at 100,000: <= {2 * scale:.2f} s here)"),
        (f"{k}: roard after the command, unchanged re-run", "-",
         f"{re_post:.2f} s (finalize {re_f:.2f}: classify {re_c:.2f}, hash {re_h:.2f}; sourcing {re_s:.2f}, "
         f"store {re_st:.2f})", f"{re_post / n * 1e6:.1f} us/input (target <= 5 us: <= {0.5 * scale:.2f} s here)"),
        (f"{k}: bytes added to .roar/roar.db per unchanged re-run", "-",
         f"{per_run:,.0f} B ({', '.join(f'{g:,}' for g in growth)})",
         f"{per_run / n:.2f} B/input (target <= 100 B per run)"),
        (f"{k}: roard peak RSS", "-", f"{rss:.0f} MiB", "bounded (reported)"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--reruns", type=int, default=3)
    ap.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                    help="set a workspace config key first (e.g. watch.enabled=false)")
    opts = ap.parse_args()
    rows = []
    for n in opts.files:
        rows += bench_files(n, opts.reruns, opts.config)
    print(report("Tracing at scale: an open-and-read loop over N small files", rows))
    print(f"\nMachine: {machine()}\nCommand: `.venv/bin/python {' '.join(sys.argv)}`")


if __name__ == "__main__":
    main()
