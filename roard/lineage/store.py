"""JobStore: a workspace's ``.roar/roar.db`` (SQLite in WAL mode, through aiosqlite).

aiosqlite runs each connection on its own thread, so no query blocks the event loop. One
JobStore per workspace per daemon; writes are serialized by ``self.write_lock`` so step
numbers are allocated atomically even with many runs ending at once.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, Union
from urllib.parse import quote

import aiosqlite
import blake3

from roar_api.refs import STEP_REF
from roard.errors import FailedPrecondition, InvalidArgument, NotFound
from roard.lineage.composite import Composite
from roard.capture.git import GitState
from roard.capture.runtime import Runtime
from roard.lineage.model import Decision, FileEntry, JobRecord, TransferInfo, relative_cwd

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7
#: The schema ``SCHEMA`` creates; a new database then takes the later migrations like an old one.
SCHEMA_BASE_VERSION = 6

#: Directories recorded as a whole (composite artifacts), one row per component: ``hash`` is the
#: directory's Merkle hash (roard/transfers/composite.py), ``member`` a path relative to it.
COMPOSITES_SCHEMA = """
CREATE TABLE IF NOT EXISTS composites (
    job_uid TEXT NOT NULL REFERENCES jobs(uid) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('in', 'out')),
    hash TEXT NOT NULL,
    path TEXT NOT NULL,
    abs_path TEXT NOT NULL,
    member TEXT NOT NULL,
    member_hash TEXT NOT NULL,
    member_size INTEGER NOT NULL,
    PRIMARY KEY (job_uid, role, abs_path, member)
);
CREATE INDEX IF NOT EXISTS composites_hash ON composites(hash);
CREATE INDEX IF NOT EXISTS composites_abs ON composites(abs_path);
"""



async def _transfer_out_of_runtime(conn: aiosqlite.Connection) -> None:
    """Schema 5: a get or put's transfer facts move from ``runtime["transfer"]`` to their own
    column (``TransferInfo``); the runtime keeps the host."""
    async with conn.execute("PRAGMA table_info(jobs)") as cur:
        if "transfer" not in [row[1] for row in await cur.fetchall()]:
            await conn.execute("ALTER TABLE jobs ADD COLUMN transfer TEXT NOT NULL DEFAULT ''")
    async with conn.execute("SELECT uid, runtime FROM jobs WHERE kind IN ('get', 'put')") as cur:
        rows = await cur.fetchall()
    for uid, runtime_json in rows:
        runtime = json.loads(runtime_json)
        transfer = runtime.pop("transfer", None)
        if transfer is not None:
            await conn.execute("UPDATE jobs SET runtime = ?, transfer = ? WHERE uid = ?",
                               (json.dumps(runtime), json.dumps(transfer), uid))


#: Schema 7: what a job read and wrote, and its larger JSON documents, stored once by content and
#: referenced from the job, so that a step re-run on unchanged inputs adds one small row instead
#: of a row per file. A *file set* is a job's inputs (role "in") or outputs ("out") in order,
#: named by the BLAKE3 of its rows; a *doc* is a JSON document (git state, runtime without its
#: packages, the package lists, warnings, decisions) named by the BLAKE3 of its text.
FILE_SETS_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_sets (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('in', 'out')),
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS set_files (
    set_id INTEGER NOT NULL REFERENCES file_sets(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    path TEXT NOT NULL,
    abs_path TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    flags TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (set_id, ord)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS set_files_hash ON set_files(hash);
CREATE INDEX IF NOT EXISTS set_files_abs ON set_files(abs_path);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
ALTER TABLE jobs ADD COLUMN in_set INTEGER REFERENCES file_sets(id);
ALTER TABLE jobs ADD COLUMN out_set INTEGER REFERENCES file_sets(id);
ALTER TABLE jobs ADD COLUMN docs TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS jobs_in_set ON jobs(in_set);
CREATE INDEX IF NOT EXISTS jobs_out_set ON jobs(out_set);
"""

#: The JSON columns of ``jobs`` that schema 7 stores as docs; ``jobs.docs`` holds, in this order,
#: the doc ids (comma-separated) and the columns themselves hold "" (older rows keep their text).
DOC_COLUMNS = ("git", "runtime", "packages", "warnings", "decisions")
#: The runtime's package lists: one doc per distinct set of them (issue 14 item 10).
PACKAGE_FIELDS = ("packages_used", "packages_installed", "system_packages")


def content_digest(text: str) -> str:
    return blake3.blake3(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_set_rows(role: str, files: list[FileEntry]) -> tuple[str, list[tuple[Any, ...]]]:
    """(digest, rows) of a job's inputs or outputs: the digest covers the role and every row in order."""
    rows = [(i, f.path, f.abs_path, f.hash, f.size, json.dumps(f.flags), f.target) for i, f in enumerate(files)]
    return content_digest(json.dumps([role, rows])), rows


async def _file_sets_from_job_files(conn: aiosqlite.Connection) -> None:
    """Schema 7: ``job_files`` (a row per job and file) becomes file sets referenced by the jobs."""
    for stmt in FILE_SETS_SCHEMA.split(";"):
        if stmt.strip():
            await conn.execute(stmt)
    async with conn.execute("SELECT uid FROM jobs") as cur:
        uids = [r[0] for r in await cur.fetchall()]
    for uid in uids:
        for role in ("in", "out"):
            async with conn.execute("SELECT path, abs_path, hash, size, flags, target FROM job_files "
                                    "WHERE job_uid = ? AND role = ? ORDER BY ord", (uid, role)) as cur:
                files = [FileEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in await cur.fetchall()]
            if files:
                set_id = await _put_file_set(conn, role, *file_set_rows(role, files))
                await conn.execute(f"UPDATE jobs SET {role}_set = ? WHERE uid = ?", (set_id, uid))
    await conn.execute("DROP TABLE job_files")


async def _put_file_set(conn: aiosqlite.Connection, role: str, digest: str, rows: list[tuple[Any, ...]]) -> int:
    """The id of the file set ``digest``, stored now with ``rows`` unless it already is."""
    async with conn.execute("SELECT id FROM file_sets WHERE digest = ?", (digest,)) as cur:
        row = await cur.fetchone()
    if row:
        return row[0]
    async with conn.execute("INSERT INTO file_sets (digest, role, count) VALUES (?, ?, ?)",
                            (digest, role, len(rows))) as cur:
        set_id = cur.lastrowid
    await conn.executemany("INSERT INTO set_files VALUES (?,?,?,?,?,?,?,?)", [(set_id, *r) for r in rows])
    return set_id


Step = Union[str, Callable[[aiosqlite.Connection], Awaitable[None]]]

#: Steps that bring an older database up to SCHEMA_VERSION: (version reached, SQL statements or
#: functions of the connection), run in one transaction.
MIGRATIONS: list[tuple[int, list[Step]]] = [
    (2, ["ALTER TABLE jobs ADD COLUMN env TEXT NOT NULL DEFAULT '{}'"]),
    (3, ["CREATE TABLE IF NOT EXISTS labels (kind TEXT NOT NULL, entity TEXT NOT NULL, "
         "version INTEGER NOT NULL, doc TEXT NOT NULL, created_at REAL NOT NULL, "
         "PRIMARY KEY (kind, entity, version))"]),
    (4, [stmt.strip() for stmt in COMPOSITES_SCHEMA.split(";") if stmt.strip()]),
    (5, [_transfer_out_of_runtime]),
    (6, ["ALTER TABLE jobs ADD COLUMN rerun_of TEXT NOT NULL DEFAULT ''"]),
    (7, [_file_sets_from_job_files]),
]

#: Schema SCHEMA_BASE_VERSION, what a new database is created with before the later migrations
#: run (so that every database, new or old, reaches today's schema by the same steps).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
    uid TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    step_key TEXT NOT NULL,
    argv TEXT NOT NULL,
    cwd TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL NOT NULL,
    exit_code INTEGER NOT NULL,
    status TEXT NOT NULL,
    tracer TEXT NOT NULL,
    git TEXT NOT NULL,
    runtime TEXT NOT NULL,
    warnings TEXT NOT NULL,
    decisions TEXT NOT NULL,
    env TEXT NOT NULL DEFAULT '{}',
    transfer TEXT NOT NULL DEFAULT '',
    rerun_of TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_session ON jobs(session_id, seq);
CREATE TABLE IF NOT EXISTS job_files (
    job_uid TEXT NOT NULL REFERENCES jobs(uid) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('in', 'out')),
    ord INTEGER NOT NULL,
    path TEXT NOT NULL,
    abs_path TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    flags TEXT NOT NULL,
    target TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_files_job ON job_files(job_uid, role, ord);
CREATE INDEX IF NOT EXISTS job_files_hash ON job_files(hash);
CREATE INDEX IF NOT EXISTS job_files_abs ON job_files(abs_path);
CREATE TABLE IF NOT EXISTS labels (
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (kind, entity, version)
);
""" + COMPOSITES_SCHEMA

_HEX = re.compile(r"^[0-9a-f]+$")

#: A job's files as rows with their role and job (what ``job_files`` held before schema 7), for
#: a ``WHERE hash = ?1`` (each half uses the hash index, then the jobs' set indexes).
_JOB_FILES = " UNION ALL ".join(
    f"SELECT f.ord, f.path, f.abs_path, f.hash, f.size, f.flags, f.target, '{role}' AS role, "
    "j.uid AS job_uid, j.step, j.kind, j.seq, j.session_id, j.ended_at "
    f"FROM set_files f JOIN jobs j ON j.{role}_set = f.set_id WHERE f.hash = ?1"
    for role in ("in", "out"))


def job_docs(job: JobRecord) -> list[tuple[str, str]]:
    """(digest, body) of each of a job's DOC_COLUMNS, in that order."""
    runtime = job.runtime.to_json()
    packages = {name: runtime.pop(name) for name in PACKAGE_FIELDS}
    bodies = [json.dumps(job.git.to_json()), json.dumps(runtime), json.dumps(packages),
              json.dumps(job.warnings), json.dumps([d.__dict__ for d in job.decisions])]
    return [(content_digest(b), b) for b in bodies]


def step_key(kind: str, argv: list[str], cwd: str, root: str) -> str:
    """What makes two jobs "the same step": kind, argv and cwd relative to the workspace (""
    for the root itself, as keys were always stored)."""
    rel = relative_cwd(cwd, root)
    return json.dumps([kind, argv, "" if rel == "." else rel])


class JobStore:
    def __init__(self, db_path: Path, root: Path) -> None:
        self.db_path = db_path
        self.root = root
        self._db: aiosqlite.Connection | None = None
        self.write_lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()
        self._doc_cache: dict[int, str] = {}

    async def db(self) -> aiosqlite.Connection:
        if self._db is None:
            async with self._open_lock:
                if self._db is None:
                    if self._read_only():
                        self._db = await self._open_read_only()
                        return self._db
                    conn = await aiosqlite.connect(self.db_path, timeout=30)
                    conn.row_factory = aiosqlite.Row
                    await conn.execute("PRAGMA journal_mode=WAL")
                    await conn.execute("PRAGMA synchronous=NORMAL")
                    await conn.execute("PRAGMA foreign_keys=ON")
                    try:
                        await self._migrate(conn)
                    except BaseException:
                        await conn.close()
                        raise
                    self._db = conn
        return self._db

    def _read_only(self) -> bool:
        """The database exists in a directory that cannot be written (a read-only mount)."""
        return Path(self.db_path).exists() and not os.access(Path(self.db_path).parent, os.W_OK)

    async def _open_read_only(self) -> aiosqlite.Connection:
        """Open for reading only: ``immutable`` (no locks, no -shm file to create), so that read
        commands work on a read-only ``.roar/``. A daemon that closed cleanly left everything in
        the main file; what a killed one left in the -wal file is not seen."""
        uri = f"file:{quote(str(self.db_path))}?mode=ro&immutable=1"
        conn = await aiosqlite.connect(uri, uri=True, timeout=30)
        conn.row_factory = aiosqlite.Row
        try:
            async with conn.execute("SELECT value FROM meta WHERE key='schema_version'") as cur:
                row = await cur.fetchone()
            if row is None or int(row[0]) != SCHEMA_VERSION:
                raise FailedPrecondition(f"{self.db_path} is read-only and needs an upgrade to schema "
                                         f"{SCHEMA_VERSION}; make .roar/ writable once")
        except BaseException:
            await conn.close()
            raise
        log.info("%s opened read-only (its directory cannot be written)", self.db_path)
        return conn

    @staticmethod
    async def _migrate(conn: aiosqlite.Connection) -> None:
        """Create the schema, or bring an older database up to date in one transaction."""
        async with conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'") as cur:
            existing = await cur.fetchone() is not None
        version = SCHEMA_BASE_VERSION
        if existing:
            async with conn.execute("SELECT value FROM meta WHERE key='schema_version'") as cur:
                row = await cur.fetchone()
            version = int(row[0]) if row else 1
        if version > SCHEMA_VERSION:
            raise FailedPrecondition(f"this workspace's database is schema {version}, newer than this "
                                     f"roard understands ({SCHEMA_VERSION}); upgrade roar")
        if not existing:
            await conn.executescript(SCHEMA)
        for target, statements in MIGRATIONS:
            if version < target:
                for step in statements:
                    await (conn.execute(step) if isinstance(step, str) else step(conn))
        if existing and version == SCHEMA_VERSION:
            return   # nothing to write: opening works on a full disk
        await conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        await conn.commit()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    # --- sessions ----------------------------------------------------------------------------

    async def active_session(self) -> str:
        db = await self.db()
        async with db.execute("SELECT id FROM sessions WHERE active = 1") as cur:
            row = await cur.fetchone()
        if row:
            return row["id"]
        async with self.write_lock:
            async with db.execute("SELECT id FROM sessions WHERE active = 1") as cur:
                row = await cur.fetchone()
            if row:
                return row["id"]
            sid = uuid.uuid4().hex
            await db.execute("INSERT INTO sessions VALUES (?, ?, 1)", (sid, time.time()))
            await db.commit()
            return sid

    async def reset_session(self) -> str:
        db = await self.db()
        async with self.write_lock:
            sid = uuid.uuid4().hex
            await db.execute("UPDATE sessions SET active = 0 WHERE active = 1")
            await db.execute("INSERT INTO sessions VALUES (?, ?, 1)", (sid, time.time()))
            await db.commit()
        return sid

    async def activate_session(self, sid: str) -> None:
        """Make ``sid`` the active session again (after a reproduction ran in its own session)."""
        db = await self.db()
        async with self.write_lock:
            await db.execute("UPDATE sessions SET active = (id = ?)", (sid,))
            await db.commit()

    async def session_ids(self) -> list[str]:
        db = await self.db()
        async with db.execute("SELECT id FROM sessions ORDER BY created_at") as cur:
            return [r["id"] async for r in cur]

    async def session_created(self, sid: str) -> float:
        db = await self.db()
        async with db.execute("SELECT created_at FROM sessions WHERE id = ?", (sid,)) as cur:
            row = await cur.fetchone()
        return row["created_at"] if row else 0.0

    # --- writing jobs ------------------------------------------------------------------------

    async def add_job(self, job: JobRecord, composites: Iterable[tuple[str, Composite]] = ()) -> JobRecord:
        """Insert a finished job into the active session, allocating its step number, with the
        directories it read or wrote as a whole (``(role, composite)``, role "in" or "out")."""
        db = await self.db()
        sid = await self.active_session()
        key = step_key(job.kind, job.argv, job.cwd, str(self.root))
        # Serializing and digesting 100,000 rows takes a while: not on the event loop.
        sets, docs = await asyncio.to_thread(
            lambda: ([file_set_rows("in", job.inputs), file_set_rows("out", job.outputs)], job_docs(job)))
        async with self.write_lock:
            row = None
            if job.rerun_of:   # `run @N`, overrides and all, is the next version of step N
                async with db.execute(
                        "SELECT step FROM jobs WHERE uid = ? AND session_id = ? AND (kind = 'build') = ?",
                        (job.rerun_of, sid, job.kind == "build")) as cur:
                    row = await cur.fetchone()
            if row is None:
                async with db.execute(
                        "SELECT step FROM jobs WHERE session_id = ? AND step_key = ? ORDER BY seq DESC LIMIT 1",
                        (sid, key)) as cur:
                    row = await cur.fetchone()
            if row:
                step = row["step"]
            else:
                build_clause = "kind = 'build'" if job.kind == "build" else "kind != 'build'"
                async with db.execute(
                        f"SELECT COALESCE(MAX(step), 0) AS m FROM jobs WHERE session_id = ? AND {build_clause}",
                        (sid,)) as cur:
                    step = (await cur.fetchone())["m"] + 1
            async with db.execute("SELECT COALESCE(MAX(seq), 0) AS m FROM jobs WHERE session_id = ?",
                                  (sid,)) as cur:
                seq = (await cur.fetchone())["m"] + 1
            job.session_id, job.step, job.seq = sid, step, seq
            set_ids = [await _put_file_set(db, role, digest, rows) if rows else None
                       for role, (digest, rows) in zip(("in", "out"), sets)]
            doc_ids = [await self._put_doc(db, digest, body) for digest, body in docs]
            await db.execute(
                "INSERT INTO jobs (uid, session_id, seq, step, kind, step_key, argv, cwd, started_at, "
                "ended_at, exit_code, status, tracer, git, runtime, warnings, decisions, env, transfer, "
                "in_set, out_set, docs, rerun_of) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'','','','',?,?,?,?,?,?)",
                (job.uid, sid, seq, step, job.kind, key, json.dumps(job.argv), job.cwd,
                 job.started_at, job.ended_at, job.exit_code, job.status, job.tracer,
                 json.dumps(job.env), json.dumps(job.transfer.to_json()) if job.transfer else "",
                 *set_ids, ",".join(map(str, doc_ids)), job.rerun_of))
            await db.executemany(
                "INSERT INTO composites VALUES (?,?,?,?,?,?,?,?)",
                [(job.uid, role, c.hash, c.path, c.abs_path, m.path, m.hash, m.size)
                 for role, c in composites for m in c.components])
            await db.commit()
        return job

    async def pop_job(self) -> JobRecord:
        db = await self.db()
        sid = await self.active_session()
        async with self.write_lock:
            async with db.execute("SELECT * FROM jobs WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                                  (sid,)) as cur:
                row = await cur.fetchone()
            if row is None:
                raise NotFound("the active session has no jobs to pop")
            job = await self._hydrate(row, with_decisions=False)
            await db.execute("DELETE FROM composites WHERE job_uid = ?", (job.uid,))
            await db.execute("DELETE FROM jobs WHERE uid = ?", (job.uid,))
            for set_id in (row["in_set"], row["out_set"]):
                if set_id is not None:   # a set no other job references goes with it
                    await db.execute("DELETE FROM set_files WHERE set_id = ?1 AND NOT EXISTS (SELECT 1 FROM "
                                     "jobs WHERE in_set = ?1 OR out_set = ?1)", (set_id,))
                    await db.execute("DELETE FROM file_sets WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM "
                                     "jobs WHERE in_set = ?1 OR out_set = ?1)", (set_id,))
            await db.commit()
        return job

    # --- reading jobs ------------------------------------------------------------------------

    async def _set_files(self, set_id: int | None) -> list[FileEntry]:
        if set_id is None:
            return []
        db = await self.db()
        async with db.execute("SELECT path, abs_path, hash, size, flags, target FROM set_files "
                              "WHERE set_id = ? ORDER BY ord", (set_id,)) as cur:
            return [FileEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in await cur.fetchall()]

    async def _put_doc(self, db: aiosqlite.Connection, digest: str, body: str) -> int:
        async with db.execute("SELECT id FROM docs WHERE digest = ?", (digest,)) as cur:
            row = await cur.fetchone()
        if row:
            return row[0]
        async with db.execute("INSERT INTO docs (digest, body) VALUES (?, ?)", (digest, body)) as cur:
            doc_id = cur.lastrowid
        self._doc_cache[doc_id] = body
        return doc_id

    async def _docs(self, ids: list[int]) -> list[str]:
        """The bodies of docs ``ids`` (immutable, so kept once read)."""
        missing = [i for i in set(ids) if i not in self._doc_cache]
        if missing:
            if len(self._doc_cache) > 4096:
                self._doc_cache.clear()
            db = await self.db()
            async with db.execute(f"SELECT id, body FROM docs WHERE id IN ({','.join('?' * len(missing))})",
                                  missing) as cur:
                self._doc_cache.update({r[0]: r[1] for r in await cur.fetchall()})
        return [self._doc_cache[i] for i in ids]

    async def _hydrate(self, row: Any, with_decisions: bool = True) -> JobRecord:
        ins, outs = await self._set_files(row["in_set"]), await self._set_files(row["out_set"])
        if row["docs"]:
            git, runtime, packages, warnings, decisions = map(
                json.loads, await self._docs([int(i) for i in row["docs"].split(",")]))
            runtime.update(packages)
        else:   # written before schema 7: the JSON in the job's own columns
            git, runtime, warnings, decisions = (json.loads(row[c]) for c in ("git", "runtime", "warnings",
                                                                            "decisions"))
        return JobRecord(
            uid=row["uid"], session_id=row["session_id"], kind=row["kind"],
            argv=json.loads(row["argv"]), cwd=row["cwd"], started_at=row["started_at"],
            ended_at=row["ended_at"], exit_code=row["exit_code"], status=row["status"],
            tracer=row["tracer"], step=row["step"], seq=row["seq"], git=GitState.from_json(git),
            runtime=Runtime.from_json(runtime), inputs=ins, outputs=outs, warnings=warnings,
            decisions=[Decision(**d) for d in decisions] if with_decisions else [], env=json.loads(row["env"]),
            transfer=TransferInfo.from_json(json.loads(row["transfer"])) if row["transfer"] else None,
            rerun_of=row["rerun_of"])

    async def list_jobs(self, session_id: str | None = None, limit: int = 0,
                        with_decisions: bool = False) -> list[JobRecord]:
        """Jobs of a session (the active one by default, every session with "*"), oldest first."""
        db = await self.db()
        if session_id == "*":
            sql, args = "SELECT * FROM jobs ORDER BY ended_at, seq", ()
        else:
            sid = session_id or await self.active_session()
            sql, args = "SELECT * FROM jobs WHERE session_id = ? ORDER BY seq", (sid,)
        async with db.execute(sql, args) as cur:
            rows = await cur.fetchall()
        if limit:
            rows = rows[-limit:]
        return [await self._hydrate(r, with_decisions) for r in rows]

    async def get_job(self, ref: str, with_decisions: bool = True) -> JobRecord:
        """Resolve ``@N``, ``@BN`` (active session) or a job uid prefix."""
        db = await self.db()
        ref = ref.strip()
        m = STEP_REF.match(ref)
        if m:
            kind_clause = "kind = 'build'" if m.group(1) else "kind != 'build'"
            sid = await self.active_session()
            async with db.execute(
                    f"SELECT * FROM jobs WHERE session_id = ? AND step = ? AND {kind_clause} "
                    "ORDER BY ended_at DESC, seq DESC LIMIT 1", (sid, int(m.group(2)))) as cur:
                row = await cur.fetchone()
            if row is None:
                raise NotFound(f"no step {ref} in the active session (see `roarctl log`)")
            return await self._hydrate(row, with_decisions)
        prefix = ref.lower()
        if len(prefix) < 4 or not _HEX.match(prefix):
            raise InvalidArgument(f"{ref!r} is not a job reference: use @N, @BN or a job uid prefix of 4+ hex characters")
        async with db.execute("SELECT * FROM jobs WHERE uid LIKE ? ORDER BY ended_at LIMIT 11",
                              (prefix + "%",)) as cur:
            rows = await cur.fetchall()
        if not rows:
            raise NotFound(f"no job matches {ref!r}")
        if len(rows) > 1:
            raise InvalidArgument(f"job prefix {ref!r} is ambiguous: " + ", ".join(r["uid"][:12] for r in rows))
        return await self._hydrate(rows[0], with_decisions)

    # --- artifacts ---------------------------------------------------------------------------

    async def find_hashes(self, prefix: str) -> list[str]:
        """Hashes of files and of composites (directories) starting with ``prefix``."""
        db = await self.db()
        like = prefix.lower() + "%"
        async with db.execute("SELECT hash FROM set_files WHERE hash LIKE ? UNION "
                              "SELECT hash FROM composites WHERE hash LIKE ? LIMIT 11", (like, like)) as cur:
            return [r["hash"] async for r in cur]

    async def composite_rows(self, h: str) -> list[dict[str, Any]]:
        """Every recording of the composite ``h``: one row per (job, component), oldest first."""
        db = await self.db()
        async with db.execute(
                "SELECT c.*, j.step, j.kind, j.seq, j.session_id, j.ended_at FROM composites c "
                "JOIN jobs j ON j.uid = c.job_uid WHERE c.hash = ? ORDER BY j.ended_at, c.member",
                (h,)) as cur:
            return [dict(r) async for r in cur]

    async def latest_composite_for_path(self, abs_path: str) -> str | None:
        db = await self.db()
        async with db.execute(
                "SELECT c.hash FROM composites c JOIN jobs j ON j.uid = c.job_uid "
                "WHERE c.abs_path = ? ORDER BY j.ended_at DESC LIMIT 1", (abs_path,)) as cur:
            row = await cur.fetchone()
        return row["hash"] if row else None

    async def files_with_hash(self, h: str) -> list[dict[str, Any]]:
        """Every recording of a file with content ``h``: its entry, role, job uid and the job's
        step, kind, seq, session and end, oldest first."""
        db = await self.db()
        async with db.execute(
                f"SELECT * FROM ({_JOB_FILES}) WHERE hash = ?1 ORDER BY ended_at", (h,)) as cur:
            return [dict(r) async for r in cur]

    async def latest_hash_for_path(self, abs_path: str) -> str | None:
        db = await self.db()
        async with db.execute(
                "SELECT f.hash FROM set_files f JOIN jobs j ON j.out_set = f.set_id "
                "WHERE f.abs_path = ? ORDER BY j.ended_at DESC LIMIT 1", (abs_path,)) as cur:
            row = await cur.fetchone()
        return row["hash"] if row else None

    async def produced_hashes(self, hashes: Iterable[str]) -> set[str]:
        """Which of ``hashes`` some recorded job wrote (so an input with one is sourced)."""
        hashes = [h for h in set(hashes) if h]
        if not hashes:
            return set()
        db = await self.db()
        found: set[str] = set()
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            marks = ",".join("?" * len(chunk))
            async with db.execute(
                    "SELECT DISTINCT f.hash FROM set_files f JOIN file_sets s ON s.id = f.set_id "
                    f"WHERE s.role = 'out' AND f.hash IN ({marks})",
                    chunk) as cur:
                found.update([r["hash"] async for r in cur])
        return found

    async def integrity_check(self) -> str:
        db = await self.db()
        async with db.execute("PRAGMA integrity_check") as cur:
            return (await cur.fetchone())[0]
