"""Reads only the web pages need: a session's whole DAG (every visible job with its edges).

Built on the lineage module's graph assembly, so an artifact's lineage and a session's DAG
come out in the same shape (``LineageGraph``) and are drawn by the same code.
"""
from __future__ import annotations

from sqlalchemy import Connection, select

from glaas.auth.principal import Principal
from glaas.models import JOB, jobs
from glaas.queries.lineage import _graph
from glaas.queries.sessions import resolve
from glaas.queries.visibility import visible
from glaas.schemas import LineageGraph

MAX_SESSION_JOBS = 2000  # a bigger session's picture is cut (the page says so)


def session_graph(conn: Connection, ref: str, viewer: Principal) -> LineageGraph:
    """The visible jobs of a session, their inputs and outputs, producers first."""
    row = resolve(conn, ref, viewer)
    job_rows = conn.execute(select(jobs.c.id, jobs.c.step_number).where(jobs.c.session_id == row.id,
                                                                           visible(jobs, JOB, viewer))
                            .order_by(jobs.c.step_number, jobs.c.timestamp, jobs.c.id)
                            .limit(MAX_SESSION_JOBS + 1)).all()
    truncated = len(job_rows) > MAX_SESSION_JOBS
    # _graph sorts by descending level; a negated step number keeps the steps in order.
    levels = {r.id: -(r.step_number or 0) for r in job_rows[:MAX_SESSION_JOBS]}
    return _graph(conn, row.hash, 0, truncated, levels, set(), viewer)
