"""The Jinja2 environment of the web pages and the filters their templates use."""
from __future__ import annotations

import datetime as dt
import shlex
from urllib.parse import quote
from pathlib import Path
from typing import Any

from starlette.templating import Jinja2Templates

from glaas.queries.labels import flatten

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def human_size(size: int | None) -> str:
    """1536 -> '1.5 KiB'; None -> '?'."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def when(seconds: float | None) -> str:
    """Seconds since the epoch as 'YYYY-MM-DD HH:MM UTC'."""
    if seconds is None:
        return "?"
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def command_line(argv: list[str] | None, command: str = "") -> str:
    """The command as a shell needs it typed (shlex.join of argv), else the recorded string."""
    return shlex.join(argv) if argv else command


def path_part(value: str | None) -> str:
    """A record key as one URL path segment (uids and session hashes come from clients)."""
    return quote(value or "", safe="")


def short(value: str | None, length: int = 12) -> str:
    return (value or "")[:length]


def basename(path: str | None) -> str:
    return (path or "").rstrip("/").rsplit("/", 1)[-1]


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.filters.update(human_size=human_size, when=when, duration=duration, short=short, basename=basename,
                       path_part=path_part, flat_labels=flatten)
    env.globals.update(command_line=command_line)
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


templates = make_templates()


def page_context(request: Any, **values: Any) -> dict[str, Any]:
    """What every page template gets: the request, the viewer and a CSRF token for its forms."""
    from glaas.web.csrf import csrf_token
    from glaas.web.session import viewer_of

    return {"request": request, "viewer": viewer_of(request), "csrf_token": csrf_token(request), **values}
