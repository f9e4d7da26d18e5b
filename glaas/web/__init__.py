"""The web UI: server-rendered pages (Jinja2 templates in glaas/templates, CSS and one small
script in glaas/static; no build step). ``mount(app)`` (called by the app factory) adds them to the server's app."""
from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from glaas.web.templating import STATIC_DIR


def mount(app: FastAPI) -> None:
    """Mounts /static and the page routes (search, records, accounts, device approval)."""
    from glaas.web import accounts, pages, search

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (search, pages, accounts):
        app.include_router(module.router)
