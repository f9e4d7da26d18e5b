"""Labels: set a document (a new version when it changed), the current ones, the history."""
from __future__ import annotations

from fastapi import Depends, Query

from glaas.api.deps import database, reader, writer
from glaas.api.routes.common import ok, router
from glaas.auth.principal import Principal
from glaas.db import Database
from glaas.queries import labels
from glaas.queries.entities import require_visible
from glaas.registration.lineage import apply_label
from glaas.registration.writer import make_writer
from glaas.schemas import (
    EntityKind,
    Envelope,
    LabelDoc,
    LabelHistory,
    LabelSet,
    LabelSetResult,
)

api = router("labels")


@api.put("/labels", response_model=Envelope[LabelSetResult], summary="Set the caller's label document on a record")
def set_label(body: LabelSet, principal: Principal = Depends(writer), db: Database = Depends(database)):
    with db.begin() as conn:
        doc, changed = apply_label(conn, body, make_writer(conn, principal, body.scope))
        return ok(LabelSetResult(label=doc, changed=changed))


@api.get("/labels/current", response_model=Envelope[list[LabelDoc]], summary="Current label documents of a record")
def current(entity_kind: EntityKind, entity_key: str = Query(min_length=1, max_length=128),
            viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        key = require_visible(conn, entity_kind, entity_key, viewer)
        return ok(labels.current_labels(conn, entity_kind, key, viewer))


@api.get("/labels/history", response_model=Envelope[LabelHistory], summary="Every version of a record's labels")
def history(entity_kind: EntityKind, entity_key: str = Query(min_length=1, max_length=128),
            viewer: Principal = Depends(reader), db: Database = Depends(database)):
    with db.read() as conn:
        key = require_visible(conn, entity_kind, entity_key, viewer)
        return ok(LabelHistory(entity_kind=entity_kind, entity_key=key,
                               versions=labels.label_history(conn, entity_kind, key, viewer)))
