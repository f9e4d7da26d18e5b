"""A record of any kind by its key, visible to the caller or NotFound."""
from __future__ import annotations

from sqlalchemy import Connection, select

from glaas.auth.principal import Principal
from glaas.models import ARTIFACT, JOB, SESSION, artifacts, jobs, sessions
from glaas.queries.errors import Ambiguous, NotFound
from glaas.queries.visibility import visible

ENTITY_TABLES = {SESSION: (sessions, "hash"), JOB: (jobs, "uid"), ARTIFACT: (artifacts, "hash")}


def require_visible(conn: Connection, kind: str, key: str, viewer: Principal) -> str:
    """The record's canonical key (artifact hashes lower-cased); NotFound when hidden or absent."""
    table, column = ENTITY_TABLES[kind]
    key = key.strip().lower() if kind == ARTIFACT else key.strip()
    if conn.execute(select(table.c.id).where(table.c[column] == key, visible(table, kind, viewer))).first() is None:
        raise NotFound(f"No {kind} {key} is registered here.")
    return key


MAX_CANDIDATES = 10


def pick_one(rows: list, kind: str, ref: str, key: str):
    """The single row a hash/uid (or prefix) named; NotFound for none, Ambiguous (409, with the
    candidates) for several. ``rows`` holds only what the caller may see, at most MAX_CANDIDATES + 1."""
    if not rows:
        raise NotFound(f"No {kind} {ref} is registered here.")
    if len(rows) > 1:
        raise Ambiguous(f"The {kind} prefix {ref} matches more than one {kind}; give more characters.",
                        [getattr(r, key) for r in rows[:MAX_CANDIDATES]])
    return rows[0]
