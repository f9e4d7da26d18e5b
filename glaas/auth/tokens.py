"""API tokens: 256 random bits shown once, stored as SHA-256, scoped, expiring, revocable."""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from glaas.auth.principal import Principal
from glaas.models import tokens, users

TOKEN_PREFIX = "glaas_"
VALID_SCOPES = ("read", "write")


class TokenError(ValueError):
    """A token request that cannot be honoured (one sentence for the user)."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> list[str]:
    """'read write' or 'read,write' -> ['read', 'write']; write implies read."""
    scopes = {s for s in text.replace(",", " ").split() if s}
    unknown = scopes - set(VALID_SCOPES)
    if unknown:
        raise TokenError(f"unknown scope {sorted(unknown)[0]!r}: use read or write")
    if not scopes:
        raise TokenError("a token needs a scope: read or write")
    if "write" in scopes:
        scopes.add("read")
    return [s for s in VALID_SCOPES if s in scopes]


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # the only time the plain token exists
    scopes: list[str]
    expires_at: float | None


def issue_token(conn: Connection, user_id: int, scopes: list[str], name: str = "",
                expires_in_s: float | None = None) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = time.time()
    expires_at = now + expires_in_s if expires_in_s else None
    token_id = conn.execute(tokens.insert().values(
        user_id=user_id, name=name, token_hash=token_digest(token), prefix=token[:len(TOKEN_PREFIX) + 6],
        scopes=",".join(scopes), created_at=now, expires_at=expires_at)).inserted_primary_key[0]
    return IssuedToken(id=int(token_id), token=token, scopes=scopes, expires_at=expires_at)


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    """The caller a bearer token stands for, or None when it is unknown, revoked or expired."""
    row = conn.execute(
        select(tokens.c.id, tokens.c.name, tokens.c.scopes, tokens.c.expires_at, tokens.c.revoked_at,
               users.c.id.label("user_id"), users.c.name.label("user_name"), users.c.is_admin)
        .join(users, users.c.id == tokens.c.user_id)
        .where(tokens.c.token_hash == token_digest(token))).first()
    now = time.time()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return Principal(user_id=row.user_id, user_name=row.user_name, is_admin=bool(row.is_admin),
                     scopes=frozenset(row.scopes.split(",")), token_id=row.id, token_name=row.name,
                     expires_at=row.expires_at)


def touch_token(conn: Connection, token_id: int) -> None:
    conn.execute(update(tokens).where(tokens.c.id == token_id).values(last_used_at=time.time()))


def revoke_token(conn: Connection, token_id: int, user_id: int | None = None) -> bool:
    """Revoke a token (of that user, when given). True if one was revoked."""
    stmt = update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(tokens.c.user_id == user_id)
    return conn.execute(stmt.values(revoked_at=time.time())).rowcount > 0


def list_tokens(conn: Connection, user_id: int) -> list[dict]:
    rows = conn.execute(select(tokens).where(tokens.c.user_id == user_id).order_by(tokens.c.id)).all()
    return [dict(id=r.id, name=r.name, prefix=r.prefix, scopes=r.scopes.split(","), created_at=r.created_at,
                 expires_at=r.expires_at, revoked=r.revoked_at is not None, last_used_at=r.last_used_at)
            for r in rows]
