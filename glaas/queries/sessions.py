"""Sessions (lineage hashes): one with its jobs, and a paginated list."""
from __future__ import annotations

from sqlalchemy import Connection, and_, func, or_, select

from glaas.auth.principal import Principal
from glaas.models import JOB, SESSION, grants, jobs, sessions
from glaas.queries import cursor as cursors
from glaas.queries.entities import MAX_CANDIDATES, pick_one
from glaas.queries.labels import current_labels
from glaas.queries.rows import job_summary, select_job_summaries
from glaas.queries.visibility import visible
from glaas.schemas import SessionDetail, SessionList, SessionSummary


def resolve(conn: Connection, ref: str, viewer: Principal):
    ref = ref.strip()
    cond = visible(sessions, SESSION, viewer)
    rows = conn.execute(select(sessions).where(sessions.c.hash == ref, cond)).all()
    if not rows and ref:
        rows = conn.execute(select(sessions).where(sessions.c.hash.startswith(ref, autoescape=True), cond)
                            .order_by(sessions.c.hash).limit(MAX_CANDIDATES + 1)).all()
    row = pick_one(rows, "session", ref, "hash")
    return row


def session_detail(conn: Connection, ref: str, viewer: Principal) -> SessionDetail:
    row = resolve(conn, ref, viewer)
    job_rows = conn.execute(select_job_summaries().where(jobs.c.session_id == row.id, visible(jobs, JOB, viewer))
                            .order_by(jobs.c.step_number, jobs.c.timestamp, jobs.c.id)).all()
    return SessionDetail(hash=row.hash, git_repo=row.git_repo, git_commit=row.git_commit, git_branch=row.git_branch,
                         created_at=row.created_at, jobs=[job_summary(r) for r in job_rows],
                         labels=current_labels(conn, SESSION, row.hash, viewer))


def list_sessions(conn: Connection, viewer: Principal, limit: int = 50, cursor: str | None = None,
                  mine: bool = False) -> SessionList:
    job_count = (select(func.count()).select_from(jobs).where(jobs.c.session_id == sessions.c.id,
                                                              visible(jobs, JOB, viewer))
                 .scalar_subquery())
    stmt = select(sessions, job_count.label("job_count")).where(visible(sessions, SESSION, viewer))
    if mine and viewer.authenticated:
        stmt = stmt.where(sessions.c.id.in_(select(grants.c.resource_id).where(
            grants.c.kind == SESSION, grants.c.owner_key == viewer.user_id)))
    if cursor:
        at, rid = cursors.decode(cursor, 2)
        stmt = stmt.where(or_(sessions.c.created_at < at, and_(sessions.c.created_at == at, sessions.c.id < rid)))
    rows = conn.execute(stmt.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return SessionList(
        sessions=[SessionSummary(hash=r.hash, git_repo=r.git_repo, git_commit=r.git_commit, git_branch=r.git_branch,
                                 created_at=r.created_at, job_count=r.job_count) for r in page],
        next_cursor=cursors.encode(page[-1].created_at, page[-1].id) if len(rows) > limit else None)
