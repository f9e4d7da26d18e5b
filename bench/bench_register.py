"""Registering lineage end to end: a 1,000-job, 10,000-artifact session sent by `roarctl
register` (through roard) to a real GLaaS server on loopback (SQLite), and the background
queue's throughput; each against a baseline measured in the same run.

    .venv/bin/python bench/bench_register.py [--jobs 1000] [--outputs 10] [--items 300] [--runs 3]

Session: the workspace gets N synthetic jobs written straight into its store (each writes
``--outputs`` new files and reads two earlier jobs' outputs), so the 1,000-job session has
10,000 artifacts and 2,000 input edges. Each round starts a fresh server (empty SQLite) and
times ``roarctl register -y <session hash>`` as a subprocess: the CLI, roard reading the
records, building the payload, the omission filter over every string, the requests and the
server's inserts. The baseline is the server alone: the same payload (from ``--dry-run
--json``) POSTed with urllib to another fresh server. Then the same register again (all known).
Issue 17's target: end to end <= 5 s.

Queue: ``--items`` queue items (one job with ``--outputs`` artifacts each) delivered by the
RegistrationQueue's worker against the server's baseline, the same bodies POSTed one after the
other by a plain loop.

Run: `roarctl run -q true` with registration.auto on against off (before and after, the better
of the two), the server up: the job is queued and sent after it is recorded.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import VENV_BIN, RoarSandbox, machine, report, timed
from roard.capture.omission import OmissionFilter
from roard.config import KEYS
from roard.events import EventBus
from roard.lineage.model import FileEntry, JobRecord
from roard.lineage.store import JobStore
from roard.registration import payload as payloads
from roard.registration.queue import RegistrationQueue, send_lineage
from tests.run.glaas_server import GlaasServer, cleanup, new_server


def _digest(i: int, j: int) -> str:
    return f"{i:032x}{j:032x}"


def synthetic_jobs(n: int, outputs: int) -> list[JobRecord]:
    jobs = []
    for i in range(n):
        ins = [FileEntry(f"data/{k}/f0.bin", f"/w/data/{k}/f0.bin", _digest(k, 0), 100)
               for k in (i - 1, i // 2) if 0 <= k < i]
        outs = [FileEntry(f"data/{i}/f{j}.bin", f"/w/data/{i}/f{j}.bin", _digest(i, j), 100 + j) for j in range(outputs)]
        jobs.append(JobRecord(uid=f"{i:08x}" + "b" * 24, session_id="", kind="run",
                              argv=["python", "step.py", "--part", str(i), "--lr", "0.001"], cwd="/w",
                              started_at=1.7e9 + i, ended_at=1.7e9 + i + 0.5, exit_code=0, status="ok",
                              inputs=list({e.hash: e for e in ins}.values()), outputs=outs))
    return jobs


async def _populate(ws: Path, jobs: list[JobRecord]) -> None:
    store = JobStore(ws / ".roar" / "roar.db", ws)
    for job in jobs:
        await store.add_job(job)
    await store.close()


def _fresh_server(root: Path, n: int) -> GlaasServer:
    """A server with an empty database, warmed by one small registration (first-request costs
    such as imports and statement compilation are not what is measured)."""
    server = new_server(root / f"glaas{n}").start()
    omit = OmissionFilter.from_config({k.name: k.default for k in KEYS.values()})
    warm = synthetic_jobs(1, 1)[0]
    warm.uid, warm.session_id = "f" * 32, "warm"
    warm.outputs = [FileEntry("w.bin", "/w/w.bin", "e" * 64, 1)]
    body = payloads.build([warm], [], [], omit, "anonymous").body
    _post(server.url, body)
    return server


def _post(url: str, body: dict) -> float:
    data = json.dumps(body).encode()
    t0 = time.perf_counter()
    req = urllib.request.Request(url + "/api/v1/lineage", data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        resp.read()
    return time.perf_counter() - t0


def bench_session(n_jobs: int, outputs: int, runs: int) -> list[tuple[str, str, str, str]]:
    box = RoarSandbox()
    root = Path(tempfile.mkdtemp(prefix="roar-bench-glaas-"))
    servers: list[GlaasServer] = []
    try:
        asyncio.run(_populate(box.ws, synthetic_jobs(n_jobs, outputs)))
        status = subprocess.run([str(VENV_BIN / "roarctl"), "status", "--json"], cwd=box.ws, env=box.env,
                                check=True, capture_output=True, text=True)
        session = json.loads(status.stdout)["session"]["lineage_hash"]
        e2e, known, server_only = [], [], []
        payload = None
        for r in range(runs):
            server = _fresh_server(root, 2 * r)
            servers.append(server)
            box.roarctl("config", "set", "glaas.url", server.url)
            if payload is None:
                dry = subprocess.run([str(VENV_BIN / "roarctl"), "register", "--dry-run", "--json", session],
                                     cwd=box.ws, env=box.env, check=True, capture_output=True, text=True)
                payload = json.loads(dry.stdout)["payload"]
            t0 = time.perf_counter()
            out = subprocess.run([str(VENV_BIN / "roarctl"), "register", "-y", "--json", session], cwd=box.ws,
                                 env=box.env, check=True, capture_output=True, text=True)
            e2e.append(time.perf_counter() - t0)
            receipt = json.loads(out.stdout)
            assert receipt["new"]["jobs"] == n_jobs, receipt["new"]
            t0 = time.perf_counter()
            box.roarctl("register", "-y", session)
            known.append(time.perf_counter() - t0)
            base = _fresh_server(root, 2 * r + 1)
            servers.append(base)
            server_only.append(_post(base.url, payload))
        arts = len(payload["artifacts"])
        med, base_med = statistics.median(e2e), statistics.median(server_only)
        return [
            (f"register a {n_jobs}-job, {arts}-artifact session (new), end to end",
             f"{base_med:.2f} s (server alone)", f"{med:.2f} s", f"{med / base_med:.2f}x; target <= 5 s: "
             f"{'met' if med <= 5 else 'NOT met'}"),
            ("the same again (all known)", "", f"{statistics.median(known):.2f} s", ""),
        ]
    finally:
        for s in servers:
            cleanup(s)
        box.close()


async def _queue_run(url: str, bodies: list[tuple[str, dict]], path: Path) -> float:
    queue = RegistrationQueue(path, EventBus())
    for key, body in bodies:
        await queue.enqueue(key, url, "/w", key[:8], body)
    t0 = time.perf_counter()
    queue.start()
    while (await queue.counts()).get("pending"):
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - t0
    await queue.close()
    return elapsed


def bench_queue(items: int, outputs: int) -> list[tuple[str, str, str, str]]:
    root = Path(tempfile.mkdtemp(prefix="roar-bench-queue-"))
    omit = OmissionFilter.from_config({k.name: k.default for k in KEYS.values()})
    bodies = []
    for job in synthetic_jobs(items, outputs):
        job.inputs = []
        job.session_id = job.uid
        p = payloads.build([job], [], [], omit, "anonymous")
        bodies.append((p.idempotency_key, p.body))
    a, b = _fresh_server(root, 0), _fresh_server(root, 1)
    try:
        t0 = time.perf_counter()
        for key, body in bodies:
            send_lineage(b.url, body, key)
        loop_s = time.perf_counter() - t0
        queue_s = asyncio.run(_queue_run(a.url, bodies, root / "queue.db"))
    finally:
        cleanup(a)
        cleanup(b)
    return [(f"queue: {items} items of 1 job + {outputs} artifacts, delivered",
             f"{items / loop_s:.0f} items/s (plain POST loop)", f"{items / queue_s:.0f} items/s",
             f"{queue_s / loop_s:.2f}x the loop's time")]


def bench_run_with_auto(repeat: int) -> list[tuple[str, str, str, str]]:
    """`roarctl run -q true` with registration.auto off and on (server up): queueing and
    sending happen after the job is recorded, so the run should not wait for them."""
    box = RoarSandbox()
    root = Path(tempfile.mkdtemp(prefix="roar-bench-auto-"))
    server = _fresh_server(root, 0)
    try:
        box.roarctl("config", "set", "glaas.url", server.url)
        cmd = [str(VENV_BIN / "roarctl"), "run", "-q", "true"]
        kw = {"cwd": box.ws, "env": box.env}
        off = timed(cmd, repeat=repeat, **kw)
        box.roarctl("config", "set", "registration.auto", "true")
        on = timed(cmd, repeat=repeat, **kw)
        box.roarctl("config", "set", "registration.auto", "false")
        off2 = timed(cmd, repeat=repeat, **kw)
    finally:
        cleanup(server)
        box.close()
    base = min(off, off2)
    return [("`roarctl run -q true`, registration.auto on (median)", f"{base * 1000:.0f} ms (auto off)",
             f"{on * 1000:.0f} ms", f"{on / base:.2f}x")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--outputs", type=int, default=10)
    ap.add_argument("--items", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--run-repeat", type=int, default=15, help="roarctl run rounds per setting")
    args = ap.parse_args(argv)
    rows = (bench_session(args.jobs, args.outputs, args.runs) + bench_queue(args.items, args.outputs)
            + bench_run_with_auto(args.run_repeat))
    print(report(f"Registration ({machine()})", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
