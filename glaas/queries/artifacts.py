"""Artifacts: by hash or unique prefix, with producer, consumers, components and labels."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Row, distinct, func, select

from glaas.auth.principal import Principal
from glaas.db import member
from glaas.models import (
    ARTIFACT,
    JOB,
    artifacts,
    composite_components,
    edges,
    grants,
    jobs,
    users,
)
from glaas.queries.entities import MAX_CANDIDATES, pick_one
from glaas.queries.errors import Invalid
from glaas.queries.labels import current_labels
from glaas.queries.rows import (
    ARTIFACT_SUMMARY_COLUMNS,
    artifact_summary,
    job_summary,
    select_job_summaries,
)
from glaas.queries.visibility import visible
from glaas.schemas import ArtifactDetail, ArtifactJobs, Component, JobSummary

HEX_PREFIX = re.compile(r"^[0-9a-f]{1,64}$")
MAX_PATHS = 50


def resolve(conn: Connection, ref: str, viewer: Principal) -> Row[Any]:
    """The visible artifact row whose hash is ``ref`` or starts with it. A prefix matching
    several visible artifacts is Ambiguous (with them as candidates); invisible ones never count."""
    prefix = ref.strip().lower()
    if not HEX_PREFIX.match(prefix):
        raise Invalid(f"{ref!r} is not an artifact hash: give hexadecimal characters (a BLAKE3 digest or its prefix).")
    cond = visible(artifacts, ARTIFACT, viewer)
    if len(prefix) == 64:
        rows = conn.execute(select(artifacts).where(artifacts.c.hash == prefix, cond)).all()
    else:
        # A range on the unique index (hex digits sort the same in every collation we use).
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        column = artifacts.c.hash.collate("C") if conn.dialect.name == "postgresql" else artifacts.c.hash
        rows = conn.execute(select(artifacts).where(column >= prefix, column < upper, cond)
                            .order_by(artifacts.c.hash).limit(MAX_CANDIDATES + 1)).all()
    return pick_one(rows, "artifact", prefix, "hash")


def jobs_touching(conn: Connection, artifact_id: int, direction: str, viewer: Principal,
                  limit: int | None = None) -> list[JobSummary]:
    """Visible jobs that produced (``out``) or used (``in``) the artifact, oldest first."""
    stmt = (select_job_summaries().where(jobs.c.id.in_(
        select(edges.c.job_id).where(edges.c.artifact_id == artifact_id, edges.c.direction == direction)),
        visible(jobs, JOB, viewer)).order_by(jobs.c.timestamp, jobs.c.id))
    if limit:
        stmt = stmt.limit(limit)
    return [job_summary(r) for r in conn.execute(stmt)]


def artifact_detail(conn: Connection, ref: str, viewer: Principal) -> ArtifactDetail:
    row = resolve(conn, ref, viewer)
    detail = ArtifactDetail(**artifact_summary(row).model_dump(), metadata=row.metadata)
    detail.paths = list(conn.execute(select(edges.c.path).distinct().join(jobs, jobs.c.id == edges.c.job_id)
                                     .where(edges.c.artifact_id == row.id, edges.c.path != "",
                                            visible(jobs, JOB, viewer))
                                     .limit(MAX_PATHS)).scalars())
    producers = jobs_touching(conn, row.id, "out", viewer, limit=1)
    detail.producer = producers[0] if producers else None
    detail.consumer_count = int(conn.execute(
        select(func.count(distinct(edges.c.job_id))).select_from(edges).join(jobs, jobs.c.id == edges.c.job_id)
        .where(edges.c.artifact_id == row.id, edges.c.direction == "in", visible(jobs, JOB, viewer))).scalar() or 0)
    if row.is_composite:
        detail.components = components(conn, row.id)
    detail.labels = current_labels(conn, ARTIFACT, row.hash, viewer)
    detail.owners = list(conn.execute(
        select(users.c.name).join(grants, grants.c.owner_key == users.c.id)
        .where(grants.c.kind == ARTIFACT, grants.c.resource_id == row.id, grants.c.scope != "private")
        .order_by(users.c.name)).scalars())
    return detail


def components(conn: Connection, composite_id: int) -> list[Component]:
    comp = artifacts.alias("component")
    rows = conn.execute(select(composite_components.c.path, comp.c.hash, comp.c.size)
                        .join(comp, comp.c.id == composite_components.c.component_id)
                        .where(composite_components.c.composite_id == composite_id)
                        .order_by(composite_components.c.path))
    return [Component(path=r.path, hash=r.hash, size=r.size) for r in rows]


def producers(conn: Connection, ref: str, viewer: Principal) -> ArtifactJobs:
    row = resolve(conn, ref, viewer)
    return ArtifactJobs(hash=row.hash, jobs=jobs_touching(conn, row.id, "out", viewer))


def consumers(conn: Connection, ref: str, viewer: Principal) -> ArtifactJobs:
    row = resolve(conn, ref, viewer)
    return ArtifactJobs(hash=row.hash, jobs=jobs_touching(conn, row.id, "in", viewer))


def summaries_by_id(conn: Connection, ids: list[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for i in range(0, len(ids), 500):
        for r in conn.execute(select(*ARTIFACT_SUMMARY_COLUMNS).where(member(conn, artifacts.c.id, ids[i:i + 500]))):
            out[r.id] = r
    return out
