"""An older workspace database is brought up to date, keeping its jobs."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from roard.errors import FailedPrecondition
from roard.capture.git import GitState
from roard.capture.runtime import Package, Runtime
from roard.lineage.model import JobRecord, TransferInfo
from roard.lineage.store import SCHEMA, SCHEMA_VERSION, JobStore

GIT_V0 = {"repo_root": "/r", "commit": "c0ffee", "branch": "main", "remote": "https://h/x.git", "dirty": True,
          "diff_path": ".roar/diffs/u.diff"}
RUNTIME_V0 = {"hostname": "box", "os": "Linux-6", "cpu": "x86 (2 cores)", "gpu": "", "python_version": "3.11.7",
              "python_executable": "/usr/bin/python3", "packages_used": [{"name": "numpy", "version": "1.26"}],
              "system_packages": [{"name": "libc6", "version": "2.36"}]}
TRANSFER_V0 = {"direction": "get", "url": "s3://b/raw.csv", "message": "m",
               "files": [{"url": "s3://b/raw.csv", "path": "raw.csv", "hash": "ab" * 32, "size": 3}],
               "directories": []}

#: Schema 5: every table of today but without jobs.rerun_of.
V5 = SCHEMA.replace(",\n    rerun_of TEXT NOT NULL DEFAULT ''\n", "\n")
V1_JOBS = V5.replace(",\n    env TEXT NOT NULL DEFAULT '{}',\n    transfer TEXT NOT NULL DEFAULT ''\n", "\n"
                         ).split("CREATE TABLE IF NOT EXISTS labels")[0]
#: Schema 4: every table of today but without jobs.transfer (a get's transfer rode in runtime).
V4 = V5.replace(",\n    transfer TEXT NOT NULL DEFAULT ''\n", "\n")


def make_v1(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(V1_JOBS)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO sessions VALUES ('s1', 1.0, 1)")
    conn.execute("INSERT INTO jobs VALUES ('u1','s1',1,1,'run','k','[\"true\"]','/w',1,2,0,'ok','preload',"
                 "'{}','{}','[]','[]')")
    conn.commit()
    conn.close()


async def test_v1_database_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "roar.db"
    make_v1(db)
    assert "env" not in V1_JOBS
    store = JobStore(db, tmp_path)
    old = await store.get_job("@1")
    assert old.uid == "u1" and old.env == {}
    job = JobRecord(uid="u2" + "0" * 30, session_id="", kind="run", argv=["x"], cwd=str(tmp_path),
                    started_at=1, ended_at=2, exit_code=0, status="ok", env={"A": "1"})
    await store.add_job(job)
    assert (await store.get_job("@2")).env == {"A": "1"}
    await store.close()
    version = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "labels" in tables


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "roar.db"
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    conn.commit()
    conn.close()
    with pytest.raises(FailedPrecondition, match="newer than this roard"):
        await JobStore(db, tmp_path).active_session()


def make_v4(db: Path) -> None:
    """A schema-4 database as roard wrote it before typed records: git and runtime as plain
    dicts without a version, and a get job's transfer inside its runtime."""
    conn = sqlite3.connect(db)
    conn.executescript(V4)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    conn.execute("INSERT INTO sessions VALUES ('s1', 1.0, 1)")
    row = "INSERT INTO jobs VALUES (?,'s1',?,?,?,'k'||?,'[\"x\"]','/w',1,2,0,'ok','preload',?,?,'[]','[]','{}')"
    conn.execute(row, ("u" * 32, 1, 1, "run", 1, json.dumps(GIT_V0), json.dumps(RUNTIME_V0)))
    conn.execute(row, ("g" * 32, 2, 2, "get", 2, json.dumps({}), json.dumps({**RUNTIME_V0, "transfer": TRANSFER_V0})))
    conn.commit()
    conn.close()


async def test_v4_records_read_as_typed_records(tmp_path: Path) -> None:
    db = tmp_path / "roar.db"
    make_v4(db)
    store = JobStore(db, tmp_path)
    run, get = await store.list_jobs()
    assert run.git == GitState(**GIT_V0)
    assert run.runtime.python_version == "3.11.7" and run.runtime.packages_used == [Package("numpy", "1.26")]
    assert run.runtime.system_packages == [Package("libc6", "2.36")] and run.transfer is None
    assert get.transfer is not None and get.transfer.url == "s3://b/raw.csv"
    assert get.transfer.files[0].hash == "ab" * 32 and get.transfer.files[0].size == 3
    assert get.runtime.hostname == "box" and "transfer" not in get.runtime.to_json()
    await store.close()
    conn = sqlite3.connect(db)
    runtime, transfer = conn.execute("SELECT runtime, transfer FROM jobs WHERE kind = 'get'").fetchone()
    assert "transfer" not in json.loads(runtime) and json.loads(transfer)["direction"] == "get"
    conn.close()


async def test_typed_records_round_trip_with_their_version(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "roar.db", tmp_path)
    transfer = TransferInfo.from_json(TRANSFER_V0)
    job = JobRecord(uid="d" * 32, session_id="", kind="get", argv=["roarctl", "get"], cwd=str(tmp_path),
                    started_at=1, ended_at=2, exit_code=0, status="ok", git=GitState.from_json(GIT_V0),
                    runtime=Runtime.from_json(RUNTIME_V0), transfer=transfer)
    await store.add_job(job)
    back = await store.get_job("d" * 12)
    assert (back.git, back.runtime, back.transfer) == (job.git, job.runtime, transfer)
    await store.close()
    conn = sqlite3.connect(tmp_path / "roar.db")
    doc_ids, transfer = conn.execute("SELECT docs, transfer FROM jobs").fetchone()
    git_id, runtime_id = doc_ids.split(",")[:2]   # DOC_COLUMNS: git, runtime, ...
    stored = [conn.execute("SELECT body FROM docs WHERE id = ?", (i,)).fetchone()[0] for i in (git_id, runtime_id)]
    assert [json.loads(column)["v"] for column in [*stored, transfer]] == [1, 1, 1]


def test_a_record_from_a_newer_roard_is_refused() -> None:
    with pytest.raises(FailedPrecondition, match="GitState record is schema version 9"):
        GitState.from_json({**GIT_V0, "v": 9})


async def test_v5_database_gains_rerun_of_and_a_rerun_keeps_its_step(tmp_path: Path) -> None:
    """Schema 6: a job names the job it re-ran (``roarctl run @N --key=value``); older jobs
    read with none, and a re-run with other argv is recorded as that step's next version."""
    db = tmp_path / "roar.db"
    conn = sqlite3.connect(db)
    conn.executescript(V5)
    assert "rerun_of" not in V5
    conn.execute("INSERT INTO meta VALUES ('schema_version', '5')")
    conn.execute("INSERT INTO sessions VALUES ('s1', 1.0, 1)")
    conn.execute("INSERT INTO jobs VALUES (?,'s1',1,1,'run','k','[\"x\"]',?,1,2,0,'ok','preload','{}','{}',"
                 "'[]','[]','{}','')", ("a" * 32, str(tmp_path)))
    conn.commit()
    conn.close()
    store = JobStore(db, tmp_path)
    old = await store.get_job("@1")
    assert old.rerun_of == ""
    other = JobRecord(uid="b" * 32, session_id="", kind="run", argv=["y"], cwd=str(tmp_path),
                      started_at=3, ended_at=4, exit_code=0, status="ok")
    assert (await store.add_job(other)).step == 2
    rerun = JobRecord(uid="c" * 32, session_id="", kind="run", argv=["x", "--C=0.5"], cwd=str(tmp_path),
                      started_at=5, ended_at=6, exit_code=0, status="ok", rerun_of="a" * 32)
    assert (await store.add_job(rerun)).step == 1
    back = await store.get_job("@1")
    assert back.uid == "c" * 32 and back.rerun_of == "a" * 32 and back.argv == ["x", "--C=0.5"]
    # The same argv typed again is that step too (its key is now known), and a re-run of a job
    # of another kind class or session falls back to the key.
    again = JobRecord(uid="d" * 32, session_id="", kind="run", argv=["x", "--C=0.5"], cwd=str(tmp_path),
                      started_at=7, ended_at=8, exit_code=0, status="ok")
    assert (await store.add_job(again)).step == 1
    build = JobRecord(uid="e" * 32, session_id="", kind="build", argv=["make"], cwd=str(tmp_path),
                      started_at=9, ended_at=10, exit_code=0, status="ok", rerun_of="b" * 32)
    assert (await store.add_job(build)).step == 1 and build.ref == "@B1"
    await store.close()
