"""Auth: the device flow (RFC 8628), password login for a token (rate limited), whoami, the
caller's tokens."""
from __future__ import annotations

from fastapi import Depends, Path, Request

from glaas.api.deps import caller, client_address, database, settings, web_url
from glaas.api.routes.common import ok, router
from glaas.auth import device, ratelimit
from glaas.auth.accounts import authenticate
from glaas.auth.principal import Principal
from glaas.auth.tokens import (
    TokenError,
    issue_token,
    list_tokens,
    parse_scopes,
    revoke_token,
)
from glaas.config import Settings
from glaas.db import Database
from glaas.queries.errors import Invalid, NotFound, RateLimited, Unauthorized
from glaas.schemas import (
    DeviceApproveIn,
    DeviceApproveOut,
    DeviceStartIn,
    DeviceStartOut,
    DeviceTokenIn,
    Envelope,
    LoginIn,
    TokenInfo,
    TokenOut,
    WhoAmI,
)

api = router("auth")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"




@api.post("/auth/device/start", response_model=Envelope[DeviceStartOut], summary="Start a device login (RFC 8628)")
def device_start(body: DeviceStartIn, request: Request, db: Database = Depends(database),
                 s: Settings = Depends(settings)):
    with db.begin() as conn:
        wait = ratelimit.hit(conn, f"device-start:{client_address(request)}", s.login_attempts_per_minute * 3)
        if wait is not None:
            raise RateLimited(f"Too many logins started from this address; retry in {wait} s.", wait)
        try:
            started = device.start(conn, body.client_id, body.scope, s.device_code_lifetime_s, s.device_poll_interval_s)
        except TokenError as exc:
            raise Invalid(str(exc)) from exc
    base = web_url(request)
    return ok(DeviceStartOut(device_code=started.device_code, user_code=started.user_code,
                             verification_uri=f"{base}/device",
                             verification_uri_complete=f"{base}/device?user_code={started.user_code}",
                             expires_in=started.expires_in, interval=started.interval))


@api.post("/auth/device/token", response_model=Envelope[TokenOut],
          summary="Poll for the token (error codes authorization_pending, slow_down, expired_token, access_denied)")
def device_token(body: DeviceTokenIn, db: Database = Depends(database)):
    if body.grant_type != DEVICE_GRANT:
        raise device.DeviceFlowError("unsupported_grant_type", f"grant_type must be {DEVICE_GRANT}.")
    error = None
    with db.begin() as conn:
        try:
            issued = device.poll(conn, body.device_code)
        except device.DeviceFlowError as exc:
            error = exc  # raised after the commit, so the poll time is kept
    if error is not None:
        raise error
    return ok(TokenOut(access_token=issued.token, expires_in=int(device.DEVICE_TOKEN_LIFETIME_S),
                       scope=" ".join(issued.scopes)))


@api.post("/auth/device/approve", response_model=Envelope[DeviceApproveOut],
          summary="Approve (or deny) a device code as the logged-in caller")
def device_approve(body: DeviceApproveIn, principal: Principal = Depends(caller), db: Database = Depends(database)):
    if not principal.authenticated:
        raise Unauthorized("Approving a device login needs a logged-in user.")
    with db.begin() as conn:
        status = device.approve(conn, body.user_code, principal.user_id, body.approve)
    return ok(DeviceApproveOut(user_code=body.user_code, status=status))


@api.post("/auth/login", response_model=Envelope[TokenOut], summary="Exchange a user name and password for a token")
def login(body: LoginIn, request: Request, db: Database = Depends(database), s: Settings = Depends(settings)):
    try:
        scopes = parse_scopes(body.scope)
    except TokenError as exc:
        raise Invalid(str(exc)) from exc
    with db.begin() as conn:
        wait = ratelimit.hit(conn, f"login:{client_address(request)}", s.login_attempts_per_minute)
    if wait is not None:
        raise RateLimited(f"Too many login attempts from this address; retry in {wait} s.", wait)
    with db.begin() as conn:
        user = authenticate(conn, body.username, body.password)
        if user is None:
            raise Unauthorized("Wrong user name or password.")
        expires = body.expires_in_days * 86400 if body.expires_in_days else None
        issued = issue_token(conn, user[0], scopes, name=body.name, expires_in_s=expires)
    return ok(TokenOut(access_token=issued.token, expires_in=int(expires) if expires else None,
                       scope=" ".join(issued.scopes)))


@api.get("/auth/whoami", response_model=Envelope[WhoAmI], summary="The caller: user, scopes, token expiry")
def whoami(principal: Principal = Depends(caller)):
    return ok(WhoAmI(authenticated=principal.authenticated, user=principal.user_name, is_admin=principal.is_admin,
                     scopes=sorted(principal.scopes), token_name=principal.token_name, expires_at=principal.expires_at))


@api.get("/auth/tokens", response_model=Envelope[list[TokenInfo]], summary="The caller's tokens (never the tokens themselves)")
def tokens(principal: Principal = Depends(caller), db: Database = Depends(database)):
    if not principal.authenticated:
        raise Unauthorized("Listing tokens needs a logged-in user.")
    with db.read() as conn:
        return ok([TokenInfo(**t) for t in list_tokens(conn, principal.user_id)])


@api.delete("/auth/tokens/{token_id}", response_model=Envelope[TokenInfo], summary="Revoke one of the caller's tokens")
def revoke(token_id: int = Path(ge=1, le=2**63 - 1), principal: Principal = Depends(caller), db: Database = Depends(database)):
    if not principal.authenticated:
        raise Unauthorized("Revoking a token needs a logged-in user.")
    with db.begin() as conn:
        if not revoke_token(conn, token_id, principal.user_id):
            raise NotFound(f"You have no active token {token_id}.")
        info = next(t for t in list_tokens(conn, principal.user_id) if t["id"] == token_id)
    return ok(TokenInfo(**info))
