"""Content hashing with BLAKE3 and the per-user hash cache.

The cache key is (st_dev, st_ino, size, mtime_ns, ctime_ns): any write to a file changes its
ctime, so a hit means the bytes are the ones hashed before. A file that changes while it is
being hashed is hashed again, and flagged if it never holds still.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple

import blake3

from roard.errors import storage_failure

log = logging.getLogger(__name__)

#: Files at least this large are hashed with all cores (memory-mapped, multi-threaded).
PARALLEL_THRESHOLD = 8 * 1024 * 1024
#: How often a file that keeps changing is re-hashed before it is flagged.
MAX_ATTEMPTS = 3
CHUNK = 1024 * 1024


class Identity(NamedTuple):
    """A file version as the cache keys it. A named tuple, not a dataclass: finalize builds one
    per input file, 100,000s per run, and a tuple's construction and hash are several times
    cheaper."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> "Identity":
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class HashResult:
    hash: str              # "" when the file could not be hashed
    size: int
    identity: Identity | None
    cached: bool = False
    flags: list[str] = field(default_factory=list)


def hash_bytes_of(path: str | os.PathLike[str], size: int, parallel: bool = True) -> str:
    """BLAKE3 of a regular file's content: all cores for large files (unless ``parallel`` is
    off: the watcher's background re-hashing stays on its one thread)."""
    if parallel and size >= PARALLEL_THRESHOLD:
        h = blake3.blake3(max_threads=blake3.blake3.AUTO)
        h.update_mmap(path)
        return h.hexdigest()
    h = blake3.blake3()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class HashCache:
    """Per-user SQLite cache of content hashes keyed by file identity: the daemon's hashing
    service (one per daemon, built in ``roard/daemon.py`` and handed to whoever hashes).
    Thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._local = threading.local()
        self._init_lock = threading.Lock()
        with self._init_lock:
            conn = self._conn()
            conn.execute("CREATE TABLE IF NOT EXISTS hashes (dev INTEGER, ino INTEGER, size INTEGER, "
                         "mtime_ns INTEGER, ctime_ns INTEGER, hash TEXT NOT NULL, "
                         "PRIMARY KEY (dev, ino, size, mtime_ns, ctime_ns)) WITHOUT ROWID")
            conn.commit()
        self.hits = 0
        self.misses = 0

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, ident: Identity) -> str | None:
        row = self._conn().execute(
            "SELECT hash FROM hashes WHERE dev=? AND ino=? AND size=? AND mtime_ns=? AND ctime_ns=?",
            (ident.dev, ident.ino, ident.size, ident.mtime_ns, ident.ctime_ns)).fetchone()
        return row[0] if row else None

    def get_without_ctime(self, dev: int, ino: int, size: int, mtime_ns: int) -> str | None:
        """For content that is already gone (a file rewritten in place): the newest hash seen
        for that (dev, ino, size, mtime). Weaker than ``get``; callers flag what they use it for."""
        row = self._conn().execute(
            "SELECT hash FROM hashes WHERE dev=? AND ino=? AND size=? AND mtime_ns=? "
            "ORDER BY ctime_ns DESC LIMIT 1", (dev, ino, size, mtime_ns)).fetchone()
        return row[0] if row else None

    def lookup_many(self, idents: list[Identity]) -> dict[Identity, str]:
        """Cached hashes for many files in one query (a temporary table join): finalizing a run
        that read 10,000 unchanged files costs one round trip, not 10,000."""
        if not idents:
            return {}
        conn = self._conn()
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (dev INTEGER, ino INTEGER, size INTEGER, "
                     "mtime_ns INTEGER, ctime_ns INTEGER)")
        conn.execute("DELETE FROM wanted")
        conn.executemany("INSERT INTO wanted VALUES (?,?,?,?,?)", set(idents))
        rows = conn.execute("SELECT h.dev, h.ino, h.size, h.mtime_ns, h.ctime_ns, h.hash FROM wanted w "
                            "JOIN hashes h USING (dev, ino, size, mtime_ns, ctime_ns)").fetchall()
        conn.execute("DELETE FROM wanted")
        conn.commit()
        return {Identity._make(r[:5]): r[5] for r in rows}

    def put_many(self, rows: list[tuple[Identity, str]]) -> None:
        """Remember hashes. Best effort: the cache is a cache, so a full or read-only state
        directory costs later re-hashing, never a run's record."""
        if not rows:
            return
        conn = self._conn()
        try:
            conn.executemany("INSERT OR REPLACE INTO hashes VALUES (?,?,?,?,?,?)",
                             [(*i, h) for i, h in rows])
            conn.commit()
        except sqlite3.Error as exc:
            reason = storage_failure(exc)
            if reason is None:
                raise
            conn.rollback()
            log.warning("hash cache %s not updated (%s)", self.path, reason)

    def current_hash(self, path: str) -> str | None:
        """The content hash of ``path`` now, or None when it is gone or unreadable (the DAG's
        on-disk check). Blocking."""
        return self.hash_file(path).hash or None

    def hash_file(self, path: str, pending: list[tuple[Identity, str]] | None = None,
                  known: dict[Identity, str] | None = None,
                  st: os.stat_result | None = None, parallel: bool = True) -> HashResult:
        """Hash a regular file through the cache. New hashes are appended to ``pending`` (to be
        written with ``put_many`` in one transaction) or stored at once. ``known`` holds hashes
        already looked up with ``lookup_many`` (a file missing there is hashed without asking
        the cache again); ``st`` is the stat those were looked up with."""
        if st is None:
            try:
                st = os.stat(path)
            except OSError:
                return HashResult("", 0, None, flags=["unavailable"])
        if not stat.S_ISREG(st.st_mode):
            return HashResult("", 0, None, flags=["not-regular"])
        ident = Identity.of(st)
        cached = known.get(ident) if known is not None else self.get(ident)
        if cached is not None:
            self.hits += 1
            return HashResult(cached, ident.size, ident, cached=True)
        self.misses += 1
        for _ in range(MAX_ATTEMPTS):
            try:
                digest = hash_bytes_of(path, ident.size, parallel)
                after = Identity.of(os.stat(path))
            except OSError:
                return HashResult("", ident.size, ident, flags=["unavailable"])
            if after == ident:
                if pending is not None:
                    pending.append((ident, digest))
                else:
                    self.put_many([(ident, digest)])
                return HashResult(digest, ident.size, ident)
            ident = after
        return HashResult(digest, ident.size, ident, flags=["changed-while-hashing"])


@dataclass
class HashBatch:
    """Many files hashed together: one stat per file, one cache query for the lot, and the new
    hashes written in one transaction by ``commit``. Safe to use from several threads."""

    cache: HashCache
    stats: dict[str, os.stat_result]
    known: dict[Identity, str]
    pending: list[tuple[Identity, str]] = field(default_factory=list)
    parallel: bool = True          # large files on all cores

    @classmethod
    def prepare(cls, cache: HashCache, paths: Iterable[str]) -> "HashBatch":
        stats = {}
        for path in set(paths):
            try:
                st = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                stats[path] = st
        return cls(cache, stats, cache.lookup_many([Identity.of(st) for st in stats.values()]))

    def hash(self, path: str) -> HashResult:
        return self.cache.hash_file(path, self.pending, self.known, self.stats.get(path), self.parallel)

    def commit(self) -> None:
        self.cache.put_many(self.pending)
