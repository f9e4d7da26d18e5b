"""Request dependencies: the database, the caller (from ``Authorization: Bearer``), write checks."""
from __future__ import annotations

import time

from fastapi import Request

from glaas.auth import ratelimit
from glaas.auth.principal import ANONYMOUS, Principal
from glaas.auth.tokens import principal_for_token, touch_token
from glaas.config import Settings
from glaas.db import Database
from glaas.queries.errors import Forbidden, RateLimited, Unauthorized

TOUCH_EVERY_S = 60


def database(request: Request) -> Database:
    return request.app.state.db


def settings(request: Request) -> Settings:
    return request.app.state.settings


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def web_url(request: Request) -> str:
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def caller(request: Request) -> Principal:
    """The caller: anonymous without Authorization; a 401 for a bad token (never anonymous then)."""
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'.")
    db: Database = request.app.state.db
    with db.read() as conn:
        principal = principal_for_token(conn, token.strip())
    if principal is None:
        raise Unauthorized("The token is unknown, revoked or expired; log in again (roarctl login).")
    last = request.app.state.token_touched.get(principal.token_id, 0.0)
    if time.time() - last > TOUCH_EVERY_S:  # a hint only; the database keeps the value
        request.app.state.token_touched[principal.token_id] = time.time()
        with db.begin() as conn:
            touch_token(conn, principal.token_id)
    return principal


def reader(request: Request) -> Principal:
    principal = caller(request)
    if principal.authenticated and not principal.can("read"):
        raise Forbidden("This token has no read scope.")
    return principal


def writer(request: Request) -> Principal:
    """A caller allowed to register: a token with the write scope, or anonymous when the server
    allows it (rate limited per address, counted in the database)."""
    principal = caller(request)
    if principal.authenticated:
        if not principal.can("write"):
            raise Forbidden("This token has read scope only; registering needs a token with write scope.")
        return principal
    s: Settings = request.app.state.settings
    if not s.anonymous_writes:
        raise Unauthorized("This server does not accept anonymous registration; log in first (roarctl login).")
    with request.app.state.db.begin() as conn:
        wait = ratelimit.hit(conn, f"anon-write:{client_address(request)}", s.anonymous_writes_per_minute)
    if wait is not None:
        raise RateLimited(f"Too many anonymous registrations from this address; retry in {wait} s.", wait)
    return principal
