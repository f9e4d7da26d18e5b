"""Several server processes on one PostgreSQL agree on everything (no state of their own):
device codes, tokens, rate limits, records. And telemetry is stored only when enabled."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from glaas.models import server_settings, telemetry_events
from tests.glaas.conftest import server_database
from tests.glaas.payloads import Pipeline

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_two_processes_share_one_postgresql(make_server, postgres, tmp_path):
    url = postgres.create_database("shared_two")
    env = {"GLAAS_LOGIN_PER_MINUTE": "4"}
    one = make_server(database_url=url, data_dir=tmp_path / "one", env=env)
    two = make_server(database_url=url, data_dir=tmp_path / "two", env=env)
    one.add_user("erin", password="erin-password")
    # a device login started on one process, approved on the other, exchanged on the first
    start = one.request("POST", "/api/v1/auth/device/start", {"client_id": "roarctl"}).data
    approver = two.request("POST", "/api/v1/auth/login", {"username": "erin", "password": "erin-password"}).data
    assert two.request("POST", "/api/v1/auth/device/approve", {"user_code": start["user_code"]},
                       token=approver["access_token"]).status == 200
    token = one.request("POST", "/api/v1/auth/device/token", {"device_code": start["device_code"],
                                                              "grant_type": GRANT}).data["access_token"]
    assert two.request("GET", "/api/v1/auth/whoami", token=token).data["user"] == "erin"
    # records written through one are read through the other
    p = Pipeline()
    assert one.request("POST", "/api/v1/lineage", p.native(scope="private"), token=token).status == 200
    assert two.request("GET", f"/api/v1/artifacts/{p.final}", token=token).status == 200
    assert two.request("GET", f"/api/v1/artifacts/{p.final}").status == 404
    # the login rate limit counts hits on both processes together (1 login above + 3 here = 4)
    codes = [srv.request("POST", "/api/v1/auth/login", {"username": "erin", "password": "wrong-password"}).status
             for srv in (one, two, one, two)]
    assert codes == [401, 401, 401, 429]
    # the web UI's cookie key is one value in the database, not one per process or machine
    db = server_database(one)
    with db.read() as conn:
        keys = conn.execute(select(server_settings.c.value).where(server_settings.c.key == "cookie_secret_key")).all()
    db.dispose()
    assert len(keys) == 1 and len(keys[0].value) >= 32


@pytest.mark.parametrize("enabled", [False, True])
def test_telemetry_is_stored_only_when_enabled(make_server, enabled):
    server = make_server(env={"GLAAS_TELEMETRY": "1" if enabled else "0"})
    r = server.request("POST", "/api/v1/telemetry/roar", {"event": "register", "count": 3},
                       headers={"X-Roar-Version": "0.4.7"})
    assert r.status == 204 and r.body is None
    assert server.request("GET", "/api/v1/health").data["features"]["telemetry_collection"] is enabled
    db = server_database(server)
    with db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(telemetry_events)).scalar()
    db.dispose()
    assert stored == (1 if enabled else 0)
