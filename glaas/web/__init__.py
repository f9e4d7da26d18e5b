"""The web UI: server-rendered pages (Jinja2 templates in glaas/templates, CSS and one small
script in glaas/static; no build step). ``mount(app)`` (called by the app factory) adds them."""
from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from glaas.web.templating import STATIC_DIR


def mount(app: FastAPI) -> None:
    """Mounts /static and the page routes (search, records, accounts, device approval), and
    answers a browser's request for an unknown page with the HTML "Not found" page."""
    from glaas.web import accounts, pages, search
    from glaas.web.responses import not_found

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (search, pages, accounts):
        app.include_router(module.router)

    api_answer = app.exception_handlers.get(HTTPException)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
        if exc.status_code == 404 and wants_page:
            return not_found(request)
        if api_answer is None:
            raise exc
        return await api_answer(request, exc)

    app.add_exception_handler(HTTPException, http_error)
