"""The one rule for who may see a record (sessions, jobs, artifacts).

Visible when some registration of it is not private (cached as ``is_public``), or the caller
registered it, or a private registration of it was shared with the caller. Admins get no
exception: private means owner and shares only.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, exists, or_, select, true

from glaas.auth.principal import Principal
from glaas.models import grants, labels, shares


def visible(table: Table, kind: str, viewer: Principal) -> ColumnElement[bool]:
    """A WHERE clause: rows of ``table`` (of record kind ``kind``) the viewer may see."""
    if not viewer.authenticated:
        return table.c.is_public == true()
    own_or_shared = exists(select(1).select_from(grants).where(
        grants.c.kind == kind, grants.c.resource_id == table.c.id,
        or_(grants.c.owner_key == viewer.user_id,
            exists(select(1).select_from(shares).where(shares.c.grant_id == grants.c.id,
                                                       shares.c.user_id == viewer.user_id)))))
    return or_(table.c.is_public == true(), own_or_shared)


def visible_labels(viewer: Principal) -> ColumnElement[bool]:
    """Label documents the viewer may see: not private, or their own."""
    if not viewer.authenticated:
        return labels.c.scope != "private"
    return or_(labels.c.scope != "private", labels.c.owner_key == viewer.user_id)


def all_of(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(*clauses)
