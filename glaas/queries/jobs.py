"""Jobs: by uid (exact or unique prefix), with inputs, outputs and labels."""
from __future__ import annotations

from sqlalchemy import Connection, select

from glaas.auth.principal import Principal
from glaas.models import JOB, artifacts, edges, jobs
from glaas.queries.entities import MAX_CANDIDATES, pick_one
from glaas.queries.errors import NotFound
from glaas.queries.labels import current_labels
from glaas.queries.rows import job_detail, select_job_details
from glaas.queries.visibility import visible
from glaas.schemas import ArtifactRef, JobDetail


def job_by_uid(conn: Connection, uid: str, viewer: Principal) -> JobDetail:
    """The job with this uid (or unique uid prefix) that the viewer may see."""
    uid = uid.strip()
    if not uid:
        raise NotFound("No job uid was given.")
    rows = conn.execute(select_job_details().where(jobs.c.uid == uid, visible(jobs, JOB, viewer))).all()
    if not rows:
        rows = conn.execute(select_job_details().where(jobs.c.uid.startswith(uid, autoescape=True),
                                                       visible(jobs, JOB, viewer))
                            .order_by(jobs.c.uid).limit(MAX_CANDIDATES + 1)).all()
    row = pick_one(rows, "job", uid, "uid")
    return with_edges(conn, row, viewer)


def with_edges(conn: Connection, row, viewer: Principal) -> JobDetail:
    detail = job_detail(row)
    rows = conn.execute(select(edges.c.id, edges.c.direction, edges.c.path, artifacts.c.hash, artifacts.c.size)
                        .join(artifacts, artifacts.c.id == edges.c.artifact_id)
                        .where(edges.c.job_id == row.id)).all()
    for e in sorted(rows, key=lambda e: e.id):  # sorted here: ORDER BY edges.id could scan the table
        ref = ArtifactRef(hash=e.hash, path=e.path, size=e.size)
        (detail.inputs if e.direction == "in" else detail.outputs).append(ref)
    detail.labels = current_labels(conn, JOB, row.uid, viewer)
    return detail
