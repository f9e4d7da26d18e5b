"""Opaque pagination cursors: the sort key of the last row handed out."""
from __future__ import annotations

import base64
import json
from typing import Any

from glaas.queries.errors import Invalid


def encode(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode(cursor: str, arity: int) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        if not isinstance(key, list) or len(key) != arity:
            raise ValueError(key)
        return key
    except Exception as exc:  # noqa: BLE001 - any garbage is the same bad input
        raise Invalid("The cursor is not one this server gave out; start again without it.") from exc
