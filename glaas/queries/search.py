"""Search: full text over commands and paths, plus filters, over jobs and artifacts.

One interface, two engines: SQLite FTS5 (table ``search_fts``) and PostgreSQL full-text search
(``search_docs.tsv``, a generated tsvector with a GIN index); both index the same words
(glaas/queries/textindex.py). Filters combine freely: job filters on an artifact ask about the
job that produced it, file-type filters on a job about the files it used or made.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
)

from glaas.auth.principal import Principal
from glaas.db import member
from glaas.models import (
    ARTIFACT,
    JOB,
    artifacts,
    edges,
    grants,
    job_packages,
    jobs,
    labels,
    search_docs,
    users,
)
from glaas.queries import cursor as cursors
from glaas.queries.errors import Invalid
from glaas.queries.rows import (
    ARTIFACT_SUMMARY_COLUMNS,
    artifact_summary,
    job_summary,
    select_job_summaries,
)
from glaas.queries.textindex import words
from glaas.queries.visibility import visible, visible_labels
from glaas.schemas import SearchHit, SearchPage

Sort = Literal["recent", "relevance"]
MAX_TERMS = 16


@dataclass
class SearchFilters:
    """Every filter the search understands; None means "any"."""

    gpu: str | None = None           # GPU model, substring, case-insensitive
    file_type: str | None = None     # "csv", ".csv" (extension) or a detected type
    package: str | None = None       # "torch" or "torch==2.3.0"
    label: str | None = None         # "stage" or "stage=baseline" (dotted keys for nested ones)
    user: str | None = None          # registered (publicly, or by the caller) by this user
    git_repo: str | None = None      # substring of the repository URL
    git_commit: str | None = None    # commit or its prefix
    since: float | None = None       # run (or registered) at or after, seconds since the epoch
    until: float | None = None       # ... before
    exit_code: int | None = None
    kind: Literal["job", "artifact"] | None = None


def _job_conditions(f: SearchFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.gpu:
        conds.append(func.lower(jobs.c.gpu_model).contains(f.gpu.lower(), autoescape=True))
    if f.git_repo:
        conds.append(jobs.c.git_repo.contains(f.git_repo, autoescape=True))
    if f.git_commit:
        conds.append(jobs.c.git_commit.startswith(f.git_commit.lower(), autoescape=True))
    if f.exit_code is not None:
        conds.append(jobs.c.exit_code == f.exit_code)
    if f.package:
        name, _, version = f.package.partition("==")
        pk = [job_packages.c.job_id == jobs.c.id, job_packages.c.name == name.strip()]
        if version:
            pk.append(job_packages.c.version == version.strip())
        conds.append(exists(select(1).select_from(job_packages).where(*pk)))
    return conds


def _artifact_conditions(f: SearchFilters) -> list[ColumnElement[bool]]:
    if not f.file_type:
        return []
    t = f.file_type.strip().lower()
    ext = t if t.startswith(".") else "." + t
    return [or_(artifacts.c.extension == ext, artifacts.c.file_type == t.lstrip("."))]


def _label_condition(f: SearchFilters, kind: str, key_column: Any, viewer: Principal) -> ColumnElement[bool]:
    k, eq, v = f.label.partition("=")  # type: ignore[union-attr]
    pattern = f"%\n{k.strip()}={v.strip()}\n%" if eq else f"%\n{k.strip()}=%"
    newer = labels.alias("newer")  # only each owner's current document counts, not its history
    current = ~exists(select(1).select_from(newer).where(
        newer.c.entity_kind == labels.c.entity_kind, newer.c.entity_key == labels.c.entity_key,
        newer.c.owner_key == labels.c.owner_key, newer.c.version > labels.c.version))
    return exists(select(1).select_from(labels).where(labels.c.entity_kind == kind, labels.c.entity_key == key_column,
                                                      labels.c.flat.like(pattern), visible_labels(viewer), current))


def _user_condition(f: SearchFilters, kind: str, id_column: Any, viewer: Principal) -> ColumnElement[bool]:
    by_user = [grants.c.kind == kind, grants.c.resource_id == id_column, users.c.name == f.user]
    if viewer.authenticated:
        by_user.append(or_(grants.c.scope != "private", grants.c.owner_key == viewer.user_id))
    else:
        by_user.append(grants.c.scope != "private")
    return exists(select(1).select_from(grants.join(users, users.c.id == grants.c.owner_key)).where(*by_user))


def _per_document(subquery: Any, per_row: bool) -> ColumnElement[bool]:
    """EXISTS(subquery). With ``per_row`` (PostgreSQL) the subquery gets an OFFSET parameter,
    which keeps the planner from turning it into a hashed set of every matching record (a scan
    of all jobs or artifacts before the first row); probed per document instead, a page of
    results walks the recency index and stops."""
    return exists(subquery.offset(0) if per_row else subquery)


def _job_doc_condition(f: SearchFilters, viewer: Principal, per_row: bool = False) -> ColumnElement[bool]:
    conds = [jobs.c.id == search_docs.c.resource_id, visible(jobs, JOB, viewer), *_job_conditions(f)]
    art = _artifact_conditions(f)
    if art:
        conds.append(exists(select(1).select_from(edges.join(artifacts, artifacts.c.id == edges.c.artifact_id))
                            .where(edges.c.job_id == jobs.c.id, *art)))
    if f.label:
        conds.append(_label_condition(f, JOB, jobs.c.uid, viewer))
    if f.user:
        conds.append(_user_condition(f, JOB, jobs.c.id, viewer))
    # the kind test sits inside the subquery, so no kind index tempts the planner away from
    # walking documents in recency order
    return _per_document(select(1).select_from(jobs).where(search_docs.c.kind == JOB, *conds), per_row)


def _artifact_doc_condition(f: SearchFilters, viewer: Principal, per_row: bool = False) -> ColumnElement[bool]:
    conds = [artifacts.c.id == search_docs.c.resource_id, visible(artifacts, ARTIFACT, viewer), *_artifact_conditions(f)]
    job_conds = _job_conditions(f)
    if job_conds:  # about the job that produced it
        conds.append(exists(select(1).select_from(edges.join(jobs, jobs.c.id == edges.c.job_id)).where(
            edges.c.artifact_id == artifacts.c.id, edges.c.direction == "out", visible(jobs, JOB, viewer), *job_conds)))
    if f.label:
        conds.append(_label_condition(f, ARTIFACT, artifacts.c.hash, viewer))
    if f.user:
        conds.append(_user_condition(f, ARTIFACT, artifacts.c.id, viewer))
    return _per_document(select(1).select_from(artifacts).where(search_docs.c.kind == ARTIFACT, *conds), per_row)


def search(conn: Connection, viewer: Principal, q: str = "", filters: SearchFilters | None = None,
           sort: Sort = "recent", limit: int = 20, cursor: str | None = None) -> SearchPage:
    f = filters or SearchFilters()
    terms = words(q)[:MAX_TERMS]
    if sort == "relevance" and not terms:
        sort = "recent"
    kinds = []
    per_row = conn.dialect.name == "postgresql"
    if f.kind in (None, "job"):
        kinds.append(_job_doc_condition(f, viewer, per_row))
    if f.kind in (None, "artifact") and f.exit_code is None:  # an exit status is a job's
        kinds.append(_artifact_doc_condition(f, viewer, per_row))
    if not kinds:
        return SearchPage(hits=[])
    stmt = select(search_docs.c.id, search_docs.c.kind, search_docs.c.resource_id, search_docs.c.created_at)
    where: list[ColumnElement[bool]] = [or_(*kinds)]
    if f.since is not None:
        where.append(search_docs.c.created_at >= f.since)
    if f.until is not None:
        where.append(search_docs.c.created_at < f.until)
    rank = None
    if terms:
        stmt, rank = _full_text(conn, stmt, terms, ranked=sort == "relevance")
    offset = 0
    if sort == "recent":
        if cursor:
            at, rid = cursors.decode(cursor, 2)
            where.append(or_(search_docs.c.created_at < at, and_(search_docs.c.created_at == at, search_docs.c.id < rid)))
        stmt = stmt.order_by(search_docs.c.created_at.desc(), search_docs.c.id.desc())
    else:
        if cursor:
            offset = int(cursors.decode(cursor, 2)[0])
            if offset < 0:
                raise Invalid("The cursor is not one this server gave out; start again without it.")
        stmt = stmt.order_by(rank, search_docs.c.id.desc()).offset(offset)
    rows = conn.execute(stmt.where(*where).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = (cursors.encode(last.created_at, last.id) if sort == "recent"
                       else cursors.encode(offset + limit, 0))
    return SearchPage(hits=_hits(conn, page), next_cursor=next_cursor)


def _full_text(conn: Connection, stmt: Any, terms: list[str], ranked: bool) -> tuple[Any, Any]:
    """Restrict ``stmt`` to documents with every term (as a prefix); with ``ranked``, add the
    score and return the ORDER BY for relevance."""
    if conn.dialect.name == "postgresql":
        query = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
        tsv = literal_column("search_docs.tsv")
        stmt = stmt.where(tsv.op("@@")(query))
        if not ranked:
            return stmt, None
        return stmt.add_columns(func.ts_rank(tsv, query).label("score")), literal_column("score").desc()
    match = " ".join(f'"{t}"*' for t in terms)
    if not ranked:
        # a set of matching ids: the recency index is then walked only until the page is full,
        # instead of testing and sorting every match
        matching = select(literal_column("rowid")).select_from(text("search_fts")).where(
            text("search_fts MATCH :fts_query"))
        return stmt.where(search_docs.c.id.in_(matching)).params(fts_query=match), None
    fts = (select(literal_column("rowid").label("doc_id"), literal_column("bm25(search_fts)").label("score"))
           .select_from(text("search_fts")).where(text("search_fts MATCH :fts_query"))).subquery("fts")
    stmt = stmt.add_columns(fts.c.score).join(fts, fts.c.doc_id == search_docs.c.id).params(fts_query=match)
    return stmt, fts.c.score.asc()


def _hits(conn: Connection, rows: list[Any]) -> list[SearchHit]:
    job_ids = [r.resource_id for r in rows if r.kind == JOB]
    art_ids = [r.resource_id for r in rows if r.kind == ARTIFACT]
    job_by_id = {r.id: job_summary(r) for r in conn.execute(select_job_summaries().where(member(conn, jobs.c.id, job_ids)))} if job_ids else {}
    art_by_id = ({r.id: artifact_summary(r) for r in conn.execute(select(*ARTIFACT_SUMMARY_COLUMNS)
                                                                    .where(member(conn, artifacts.c.id, art_ids)))} if art_ids else {})
    hits = []
    for r in rows:
        score = float(r.score) if "score" in r._fields and r.score is not None else None
        if r.kind == JOB and r.resource_id in job_by_id:
            hits.append(SearchHit(kind="job", created_at=r.created_at, job=job_by_id[r.resource_id], score=score))
        elif r.kind == ARTIFACT and r.resource_id in art_by_id:
            hits.append(SearchHit(kind="artifact", created_at=r.created_at, artifact=art_by_id[r.resource_id], score=score))
    return hits
