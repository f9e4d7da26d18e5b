"""An older workspace database is brought up to date, keeping its jobs."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from roard.errors import FailedPrecondition
from roard.lineage.model import JobRecord
from roard.lineage.store import SCHEMA, SCHEMA_VERSION, JobStore

V1_JOBS = SCHEMA.replace(",\n    env TEXT NOT NULL DEFAULT '{}'\n", "\n").split("CREATE TABLE IF NOT EXISTS labels")[0]


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
