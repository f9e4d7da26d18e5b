"""Browser sessions: a signed cookie holding an API token that the auth layer issued at login.

Logging in issues a token (``glaas.auth.tokens.issue_token``, named "web session") and puts it
in an HttpOnly, SameSite=Lax cookie signed with the server's secret; every page resolves the
cookie through ``principal_for_token``, so expiry and revocation (logging out revokes the
token) are decided by the database that all server processes share, not by process memory.
"""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from glaas.auth.principal import ANONYMOUS, Principal
from glaas.auth.tokens import issue_token, principal_for_token, revoke_token
from glaas.api.deps import database as database_of, settings as settings_of

SESSION_COOKIE = "glaas_session"
SESSION_DAYS = 14
SESSION_TOKEN_NAME = "web session"


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_of(request).cookie_secret(), salt="glaas-web-session")


def _cookie_token(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        token = _serializer(request).loads(raw, max_age=SESSION_DAYS * 86400)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def load_viewer(request: Request) -> Principal:
    """Who the browser is (blocking: reads the database). Stored on the request for the page."""
    token = _cookie_token(request)
    viewer = ANONYMOUS
    if token:
        with database_of(request).read() as conn:
            viewer = principal_for_token(conn, token) or ANONYMOUS
    request.state.viewer = viewer
    return viewer


def viewer_of(request: Request) -> Principal:
    return getattr(request.state, "viewer", ANONYMOUS)


def start_session(request: Request, response: Response, user_id: int) -> None:
    """Issues the session's token (blocking) and sets the cookie on the response."""
    with database_of(request).begin() as conn:
        issued = issue_token(conn, user_id, ["read", "write"], name=SESSION_TOKEN_NAME,
                             expires_in_s=SESSION_DAYS * 86400)
    response.set_cookie(SESSION_COOKIE, _serializer(request).dumps(issued.token), max_age=SESSION_DAYS * 86400,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")


def end_session(request: Request, response: Response) -> None:
    """Revokes the session's token (blocking) and clears the cookie."""
    viewer = viewer_of(request)
    if viewer.token_id is not None:
        with database_of(request).begin() as conn:
            revoke_token(conn, viewer.token_id, viewer.user_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
