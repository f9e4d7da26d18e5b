"""GLaaS web UI: artifact page render time with a large registry loaded (issue 16: p95 <= 150 ms
with 100,000 artifacts and 300,000 edges).

The registry is filled in-process through the registration layer (the code the API's batch
endpoint runs, without HTTP, so loading takes a minute, not ten); then a real glaas-server is
started on it and pages are fetched over HTTP from loopback, end to end: query layer, lineage
walk, ``dot`` layout, template. Each sampled artifact is fetched three ways, in the same run:

- ``api``: GET /api/v1/artifacts/<hash> (the plain read; the baseline the page is a ratio to);
- ``page, first view``: GET /artifact/<hash> the first time (dot lays the picture out);
- ``page, again``: the same page again (the picture comes from the content cache).

Shape: sessions of ``--jobs-per-session`` jobs; each job reads 12 artifacts made by the three jobs
before it (12 sources for the first) and writes 4: 1,923 sessions of 10 jobs make 100,000
artifacts and 307,680 edges. Sampled artifacts are outputs of a
session's last job, the deepest lineage there is (all its session upstream, ~40 nodes drawn).

    .venv/bin/python bench/bench_glaas_web.py [--artifacts 100000] [--samples 200] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from glaas.auth.principal import ANONYMOUS  # noqa: E402
from glaas.db import Database  # noqa: E402
from glaas.migrate import upgrade  # noqa: E402
from glaas.registration.lineage import register  # noqa: E402
from glaas.registration.writer import Writer  # noqa: E402
from glaas.schemas import LineageBatch  # noqa: E402
from glaas.testing import Postgres, start_server  # noqa: E402

OUTPUTS_PER_JOB, INPUTS_PER_JOB = 4, 12


def digest(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def session_batch(s: int, jobs_per_session: int) -> tuple[dict, list[str]]:
    """One session's lineage; returns it and the last job's outputs."""
    session = digest("session", s)
    rnd = random.Random(s)
    sources = [digest("src", s, i) for i in range(INPUTS_PER_JOB)]
    outputs: list[list[str]] = []
    jobs = []
    for j in range(jobs_per_session):
        # the newest 12 of: the sources, then the three previous jobs' outputs
        pool = (sources + [h for prev in outputs[max(0, j - 3):j] for h in prev])[-INPUTS_PER_JOB:]
        inputs = rnd.sample(pool, INPUTS_PER_JOB)
        made = [digest("out", s, j, k) for k in range(OUTPUTS_PER_JOB)]
        outputs.append(made)
        jobs.append({
            "uid": digest("job", s, j)[:16], "session_hash": session, "step_number": j + 1,
            "command": f"python step{j}.py --shard {s} --input data/{j}", "argv": ["python", f"step{j}.py", "--shard", str(s)],
            "timestamp": 1.7e9 + s * 100 + j, "duration_seconds": 1.0 + j, "exit_code": 0,
            "git": {"repo": "https://git.example.org/acme/big.git", "commit": digest("commit", s)[:40], "dirty": False},
            "runtime": {"os": "Linux", "python": "3.11"}, "packages": {"numpy": "2.1.0", "torch": "2.5.1"},
            "inputs": [{"hash": h, "path": f"data/{h[:8]}.bin", "size": 1000} for h in inputs],
            "outputs": [{"hash": h, "path": f"data/{h[:8]}.bin", "size": 1000} for h in made],
        })
    batch = {"sessions": [{"hash": session, "git_repo": "https://git.example.org/acme/big.git"}], "jobs": jobs}
    return batch, outputs[-1]


def load(db: Database, artifacts: int, jobs_per_session: int, sessions_per_batch: int = 10) -> list[str]:
    per_session = INPUTS_PER_JOB + OUTPUTS_PER_JOB * jobs_per_session  # its sources and every job's outputs
    sessions = max(1, artifacts // per_session)
    writer = Writer(principal=ANONYMOUS, scope="anonymous")
    deepest: list[str] = []
    t0 = time.perf_counter()
    for first in range(0, sessions, sessions_per_batch):
        merged: dict = {"sessions": [], "jobs": []}
        for s in range(first, min(first + sessions_per_batch, sessions)):
            batch, last = session_batch(s, jobs_per_session)
            merged["sessions"] += batch["sessions"]
            merged["jobs"] += batch["jobs"]
            deepest += last
        with db.begin() as conn:
            register(conn, LineageBatch.model_validate(merged), writer, "http://bench")
        if first and first % (sessions_per_batch * 50) == 0:
            print(f"  loaded {first}/{sessions} sessions ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"  loaded {sessions} sessions in {time.perf_counter() - t0:.0f} s", flush=True)
    return deepest


def counts(db: Database) -> tuple[int, int]:
    from sqlalchemy import func, select

    from glaas.models import artifacts, edges
    with db.read() as conn:
        return (conn.execute(select(func.count()).select_from(artifacts)).scalar_one(),
                conn.execute(select(func.count()).select_from(edges)).scalar_one())


def fetch_ms(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - t0) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--artifacts", type=int, default=100_000)
    ap.add_argument("--jobs-per-session", type=int, default=10)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="glaas-web-bench-"))
    pg = Postgres.start() if args.database == "postgresql" else None
    url = pg.create_database("bench") if pg else None
    db = Database(("postgresql+psycopg://" + url.split("://", 1)[1]) if url else f"sqlite:///{base / 'glaas.db'}")
    upgrade(db)
    print(f"machine: {machine()}")
    print(f"loading ~{args.artifacts:,} artifacts into {args.database} ...", flush=True)
    deepest = load(db, args.artifacts, args.jobs_per_session)
    n_art, n_edges = counts(db)
    db.dispose()
    print(f"registry: {n_art:,} artifacts, {n_edges:,} edges")
    server = start_server(base, database_url=url)
    try:
        targets = random.Random(1).sample(deepest, min(args.samples, len(deepest)))
        for h in targets[:5]:  # warm the server's imports and connections
            fetch_ms(f"{server.url}/api/v1/artifacts/{h}")
        api, first, again = [], [], []
        for h in targets:
            api.append(fetch_ms(f"{server.url}/api/v1/artifacts/{h}"))
            first.append(fetch_ms(f"{server.url}/artifact/{h}"))
            again.append(fetch_ms(f"{server.url}/artifact/{h}"))
    finally:
        server.stop()
        if pg:
            pg.stop()
    print(f"{len(targets)} artifacts, each the output of a session's last job (~40-node lineage picture)")
    print(f"{'':24}{'p50 ms':>8}{'p95 ms':>8}{'p95 / api p95':>15}")
    base_p95 = p95(api)
    for name, values in (("api read (baseline)", api), ("page, first view", first), ("page, again (cached)", again)):
        print(f"{name:24}{statistics.median(values):8.1f}{p95(values):8.1f}{p95(values) / base_p95:15.2f}")
    print(f"target: page p95 <= 150 ms -> first view {'meets' if p95(first) <= 150 else 'MISSES'} it")


if __name__ == "__main__":
    main()
