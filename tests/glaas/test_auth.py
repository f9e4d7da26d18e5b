"""Accounts and access: the device flow, tokens (hashed, scoped, revocable, expiring, never
logged), password login with its rate limit, anonymous registration switched off, 413."""
from __future__ import annotations

import hashlib
import time

from sqlalchemy import select, update

from glaas.models import tokens
from tests.glaas.conftest import server_database, user_token
from tests.glaas.payloads import Pipeline

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_device_flow_end_to_end(glaas_server):
    name, approver = user_token(glaas_server)
    start = glaas_server.request("POST", "/api/v1/auth/device/start", {"client_id": "roarctl", "scope": "read write"})
    assert start.status == 200, start.body
    d = start.data
    assert d["verification_uri"].endswith("/device") and d["user_code"] in d["verification_uri_complete"]
    assert d["interval"] >= 1 and d["expires_in"] > 0
    poll = glaas_server.request("POST", "/api/v1/auth/device/token", {"device_code": d["device_code"], "grant_type": GRANT})
    assert poll.status == 400 and poll.error["code"] == "authorization_pending"
    fast = glaas_server.request("POST", "/api/v1/auth/device/token", {"device_code": d["device_code"], "grant_type": GRANT})
    assert fast.status == 400 and fast.error["code"] == "slow_down"
    assert glaas_server.request("POST", "/api/v1/auth/device/approve", {"user_code": d["user_code"]}).status == 401
    ok = glaas_server.request("POST", "/api/v1/auth/device/approve", {"user_code": d["user_code"].lower()}, token=approver)
    assert ok.status == 200 and ok.data["status"] == "approved"
    got = glaas_server.request("POST", "/api/v1/auth/device/token", {"device_code": d["device_code"], "grant_type": GRANT})
    assert got.status == 200 and got.data["token_type"] == "Bearer" and got.data["scope"] == "read write"
    token = got.data["access_token"]
    who = glaas_server.request("GET", "/api/v1/auth/whoami", token=token).data
    assert who["authenticated"] and who["user"] == name and who["scopes"] == ["read", "write"]
    assert who["expires_at"] > time.time()
    again = glaas_server.request("POST", "/api/v1/auth/device/token", {"device_code": d["device_code"], "grant_type": GRANT})
    assert again.status == 400 and again.error["code"] == "invalid_grant"  # one token per approval


def test_device_flow_denied_unknown_and_wrong_grant(glaas_server):
    _, approver = user_token(glaas_server)
    d = glaas_server.request("POST", "/api/v1/auth/device/start", {}).data
    assert glaas_server.request("POST", "/api/v1/auth/device/approve", {"user_code": d["user_code"], "approve": False},
                                token=approver).data["status"] == "denied"
    r = glaas_server.request("POST", "/api/v1/auth/device/token", {"device_code": d["device_code"], "grant_type": GRANT})
    assert r.error["code"] == "access_denied"
    assert glaas_server.request("POST", "/api/v1/auth/device/approve", {"user_code": "ZZZZ-ZZZZ"},
                                token=approver).status == 404
    r = glaas_server.request("POST", "/api/v1/auth/device/token", {"device_code": "nope", "grant_type": "password"})
    assert r.status == 400 and r.error["code"] == "unsupported_grant_type"


def test_tokens_are_stored_hashed_and_never_logged(glaas_server):
    _, token = user_token(glaas_server)
    assert glaas_server.request("GET", "/api/v1/auth/whoami", token=token).status == 200
    glaas_server.request("POST", "/api/v1/lineage", Pipeline().native(), token=token)
    db = server_database(glaas_server)
    with db.read() as conn:
        stored = conn.execute(select(tokens.c.token_hash, tokens.c.prefix)).all()
    db.dispose()
    assert hashlib.sha256(token.encode()).hexdigest() in {r.token_hash for r in stored}
    assert all(token not in (r.token_hash + r.prefix) for r in stored) and all(len(r.prefix) < 16 for r in stored)
    if glaas_server.database_url is None:
        raw = b"".join(p.read_bytes() for p in glaas_server.data_dir.glob("glaas.db*"))
        assert token.encode() not in raw
    assert token not in glaas_server.log.read_text(errors="replace")


def test_read_only_revoked_expired_and_bad_tokens(glaas_server):
    name, reader = user_token(glaas_server, scope="read")
    r = glaas_server.request("POST", "/api/v1/lineage", Pipeline().native(), token=reader)
    assert r.status == 403 and "write scope" in r.error["message"]
    assert glaas_server.request("GET", "/api/v1/auth/whoami", token=reader).data["scopes"] == ["read"]
    bad = glaas_server.request("GET", "/api/v1/sessions", token="glaas_not-a-token")
    assert bad.status == 401 and bad.headers.get("www-authenticate", bad.headers.get("WWW-Authenticate")) == "Bearer"
    assert glaas_server.request("GET", "/api/v1/sessions", headers={"Authorization": "Basic abc"}).status == 401
    # revoke through the API, then the token is refused
    mine = glaas_server.token(name, "read write")
    listed = glaas_server.request("GET", "/api/v1/auth/tokens", token=mine).data
    target = next(t for t in listed if t["scopes"] == ["read"])
    assert glaas_server.request("DELETE", f"/api/v1/auth/tokens/{target['id']}", token=mine).data["revoked"] is True
    assert glaas_server.request("GET", "/api/v1/auth/whoami", token=reader).status == 401
    # expire the other one in the database
    db = server_database(glaas_server)
    with db.begin() as conn:
        conn.execute(update(tokens).where(tokens.c.token_hash == hashlib.sha256(mine.encode()).hexdigest())
                     .values(expires_at=time.time() - 1))
    db.dispose()
    assert glaas_server.request("GET", "/api/v1/auth/whoami", token=mine).status == 401
    other = glaas_server.token(name, "read write")
    assert glaas_server.request("DELETE", "/api/v1/auth/tokens/99999999999999999999999", token=other).status == 422
    assert glaas_server.request("DELETE", "/api/v1/auth/tokens/123456789", token=other).status == 404


def test_password_login_and_its_rate_limit(make_server):
    server = make_server(env={"GLAAS_LOGIN_PER_MINUTE": "3"})
    server.add_user("alice", password="s3cret-password")
    ok = server.request("POST", "/api/v1/auth/login", {"username": "alice", "password": "s3cret-password"})
    assert ok.status == 200 and ok.data["access_token"].startswith("glaas_")
    assert server.request("GET", "/api/v1/auth/whoami", token=ok.data["access_token"]).data["user"] == "alice"
    wrong = server.request("POST", "/api/v1/auth/login", {"username": "alice", "password": "nope-nope"})
    assert wrong.status == 401 and wrong.error["message"] == "Wrong user name or password."
    assert server.request("POST", "/api/v1/auth/login", {"username": "nobody", "password": "x"}).status == 401
    limited = server.request("POST", "/api/v1/auth/login", {"username": "alice", "password": "s3cret-password"})
    assert limited.status == 429 and int(limited.headers["retry-after"]) >= 1


def test_anonymous_registration_switched_off(make_server):
    server = make_server(extra_args=["--no-anonymous"])
    r = server.request("POST", "/api/v1/lineage", Pipeline().native())
    assert r.status == 401 and "anonymous" in r.error["message"]
    assert server.request("POST", "/api/v1/sessions", {"hash": "ab" * 32}).status == 401
    assert server.request("GET", "/api/v1/health").data["features"]["anonymous_registration"] is False
    server.add_user("bob")
    token = server.token("bob")
    r = server.request("POST", "/api/v1/lineage", Pipeline().native(), token=token)
    assert r.status == 200 and r.data["scope"] == "public"


def test_anonymous_writes_are_rate_limited(make_server):
    server = make_server(env={"GLAAS_ANON_WRITES_PER_MINUTE": "2"})
    codes = [server.request("POST", "/api/v1/lineage", Pipeline(steps=1).native()).status for _ in range(3)]
    assert codes == [200, 200, 429]


def test_bodies_over_the_limit_are_413(make_server):
    server = make_server(extra_args=["--max-body-bytes", "2000"])
    big = Pipeline(steps=20).native()
    r = server.request("POST", "/api/v1/lineage", big)
    assert r.status == 413 and r.body["success"] is False and "smaller batches" in r.error["message"]
    assert server.request("POST", "/api/v1/lineage", Pipeline(steps=1).native()).status == 200
    assert server.request("GET", "/api/v1/health").status == 200


def test_cli_users_and_tokens(make_server):
    server = make_server()
    server.add_user("carol", admin=True)
    dup = server.cli("users", "add", "carol", "--password-stdin", input="another-password\n", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    short = server.cli("users", "add", "dave", "--password-stdin", input="short\n", check=False)
    assert short.returncode == 1 and "8 characters" in short.stderr
    token = server.token("carol", scope="read")
    listing = server.cli("tokens", "list", "carol").stdout
    assert "read" in listing and "active" in listing and token not in listing
    token_id = listing.split("\t")[0]
    server.cli("tokens", "revoke", token_id)
    assert "revoked" in server.cli("tokens", "list", "carol").stdout
    assert server.request("GET", "/api/v1/auth/whoami", token=token).status == 401
    assert server.cli("tokens", "create", "nobody", check=False).returncode == 1
    assert server.cli("migrate").returncode == 0
