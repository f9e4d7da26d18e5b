"""RegistrationQueue: lineage waiting to be sent, persistent per user, delivered in order in
the background.

``$XDG_STATE_HOME/roar/registration.db`` (SQLite, WAL) holds each item's payload, already
through the omission filter, with its idempotency key (derived from the content, unique: the
same lineage queued twice is one item). One worker sends the oldest pending item:

- delivered: kept as ``delivered`` with the server's receipt;
- no answer, 408, 429 or 5xx: retried after an exponential backoff with jitter, or after the
  server's ``Retry-After``; the items behind it wait (delivery stays in order);
- any other 4xx: ``failed`` with the server's reason, and the next item goes.

An item is marked delivered only after the server answered; a daemon killed mid-send sends it
again on restart, and the server, seeing the same idempotency key, answers without registering
it twice. State changes are published on the event bus (``registration.*`` topics).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from roard.errors import NotFound
from roard.events import EventBus
from roard.registration.http import GlaasHttp, Rejected, Retryable, Unreachable
from roard.registration.settings import login_for

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
BASE_DELAY = 1.0
#: The longest wait between two tries; ROARD_REGISTRATION_MAX_DELAY (seconds) lowers it, for
#: tests that stop and restart a server and should not wait minutes.
MAX_DELAY = 300.0
MAX_RETRY_AFTER = 3600.0
LINEAGE_PATH = "/api/v1/lineage"

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    server TEXT NOT NULL,
    workspace TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    next_try REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at REAL,
    receipt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS items_state ON items(state, id);
CREATE TABLE IF NOT EXISTS queued_jobs (
    workspace TEXT NOT NULL,
    job_uid TEXT NOT NULL,
    item_key TEXT NOT NULL,
    PRIMARY KEY (workspace, job_uid)
);
CREATE TABLE IF NOT EXISTS auto_workspaces (
    workspace TEXT PRIMARY KEY,
    since REAL NOT NULL
);
"""


def max_delay() -> float:
    try:
        return float(os.environ.get("ROARD_REGISTRATION_MAX_DELAY") or MAX_DELAY)
    except ValueError:
        return MAX_DELAY


def backoff(attempts: int, retry_after: float | None = None, rng: Callable[[], float] = random.random) -> float:
    """Seconds before try ``attempts + 1``: the server's Retry-After when it gave one, else
    ``BASE_DELAY * 2**(attempts-1)`` capped, with "equal jitter" (half fixed, half random)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    ceiling = min(max_delay(), BASE_DELAY * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + rng() * ceiling / 2


@dataclass(frozen=True)
class QueueItem:
    id: int
    key: str
    server: str
    workspace: str
    target: str
    state: str
    attempts: int
    created_at: float
    next_try: float
    last_error: str
    delivered_at: float | None
    receipt: dict[str, Any]


class QueueStore:
    """The SQLite file; every method blocks (called through ``asyncio.to_thread``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        os.chmod(path, 0o600)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, key: str, server: str, workspace: str, target: str, body: dict[str, Any],
            job_uids: list[str] = ()) -> tuple[int, bool]:
        """(item id, True when new). The same key again is the same item."""
        now = time.time()
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO items (key, server, workspace, target, body, state, created_at, next_try) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (key, server, workspace, target, json.dumps(body, ensure_ascii=False), PENDING, now, now))
            new = cur.rowcount == 1
            self._db.executemany("INSERT OR IGNORE INTO queued_jobs VALUES (?,?,?)",
                                 [(workspace, uid, key) for uid in job_uids])
            row = self._db.execute("SELECT id FROM items WHERE key = ?", (key,)).fetchone()
        return row["id"], new

    def queued_jobs(self, workspace: str) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT job_uid FROM queued_jobs WHERE workspace = ?",
                                                   (workspace,))}

    def auto_since(self, workspace: str, now: float) -> float:
        """When auto-registration was first seen on in ``workspace`` (recorded now if never)."""
        with self._lock, self._db:
            self._db.execute("INSERT OR IGNORE INTO auto_workspaces VALUES (?, ?)", (workspace, now))
            return self._db.execute("SELECT since FROM auto_workspaces WHERE workspace = ?",
                                    (workspace,)).fetchone()[0]

    def head(self) -> tuple[QueueItem, dict[str, Any]] | None:
        """The oldest pending item and its body."""
        with self._lock:
            row = self._db.execute("SELECT * FROM items WHERE state = ? ORDER BY id LIMIT 1", (PENDING,)).fetchone()
        return (_item(row), json.loads(row["body"])) if row else None

    def mark(self, item_id: int, state: str, error: str = "", next_try: float = 0.0,
             receipt: dict[str, Any] | None = None, count_attempt: bool = True) -> None:
        now = time.time()
        with self._lock, self._db:
            self._db.execute(
                "UPDATE items SET state = ?, attempts = attempts + ?, last_error = ?, next_try = ?, "
                "delivered_at = ?, receipt = ? WHERE id = ?",
                (state, 1 if count_attempt else 0, error, next_try or now,
                 now if state == DELIVERED else None, json.dumps(receipt) if receipt else "", item_id))

    def list(self, states: tuple[str, ...] = (PENDING, FAILED, DELIVERED), limit: int = 200) -> list[QueueItem]:
        marks = ",".join("?" * len(states))
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM items WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?", (*states, limit)).fetchall()
        return [_item(r) for r in reversed(rows)]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {r[0]: r[1] for r in self._db.execute("SELECT state, COUNT(*) FROM items GROUP BY state")}

    def retry_failed(self) -> int:
        with self._lock, self._db:
            return self._db.execute("UPDATE items SET state = ?, next_try = ?, last_error = '' WHERE state = ?",
                                    (PENDING, time.time(), FAILED)).rowcount

    def retry_now(self, server: str) -> int:
        """Pending items of ``server`` due now (it just answered: it is back)."""
        with self._lock, self._db:
            return self._db.execute("UPDATE items SET next_try = ? WHERE state = ? AND server = ?",
                                    (time.time(), PENDING, server)).rowcount

    def drop(self, item_id: int) -> QueueItem:
        with self._lock, self._db:
            row = self._db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise NotFound(f"no queue item {item_id} (see `roarctl register --queue`)")
            self._db.execute("DELETE FROM items WHERE id = ?", (item_id,))
            self._db.execute("DELETE FROM queued_jobs WHERE item_key = ?", (row["key"],))
        return _item(row)


def _item(row: sqlite3.Row) -> QueueItem:
    return QueueItem(id=row["id"], key=row["key"], server=row["server"], workspace=row["workspace"],
                     target=row["target"], state=row["state"], attempts=row["attempts"],
                     created_at=row["created_at"], next_try=row["next_try"], last_error=row["last_error"],
                     delivered_at=row["delivered_at"],
                     receipt=json.loads(row["receipt"]) if row["receipt"] else {})


def send_lineage(server: str, body: dict[str, Any], key: str, token: str = "") -> dict[str, Any]:
    """POST the payload (blocking). Raises what ``GlaasHttp.request`` raises."""
    http = GlaasHttp(server, token)
    answer = http.request("POST", LINEAGE_PATH, {**body, "idempotency_key": key},
                          headers={"Idempotency-Key": key})
    return answer if isinstance(answer, dict) else {}


async def _open() -> None:
    """The gate of a queue nothing holds back."""


class RegistrationQueue:
    """The worker over a ``QueueStore``; ``start`` once the event loop runs."""

    def __init__(self, path: Path, bus: EventBus) -> None:
        self.path = path
        self.bus = bus
        self._store: QueueStore | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sender: Callable[[str, dict[str, Any], str, str], dict[str, Any]] = send_lineage
        #: Awaited before each delivery: the daemon's "no runs just now" (RegistrationService).
        self.gate: Callable[[], Awaitable[None]] = _open

    async def store(self) -> QueueStore:
        if self._store is None:
            self._store = await asyncio.to_thread(QueueStore, self.path)
        return self._store

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._store is not None:
            await asyncio.to_thread(self._store.close)

    # --- operations ----------------------------------------------------------------------------

    async def enqueue(self, key: str, server: str, workspace: str, target: str, body: dict[str, Any],
                      job_uids: list[str] = ()) -> tuple[int, bool]:
        store = await self.store()
        item_id, new = await asyncio.to_thread(store.add, key, server, workspace, target, body, list(job_uids))
        if new:
            self.bus.publish("registration.queued", state="queued", workspace=workspace, message=f"#{item_id} {target}")
        self.wake()
        return item_id, new

    async def items(self, states: tuple[str, ...] = (PENDING, FAILED, DELIVERED), limit: int = 200) -> list[QueueItem]:
        return await asyncio.to_thread((await self.store()).list, states, limit)

    async def counts(self) -> dict[str, int]:
        return await asyncio.to_thread((await self.store()).counts)

    async def retry_failed(self) -> int:
        n = await asyncio.to_thread((await self.store()).retry_failed)
        if n:
            self.bus.publish("registration.retrying", state="retrying", message=f"{n} failed item(s) queued again")
        self.wake()
        return n

    async def server_is_back(self, server: str) -> None:
        if await asyncio.to_thread((await self.store()).retry_now, server):
            self.wake()

    async def drop(self, item_id: int) -> QueueItem:
        item = await asyncio.to_thread((await self.store()).drop, item_id)
        self.bus.publish("registration.dropped", state="dropped", workspace=item.workspace, message=f"#{item.id} {item.target}")
        return item

    # --- the worker ----------------------------------------------------------------------------

    async def _run(self) -> None:
        store = await self.store()
        while True:
            head = await asyncio.to_thread(store.head)
            if head is None:
                await self._sleep(None)
                continue
            item, body = head
            wait = item.next_try - time.time()
            if wait > 0:
                await self._sleep(wait)
                continue
            await self._deliver(store, item, body)

    async def _sleep(self, seconds: float | None) -> None:
        self._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _deliver(self, store: QueueStore, item: QueueItem, body: dict[str, Any]) -> None:
        await self.gate()
        login = login_for(item.server)
        token = login.token if login else ""
        try:
            receipt = await asyncio.to_thread(self.sender, item.server, body, item.key, token)
        except (Unreachable, Retryable) as exc:
            retry_after = getattr(exc, "retry_after", None)
            delay = backoff(item.attempts + 1, retry_after)
            await asyncio.to_thread(store.mark, item.id, PENDING, str(exc), time.time() + delay)
            log.info("registration #%d: %s; next try in %.1f s", item.id, exc, delay)
            self.bus.publish("registration.retrying", state="retrying", workspace=item.workspace,
                             message=f"#{item.id} {item.target}: {exc}; next try in {delay:.0f} s")
        except Rejected as exc:
            await asyncio.to_thread(store.mark, item.id, FAILED, exc.reason or str(exc))
            log.warning("registration #%d failed: %s", item.id, exc)
            self.bus.publish("registration.failed", state="failed", workspace=item.workspace,
                             message=f"#{item.id} {item.target}: {exc}")
        except Exception as exc:   # a bug must not stop the queue: the item waits, the log says why
            log.exception("registration #%d: unexpected error", item.id)
            await asyncio.to_thread(store.mark, item.id, PENDING, f"internal error: {exc}",
                                    time.time() + backoff(item.attempts + 1))
        else:
            await asyncio.to_thread(store.mark, item.id, DELIVERED, "", 0.0, receipt)
            self.bus.publish("registration.delivered", state="delivered", workspace=item.workspace,
                             message=f"#{item.id} {item.target}")
