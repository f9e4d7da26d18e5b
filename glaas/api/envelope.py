"""The response envelope: ``{"success": true, "data": ...}`` / ``{"success": false, "error": {...}}``."""
from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from glaas.schemas import ErrorEnvelope

# Documented on every route, so the OpenAPI document describes every answer the API can give.
_ERR = {"model": ErrorEnvelope}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_ERR, "description": "bad request"},
    401: {**_ERR, "description": "the bearer token is unknown, revoked or expired"},
    403: {**_ERR, "description": "the token lacks the scope this needs, or anonymous writes are off"},
    404: {**_ERR, "description": "no such record, or one the caller may not see"},
    409: {**_ERR, "description": "an ambiguous prefix (error.candidates lists the matches)"},
    413: {**_ERR, "description": "the request body is larger than the server accepts"},
    422: {**_ERR, "description": "the request does not match the schema"},
    429: {**_ERR, "description": "rate limited (see Retry-After)"},
}


def error_response(status: int, code: str, message: str, candidates: list[str] | None = None,
                   details: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if candidates is not None:
        body["candidates"] = candidates
    if details is not None:
        body["details"] = details
    return JSONResponse({"success": False, "error": body}, status_code=status, headers=headers)
