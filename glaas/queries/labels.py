"""Labels: the current document per (entity, owner) and its history; setting a new version."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from glaas.auth.principal import Principal
from glaas.models import labels, users
from glaas.queries.visibility import visible_labels
from glaas.schemas import LabelDoc


def flatten(metadata: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"model": {"name": "r50"}} -> {"model.name": "r50"} (scalars as text)."""
    flat: dict[str, str] = {}
    for key, value in metadata.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return flat


def flat_text(metadata: dict[str, Any]) -> str:
    """The form the search filter matches: "\\nkey=value\\n" for every flattened key."""
    return "\n" + "".join(f"{k}={v}\n" for k, v in sorted(flatten(metadata).items()))


def _doc(row) -> LabelDoc:
    return LabelDoc(entity_kind=row.entity_kind, entity_key=row.entity_key, version=row.version,
                    metadata=row.metadata, owner=row.owner_name, created_at=row.created_at)


def _select_docs():
    return (select(labels, users.c.name.label("owner_name"))
            .outerjoin(users, users.c.id == labels.c.owner_key))


def current_labels(conn: Connection, kind: str, key: str, viewer: Principal) -> list[LabelDoc]:
    """The newest version of each owner's label document on the entity (entity already visible)."""
    newest = (select(labels.c.owner_key, func.max(labels.c.version).label("v"))
              .where(labels.c.entity_kind == kind, labels.c.entity_key == key, visible_labels(viewer))
              .group_by(labels.c.owner_key).subquery())
    rows = conn.execute(_select_docs().join(newest, (newest.c.owner_key == labels.c.owner_key) & (newest.c.v == labels.c.version))
                        .where(labels.c.entity_kind == kind, labels.c.entity_key == key)
                        .order_by(labels.c.owner_key)).all()
    return [_doc(r) for r in rows]


def label_history(conn: Connection, kind: str, key: str, viewer: Principal) -> list[LabelDoc]:
    rows = conn.execute(_select_docs().where(labels.c.entity_kind == kind, labels.c.entity_key == key,
                                             visible_labels(viewer))
                        .order_by(labels.c.owner_key, labels.c.version)).all()
    return [_doc(r) for r in rows]


def set_label(conn: Connection, kind: str, key: str, metadata: dict[str, Any], owner_key: int,
              scope: str) -> tuple[LabelDoc, bool]:
    """Make ``metadata`` the owner's current document; (doc, changed). Unchanged -> no new version."""
    for _attempt in range(5):
        latest = conn.execute(_select_docs().where(labels.c.entity_kind == kind, labels.c.entity_key == key,
                                                   labels.c.owner_key == owner_key)
                              .order_by(labels.c.version.desc()).limit(1)).first()
        if latest is not None and latest.metadata == metadata and latest.scope == scope:
            return _doc(latest), False
        version = (latest.version if latest else 0) + 1
        try:
            with conn.begin_nested():
                conn.execute(labels.insert().values(entity_kind=kind, entity_key=key, owner_key=owner_key,
                                                    version=version, metadata=metadata, flat=flat_text(metadata),
                                                    scope=scope, created_at=time.time()))
        except IntegrityError:  # another request wrote this version first; read again
            continue
        row = conn.execute(_select_docs().where(labels.c.entity_kind == kind, labels.c.entity_key == key,
                                                labels.c.owner_key == owner_key, labels.c.version == version)).first()
        return _doc(row), True
    raise RuntimeError("label kept changing under concurrent writes")
