"""Local users: create, look up, check a password (rate limited by the caller)."""
from __future__ import annotations

import re
import time

from sqlalchemy import Connection, select

from glaas.auth.passwords import hash_password, verify_password
from glaas.models import users

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class AccountError(ValueError):
    """A user request that cannot be honoured (one sentence)."""


def create_user(conn: Connection, name: str, password: str | None, is_admin: bool = False) -> int:
    if not USER_NAME.match(name):
        raise AccountError(f"{name!r} is not a valid user name: use letters, digits, '.', '_' or '-' (64 at most)")
    if conn.execute(select(users.c.id).where(users.c.name == name)).first():
        raise AccountError(f"user {name!r} already exists")
    if password is not None and len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    return int(conn.execute(users.insert().values(
        name=name, password_hash=hash_password(password) if password else None, is_admin=is_admin,
        created_at=time.time())).inserted_primary_key[0])


def user_id_by_name(conn: Connection, name: str) -> int | None:
    return conn.execute(select(users.c.id).where(users.c.name == name)).scalar()


def authenticate(conn: Connection, name: str, password: str) -> tuple[int, str, bool] | None:
    """(user id, name, is_admin) when the password is right, else None. Same work either way."""
    row = conn.execute(select(users.c.id, users.c.name, users.c.is_admin, users.c.password_hash)
                       .where(users.c.name == name)).first()
    if not verify_password(row.password_hash if row else None, password) or row is None:
        return None
    return row.id, row.name, bool(row.is_admin)
