"""What every router shares: the envelope helper and the documented error answers."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from glaas.api.envelope import ERROR_RESPONSES


def router(tag: str) -> APIRouter:
    return APIRouter(tags=[tag], responses=ERROR_RESPONSES)


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}
