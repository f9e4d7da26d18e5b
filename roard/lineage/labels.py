"""Labels: versioned label documents on sessions (DAGs), jobs and artifacts.

Every change writes a new version of the whole document, so ``history`` shows each state.
Refs are resolved here to stable ids: a session id, a job uid, an artifact hash.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from roard.errors import InvalidArgument, NotFound
from roard.lineage.artifacts import resolve_artifact
from roard.lineage.graph import lineage_hash
from roard.lineage.store import JobStore

KINDS = ("dag", "job", "artifact")
_KEY = re.compile(r"^[A-Za-z0-9_.\-/]+$")


@dataclass
class LabelDoc:
    kind: str
    entity: str
    version: int
    labels: dict[str, str]
    created_at: float


async def resolve_entity(store: JobStore, kind: str, ref: str, cwd: str) -> str:
    if kind not in KINDS:
        raise InvalidArgument(f"label targets are dag, job or artifact, not {kind!r}")
    if not ref:
        raise InvalidArgument(f"a {kind} label target needs a reference")
    if kind == "job":
        return (await store.get_job(ref, with_decisions=False)).uid
    if kind == "artifact":
        return (await resolve_artifact(store, ref, cwd)).hash
    if ref == "current":
        return await store.active_session()
    prefix = ref.lower()
    matches = set()
    for sid in await store.session_ids():
        if sid.startswith(prefix):
            matches.add(sid)
        elif len(prefix) >= 6 and lineage_hash(await store.list_jobs(sid)).startswith(prefix):
            matches.add(sid)
    if not matches:
        raise NotFound(f"no session or lineage hash starts with {ref!r}")
    if len(matches) > 1:
        raise InvalidArgument(f"{ref!r} is ambiguous: sessions " + ", ".join(sorted(m[:12] for m in matches)))
    return matches.pop()


async def _latest(store: JobStore, kind: str, entity: str) -> LabelDoc | None:
    db = await store.db()
    async with db.execute("SELECT * FROM labels WHERE kind = ? AND entity = ? ORDER BY version DESC LIMIT 1",
                          (kind, entity)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return LabelDoc(kind, entity, row["version"], json.loads(row["doc"]), row["created_at"])


async def current(store: JobStore, kind: str, entity: str) -> LabelDoc:
    return await _latest(store, kind, entity) or LabelDoc(kind, entity, 0, {}, 0.0)


async def write(store: JobStore, kind: str, entity: str, patch: dict[str, str], replace: bool = False) -> LabelDoc:
    for key in patch:
        if not _KEY.match(key):
            raise InvalidArgument(f"label key {key!r} may use letters, digits and . _ - / only")
    async with store.write_lock:
        doc = await current(store, kind, entity)
        labels = {} if replace else dict(doc.labels)
        for key, value in patch.items():
            if value == "":
                labels.pop(key, None)
            else:
                labels[key] = value
        new = LabelDoc(kind, entity, doc.version + 1, labels, time.time())
        db = await store.db()
        await db.execute("INSERT INTO labels VALUES (?, ?, ?, ?, ?)",
                         (kind, entity, new.version, json.dumps(labels, sort_keys=True), new.created_at))
        await db.commit()
    return new


async def history(store: JobStore, kind: str, entity: str) -> list[LabelDoc]:
    db = await store.db()
    async with db.execute("SELECT * FROM labels WHERE kind = ? AND entity = ? ORDER BY version",
                          (kind, entity)) as cur:
        return [LabelDoc(kind, entity, r["version"], json.loads(r["doc"]), r["created_at"]) async for r in cur]


@dataclass(frozen=True)
class Target:
    """What a label request names: a dag, job or artifact ``ref`` in the workspace of ``store``
    (a relative artifact path is taken from ``cwd``)."""

    store: JobStore
    kind: str
    ref: str
    cwd: str

    async def entity(self) -> str:
        return await resolve_entity(self.store, self.kind, self.ref, self.cwd)


async def patch(target: Target, changes: dict[str, str]) -> LabelDoc:
    """Set (or, with an empty value, remove) labels on the target: a new version."""
    return await write(target.store, target.kind, await target.entity(), changes)


async def get(target: Target) -> LabelDoc:
    return await current(target.store, target.kind, await target.entity())


async def copy(source: Target, target: Target) -> LabelDoc:
    """Apply ``source``'s current labels to ``target`` (a new version of the target's)."""
    doc = await get(source)
    return await write(target.store, target.kind, await target.entity(), doc.labels)


async def history_of(target: Target) -> list[LabelDoc]:
    return await history(target.store, target.kind, await target.entity())
