"""The write steps every registration path uses: find-or-insert records by identity, link edges,
grant scopes, keep search documents current. All in the caller's transaction."""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, true, update

from glaas.db import chunks, insert_ignore, member
from glaas.filetypes import TYPES, extension
from glaas.models import (
    ARTIFACT,
    JOB,
    artifacts,
    composite_components,
    edges,
    grants,
    job_packages,
    jobs,
    search_docs,
    sessions,
    shares,
)
from glaas.queries.errors import Conflict
from glaas.queries.textindex import document
from glaas.queries.visibility import visible
from glaas.registration.writer import Writer

DOC_PATHS = 20  # paths of an artifact that go into its search document


def ensure(conn: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]],
           extra: Sequence[str] = ()) -> tuple[dict[str, Any], set[str]]:
    """Insert rows whose ``key`` is new, leave the others. Returns ({key: row(id, key, *extra)},
    keys inserted now)."""
    cols = ("id", key, *extra)
    inserted = insert_ignore(conn, table, rows, [key], returning=cols)
    found = {getattr(r, key): r for r in inserted}
    new_keys = set(found)
    missing = [r[key] for r in rows if r[key] not in found]
    for part in chunks(missing):
        for r in conn.execute(select(*[table.c[c] for c in cols]).where(member(conn, table.c[key], part))):
            found[getattr(r, key)] = r
    return found, new_keys


def grant(conn: Connection, kind: str, table: Table, ids: Iterable[int], writer: Writer) -> set[int]:
    """Record that ``writer`` registered these records under its scope. Returns the ids this
    writer had not registered before (what its receipt calls new). Scopes only widen."""
    ids = sorted(set(ids))
    if not ids:
        return set()
    now = time.time()
    new = {r.resource_id for r in insert_ignore(
        conn, grants, [dict(kind=kind, resource_id=i, owner_key=writer.owner_key, scope=writer.scope, created_at=now)
                       for i in ids], ["kind", "resource_id", "owner_key"], returning=("resource_id",))}
    if writer.public:
        for part in chunks(ids):
            if len(new) < len(ids):  # some were known: a private grant becomes public
                conn.execute(update(grants).where(grants.c.kind == kind, grants.c.owner_key == writer.owner_key,
                                                  member(conn, grants.c.resource_id, part), grants.c.scope == "private")
                             .values(scope=writer.scope))
            conn.execute(update(table).where(member(conn, table.c.id, part), table.c.is_public != true()).values(is_public=True))
    if writer.share_user_ids:
        for part in chunks(ids):
            grant_ids = conn.execute(select(grants.c.id).where(grants.c.kind == kind, grants.c.owner_key == writer.owner_key,
                                                               member(conn, grants.c.resource_id, part))).scalars().all()
            insert_ignore(conn, shares, [dict(grant_id=g, user_id=u) for g in grant_ids for u in writer.share_user_ids],
                          ["grant_id", "user_id"])
    return new


def ensure_sessions(conn: Connection, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], set[str]]:
    now = time.time()
    unique = {r["hash"]: {**r, "created_at": now, "is_public": False} for r in rows}
    return ensure(conn, sessions, "hash", list(unique.values()))


def ensure_artifacts(conn: Connection, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], set[str]]:
    """Artifacts by hash. A row known without a size (first seen as an edge) gets the size now."""
    now = time.time()
    unique: dict[str, dict[str, Any]] = {}
    for r in rows:
        have = unique.get(r["hash"])
        if have is None:
            unique[r["hash"]] = {"size": None, "source_type": None, "file_type": None, "extension": None,
                                 "is_composite": False, "metadata": None, **r, "created_at": now, "is_public": False}
        else:  # the same artifact twice in one batch: keep what is known
            for k, v in r.items():
                if have.get(k) is None and v is not None:
                    have[k] = v
    for r in unique.values():
        ext = r.get("extension") or extension(r.pop("path", None))
        r["extension"] = ext
        r["file_type"] = r.get("file_type") or TYPES.get(ext or "")
    found, new = ensure(conn, artifacts, "hash", list(unique.values()), extra=("size", "extension"))
    fill = [dict(h=h, s=unique[h]["size"], e=unique[h]["extension"], t=unique[h]["file_type"]) for h, row in found.items()
            if h not in new and ((row.size is None and unique[h]["size"] is not None)
                                 or (row.extension is None and unique[h]["extension"] is not None))]
    if fill:
        conn.execute(update(artifacts).where(artifacts.c.hash == bindparam("h")).values(
            size=func.coalesce(artifacts.c.size, bindparam("s")),
            extension=func.coalesce(artifacts.c.extension, bindparam("e")),
            file_type=func.coalesce(artifacts.c.file_type, bindparam("t"))), fill)
    return found, new


def ensure_jobs(conn: Connection, rows: list[dict[str, Any]], packages: dict[str, dict[str, str]],
                writer: Writer) -> tuple[dict[str, Any], set[str]]:
    """Jobs by uid. A uid is a name, not content: one already registered where the writer
    cannot see it is refused (Conflict), so nobody gains access to a job by naming it."""
    now = time.time()
    unique = {r["uid"]: {**r, "created_at": now, "is_public": False} for r in rows}
    found, new = ensure(conn, jobs, "uid", list(unique.values()))
    known = sorted(found[u].id for u in found if u not in new)
    for part in chunks(known):
        seen = set(conn.execute(select(jobs.c.id).where(member(conn, jobs.c.id, part), visible(jobs, JOB, writer.principal)))
                   .scalars())
        hidden = [u for u in found if found[u].id in set(part) - seen]
        if hidden:
            raise Conflict(f"Job uid {hidden[0]} is already registered by someone else; a job uid names one job.")
    pkg_rows = [dict(job_id=found[uid].id, name=name[:200], version=str(version or "")[:100])
                for uid in new for name, version in (packages.get(uid) or {}).items()]
    for part in chunks(pkg_rows, 2000):
        insert_ignore(conn, job_packages, part, ["job_id", "name"])
    return found, new


def link(conn: Connection, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert edges (job_id, artifact_id, direction, path) not yet there; returns the new ones."""
    unique = list({(r["job_id"], r["direction"], r["artifact_id"], r["path"]): r for r in rows}.values())
    return insert_ignore(conn, edges, unique, ["job_id", "direction", "artifact_id", "path"],
                         returning=("job_id", "artifact_id"))


def add_components(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_ignore(conn, composite_components, rows, ["composite_id", "path"])


def refresh_search_docs(conn: Connection, job_ids: set[int], artifact_ids: set[int]) -> None:
    """(Re)write the search documents of these jobs and artifacts from what is stored."""
    docs: list[dict[str, Any]] = []
    for part in chunks(sorted(job_ids)):
        paths: dict[int, list[str]] = {}
        for e in conn.execute(select(edges.c.job_id, edges.c.path).where(member(conn, edges.c.job_id, part))):
            paths.setdefault(e.job_id, []).append(e.path)
        for j in conn.execute(select(jobs.c.id, jobs.c.uid, jobs.c.command, jobs.c.cwd, jobs.c.timestamp, jobs.c.created_at)
                              .where(member(conn, jobs.c.id, part))):
            docs.append(dict(kind=JOB, resource_id=j.id, created_at=j.timestamp or j.created_at,
                             body=document(j.command, j.cwd, j.uid, *paths.get(j.id, []))))
    for part in chunks(sorted(artifact_ids)):
        paths = {}
        # paths from public jobs only: a private job's paths must not make a public artifact findable
        for e in conn.execute(select(edges.c.artifact_id, edges.c.path).join(jobs, jobs.c.id == edges.c.job_id)
                              .where(member(conn, edges.c.artifact_id, part), jobs.c.is_public == true()).distinct()):
            if len(paths.setdefault(e.artifact_id, [])) < DOC_PATHS:
                paths[e.artifact_id].append(e.path)
        for a in conn.execute(select(artifacts.c.id, artifacts.c.hash, artifacts.c.file_type, artifacts.c.created_at)
                              .where(member(conn, artifacts.c.id, part))):
            docs.append(dict(kind=ARTIFACT, resource_id=a.id, created_at=a.created_at,
                             body=document(a.hash, a.file_type, *paths.get(a.id, []))))
    if not docs:
        return
    inserted = {(r.kind, r.resource_id) for r in insert_ignore(conn, search_docs, docs, ["kind", "resource_id"],
                                                                 returning=("kind", "resource_id"))}
    changed = [dict(k=d["kind"], r=d["resource_id"], b=d["body"]) for d in docs if (d["kind"], d["resource_id"]) not in inserted]
    if changed:
        conn.execute(update(search_docs).where(search_docs.c.kind == bindparam("k"),
                                               search_docs.c.resource_id == bindparam("r"))
                     .values(body=bindparam("b")), changed)
