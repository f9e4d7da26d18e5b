"""The record pages: artifact (``/artifact/<hash>``, the link roar-cli prints), job, session,
and the session DAG (``/dag/<session hash>``, also printed by roar-cli).

Each route reads through the query layer in a worker thread (the database driver blocks), then
lays out the lineage picture with ``dot`` in another (see dagsvg), then renders a template.
"""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from glaas.api.deps import database
from glaas.auth.principal import Principal
from glaas.db import Database
from glaas.queries import artifacts as artifact_queries
from glaas.queries import jobs as job_queries
from glaas.queries import lineage, pages, sessions
from glaas.schemas import ArtifactDetail, JobDetail, JobSummary, LineageGraph, SessionDetail
from glaas.web.dagsvg import Dag, render_svg
from glaas.web.responses import WebRoute, render
from glaas.web.session import load_viewer
from glaas.web.views import CheckItem, checklist, environment, gpu_text, lineage_dag

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LINEAGE_DEPTH = 10  # producing jobs drawn upstream of an artifact
MAX_CONSUMERS = 200


@dataclass
class ArtifactPage:
    artifact: ArtifactDetail
    consumers: list[JobSummary]
    dag: Dag
    checklist: list[CheckItem]


def load_artifact_page(db: Database, ref: str, viewer: Principal) -> ArtifactPage:
    with db.read() as conn:
        artifact = artifact_queries.artifact_detail(conn, ref, viewer)
        row = artifact_queries.resolve(conn, artifact.hash, viewer)
        consumers = artifact_queries.jobs_touching(conn, row.id, "in", viewer, limit=MAX_CONSUMERS)
        upstream = lineage.upstream(conn, artifact.hash, viewer, depth=LINEAGE_DEPTH)
    origins = {a.hash: a.source_type for a in upstream.artifacts}
    return ArtifactPage(artifact=artifact, consumers=consumers,
                        dag=lineage_dag(upstream, focus_artifact=artifact.hash, consumers=consumers),
                        checklist=checklist(upstream, origins))


@router.get("/artifact/{ref}")
async def artifact_page(request: Request, ref: str, viewer: Principal = Depends(load_viewer)) -> Response:
    page = await run_in_threadpool(load_artifact_page, database(request), ref, viewer)
    return render(request, "artifact.html", artifact=page.artifact, consumers=page.consumers, dag=page.dag,
                  picture=await render_svg(page.dag), checklist=page.checklist)


def load_job(db: Database, uid: str, viewer: Principal) -> JobDetail:
    with db.read() as conn:
        return job_queries.job_by_uid(conn, uid, viewer)


@router.get("/job/{uid}")
async def job_page(request: Request, uid: str, viewer: Principal = Depends(load_viewer)) -> Response:
    job = await run_in_threadpool(load_job, database(request), uid, viewer)
    return render(request, "job.html", job=job, gpu=gpu_text(job), environment=environment(job))


def load_session(db: Database, ref: str, viewer: Principal, with_graph: bool) -> tuple[SessionDetail, LineageGraph | None]:
    with db.read() as conn:
        session = sessions.session_detail(conn, ref, viewer)
        graph = pages.session_graph(conn, session.hash, viewer) if with_graph else None
    return session, graph


@router.get("/session/{ref}")
async def session_page(request: Request, ref: str, viewer: Principal = Depends(load_viewer)) -> Response:
    session, _ = await run_in_threadpool(load_session, database(request), ref, viewer, False)
    return render(request, "session.html", session=session)


@router.get("/dag/{ref}")
async def session_dag_page(request: Request, ref: str, viewer: Principal = Depends(load_viewer)) -> Response:
    session, graph = await run_in_threadpool(load_session, database(request), ref, viewer, True)
    dag = lineage_dag(graph)
    return render(request, "dag.html", session=session, dag=dag, picture=await render_svg(dag))
