"""An artifact's upstream lineage (to a depth) and its reproduction DAG (all the way up).

Walked level by level: the artifacts of one level -> the visible jobs that produced them ->
those jobs' inputs -> the next level. Two indexed queries per level, whatever the graph size.
"""
from __future__ import annotations

from sqlalchemy import Connection, select

from glaas.auth.principal import Principal
from glaas.db import chunks, member
from glaas.models import JOB, edges, jobs
from glaas.queries.artifacts import resolve, summaries_by_id
from glaas.queries.rows import (
    artifact_summary_fields,
    job_detail_fields,
    select_job_details,
)
from glaas.queries.visibility import visible
from glaas.schemas import LineageGraph

MAX_DEPTH = 1000  # the reproduction DAG's bound: deeper than any real pipeline


def upstream(conn: Connection, ref: str, viewer: Principal, depth: int = 10) -> LineageGraph:
    """Jobs and artifacts upstream of the artifact, ``depth`` producing jobs deep."""
    root = resolve(conn, ref, viewer)
    seen_artifacts: set[int] = {root.id}
    seen_jobs: dict[int, int] = {}  # job id -> level it was found at
    frontier = [root.id]
    truncated = False
    level = 0
    while frontier:
        if level >= depth:
            truncated = _has_producers(conn, frontier, viewer)
            break
        level += 1
        producer_ids = _producers_of(conn, frontier, viewer) - seen_jobs.keys()
        for job_id in producer_ids:
            seen_jobs[job_id] = level
        inputs = _inputs_of(conn, producer_ids) - seen_artifacts
        seen_artifacts |= inputs
        frontier = sorted(inputs)
    return _graph(conn, root.hash, depth, truncated, seen_jobs, seen_artifacts, viewer)


def reproduction_dag(conn: Connection, ref: str, viewer: Principal) -> LineageGraph:
    """Everything needed to rebuild the artifact: all upstream jobs, producers before consumers."""
    graph = upstream(conn, ref, viewer, depth=MAX_DEPTH)
    graph.depth = None
    return graph


def _producers_of(conn: Connection, artifact_ids: list[int], viewer: Principal) -> set[int]:
    found: set[int] = set()
    for part in chunks(artifact_ids):
        found.update(conn.execute(
            select(edges.c.job_id).join(jobs, jobs.c.id == edges.c.job_id)
            .where(member(conn, edges.c.artifact_id, part), edges.c.direction == "out", visible(jobs, JOB, viewer))).scalars())
    return found


def _has_producers(conn: Connection, artifact_ids: list[int], viewer: Principal) -> bool:
    return bool(_producers_of(conn, artifact_ids[:500], viewer))


def _inputs_of(conn: Connection, job_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(sorted(job_ids)):
        found.update(conn.execute(select(edges.c.artifact_id).where(member(conn, edges.c.job_id, part),
                                                                    edges.c.direction == "in")).scalars())
    return found


def _graph(conn: Connection, target: str, depth: int, truncated: bool, job_levels: dict[int, int],
           artifact_ids: set[int], viewer: Principal) -> LineageGraph:
    job_rows = []
    for part in chunks(sorted(job_levels)):
        job_rows.extend(conn.execute(select_job_details().where(member(conn, jobs.c.id, part))).all())
    # Producers first: the deepest level runs first; ties by the recorded order.
    job_rows.sort(key=lambda r: (-job_levels[r.id], r.timestamp or 0, r.step_number or 0, r.id))
    uid_by_id = {r.id: r.uid for r in job_rows}
    details = {r.id: job_detail_fields(r) for r in job_rows}
    edge_list: list[dict] = []
    produced: set[int] = set()
    touched: set[int] = set(artifact_ids)
    edge_rows = []
    for part in chunks(sorted(job_levels)):
        edge_rows.extend(conn.execute(select(edges.c.id, edges.c.job_id, edges.c.artifact_id, edges.c.direction,
                                             edges.c.path).where(member(conn, edges.c.job_id, part))).all())
    # ordered here: an ORDER BY edges.id makes SQLite walk the whole table in id order
    edge_rows.sort(key=lambda e: e.id)
    touched.update(e.artifact_id for e in edge_rows)
    summaries = summaries_by_id(conn, sorted(touched))
    for e in edge_rows:
        a = summaries[e.artifact_id]
        edge_list.append({"job_uid": uid_by_id[e.job_id], "artifact_hash": a.hash, "direction": e.direction,
                          "path": e.path})
        details[e.job_id]["inputs" if e.direction == "in" else "outputs"].append(
            {"hash": a.hash, "path": e.path, "size": a.size})
        if e.direction == "out":
            produced.add(e.artifact_id)
    sources = sorted(summaries[i].hash for i in artifact_ids if i not in produced and i in summaries)
    return LineageGraph.model_validate(dict(
        target=target, depth=depth, truncated=truncated, jobs=[details[r.id] for r in job_rows],
        artifacts=[artifact_summary_fields(summaries[i]) for i in sorted(summaries)], edges=edge_list,
        sources=sources))
