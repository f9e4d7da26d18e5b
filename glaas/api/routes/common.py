"""What every router shares: the envelope helper and the documented error answers."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from glaas.api.envelope import ERROR_RESPONSES


def router(tag: str) -> APIRouter:
    return APIRouter(tags=[tag], responses=ERROR_RESPONSES)


def _json(data: Any) -> bytes:
    if isinstance(data, BaseModel):
        return data.model_dump_json().encode()
    if isinstance(data, list):
        return b"[" + b",".join(_json(item) for item in data) + b"]"
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


def ok(data: Any, status_code: int = 200) -> Response:
    """``{"success": true, "data": ...}``, serialised once by pydantic (the route's
    response_model documents it; FastAPI does not validate a returned Response again)."""
    return Response(content=b'{"success":true,"data":' + _json(data) + b"}", status_code=status_code,
                    media_type="application/json")
