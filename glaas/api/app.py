"""The ASGI app: routers under /api/v1, the envelope on every answer, body size limit.

``create_app(settings)`` is what uvicorn serves (``glaas-server``) and what the tests start.
The web UI (glaas/web/, the web helper's) is mounted when present.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from glaas.api.envelope import error_response
from glaas.api.limits import BodySizeLimit
from glaas.api.routes import auth, compat, health, labels, lineage, reads, search
from glaas.auth.device import DeviceFlowError
from glaas.config import Settings
from glaas.db import Database, shared_secret
from glaas.queries.errors import Ambiguous, QueryError, RateLimited
from glaas.version import VERSION

API_PREFIX = "/api/v1"
log = logging.getLogger("glaas")


def create_app(settings: Settings | None = None, migrate: bool = True, web: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    db = Database(settings.url)
    if migrate:
        from glaas.migrate import upgrade
        upgrade(db)
    if not settings.secret_key:  # the cookie key all processes on this database share
        settings.secret_key = shared_secret(db, "cookie_secret_key")
    app = FastAPI(title="GLaaS", version=VERSION, description="Lineage registry for roar (glaas/API.md)",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.settings = settings
    app.state.db = db
    app.state.token_touched = {}
    for module in (health, compat, lineage, reads, labels, search, auth):
        app.include_router(module.api, prefix=API_PREFIX)
    _install_error_handlers(app)
    if web:
        _mount_web(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QueryError)
    async def _query_error(_request: Request, exc: QueryError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return error_response(exc.status, exc.code, exc.message,
                              candidates=exc.candidates if isinstance(exc, Ambiguous) else None, headers=headers)

    @app.exception_handler(DeviceFlowError)
    async def _device_error(_request: Request, exc: DeviceFlowError):
        return error_response(exc.status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "The request is not valid."
        return error_response(422, "invalid", message, details=_jsonable(errors))

    @app.exception_handler(ValidationError)
    async def _inner_validation(_request: Request, exc: ValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid", f"{where}: {first.get('msg', 'invalid')}" if where else "The request is not valid.")

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, exc: OverflowError):
        return error_response(422, "invalid", "A number in the request is too large to store.")

    @app.exception_handler(StatementError)
    async def _unstorable(_request: Request, exc: StatementError):
        if isinstance(exc.orig, (UnicodeError, ValueError, OverflowError)) or isinstance(exc, DataError):
            return error_response(422, "invalid", "The request holds a value the database cannot store "
                                  "(text that is not valid Unicode, or a number out of range).")
        log.exception("database error")
        return error_response(500, "internal", "The server failed to answer; the error is in its log.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal", "The server failed to answer; the error is in its log.")


def _jsonable(errors: list) -> list:
    out = []
    for e in errors:
        out.append({k: (v if isinstance(v, (str, int, float, bool, type(None), list)) else str(v))
                    for k, v in e.items() if k in ("loc", "msg", "type")})
    return out


def _mount_web(app: FastAPI) -> None:
    import importlib
    import importlib.util

    if importlib.util.find_spec("glaas.web") is None:  # the web UI, when present
        return
    importlib.import_module("glaas.web").mount(app)
