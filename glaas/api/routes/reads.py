"""Reads: artifacts (by hash or prefix), their producers, consumers, lineage and DAG; sessions; jobs."""
from __future__ import annotations

from fastapi import Depends, Query

from glaas.api.deps import database, reader
from glaas.api.routes.common import ok, router
from glaas.auth.principal import Principal
from glaas.db import Database
from glaas.queries import artifacts, jobs, lineage, sessions
from glaas.schemas import (
    ArtifactDetail,
    ArtifactJobs,
    Component,
    Envelope,
    JobDetail,
    LineageGraph,
    SessionDetail,
    SessionList,
)

api = router("records")


@api.get("/artifacts/{ref}", response_model=Envelope[ArtifactDetail],
         summary="An artifact by BLAKE3 hash or unique prefix (409 with candidates when ambiguous)")
def get_artifact(ref: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(artifacts.artifact_detail(conn, ref, viewer))


@api.get("/artifacts/{ref}/producer", response_model=Envelope[ArtifactJobs], summary="The jobs that produced it")
def get_producer(ref: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(artifacts.producers(conn, ref, viewer))


@api.get("/artifacts/{ref}/consumers", response_model=Envelope[ArtifactJobs], summary="The jobs that used it")
def get_consumers(ref: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(artifacts.consumers(conn, ref, viewer))


@api.get("/artifacts/{ref}/components", response_model=Envelope[list[Component]],
         summary="A composite artifact's components")
def get_components(ref: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(artifacts.components(conn, artifacts.resolve(conn, ref, viewer).id))


@api.get("/artifacts/{ref}/lineage", response_model=Envelope[LineageGraph], summary="Upstream lineage to a depth")
def get_lineage(ref: str, depth: int = Query(10, ge=0, le=100), viewer: Principal = Depends(reader),
                db: Database = Depends(database)):
    with db.read() as conn:
        return ok(lineage.upstream(conn, ref, viewer, depth))


@api.get("/artifacts/{ref}/dag", response_model=Envelope[LineageGraph],
         summary="The reproduction DAG: every upstream job, producers first")
def get_dag(ref: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(lineage.reproduction_dag(conn, ref, viewer))


@api.get("/sessions", response_model=Envelope[SessionList], summary="Sessions, newest first")
def list_sessions(limit: int = Query(50, ge=1, le=500), cursor: str | None = Query(None, max_length=500),
                  mine: bool = False, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(sessions.list_sessions(conn, viewer, limit, cursor, mine))


@api.get("/sessions/{ref}", response_model=Envelope[SessionDetail], summary="A session by lineage hash, with its jobs")
def get_session(ref: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(sessions.session_detail(conn, ref, viewer))


@api.get("/jobs/{uid}", response_model=Envelope[JobDetail], summary="A job by uid (or unique prefix)")
def get_job(uid: str, viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        return ok(jobs.job_by_uid(conn, uid, viewer))
