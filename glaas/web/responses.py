"""How pages answer: templates rendered with the shared context, and the HTML error pages.

Every web route uses :class:`WebRoute`, which turns the query layer's errors into pages: a
record the viewer may not see is the same "Not found" page (HTTP 404) as one that does not
exist; a refused form is 403; an ambiguous prefix is 409 with links to the candidates.
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from glaas.queries.errors import Ambiguous, NotFound, QueryError, RateLimited
from glaas.web.csrf import CsrfRefused, set_csrf_cookie
from glaas.web.templating import page_context, templates

# Pages are the server's own markup: scripts and styles from /static only, SVG inline.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    response = templates.TemplateResponse(request, template, page_context(request, **values),
                                          status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    set_csrf_cookie(request, response)
    return response


def not_found(request: Request, message: str = "") -> Response:
    return render(request, "not_found.html", status_code=404, message=message)


def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotFound):
        return not_found(request, exc.message)
    if isinstance(exc, CsrfRefused):
        return render(request, "error.html", status_code=403, title="Form refused",
                      message="This form was not sent from a page of this site, or it expired; reload the page and try again.")
    if isinstance(exc, Ambiguous):
        return render(request, "error.html", status_code=409, title="More than one match", message=exc.message,
                      candidates=exc.candidates, candidate_base=request.url.path.rsplit("/", 1)[0] + "/")
    if isinstance(exc, RateLimited):
        response = render(request, "error.html", status_code=429, title="Too many attempts", message=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    assert isinstance(exc, QueryError)
    return render(request, "error.html", status_code=exc.status, title="That did not work", message=exc.message)


class WebRoute(APIRoute):
    """An APIRoute whose query-layer errors become HTML pages instead of the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (QueryError, CsrfRefused) as exc:
                return error_page(request, exc)

        return handle
