"""GET /api/v1/search: full text and filters over jobs and artifacts, paginated by cursor."""
from __future__ import annotations

from typing import Literal

from fastapi import Depends, Query

from glaas.api.deps import database, reader
from glaas.api.routes.common import ok, router
from glaas.auth.principal import Principal
from glaas.db import Database
from glaas.queries.search import SearchFilters, search
from glaas.schemas import Envelope, SearchPage

api = router("search")


@api.get("/search", response_model=Envelope[SearchPage], summary="Search jobs and artifacts")
def search_route(
    q: str = Query("", max_length=500, description="words from commands and paths (all must match, as prefixes)"),
    kind: Literal["job", "artifact"] | None = None,
    gpu: str | None = Query(None, max_length=200, description="GPU model (substring)"),
    file_type: str | None = Query(None, max_length=64, description="extension (csv, .csv) or detected type"),
    package: str | None = Query(None, max_length=300, description="name or name==version"),
    label: str | None = Query(None, max_length=300, description="key or key=value"),
    user: str | None = Query(None, max_length=64, description="registered by this user"),
    git_repo: str | None = Query(None, max_length=500),
    git_commit: str | None = Query(None, max_length=64),
    since: float | None = Query(None, description="seconds since the epoch"),
    until: float | None = Query(None, description="seconds since the epoch"),
    exit_code: int | None = Query(None, ge=-2**31, le=2**31 - 1),
    sort: Literal["recent", "relevance"] = "recent",
    limit: int = Query(20, ge=1, le=200),
    cursor: str | None = Query(None, max_length=500),
    viewer: Principal = Depends(reader), db: Database = Depends(database),
):
    filters = SearchFilters(gpu=gpu, file_type=file_type, package=package, label=label, user=user, git_repo=git_repo,
                            git_commit=git_commit, since=since, until=until, exit_code=exit_code, kind=kind)
    with db.read() as conn:
        return ok(search(conn, viewer, q, filters, sort, limit, cursor))
