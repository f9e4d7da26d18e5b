"""Run the Alembic migrations shipped in glaas/migrations (``glaas-server migrate``, and on start)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from glaas.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision. Safe to run from several processes at once on
    PostgreSQL (an advisory lock serialises them) and on SQLite (the write lock does)."""
    cfg = alembic_config(db.url)
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_lock(726152)")
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if db.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_unlock(726152)")
                conn.commit()
