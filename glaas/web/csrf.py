"""CSRF protection for every form the web pages post.

A random nonce lives in a cookie (``glaas_csrf``); each form carries HMAC(secret, nonce). A
post is accepted only when the form's token is the HMAC of the cookie's nonce, so a page on
another site can neither read the token nor forge one (not even by planting its own cookie),
and the server keeps no per-form state. Posts whose ``Origin`` is another site are refused too.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from glaas.api.deps import settings as settings_of

CSRF_COOKIE = "glaas_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRefused(Exception):
    """A form post without a valid CSRF token (answered 403)."""


def _sign(request: Request, nonce: str) -> str:
    key = settings_of(request).cookie_secret().encode()
    return hmac.new(key, b"glaas-csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def _nonce(request: Request) -> str:
    """This request's nonce: the cookie's, or a new one that :func:`set_csrf_cookie` will send."""
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        if len(nonce) < 32:
            nonce = secrets.token_urlsafe(32)
            request.state.csrf_new = True
        request.state.csrf_nonce = nonce
    return nonce


def csrf_token(request: Request) -> str:
    """The token to put in a form's hidden ``csrf_token`` field."""
    return _sign(request, _nonce(request))


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Sends the nonce cookie when this request made a new one."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(CSRF_COOKIE, request.state.csrf_nonce, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is valid; raises CsrfRefused otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    nonce = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not nonce or not _same_origin(request):
        raise CsrfRefused()
    if not hmac.compare_digest(sent, _sign(request, nonce)):
        raise CsrfRefused()
    return form
