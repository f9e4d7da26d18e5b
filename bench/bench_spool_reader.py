#!/usr/bin/env python3
"""How fast roard parses a run's spool: SpoolReader.events() over 10 files of N events each,
against the baseline of reading the same bytes and splitting them into lines (the I/O and the
least any parser must do), measured in the same run. Best of --rounds.

Usage: python3 bench/bench_spool_reader.py [--events N] [--rounds N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine  # noqa: E402
from roard.tracing.spool import SpoolReader  # noqa: E402

FILES = 10


def write_spool(spool: Path, per_file: int) -> None:
    for pid in range(100, 100 + FILES):
        lines = [f"O\t{i * FILES + pid}\t{pid}\t8241\tf\t64\t{i}\t123\t1700000000000000000\t"
                 f"/work/data/some/deeper/dir/file_{i}.csv\t-\n" for i in range(per_file)]
        (spool / f"{pid}.spool").write_text("".join(lines))


def best_of(rounds: int, fn) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000, help="events in all (default 10,000)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp)
        write_spool(spool, args.events // FILES)

        def split_lines() -> int:
            return sum(len(p.read_bytes().splitlines()) for p in spool.glob("*.spool"))

        reader = SpoolReader(spool)
        assert len(reader.events()) == split_lines()
        base = best_of(args.rounds, split_lines)
        parse = best_of(args.rounds, reader.events)
    print(f"machine: {machine()}")
    print(f"{args.events:,} events over {FILES} files, best of {args.rounds}")
    print(f"  read + split lines (baseline): {base * 1e3:8.1f} ms")
    print(f"  SpoolReader.events():          {parse * 1e3:8.1f} ms  "
          f"({parse / args.events * 1e6:.2f} us/event, {parse / base:.1f}x the baseline)")


if __name__ == "__main__":
    main()
