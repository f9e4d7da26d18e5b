"""Schema 7: a job's inputs, outputs, package lists and other documents are stored once by
content and referenced; a re-run on the same inputs adds no file rows; an older database (a row
per job and file in ``job_files``) still reads, with every reader of files by hash or path."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from roard.capture.runtime import Package, Runtime
from roard.lineage.model import Decision, FileEntry, JobRecord
from roard.lineage.store import SCHEMA, SCHEMA_VERSION, JobStore

H = {name: name * 64 for name in "abcdef"}


def entry(tmp: Path, name: str, h: str) -> FileEntry:
    return FileEntry(f"data/{name}", str(tmp / "data" / name), h, 1, ["symlink"] if name == "s" else [], "")


def job(tmp: Path, uid: str, ins: list[FileEntry], outs: list[FileEntry] = ()) -> JobRecord:
    runtime = Runtime(hostname="box", os="Linux", packages_installed=[Package("numpy", "1.26")] * 3)
    return JobRecord(uid=uid * 32, session_id="", kind="run", argv=["python", "x.py"], cwd=str(tmp),
                     started_at=1, ended_at=float(len(uid)) + ord(uid[0]), exit_code=0, status="ok",
                     runtime=runtime, inputs=list(ins), outputs=list(outs), warnings=["w"],
                     decisions=[Decision(path="/usr/lib/x", kept=False, role="", reason="system")])


def count(db: Path, table: str) -> int:
    return sqlite3.connect(db).execute(f"SELECT count(*) FROM {table}").fetchone()[0]


async def test_a_rerun_on_the_same_inputs_adds_no_file_rows(tmp_path: Path) -> None:
    db = tmp_path / "roar.db"
    store = JobStore(db, tmp_path)
    ins = [entry(tmp_path, n, H[n]) for n in "abc"]
    first = await store.add_job(job(tmp_path, "1", ins, [entry(tmp_path, "out", H["d"])]))
    rows, docs = count(db, "set_files"), count(db, "docs")
    second = await store.add_job(job(tmp_path, "2", ins, [entry(tmp_path, "out", H["d"])]))
    assert (count(db, "set_files"), count(db, "docs"), count(db, "file_sets")) == (rows, docs, 2)
    for stored in (await store.get_job(first.uid), await store.get_job(second.uid)):
        assert stored.inputs == ins and stored.outputs[0].hash == H["d"]
        assert stored.runtime.packages_installed == [Package("numpy", "1.26")] * 3
        assert stored.warnings == ["w"] and stored.decisions[0].reason == "system"
    # One input changed: a new set, the old one kept for the jobs that read it.
    changed = [*ins[:2], entry(tmp_path, "c", H["e"])]
    third = await store.add_job(job(tmp_path, "3", changed))
    assert (await store.get_job(third.uid)).inputs == changed
    assert (await store.get_job(first.uid)).inputs == ins
    assert count(db, "file_sets") == 3
    # Readers by hash and by path see every job through the sets.
    readers = await store.files_with_hash(H["c"])
    assert sorted(r["job_uid"][0] for r in readers) == ["1", "2"] and {r["role"] for r in readers} == {"in"}
    assert await store.produced_hashes([H["a"], H["d"]]) == {H["d"]}
    assert await store.latest_hash_for_path(str(tmp_path / "data" / "out")) == H["d"]
    assert await store.find_hashes(H["e"][:8]) == [H["e"]]
    # Popping the job with the only reference to a set takes the set with it; shared ones stay.
    await store.pop_job()
    assert count(db, "file_sets") == 2 and await store.find_hashes(H["e"][:8]) == []
    await store.pop_job()
    assert (await store.get_job(first.uid)).inputs == ins
    await store.close()


def make_v6(db: Path, tmp: Path) -> None:
    """A schema-6 database as roard wrote it before file sets: a row per job and file."""
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '6')")
    conn.execute("INSERT INTO sessions VALUES ('s1', 1.0, 1)")
    runtime = json.dumps({"hostname": "box", "packages_used": [{"name": "numpy", "version": "1.26"}], "v": 1})
    for seq, uid in ((1, "u" * 32), (2, "w" * 32)):
        conn.execute("INSERT INTO jobs VALUES (?,'s1',?,1,'run','k','[\"x\"]','/w',1,?,0,'ok','preload','{}',?,"
                     "'[]','[]','{}','','')", (uid, seq, 1.0 + seq, runtime))
        conn.executemany("INSERT INTO job_files VALUES (?,?,?,?,?,?,?,?,?)", [
            (uid, "in", 0, "data/a", str(tmp / "data/a"), H["a"], 1, '["symlink"]', "/t"),
            (uid, "in", 1, "data/b", str(tmp / "data/b"), H["b"], 2, "[]", ""),
            (uid, "out", 0, "out", str(tmp / "out"), H[chr(ord("c") + seq)], 3, "[]", "")])
    conn.commit()
    conn.close()


async def test_a_schema_6_database_still_reads(tmp_path: Path) -> None:
    db = tmp_path / "roar.db"
    make_v6(db, tmp_path)
    store = JobStore(db, tmp_path)
    old1, old2 = await store.list_jobs()
    assert [(f.path, f.hash, f.size, f.flags, f.target) for f in old1.inputs] == [
        ("data/a", H["a"], 1, ["symlink"], "/t"), ("data/b", H["b"], 2, [], "")]
    assert old2.inputs == old1.inputs and old2.outputs[0].hash == H["e"]
    assert old1.runtime.packages_used == [Package("numpy", "1.26")]
    assert count(db, "file_sets") == 3          # the two jobs' identical inputs are one set
    assert await store.latest_hash_for_path(str(tmp_path / "out")) == H["e"]
    assert {r["job_uid"] for r in await store.files_with_hash(H["a"])} == {"u" * 32, "w" * 32}
    await store.close()
    conn = sqlite3.connect(db)
    assert int(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]) == SCHEMA_VERSION
    assert "job_files" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
