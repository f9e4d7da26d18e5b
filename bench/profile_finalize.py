"""Where finalize's time goes on N small files (issue 19): the open-and-read loop of
bench/bench_scale.py run once under the preload shim, then ``finalize_run`` on its spool in
this process, first with an empty hash cache and then again (every file a cache hit: the
unchanged re-run), the second under cProfile.

    .venv/bin/python bench/profile_finalize.py [--files 100000] [--top 25]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_run import preload_env  # noqa: E402
from bench.bench_scale import OPENLOOP  # noqa: E402

from roard.capture.git import GitState  # noqa: E402
from roard.config import Config  # noqa: E402
from roard.finalize.filters import FilterRules  # noqa: E402
from roard.finalize.finalize import finalize_run  # noqa: E402
from roard.hashing import HashCache  # noqa: E402
from roard.runs.record import RunRecord  # noqa: E402
from roard.tracing.backends import native_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--top", type=int, default=25)
    opts = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="roar-prof-"))
    try:
        ws, spool = base / "ws", base / "spool"
        (ws / "data").mkdir(parents=True)
        spool.mkdir()
        for i in range(opts.files):
            (ws / "data" / f"s{i:07d}.json").write_bytes(b"%d" % (i % 10))
        (ws / "openloop.py").write_text(OPENLOOP)
        started = time.time()
        subprocess.run([sys.executable, "openloop.py", "data"], cwd=ws, env=preload_env(spool), check=True)
        record = RunRecord(run_id="p", workspace=str(ws), kind="run", argv=["python"], cwd=str(ws),
                           started_at=started, tracer="preload", spool_dir=str(spool),
                           git=GitState(repo_root=str(ws)))
        rules = FilterRules.from_config(Config.load(ws / "no-config.toml"), ws, native_dir())
        cache = HashCache(base / "cache.db")
        for label in ("first (cache misses)", "again (cache hits)"):
            t0 = time.perf_counter()
            if label.startswith("again"):
                prof = cProfile.Profile()
                result = prof.runcall(finalize_run, record, rules, cache)
            else:
                result = finalize_run(record, rules, cache)
            took = time.perf_counter() - t0
            print(f"{label}: {took:.2f} s, {len(result.inputs):,} inputs, {took / opts.files * 1e6:.1f} us/input; "
                  + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.stats.items()))
        for order in ("cumulative", "tottime"):
            pstats.Stats(prof).sort_stats(order).print_stats(opts.top)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
