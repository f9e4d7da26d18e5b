"""Who registers, under which scope, shared with whom."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from glaas.auth.principal import Principal
from glaas.models import ANONYMOUS, PRIVATE, PUBLIC, users
from glaas.queries.errors import Invalid


@dataclass(frozen=True)
class Writer:
    principal: Principal
    scope: str
    share_user_ids: tuple[int, ...] = ()

    @property
    def owner_key(self) -> int:
        # "anonymous" is attributed to nobody, even when sent with a token.
        return 0 if self.scope == ANONYMOUS else self.principal.owner_key

    @property
    def public(self) -> bool:
        return self.scope != PRIVATE


def make_writer(conn: Connection, principal: Principal, scope: str | None, share_with: list[str] = ()) -> Writer:
    if scope is None:
        scope = PUBLIC if principal.authenticated else ANONYMOUS
    if not principal.authenticated and scope != ANONYMOUS:
        raise Invalid(f"A {scope} registration needs a token (roarctl login); without one only anonymous works.")
    share_ids: list[int] = []
    if share_with:
        if scope != PRIVATE:
            raise Invalid("share_with applies to private registrations only.")
        rows = dict(conn.execute(select(users.c.name, users.c.id).where(users.c.name.in_(list(share_with)))).all())
        missing = [n for n in share_with if n not in rows]
        if missing:
            raise Invalid(f"No user {missing[0]!r} to share with.")
        share_ids = [rows[n] for n in share_with]
    return Writer(principal=principal, scope=scope, share_user_ids=tuple(share_ids))
