"""Fixtures for the GLaaS server's tests: real servers on loopback, on SQLite and PostgreSQL.

Reusable by every GLaaS test (web UI, registration client):

- ``glaas_server``: a ``glaas-server`` process started once per pytest session and shared,
  parametrised over ``sqlite`` and ``postgresql`` (a real PostgreSQL from Debian's package, in a
  temporary directory; tests on it are skipped, with the reason, only when its binaries are
  absent). Use it for tests whose data does not clash with other tests' (use fresh hashes:
  ``fresh_hash()``, ``fresh_uid()``). Its login and anonymous-write rate limits are set high
  (SHARED_ENV), since every test calls from 127.0.0.1.
- ``glaas_sqlite`` / ``glaas_postgres``: the same servers, one backend each.
- ``make_server(database="sqlite"|"postgresql", extra_args=[...], env={...})``: a fresh server
  of your own (its own database), stopped after the test; e.g. ``["--no-anonymous"]``.
- ``postgres``: the session's PostgreSQL (``postgres.create_database(name)`` -> URL).

A server object (``glaas.testing.GlaasServer``) has ``.url``, ``.request(method, path, body,
token=...)`` -> ``Response(status, body, headers)`` with ``.data``/``.error``,
``.add_user(name, password, admin=False)``, ``.token(user, scope="read write")``, ``.cli(...)``,
``.kill()`` and ``.start()``. ``user_token(server)`` makes a fresh user and returns (name, token).
"""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from glaas.testing import GlaasServer, Postgres, postgres_bin_dir, start_server

BACKENDS = ("sqlite", "postgresql")
# The shared servers answer every test from 127.0.0.1: their rate limits are set out of the way
# (tests of the limits themselves start their own server with make_server(env=...)).
SHARED_ENV = {"GLAAS_LOGIN_PER_MINUTE": "100000", "GLAAS_ANON_WRITES_PER_MINUTE": "1000000"}


def fresh_hash() -> str:
    """A random 64-hex artifact digest nobody else registered."""
    return secrets.token_hex(32)


def fresh_uid() -> str:
    return uuid.uuid4().hex[:16]


def user_token(server: GlaasServer, scope: str = "read write") -> tuple[str, str]:
    name = "u" + secrets.token_hex(5)
    server.add_user(name)
    return name, server.token(name, scope)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are absent (install Debian's postgresql package: scripts/setup.sh --test)")
    # its own temporary directory: pytest's are 0700 root, which the PostgreSQL user cannot enter
    pg = Postgres.start()
    try:
        yield pg
    finally:
        pg.stop()


def _database_url(kind: str, request: pytest.FixtureRequest) -> str | None:
    if kind == "sqlite":
        return None
    pg: Postgres = request.getfixturevalue("postgres")
    return pg.create_database("glaas_" + secrets.token_hex(4))


@pytest.fixture(scope="session")
def glaas_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GlaasServer]:
    server = start_server(tmp_path_factory.mktemp("glaas-sqlite"), env=SHARED_ENV)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def glaas_postgres(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[GlaasServer]:
    server = start_server(tmp_path_factory.mktemp("glaas-pg"), database_url=_database_url("postgresql", request),
                          env=SHARED_ENV)
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def glaas_server(request: pytest.FixtureRequest) -> GlaasServer:
    return request.getfixturevalue("glaas_sqlite" if request.param == "sqlite" else "glaas_postgres")


@pytest.fixture
def make_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., GlaasServer]]:
    started: list[GlaasServer] = []

    def make(database: str = "sqlite", extra_args: list[str] | None = None, env: dict[str, str] | None = None,
             data_dir: Path | None = None, database_url: str | None = None) -> GlaasServer:
        url = database_url or _database_url(database, request)
        server = start_server(data_dir or tmp_path / f"server{len(started)}", database_url=url,
                              extra_args=extra_args, env=env)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def server_database(server: GlaasServer):
    """A glaas.db.Database on the server's own database, for looking at what it stored."""
    from glaas.config import Settings
    from glaas.db import Database

    return Database(Settings(data_dir=server.data_dir, database_url=server.database_url).url)
