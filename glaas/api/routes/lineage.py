"""POST /api/v1/lineage: the native, idempotent batch registration (glaas/API.md)."""
from __future__ import annotations

from fastapi import BackgroundTasks, Depends, Request

from glaas.api.deps import database, web_url, writer
from glaas.api.routes.common import ok, router
from glaas.auth.principal import Principal
from glaas.db import Database
from glaas.registration import lineage
from glaas.registration.writer import make_writer
from glaas.schemas import Envelope, LineageBatch, LineageReceipt

api = router("registration")
BULK_ROWS = 2000  # a registration this large refreshes the planner's statistics afterwards
BULK_TABLES = ("artifacts", "edges", "jobs", "grants", "search_docs", "job_packages", "sessions")


@api.post("/lineage", response_model=Envelope[LineageReceipt],
          summary="Register sessions, jobs (with inputs and outputs), artifacts, composites and labels in one request")
def register_lineage(body: LineageBatch, request: Request, background: BackgroundTasks,
                     principal: Principal = Depends(writer), db: Database = Depends(database)):
    header_key = request.headers.get("idempotency-key")
    if header_key and not body.idempotency_key:
        body.idempotency_key = header_key[:200]
    with db.begin() as conn:
        receipt = lineage.register(conn, body, make_writer(conn, principal, body.scope, body.share_with),
                                   web_url(request))
    if receipt.new.artifacts + receipt.new.edges >= BULK_ROWS:
        background.add_task(db.after_bulk_write, BULK_TABLES)
    return ok(receipt)
