"""The endpoints roar-cli 0.4.7 registers through (paths and bodies as that client sends them)."""
from __future__ import annotations

import time
from typing import Any

from fastapi import Body, Depends, Request, Response

from glaas.api.deps import database, settings, web_url, writer
from glaas.api.routes.common import ok, router
from glaas.auth.principal import Principal
from glaas.config import Settings
from glaas.db import Database
from glaas.models import telemetry_events
from glaas.registration import compat
from glaas.registration.writer import make_writer
from glaas.schemas import (
    CompatArtifactBatchIn,
    CompatArtifactBatchOut,
    CompatCompositeIn,
    CompatCompositeOut,
    CompatEdgesIn,
    CompatEdgesOut,
    CompatJobBatchIn,
    CompatJobBatchOut,
    CompatLabelsIn,
    CompatLabelsOut,
    CompatSessionIn,
    CompatSessionOut,
    Envelope,
)

api = router("registration (roar-cli compatible)")


@api.post("/sessions", status_code=201, response_model=Envelope[CompatSessionOut], summary="Register a session")
def register_session(body: CompatSessionIn, request: Request, principal: Principal = Depends(writer),
                     db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.register_session(conn, body, make_writer(conn, principal, None), web_url(request)), 201)


@api.post("/sessions/{session_hash}/jobs/batch", response_model=Envelope[CompatJobBatchOut],
          summary="Register a session's jobs (metadata as a JSON string)")
def register_jobs(session_hash: str, body: CompatJobBatchIn, principal: Principal = Depends(writer),
                  db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.register_jobs(conn, session_hash, body, make_writer(conn, principal, None)))


@api.post("/artifacts/batch", response_model=Envelope[CompatArtifactBatchOut], summary="Register artifacts")
def register_artifacts(body: CompatArtifactBatchIn, principal: Principal = Depends(writer),
                       db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.register_artifacts(conn, body, make_writer(conn, principal, None)))


@api.post("/artifacts/composites", response_model=Envelope[CompatCompositeOut],
          summary="Register a composite (directory) artifact with its components")
def register_composite(body: CompatCompositeIn, principal: Principal = Depends(writer),
                       db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.register_composite(conn, body, make_writer(conn, principal, None)))


@api.post("/sessions/{session_hash}/jobs/{job_uid}/inputs", response_model=Envelope[CompatEdgesOut],
          summary="Link a job's inputs")
def link_inputs(session_hash: str, job_uid: str, body: CompatEdgesIn, principal: Principal = Depends(writer),
                db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.link_job(conn, session_hash, job_uid, "in", body, make_writer(conn, principal, None)))


@api.post("/sessions/{session_hash}/jobs/{job_uid}/outputs", response_model=Envelope[CompatEdgesOut],
          summary="Link a job's outputs")
def link_outputs(session_hash: str, job_uid: str, body: CompatEdgesIn, principal: Principal = Depends(writer),
                 db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.link_job(conn, session_hash, job_uid, "out", body, make_writer(conn, principal, None)))


@api.post("/labels/sync", response_model=Envelope[CompatLabelsOut], summary="Sync label documents")
def sync_labels(body: CompatLabelsIn, principal: Principal = Depends(writer), db: Database = Depends(database)):
    with db.begin() as conn:
        return ok(compat.sync_labels(conn, body, make_writer(conn, principal, None)))


@api.post("/telemetry/roar", status_code=204, response_class=Response,
          summary="roar-cli usage telemetry: 204, stored only when the operator enabled collection")
def telemetry(body: Any = Body(default=None), s: Settings = Depends(settings),
              db: Database = Depends(database)):
    if s.telemetry_enabled:
        with db.begin() as conn:
            conn.execute(telemetry_events.insert().values(received_at=time.time(), body=body))
    return Response(status_code=204)
