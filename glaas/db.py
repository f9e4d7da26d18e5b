"""Engines and transactions for SQLite (default) and PostgreSQL, and the few dialect differences.

Every request runs in one transaction (``Database.begin()``/``read()``): a server killed in
the middle of a batch leaves nothing of it behind. On SQLite writes take the write lock at
BEGIN (``BEGIN IMMEDIATE``) so concurrent writers queue on ``busy_timeout`` instead of failing
when a read transaction tries to become a write one.
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's BEGIN (below) be the only transaction control.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            mode = conn.info.pop("glaas_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """The server's handle on its database; one per process, shared by all requests."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name  # "sqlite" or "postgresql"

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.info["glaas_begin"] = "IMMEDIATE"
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (one consistent snapshot for the whole request)."""
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                  index_elements: Sequence[str], returning: Sequence[str] = ()) -> list[Any]:
    """INSERT ... ON CONFLICT DO NOTHING for many rows; returns the rows actually inserted
    (when ``returning`` names columns)."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        return _pg_insert_ignore(conn, table, rows, index_elements, returning)
    ins = sqlite.insert(table)
    stmt = ins.on_conflict_do_nothing(index_elements=list(index_elements))
    if returning:
        stmt = stmt.returning(*[table.c[name] for name in returning])
        return list(conn.execute(stmt, list(rows)).all())
    conn.execute(stmt, list(rows))
    return []


def _pg_insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                      index_elements: Sequence[str], returning: Sequence[str]) -> list[Any]:
    """PostgreSQL: one statement per 5,000 rows with one array parameter per column
    (``INSERT ... SELECT FROM unnest(...)``). A VALUES list with a placeholder per value costs
    psycopg seconds to parse for a 10,000-artifact session; arrays cost nothing."""
    names = [c.name for c in table.columns if any(c.name in r for r in rows[:1])]
    for r in rows:  # every row must give every column the first one gives
        if len(r) != len(names):
            names = sorted({k for row in rows for k in row}, key=lambda n: list(table.columns.keys()).index(n))
            break
    dialect = conn.dialect
    casts, selects = [], []
    for i, name in enumerate(names):
        col = table.c[name]
        is_json = isinstance(col.type, JSON)
        sql_type = "TEXT" if is_json else col.type.compile(dialect=dialect)
        casts.append(f"CAST(:a{i} AS {sql_type}[])")
        selects.append(f"u.c{i}::json" if is_json else f"u.c{i}")
    cols = ", ".join(f'"{n}"' for n in names)
    sql = (f'INSERT INTO {table.name} ({cols}) SELECT {", ".join(selects)} '
           f'FROM unnest({", ".join(casts)}) AS u({", ".join(f"c{i}" for i in range(len(names)))}) '
           f'ON CONFLICT ({", ".join(index_elements)}) DO NOTHING')
    if returning:
        sql += " RETURNING " + ", ".join(f'"{n}"' for n in returning)
    out: list[Any] = []
    for part in chunks(rows, 5000):
        params = {}
        for i, name in enumerate(names):
            is_json = isinstance(table.c[name].type, JSON)
            values = [r.get(name) for r in part]
            params[f"a{i}"] = [json.dumps(v) if is_json and v is not None else v for v in values]
        result = conn.execute(text(sql), params)
        if returning:
            out.extend(result.all())
    return out


def upsert_increment(conn: Connection, table: Table, key_values: dict[str, Any], counter: str) -> int:
    """INSERT ... ON CONFLICT DO UPDATE counter = counter + 1; returns the new count."""
    ins = (postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table))
    stmt = ins.values(**key_values, **{counter: 1}).on_conflict_do_update(
        index_elements=list(key_values), set_={counter: table.c[counter] + 1}).returning(table.c[counter])
    return int(conn.execute(stmt).scalar_one())


def member(conn: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter however
    many values (psycopg parses every placeholder of a statement it has not seen before)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
