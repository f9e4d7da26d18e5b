"""The one tokenisation rule for full-text search, applied to documents and queries alike, so
SQLite FTS5 and PostgreSQL ``to_tsvector('simple', ...)`` see the same words: lower-case runs
of letters and digits; paths and commands split at every other character."""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_BODY_CHARS = 100_000


def words(*parts: str | None) -> list[str]:
    return _WORD.findall(" ".join(p for p in parts if p).lower())


def document(*parts: str | None) -> str:
    return " ".join(words(*parts))[:MAX_BODY_CHARS]
