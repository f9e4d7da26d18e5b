"""Upstream lineage reads before/after a change, in the same run, on the same loaded database.

    .venv/bin/python bench/bench_glaas_lineage.py --before DIR [--backends sqlite,postgresql]

DIR holds the older ``glaas`` package (e.g. ``mkdir DIR && git archive HEAD~1 glaas | tar -x -C DIR``).
bench_glaas.py's read load (10 sessions of 1,000 jobs, 20 inputs each: 100,000 artifacts,
300,000 edges) is registered once per backend through the "before" server; then a server running
the older code and one running this tree's code answer the same database by turns (rounds of 20
requests each, alternating), so both see the same load on the machine.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_glaas import databases, make_session, p95, register, timed_gets
from bench.common import machine
from glaas.testing import GlaasServer, start_server

ENV = {"GLAAS_ANON_WRITES_PER_MINUTE": "1000000"}


def serve(data_dir: Path, url: str | None, code: Path | None) -> GlaasServer:
    env = dict(ENV, PYTHONPATH=str(code)) if code else ENV
    return start_server(data_dir, database_url=url, env=env)


def bench_backend(name: str, url: str | None, workdir: Path, before: Path, rounds: int) -> None:
    data_dir = workdir / f"glaas-{name}"
    servers = {"before": serve(data_dir, url, before)}
    try:
        t = time.perf_counter()
        sessions = [make_session(1000, 10, 20, seed=100 + k) for k in range(10)]
        for s in sessions:
            register(servers["before"], s)
        print(f"[{name}] loaded 100,000 artifacts in {time.perf_counter() - t:.0f} s", flush=True)
        servers["after"] = serve(data_dir, url, None)
        rng = random.Random(7)
        late = [o["hash"] for s in sessions for j in s["jobs"][-200:] for o in j["outputs"]]
        outputs = [o["hash"] for s in sessions for j in s["jobs"] for o in j["outputs"]]
        time.sleep(2)
        samples: dict[str, dict[str, list[float]]] = {k: {"lineage": [], "prefix": []} for k in servers}
        for h in rng.sample(late, 10):  # the same answers, for the depth and for the whole DAG
            for path in (f"/api/v1/artifacts/{h}/lineage?depth=10", f"/api/v1/artifacts/{h}/lineage?depth=3",
                         f"/api/v1/artifacts/{h}/dag"):
                answers = [servers[k].request("GET", path).body for k in ("before", "after")]
                if answers[0] != answers[1]:
                    raise SystemExit(f"[{name}] {path}: the answers differ")
        for server in servers.values():  # warm both
            timed_gets(server, [f"/api/v1/artifacts/{h}/lineage?depth=10" for h in rng.sample(late, 20)])
        for r in range(rounds):
            paths = [f"/api/v1/artifacts/{h}/lineage?depth=10" for h in rng.sample(late, 20)]
            prefixes = [f"/api/v1/artifacts/{h[:10]}" for h in rng.sample(outputs, 20)]
            for key in (("before", "after") if r % 2 == 0 else ("after", "before")):
                samples[key]["lineage"] += timed_gets(servers[key], paths)
                samples[key]["prefix"] += timed_gets(servers[key], prefixes)
        for key, s in samples.items():
            print(f"[{name}] {key:6}: upstream depth 10 p50/p95 {statistics.median(s['lineage']) * 1e3:.1f}/"
                  f"{p95(s['lineage']) * 1e3:.1f} ms, prefix p50/p95 {statistics.median(s['prefix']) * 1e3:.1f}/"
                  f"{p95(s['prefix']) * 1e3:.1f} ms ({len(s['lineage'])} samples each)", flush=True)
    finally:
        for server in servers.values():
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="a directory holding the older glaas package")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--rounds", type=int, default=10, help="rounds of 20 requests per server")
    args = ap.parse_args()
    if not (args.before / "glaas" / "__init__.py").exists():
        ap.error(f"{args.before} holds no glaas package")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="glaas-lineage-"))
    os.chdir(workdir)  # `python -m glaas` looks in its working directory first: not this tree's
    try:
        with contextlib.closing(databases(args.backends)) as backends:
            for backend, url in backends:
                bench_backend(backend, url, workdir, args.before.resolve(), args.rounds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
