"""The search page (also the home page): full text and every filter of the query layer's
search, as a GET form, so a search is a URL that can be shared; paginated by cursor."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from glaas.api.deps import database
from glaas.auth.principal import Principal
from glaas.db import Database
from glaas.queries.errors import Invalid
from glaas.queries.search import SearchFilters, search
from glaas.schemas import SearchPage
from glaas.web.responses import WebRoute, render
from glaas.web.session import load_viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
MAX_FIELD_CHARS = 500


@dataclass
class SearchForm:
    """The form's fields as typed (all text), so the page can show them back unchanged."""

    q: str = ""
    kind: str = ""
    gpu: str = ""
    file_type: str = ""
    package: str = ""
    label: str = ""
    user: str = ""
    git_repo: str = ""
    git_commit: str = ""
    since: str = ""   # YYYY-MM-DD, UTC
    until: str = ""   # YYYY-MM-DD, UTC, inclusive
    exit_code: str = ""
    sort: str = "recent"
    limit: str = ""   # results per page, 1 to MAX_PAGE_SIZE (default PAGE_SIZE)

    @classmethod
    def from_request(cls, request: Request) -> "SearchForm":
        params = request.query_params
        return cls(**{f.name: params.get(f.name, f.default).strip()[:MAX_FIELD_CHARS] for f in fields(cls)})

    def filters(self) -> SearchFilters:
        """The query layer's filters; Invalid (one sentence) for a field that does not parse."""
        exit_code = None
        if self.exit_code:
            try:
                exit_code = int(self.exit_code)
            except ValueError:
                raise Invalid(f"The exit status must be a whole number, not {self.exit_code!r}.") from None
        return SearchFilters(
            gpu=self.gpu or None, file_type=self.file_type or None, package=self.package or None,
            label=self.label or None, user=self.user or None, git_repo=self.git_repo or None,
            git_commit=self.git_commit or None, since=_day(self.since, "from"), exit_code=exit_code,
            until=None if not self.until else _day(self.until, "to") + 86400,
            kind=self.kind if self.kind in ("job", "artifact") else None)

    def page_size(self) -> int:
        if not self.limit:
            return PAGE_SIZE
        if not self.limit.isdigit() or not 1 <= int(self.limit) <= MAX_PAGE_SIZE:
            raise Invalid(f"The page size must be a number from 1 to {MAX_PAGE_SIZE}, not {self.limit!r}.")
        return int(self.limit)

    def url_with(self, **changes: str) -> str:
        values = {**asdict(self), **changes}
        return "/search?" + urlencode({k: v for k, v in values.items() if v})


def _day(text: str, which: str) -> float | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"The '{which}' date must look like 2026-01-31, not {text!r}.") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def run_search(db: Database, form: SearchForm, viewer: Principal, cursor: str | None) -> SearchPage:
    filters = form.filters()
    sort = "relevance" if form.sort == "relevance" else "recent"
    with db.read() as conn:
        return search(conn, viewer, form.q, filters, sort, form.page_size(), cursor)


@router.get("/")
@router.get("/search")
async def search_page(request: Request, cursor: str | None = None, viewer: Principal = Depends(load_viewer)) -> Response:
    form = SearchForm.from_request(request)
    try:
        page = await run_in_threadpool(run_search, database(request), form, viewer, cursor or None)
        error = None
    except Invalid as exc:
        page, error = SearchPage(hits=[]), exc.message
    next_url = form.url_with(cursor=page.next_cursor) if page.next_cursor else None
    return render(request, "search.html", status_code=400 if error else 200, form=form, page=page,
                  next_url=next_url, query_text=form.q, flashes=[("error", error)] if error else [],
                  searched=any(v for k, v in asdict(form).items() if k not in ("sort", "limit")))
