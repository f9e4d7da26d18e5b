"""Log in and out, the user page with its API tokens, and the device-approval page (RFC 8628)
that ``roarctl login`` sends a person to. Every form carries a CSRF token (see csrf)."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from glaas.api.deps import client_address, database, settings
from glaas.auth import device, ratelimit
from glaas.auth.accounts import authenticate
from glaas.auth.principal import Principal
from glaas.auth.tokens import IssuedToken, TokenError, issue_token, list_tokens, parse_scopes, revoke_token
from glaas.queries.errors import NotFound, RateLimited
from glaas.web.csrf import checked_form
from glaas.web.responses import WebRoute, render
from glaas.web.session import SESSION_TOKEN_NAME, end_session, load_viewer, start_session

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str = "/", viewer: Principal = Depends(load_viewer)) -> Response:
    if viewer.authenticated:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", next_url=_safe_next(next))


def _check_password(request: Request, username: str, password: str) -> int | None:
    """The user id for a right password; each attempt counts against the address's limit."""
    limit = settings(request).login_attempts_per_minute
    with database(request).begin() as conn:
        wait = ratelimit.hit(conn, f"login:{client_address(request)}", limit)
    if wait is not None:
        raise RateLimited(f"Too many login attempts from this address; wait {wait} s and try again.", wait)
    with database(request).read() as conn:
        found = authenticate(conn, username, password)
    return found[0] if found else None


@router.post("/login")
async def login(request: Request, viewer: Principal = Depends(load_viewer)) -> Response:
    form = await checked_form(request)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    next_url = _safe_next(str(form.get("next") or "/"))
    user_id = await run_in_threadpool(_check_password, request, username, password)
    if user_id is None:
        return render(request, "login.html", status_code=401, error="Wrong user name or password.",
                      username=username, next_url=next_url)
    response = RedirectResponse(next_url, status_code=303)
    await run_in_threadpool(start_session, request, response, user_id)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: Principal = Depends(load_viewer)) -> Response:
    await checked_form(request)
    response = RedirectResponse("/", status_code=303)
    await run_in_threadpool(end_session, request, response)
    return response


def _own_page(viewer: Principal, name: str) -> None:
    """A user page is its user's only: anyone else gets Not found, like a private record."""
    if not viewer.authenticated or viewer.user_name != name:
        raise NotFound(f"No user {name} here.")


def _tokens(request: Request, user_id: int) -> list[dict]:
    with database(request).read() as conn:
        return list_tokens(conn, user_id)


@router.get("/user/{name}")
async def user_page(request: Request, name: str, viewer: Principal = Depends(load_viewer)) -> Response:
    if not viewer.authenticated:
        return _login_redirect(request)
    _own_page(viewer, name)
    tokens = await run_in_threadpool(_tokens, request, viewer.user_id)
    return render(request, "user.html", user_name=name, tokens=tokens)


def _create_token(request: Request, user_id: int, name: str, scope: str, days: int | None) -> IssuedToken:
    with database(request).begin() as conn:
        return issue_token(conn, user_id, parse_scopes(scope), name=name, expires_in_s=days * 86400 if days else None)


@router.post("/user/{name}/tokens")
async def create_token(request: Request, name: str, viewer: Principal = Depends(load_viewer)) -> Response:
    form = await checked_form(request)
    _own_page(viewer, name)
    days_text = str(form.get("expires_in_days") or "").strip()
    token_name = str(form.get("name") or "").strip()[:200]
    flashes: list[tuple[str, str]] = []
    new_token = None
    if days_text and not (days_text.isdigit() and 1 <= int(days_text) <= 3650):
        flashes.append(("error", "The expiry is a number of days from 1 to 3650, or empty for never."))
    elif token_name == SESSION_TOKEN_NAME:
        flashes.append(("error", f"'{SESSION_TOKEN_NAME}' is reserved for browser logins; choose another name."))
    else:
        try:
            new_token = await run_in_threadpool(_create_token, request, viewer.user_id, token_name,
                                                str(form.get("scope") or "read"), int(days_text) if days_text else None)
        except TokenError as exc:
            flashes.append(("error", f"{str(exc)[0].upper()}{str(exc)[1:]}."))
    tokens = await run_in_threadpool(_tokens, request, viewer.user_id)
    return render(request, "user.html", status_code=201 if new_token else 400, user_name=name, tokens=tokens,
                  new_token=new_token, flashes=flashes)


def _revoke(request: Request, token_id: int, user_id: int) -> bool:
    with database(request).begin() as conn:
        return revoke_token(conn, token_id, user_id)


@router.post("/user/{name}/tokens/{token_id}/revoke")
async def revoke(request: Request, name: str, token_id: int, viewer: Principal = Depends(load_viewer)) -> Response:
    await checked_form(request)
    _own_page(viewer, name)
    if not await run_in_threadpool(_revoke, request, token_id, viewer.user_id):
        raise NotFound("No such token, or it was already revoked.")
    return RedirectResponse(f"/user/{quote(name)}", status_code=303)


@router.get("/device")
async def device_page(request: Request, user_code: str = "", viewer: Principal = Depends(load_viewer)) -> Response:
    if not viewer.authenticated:
        return _login_redirect(request)
    return render(request, "device.html", user_code=user_code)


def _decide(request: Request, user_code: str, user_id: int, allow: bool) -> str:
    with database(request).begin() as conn:
        return device.approve(conn, user_code, user_id, allow=allow)


@router.post("/device")
async def device_decision(request: Request, viewer: Principal = Depends(load_viewer)) -> Response:
    form = await checked_form(request)
    if not viewer.authenticated:
        return _login_redirect(request)
    user_code = str(form.get("user_code") or "")
    try:
        result = await run_in_threadpool(_decide, request, user_code, viewer.user_id, form.get("action") != "deny")
    except device.DeviceFlowError as exc:
        return render(request, "device.html", status_code=exc.status, error=str(exc), user_code=user_code)
    return render(request, "device.html", result=result)
