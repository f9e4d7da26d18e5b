"""Engines and transactions for SQLite (default) and PostgreSQL, and the few dialect differences.

Every request runs in one transaction (``Database.begin()``/``read()``): a server killed in
the middle of a batch leaves nothing of it behind. On SQLite writes take the write lock at
BEGIN (``BEGIN IMMEDIATE``) so concurrent writers queue on ``busy_timeout`` instead of failing
when a read transaction tries to become a write one.
"""
from __future__ import annotations

import contextlib
import json
from collections import namedtuple
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
SQLITE_CACHE_KIB = 64 * 1024  # per connection
SQLITE_MMAP_BYTES = 1 << 30
ANALYZE_EVERY_S = 15


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
            # Reads walk index pages all over the file (a lineage answer touches ~1,000 rows):
            # a larger page cache and memory-mapped reads instead of a read() per missed page.
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            mode = conn.info.pop("glaas_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # No pre-ping: it is a round trip on every checkout. A connection the database dropped fails
    # one request, and SQLAlchemy then refreshes the whole pool.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600)


class Database:
    """The server's handle on its database; one per process, shared by all requests."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name  # "sqlite" or "postgresql"
        self._analyzed_at = float("-inf")

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
        """A connection for reading. On SQLite one transaction (one snapshot); on PostgreSQL
        autocommit, which saves the BEGIN and COMMIT round trips: registrations only ever add,
        so a read that sees one more committed batch halfway through is still a true answer."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
                return
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    def after_bulk_write(self, tables: Sequence[str]) -> None:
        """Housekeeping after a large registration (run in the background).

        SQLite: a passive WAL checkpoint, so readers do not search a WAL grown by the bulk
        write (reads right after loading 100,000 artifacts were 2-3x slower). PostgreSQL:
        ANALYZE, at most every ANALYZE_EVERY_S per process: it plans from statistics that
        autovacuum refreshes only later, and right after a bulk load a search took 644 ms
        instead of milliseconds. (The throttle is a hint only; processes that disagree on it
        merely analyze twice.)"""
        import time

        now = time.monotonic()
        analyze = now - self._analyzed_at >= ANALYZE_EVERY_S
        if analyze:
            self._analyzed_at = now
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":  # outside any transaction: on the driver's connection
                raw = conn.connection.driver_connection
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
                if analyze:
                    raw.execute("PRAGMA optimize")
            elif analyze:
                conn.exec_driver_sql("ANALYZE " + ", ".join(tables))
                conn.commit()


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                  index_elements: Sequence[str], returning: Sequence[str] = ()) -> list[Any]:
    """INSERT ... ON CONFLICT DO NOTHING for many rows; returns the rows actually inserted
    (when ``returning`` names columns)."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        return _pg_insert_ignore(conn, table, rows, index_elements, returning)
    if conn.dialect.name == "sqlite":
        return _sqlite_insert_ignore(conn, table, rows, index_elements, returning)
    ins = sqlite.insert(table)
    stmt = ins.on_conflict_do_nothing(index_elements=list(index_elements))
    if returning:
        stmt = stmt.returning(*[table.c[name] for name in returning])
        return list(conn.execute(stmt, list(rows)).all())
    conn.execute(stmt, list(rows))
    return []


SQLITE_MAX_VARIABLES = 32_000  # SQLite's limit is 32,766 bound values per statement (since 3.32)


def _sqlite_insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                          index_elements: Sequence[str], returning: Sequence[str]) -> list[Any]:
    """SQLite: multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING through the driver's own
    cursor, in the same transaction. SQLAlchemy's executemany spends ~15 us of Python per row
    on parameters, most of a resent 1,000-job session's time."""
    order = list(table.columns.keys())
    names = sorted({k for row in rows for k in row}, key=order.index)
    json_cols = {n for n in names if isinstance(table.c[n].type, JSON)}
    cols = ", ".join(f'"{n}"' for n in names)
    tail = f' ON CONFLICT ({", ".join(index_elements)}) DO NOTHING'
    if returning:
        tail += " RETURNING " + ", ".join(f'"{n}"' for n in returning)
    returned = namedtuple("Returned", returning) if returning else None  # type: ignore[misc]
    row_sql = "(" + ",".join("?" * len(names)) + ")"
    cursor = conn.connection.driver_connection.cursor()
    out: list[Any] = []
    try:
        for part in chunks(rows, max(1, SQLITE_MAX_VARIABLES // len(names))):
            values: list[Any] = []
            for r in part:
                for n in names:
                    v = r.get(n)
                    values.append(json.dumps(v) if v is not None and n in json_cols else v)
            cursor.execute(f"INSERT INTO {table.name} ({cols}) VALUES {','.join([row_sql] * len(part))}{tail}", values)
            if returned is not None:
                out.extend(returned(*r) for r in cursor.fetchall())
    finally:
        cursor.close()
    return out


# Column values travel to PostgreSQL as one delimited string per column, split on the server
# (string_to_array): psycopg would otherwise escape every element of a text array in Python.
_SEP, _NULL = "\x1f", "\x1e"


def _pg_literal(value: Any, is_json: bool) -> str | None:
    """The text form of one value, or None when it cannot travel in the delimited string."""
    if value is None:
        return _NULL
    if is_json:
        value = json.dumps(value)
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, float):
        return repr(value)
    text_value = str(value)
    return None if (_SEP in text_value or _NULL in text_value) else text_value


def _pg_column_text(rows: Sequence[dict[str, Any]], name: str, is_json: bool) -> str | None:
    """One column of ``rows`` as the delimited string, or None when a value holds a separator."""
    values = [r.get(name) for r in rows]
    if not is_json and all(v is None or type(v) is str for v in values):  # the common case, fast
        joined = _SEP.join(_NULL if v is None else v for v in values)
        return joined if joined.count(_SEP) == len(values) - 1 and _NULL not in values else None
    literals = [_pg_literal(v, is_json) for v in values]
    return None if None in literals else _SEP.join(literals)  # type: ignore[arg-type]


def _pg_insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                      index_elements: Sequence[str], returning: Sequence[str]) -> list[Any]:
    """PostgreSQL: ``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING``, one parameter
    per column. A VALUES list with a placeholder per value costs psycopg seconds to parse for
    a 10,000-artifact session; one string per column costs nothing."""
    order = list(table.columns.keys())
    names = sorted({k for row in rows for k in row}, key=order.index)
    dialect = conn.dialect
    out: list[Any] = []
    for part in chunks(rows, 5000):
        params: dict[str, Any] = {}
        casts, selects = [], []
        for i, name in enumerate(names):
            col = table.c[name]
            is_json = isinstance(col.type, JSON)
            sql_type = "TEXT" if is_json else col.type.compile(dialect=dialect)
            literals = _pg_column_text(part, name, is_json)
            if literals is None:  # a value holding the separator: send this column as an array
                params[f"a{i}"] = [json.dumps(r.get(name)) if is_json and r.get(name) is not None else r.get(name)
                                   for r in part]
                casts.append(f"CAST(:a{i} AS {sql_type}[])")
            else:
                params[f"a{i}"] = literals
                casts.append(f"CAST(string_to_array(:a{i}, E'\\x1f', E'\\x1e') AS {sql_type}[])")
            selects.append(f"u.c{i}::json" if is_json else f"u.c{i}")
        cols = ", ".join(f'"{n}"' for n in names)
        sql = (f'INSERT INTO {table.name} ({cols}) SELECT {", ".join(selects)} '
               f'FROM unnest({", ".join(casts)}) AS u({", ".join(f"c{i}" for i in range(len(names)))}) '
               f'ON CONFLICT ({", ".join(index_elements)}) DO NOTHING')
        if returning:
            sql += " RETURNING " + ", ".join(f'"{n}"' for n in returning)
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


def shared_secret(db: Database, key: str) -> str:
    """A random value stored once under ``key`` in server_settings; every process reads the same."""
    import secrets

    from glaas.models import server_settings

    with db.begin() as conn:
        insert_ignore(conn, server_settings, [{"key": key, "value": secrets.token_urlsafe(48)}], ["key"])
        return conn.execute(server_settings.select().where(server_settings.c.key == key)).one().value


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
