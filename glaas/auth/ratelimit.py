"""Fixed-window rate limits kept in the database, so every server process counts the same hits."""
from __future__ import annotations

import time

from sqlalchemy import Connection, delete

from glaas.db import upsert_increment
from glaas.models import rate_limits

WINDOW_S = 60


def hit(conn: Connection, key: str, limit: int, now: float | None = None) -> int | None:
    """Count one hit for ``key``; None when within ``limit`` per minute, else the seconds to wait."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_S) * WINDOW_S
    count = upsert_increment(conn, rate_limits, {"key": key, "window_start": window}, "count")
    if count == 1:  # first hit of a window: drop old windows now and then
        conn.execute(delete(rate_limits).where(rate_limits.c.window_start < window - WINDOW_S))
    if count > limit:
        return max(1, int(window + WINDOW_S - now))
    return None
