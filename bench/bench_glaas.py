"""GLaaS server benchmark (issue 16): registration, reads at scale, concurrent clients, and
MLflow's tracking server as the baseline to beat, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_glaas.py [--backends sqlite,postgresql] [--skip-mlflow] [--quick]

Everything runs against real servers on loopback (glaas.testing), the same way the tests do.
The lineage shape: a session of 1,000 jobs; job i reads 10 artifacts made by jobs i-1 and i-2
(a pipeline, not a random graph) and writes 10 new ones: 10,000 artifacts, 20,000 edges.
Reads: 10 such sessions with 20 inputs per job (100,000 artifacts, 300,000 edges).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from glaas.testing import GlaasServer, Postgres, free_port, start_server  # noqa: E402

JOBS_PER_REQUEST = 250


def hx() -> str:
    return secrets.token_hex(32)


def make_session(n_jobs: int = 1000, outputs: int = 10, inputs: int = 10, seed: int = 0) -> dict:
    """One session: sessions/jobs payload pieces (job i reads from jobs i-1 and i-2)."""
    rng = random.Random(seed)
    session = hx()
    made: list[list[str]] = []
    jobs = []
    sources = [hx() for _ in range(inputs)]
    for i in range(n_jobs):
        outs = [hx() for _ in range(outputs)]
        pool = (made[-1] + made[-2]) if len(made) >= 2 else (made[-1] if made else sources)
        ins = rng.sample(pool, min(inputs, len(pool)))
        word = f"stage{i % 50}"
        jobs.append({
            "uid": secrets.token_hex(8), "session_hash": session,
            "command": f"python {word}.py --shard {i} --lr 0.{i % 9 + 1}", "cwd": "/work/proj",
            "timestamp": 1_700_000_000 + i, "duration_seconds": 3.0, "exit_code": 0 if i % 17 else 1,
            "step_number": i + 1, "git": {"repo": "https://example.org/team/proj.git", "commit": "a" * 40},
            "runtime": {"gpus": [{"name": ["NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"][i % 2]}]},
            "packages": {"torch": "2.3.0", "numpy": "1.26.4", f"pkg{i % 20}": "1.0"},
            "inputs": [{"hash": h, "path": f"/work/proj/data/{h[:8]}.parquet"} for h in ins],
            "outputs": [{"hash": h, "path": f"/work/proj/out/{word}/{h[:8]}.{['pt', 'csv', 'json'][k % 3]}", "size": 1000 + k}
                        for k, h in enumerate(outs)],
        })
        made.append(outs)
    return {"session": {"hash": session, "git_repo": "https://example.org/team/proj.git", "git_commit": "a" * 40},
            "jobs": jobs}


def batches(s: dict) -> list[dict]:
    jobs = s["jobs"]
    return [{"sessions": [s["session"]], "jobs": jobs[i:i + JOBS_PER_REQUEST]} for i in range(0, len(jobs), JOBS_PER_REQUEST)]


def post(server: GlaasServer, body: dict, token: str | None = None) -> dict:
    r = server.request("POST", "/api/v1/lineage", body, token=token, timeout=600)
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {str(r.body)[:500]}")
    return r.data


def register(server: GlaasServer, s: dict, token: str | None = None) -> tuple[float, dict]:
    """Seconds to register a session (a handful of requests) and the summed receipt."""
    total = {"new": {}, "known": {}}
    t = time.perf_counter()
    for body in batches(s):
        receipt = post(server, body, token)
        for part in ("new", "known"):
            for k, v in receipt[part].items():
                total[part][k] = total[part].get(k, 0) + v
    return time.perf_counter() - t, total


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def timed_gets(server: GlaasServer, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        t = time.perf_counter()
        r = server.request("GET", path)
        out.append(time.perf_counter() - t)
        if r.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {r.status} {str(r.body)[:300]}")
    return out


def bench_backend(name: str, database_url: str | None, workdir: Path, quick: bool) -> dict:
    results: dict = {"backend": name}
    server = start_server(workdir / f"glaas-{name}", database_url=database_url,
                          env={"GLAAS_ANON_WRITES_PER_MINUTE": "1000000"})
    try:
        s = make_session(1000, 10, 10, seed=1)
        new_s, receipt = register(server, s)
        again_s, again = register(server, s)
        assert receipt["new"]["jobs"] == 1000 and receipt["new"]["artifacts"] == 10010, receipt
        assert again["new"]["jobs"] == 0 and again["known"]["jobs"] == 1000, again
        results.update(register_new_s=new_s, register_known_s=again_s, requests=len(batches(s)),
                       edges=receipt["new"]["edges"])
        print(f"[{name}] register 1,000 jobs / 10,010 artifacts / {receipt['new']['edges']:,} edges "
              f"in {len(batches(s))} requests: new {new_s:.2f} s, resent {again_s:.2f} s", flush=True)

        # reads at 100,000 artifacts / 300,000 edges (10 sessions, 20 inputs per job)
        sessions = [s] if quick else []
        load_t = time.perf_counter()
        for k in range(1 if quick else 10):
            big = make_session(1000, 10, 20, seed=100 + k)
            register(server, big)
            sessions.append(big)
        results["load_s"] = time.perf_counter() - load_t
        rng = random.Random(7)
        all_outputs = [o["hash"] for ss in sessions for j in ss["jobs"] for o in j["outputs"]]
        late = [o["hash"] for ss in sessions for j in ss["jobs"][-200:] for o in j["outputs"]]
        n = 60 if quick else 200
        # steady state: a server that has been answering for a while (caches warm, the
        # planner's statistics refreshed after the load), then the timed samples
        time.sleep(2)
        timed_gets(server, [f"/api/v1/artifacts/{h}/lineage?depth=10" for h in rng.sample(late, 20)]
                   + [f"/api/v1/artifacts/{h[:10]}" for h in rng.sample(all_outputs, 20)]
                   + [f"/api/v1/search?q=stage{i}&limit=20" for i in range(20)])
        prefix = timed_gets(server, [f"/api/v1/artifacts/{h[:10]}" for h in rng.sample(all_outputs, n)])
        lineage = timed_gets(server, [f"/api/v1/artifacts/{h}/lineage?depth=10" for h in rng.sample(late, n)])
        words = [f"stage{i}" for i in range(50)]
        queries = ([f"/api/v1/search?q={rng.choice(words)}&limit=20" for _ in range(n // 4)]
                   + [f"/api/v1/search?q={rng.choice(words)}+shard&gpu=h100&limit=20" for _ in range(n // 4)]
                   + ["/api/v1/search?file_type=csv&package=torch==2.3.0&limit=20" for _ in range(n // 4)]
                   + [f"/api/v1/search?q=out+{rng.choice(words)}&sort=relevance&exit_code=0&limit=20"
                      for _ in range(n // 4)])
        search = timed_gets(server, queries)
        artifact_page = timed_gets(server, [f"/artifact/{h}" for h in rng.sample(late, n // 4)]) \
            if server.request("GET", f"/artifact/{late[0]}").status == 200 else []
        results.update(prefix_p50_ms=statistics.median(prefix) * 1e3, lineage_p50_ms=statistics.median(lineage) * 1e3,
                       search_p50_ms=statistics.median(search) * 1e3,
                       prefix_p95_ms=p95(prefix) * 1e3, lineage_p95_ms=p95(lineage) * 1e3, search_p95_ms=p95(search) * 1e3,
                       page_p95_ms=p95(artifact_page) * 1e3 if artifact_page else None,
                       artifacts_loaded=len(all_outputs), edges_loaded=sum(len(j["inputs"]) + len(j["outputs"])
                                                                           for ss in sessions for j in ss["jobs"]))
        print(f"[{name}] reads at {results['artifacts_loaded']:,} artifacts / {results['edges_loaded']:,} edges: "
              f"prefix p50/p95 {results['prefix_p50_ms']:.1f}/{results['prefix_p95_ms']:.1f} ms, "
              f"upstream depth 10 p50/p95 {results['lineage_p50_ms']:.1f}/{results['lineage_p95_ms']:.1f} ms, "
              f"search p50/p95 {results['search_p50_ms']:.1f}/{results['search_p95_ms']:.1f} ms"
              + (f", artifact page p95 {results['page_p95_ms']:.1f} ms" if artifact_page else ""), flush=True)

        results.update(concurrent_clients(server, name, quick))
    finally:
        server.stop()
    return results


def concurrent_clients(server: GlaasServer, name: str, quick: bool, clients: int = 10) -> dict:
    """10 clients registering overlapping lineage at once: a shared session plus one of their own."""
    shared = make_session(200 if quick else 500, 10, 10, seed=999)
    own = [make_session(100 if quick else 200, 10, 10, seed=1000 + c) for c in range(clients)]

    def client(c: int) -> int:
        n = 0
        for s in (shared, own[c]) if c % 2 else (own[c], shared):
            for body in batches(s):
                post(server, body)
                n += len(body["jobs"])
        return n

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        jobs_sent = sum(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - t
    uids = {j["uid"] for s in [shared, *own] for j in s["jobs"]}
    # no duplicates: every session holds exactly its jobs
    counts = [len(server.request("GET", f"/api/v1/sessions/{s['session']['hash']}").data["jobs"]) for s in [shared, *own]]
    assert counts == [len(s["jobs"]) for s in [shared, *own]], counts
    print(f"[{name}] {clients} concurrent clients: {jobs_sent:,} jobs sent ({len(uids):,} distinct) in {elapsed:.2f} s, "
          f"{jobs_sent / elapsed:,.0f} jobs/s, 0 errors, 0 duplicates", flush=True)
    return {"concurrent_s": elapsed, "concurrent_jobs_per_s": jobs_sent / elapsed, "concurrent_jobs": jobs_sent}


# ------------------------------------------------------------------ MLflow baseline

def mlflow_venv(cache: Path) -> Path | None:
    venv = cache / "mlflow"
    if (venv / "bin" / "mlflow").exists():
        return venv
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "mlflow"], capture_output=True, text=True)
    return venv if done.returncode == 0 else None


def mlflow_call(base: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read() or b"{}")


def bench_mlflow(workdir: Path, s: dict) -> float | None:
    """MLflow tracking server (SQLite backend): one run per job, its inputs and outputs as params
    (path -> hash), through the REST API; seconds for the whole session."""
    venv = mlflow_venv(Path(os.environ.get("GLAAS_BENCH_CACHE") or Path(tempfile.gettempdir()) / "glaas-bench-cache"))
    if venv is None:
        print("[mlflow] not installable here; no baseline", flush=True)
        return None
    port = free_port()
    db = workdir / "mlflow.db"
    proc = subprocess.Popen([str(venv / "bin" / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{db}",
                             "--default-artifact-root", str(workdir / "mlruns"), "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=open(workdir / "mlflow.log", "wb"), start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("mlflow server did not start")
                time.sleep(0.5)
        exp = mlflow_call(base, "/experiments/create", {"name": "bench-" + secrets.token_hex(4)})["experiment_id"]
        t = time.perf_counter()
        for job in s["jobs"]:
            run = mlflow_call(base, "/runs/create", {"experiment_id": exp, "run_name": job["uid"],
                                                     "start_time": int(job["timestamp"] * 1000)})["run"]["info"]["run_id"]
            params = [{"key": f"in{k}:{x['path'][-40:]}", "value": x["hash"]} for k, x in enumerate(job["inputs"])]
            params += [{"key": f"out{k}:{x['path'][-40:]}", "value": x["hash"]} for k, x in enumerate(job["outputs"])]
            params.append({"key": "command", "value": job["command"]})
            mlflow_call(base, "/runs/log-batch", {"run_id": run, "params": params})
            mlflow_call(base, "/runs/update", {"run_id": run, "status": "FINISHED", "end_time": int(job["timestamp"] * 1000) + 3000})
        elapsed = time.perf_counter() - t
        print(f"[mlflow] the same {len(s['jobs']):,} runs with their {sum(len(j['inputs']) + len(j['outputs']) for j in s['jobs']):,} "
              f"input/output records: {elapsed:.2f} s", flush=True)
        return elapsed
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def databases(backends: str) -> Iterator[tuple[str, str | None]]:
    """(backend, database URL; None: SQLite in the server's data directory) for each name in
    ``backends`` ("sqlite,postgresql"): one temporary PostgreSQL for all, stopped when done."""
    pg = None
    try:
        for backend in backends.split(","):
            url = None
            if backend == "postgresql":
                pg = pg or Postgres.start()
                url = pg.create_database("bench_" + secrets.token_hex(3))
            yield backend, url
    finally:
        if pg:
            pg.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--skip-mlflow", action="store_true")
    ap.add_argument("--quick", action="store_true", help="fewer reads and a smaller load (a smoke run)")
    ap.add_argument("--mlflow-runs", type=int, default=100, help="runs (jobs) for the MLflow comparison")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the databases (printed path) for a closer look")
    args = ap.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} (other work shares these cores)", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="glaas-bench-"))
    if args.keep:
        print(f"databases in {workdir}", flush=True)
    out: dict = {"machine": machine(), "results": []}
    try:
        with contextlib.closing(databases(args.backends)) as backends:
            for backend, url in backends:
                out["results"].append(bench_backend(backend, url, workdir, args.quick))
        if not args.skip_mlflow:
            # The same session on both, each on a fresh server with SQLite. MLflow answers a
            # request in about half a second here, so the session is smaller than 1,000 jobs.
            small = make_session(args.mlflow_runs, 10, 10, seed=5)
            mlflow_s = bench_mlflow(workdir, small)
            server = start_server(workdir / "glaas-vs-mlflow", env={"GLAAS_ANON_WRITES_PER_MINUTE": "1000000"})
            try:
                glaas_s, _ = register(server, small)
            finally:
                server.stop()
            out.update(mlflow_s=mlflow_s, glaas_same_session_s=glaas_s, mlflow_runs=args.mlflow_runs)
            if mlflow_s:
                print(f"[sqlite] the same {args.mlflow_runs} jobs registered in {glaas_s:.2f} s: "
                      f"{glaas_s / mlflow_s:.4f}x MLflow's time ({mlflow_s / glaas_s:,.0f}x faster)", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
