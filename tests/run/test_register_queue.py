"""The background queue (registration.auto) against a real GLaaS server: jobs recorded while
the server is down are queued, survive the daemon being SIGKILLed, and are each registered
exactly once when the server comes up."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import PYTHON, RoarEnv
from tests.run.glaas_server import cleanup, get, new_server

pytestmark = pytest.mark.timeout(600)
JOBS = 50


@pytest.fixture
def fast_retries(roar_env: RoarEnv) -> RoarEnv:
    """Retries at most a second apart, so the test does not wait out a 5-minute backoff."""
    roar_env.env["ROARD_REGISTRATION_MAX_DELAY"] = "1"
    return roar_env


def queue(renv: RoarEnv, ws: Path) -> dict:
    return json.loads(renv.roarctl("register", "--queue", "--json", cwd=ws, check=True).stdout)


def sigkill_daemon(renv: RoarEnv) -> None:
    pid = renv.daemon_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def test_server_down_50_jobs_two_sigkills_then_exactly_once(fast_retries: RoarEnv, workspace: Path, tmp_path: Path):
    renv, ws = fast_retries, workspace
    server = new_server(tmp_path / "glaas")      # not started yet: the server is down
    try:
        renv.roarctl("config", "set", "glaas.url", server.url, cwd=ws, check=True)
        renv.roarctl("config", "set", "registration.auto", "true", cwd=ws, check=True)
        uids = []
        for i in range(JOBS):
            out = renv.roarctl("run", "--json", PYTHON, "-c", f"open('out{i}.txt', 'w').write('{i}')", cwd=ws, check=True)
            uids.append(json.loads(out.stdout[out.stdout.find("{\n"):])["uid"])
            if i in (16, 33):
                sigkill_daemon(renv)   # the next run starts a new daemon
        state = queue(renv, ws)
        assert state["counts"].get("delivered", 0) == 0
        pending = [i for i in state["items"] if i["state"] == "pending"]
        assert pending and all(i["attempts"] >= 0 for i in pending)

        server.start()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = queue(renv, ws)
            delivered = [i for i in state["items"] if i["state"] == "delivered"]
            registered = sum(json.loads(i["receipt_json"])["new"]["jobs"] for i in delivered)
            if registered >= JOBS and not state["counts"].get("pending"):
                break
            time.sleep(1)
        assert state["counts"].get("failed", 0) == 0, state
        assert registered == JOBS, state
        db = sqlite3.connect(f"file:{server.data_dir / 'glaas.db'}?mode=ro", uri=True)
        rows = [r[0] for r in db.execute("SELECT uid FROM jobs")]
        db.close()
        assert sorted(rows) == sorted(uids)        # every job, none twice (uid is unique there)
        for uid in uids[:3] + uids[-3:]:
            assert get(server, f"/api/v1/jobs/{uid}")[0] == 200
        # nothing more is sent: the queue is drained and a new daemon finds nothing to catch up
        renv.stop_daemon()
        queue(renv, ws)            # starts it
        time.sleep(2)              # its catch-up ran
        again = queue(renv, ws)
        assert again["counts"] == state["counts"]
    finally:
        cleanup(server)


def test_auto_registration_of_a_pipeline_sends_each_job_once(fast_retries: RoarEnv, workspace: Path, tmp_path: Path):
    """Each finished job is queued with what the queue does not hold yet: the 3-step chain's jobs
    are each sent once (in one to three items), and the server then has the whole DAG."""
    from tests.run.test_register import pipeline

    renv, ws = fast_retries, workspace
    server = new_server(tmp_path / "glaas").start()
    try:
        renv.roarctl("config", "set", "glaas.url", server.url, cwd=ws, check=True)
        renv.roarctl("config", "set", "registration.auto", "true", cwd=ws, check=True)
        hashes = pipeline(renv, ws)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = queue(renv, ws)
            sent = [json.loads(i["receipt_json"])["new"]["jobs"] for i in state["items"] if i["receipt_json"]]
            if sum(sent) == 3 and not state["counts"].get("pending"):
                break
            time.sleep(0.5)
        assert sum(sent) == 3 and set(state["counts"]) == {"delivered"}, state
        # queued once the runs are over; each job in one item only (the receipts count none twice)
        assert all(n >= 1 for n in sent) and len(sent) <= 3
        status, dag = get(server, f"/api/v1/artifacts/{hashes['metrics.json']}/dag")
        assert status == 200 and len(dag["jobs"]) == 3 and dag["sources"] == [hashes["raw.txt"]]
    finally:
        cleanup(server)


def test_a_retry_after_a_lost_answer_registers_nothing_twice(tmp_path: Path):
    """The queue's retry of an item whose answer was lost (the daemon killed mid-send): the
    same idempotency key again is answered as a replay and the server keeps one record."""
    from roard.capture.omission import OmissionFilter
    from roard.config import KEYS
    from roard.registration import payload as payloads
    from roard.registration.queue import send_lineage
    from tests.unit.test_registration import H, job

    server = new_server(tmp_path / "glaas").start()
    try:
        omit = OmissionFilter.from_config({k.name: k.default for k in KEYS.values()})
        p = payloads.build([job("c0ffee00" * 4, 1, [H["a"]], [H["b"]])], [], [], omit, "anonymous")
        first = send_lineage(server.url, p.body, p.idempotency_key)
        again = send_lineage(server.url, p.body, p.idempotency_key)
        assert first["new"]["jobs"] == 1 and not first["replayed"]
        assert again["replayed"] and again["new"] == first["new"]
        db = sqlite3.connect(f"file:{server.data_dir / 'glaas.db'}?mode=ro", uri=True)
        assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 1
        db.close()
    finally:
        cleanup(server)
