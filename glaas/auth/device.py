"""The OAuth 2.0 device authorization grant (RFC 8628), kept in the database.

start -> (device_code, user_code); the user approves the user_code in the web UI (or through
the API with a token); the device polls ``token`` until it gets an access token, once.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from glaas.auth.tokens import IssuedToken, issue_token, parse_scopes, token_digest
from glaas.models import device_codes

# RFC 8628 6.1: a short code without vowels or look-alikes, typed by a person.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
DEVICE_TOKEN_LIFETIME_S = 90 * 24 * 3600


class DeviceFlowError(Exception):
    """An RFC 8628 error answer: ``code`` is the RFC's error code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class DeviceStart:
    device_code: str
    user_code: str
    expires_in: int
    interval: int


def normalize_user_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def format_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def start(conn: Connection, client_id: str, scope: str, lifetime_s: int, interval_s: int) -> DeviceStart:
    scopes = parse_scopes(scope)
    device_code = secrets.token_urlsafe(32)
    user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    now = time.time()
    conn.execute(device_codes.insert().values(
        device_code_hash=token_digest(device_code), user_code=user_code, client_id=client_id,
        scopes=",".join(scopes), created_at=now, expires_at=now + lifetime_s, interval_s=interval_s,
        status="pending"))
    return DeviceStart(device_code=device_code, user_code=format_user_code(user_code), expires_in=lifetime_s,
                       interval=interval_s)


def approve(conn: Connection, user_code: str, user_id: int, allow: bool = True) -> str:
    """Approve (or deny) a pending code for a logged-in user. The web approval page calls this.
    Returns "approved" or "denied"; raises DeviceFlowError for an unknown or expired code."""
    code = normalize_user_code(user_code)
    row = conn.execute(select(device_codes).where(device_codes.c.user_code == code)).first()
    if row is None or row.status != "pending":
        raise DeviceFlowError("invalid_user_code", "That code is unknown or already used; start the login again.", 404)
    if row.expires_at <= time.time():
        raise DeviceFlowError("expired_token", "That code has expired; start the login again.", 400)
    status = "approved" if allow else "denied"
    conn.execute(update(device_codes).where(device_codes.c.id == row.id, device_codes.c.status == "pending")
                 .values(status=status, user_id=user_id))
    return status


def poll(conn: Connection, device_code: str) -> IssuedToken:
    """The device's poll: a token once approved, else the RFC's error (pending, slow_down, ...)."""
    row = conn.execute(select(device_codes).where(device_codes.c.device_code_hash == token_digest(device_code))).first()
    now = time.time()
    if row is None:
        raise DeviceFlowError("invalid_grant", "Unknown device code; start the login again.")
    if row.status == "consumed":
        raise DeviceFlowError("invalid_grant", "This device code was already exchanged for a token.")
    if row.expires_at <= now:
        raise DeviceFlowError("expired_token", "The device code expired before it was approved; start the login again.")
    if row.status == "denied":
        raise DeviceFlowError("access_denied", "The login was denied.")
    if row.status == "pending":
        too_soon = row.last_polled_at is not None and now - row.last_polled_at < row.interval_s
        conn.execute(update(device_codes).where(device_codes.c.id == row.id).values(last_polled_at=now))
        if too_soon:
            raise DeviceFlowError("slow_down", f"Polling too fast; wait {row.interval_s} s between polls.")
        raise DeviceFlowError("authorization_pending", "Waiting for the user to approve the code.")
    # approved: issue exactly once (the status update is the guard against a concurrent poll)
    claimed = conn.execute(update(device_codes).where(device_codes.c.id == row.id, device_codes.c.status == "approved")
                           .values(status="consumed")).rowcount
    if not claimed:
        raise DeviceFlowError("invalid_grant", "This device code was already exchanged for a token.")
    name = f"device login{(' (' + row.client_id + ')') if row.client_id else ''}"
    return issue_token(conn, row.user_id, row.scopes.split(","), name=name, expires_in_s=DEVICE_TOKEN_LIFETIME_S)
