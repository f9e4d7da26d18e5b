"""POST /api/v1/lineage: one idempotent request with sessions, jobs (with their inputs and
outputs), artifacts (composites with components) and labels. See glaas/API.md."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, select

from glaas.db import insert_ignore, member
from glaas.models import (
    ARTIFACT,
    JOB,
    SESSION,
    artifacts,
    idempotency_keys,
    jobs,
    sessions,
)
from glaas.queries.entities import require_visible
from glaas.queries.errors import Invalid
from glaas.queries.labels import set_label
from glaas.registration import store
from glaas.registration.writer import Writer
from glaas.schemas import Counts, LineageBatch, LineageReceipt, NativeJob, NativeLabel


def gpu_model_of(runtime: dict[str, Any] | None) -> str | None:
    """The first GPU's name from a runtime record ({"gpus": [{"name": ...}]}, {"gpu": ...})."""
    if not isinstance(runtime, dict):
        return None
    gpu = runtime.get("gpus") or runtime.get("gpu")
    if isinstance(gpu, list):
        gpu = gpu[0] if gpu else None
    if isinstance(gpu, dict):
        gpu = gpu.get("name") or gpu.get("model")
    return str(gpu)[:200] if gpu else None


def job_row(job: NativeJob, session_id: int) -> dict[str, Any]:
    return dict(uid=job.uid, session_id=session_id, command=job.command or (" ".join(job.argv) if job.argv else ""),
                argv=job.argv, cwd=job.cwd, timestamp=job.timestamp, duration_seconds=job.duration_seconds,
                exit_code=job.exit_code, job_type=job.job_type, step_number=job.step_number,
                git_repo=job.git.repo, git_commit=job.git.commit, git_branch=job.git.branch, git_dirty=job.git.dirty,
                gpu_model=job.gpu_model or gpu_model_of(job.runtime), runtime=job.runtime, packages=job.packages,
                metadata=job.metadata)


def register(conn: Connection, batch: LineageBatch, writer: Writer, web_url: str) -> LineageReceipt:
    if batch.idempotency_key:
        stored = conn.execute(select(idempotency_keys.c.response).where(
            idempotency_keys.c.key == batch.idempotency_key, idempotency_keys.c.owner_key == writer.owner_key)).scalar()
        if stored is not None:
            return LineageReceipt.model_validate({**stored, "replayed": True})
    new, known = Counts(), Counts()

    # sessions: those in the batch, and those the jobs name (already registered ones)
    session_rows = [s.model_dump() for s in batch.sessions]
    session_ids, _ = store.ensure_sessions(conn, session_rows)
    wanted = {j.session_hash for j in batch.jobs} - session_ids.keys()
    if wanted:
        for r in conn.execute(select(sessions.c.id, sessions.c.hash).where(member(conn, sessions.c.hash, sorted(wanted)))):
            session_ids[r.hash] = r
        missing = wanted - session_ids.keys()
        if missing:
            raise Invalid(f"Job session {sorted(missing)[0]} is neither in this batch nor registered; send the session too.")
    _count(new, known, "sessions", store.grant(conn, SESSION, sessions, [r.id for r in session_ids.values()], writer),
           len(session_ids))

    # artifacts: declared ones, and every one a job or composite refers to
    art_rows: list[dict[str, Any]] = []
    for a in batch.artifacts:
        art_rows.append(dict(hash=a.hash, size=a.size, source_type=a.source_type, file_type=a.file_type, path=a.path,
                             metadata=a.metadata, is_composite=a.components is not None))
        for c in a.components or ():
            art_rows.append(dict(hash=c.hash.lower(), size=c.size, path=c.path))
    for j in batch.jobs:
        for ref in (*j.inputs, *j.outputs):
            art_rows.append(dict(hash=ref.hash, size=ref.size, path=ref.path))
    art_ids, _ = store.ensure_artifacts(conn, art_rows)
    declared = {r["hash"] for r in art_rows}
    new_art = store.grant(conn, ARTIFACT, artifacts, [art_ids[h].id for h in declared], writer)
    _count(new, known, "artifacts", new_art, len(declared))
    store.add_components(conn, [dict(composite_id=art_ids[a.hash].id, path=c.path, component_id=art_ids[c.hash.lower()].id)
                                for a in batch.artifacts for c in a.components or ()])

    # jobs and their edges
    job_rows = [job_row(j, session_ids[j.session_hash].id) for j in batch.jobs]
    job_ids, _ = store.ensure_jobs(conn, job_rows, {j.uid: j.packages or {} for j in batch.jobs}, writer)
    new_jobs = store.grant(conn, JOB, jobs, [r.id for r in job_ids.values()], writer)
    _count(new, known, "jobs", new_jobs, len(job_ids))
    art_id = {h: r.id for h, r in art_ids.items()}
    edge_rows = [dict(job_id=job_ids[j.uid].id, artifact_id=art_id[ref.hash], direction=d, path=ref.path)
                 for j in batch.jobs for d, refs in (("in", j.inputs), ("out", j.outputs)) for ref in refs]
    linked = store.link(conn, edge_rows)
    new.edges, known.edges = len(linked), len(edge_rows) - len(linked)
    store.refresh_search_docs(conn, {r.job_id for r in linked} | {job_ids[u].id for u in job_ids if job_ids[u].id in new_jobs},
                              {r.artifact_id for r in linked} | new_art)

    for label in batch.labels:
        _, changed = apply_label(conn, label, writer)
        setattr(new if changed else known, "labels", getattr(new if changed else known, "labels") + 1)

    receipt = LineageReceipt(
        new=new, known=known, scope=writer.scope,
        session_urls={h: f"{web_url}/dag/{h}" for h in session_ids},
        artifact_urls={a.hash: f"{web_url}/artifact/{a.hash}" for a in batch.artifacts})
    if batch.idempotency_key:
        insert_ignore(conn, idempotency_keys, [dict(key=batch.idempotency_key, owner_key=writer.owner_key,
                                                     response=receipt.model_dump(), created_at=time.time())],
                      ["key", "owner_key"])
    return receipt


def _count(new: Counts, known: Counts, field: str, new_ids: set[int], total: int) -> None:
    setattr(new, field, len(new_ids))
    setattr(known, field, total - len(new_ids))


def apply_label(conn: Connection, label: NativeLabel, writer: Writer):
    """Set a label document on a record the writer can see (a hidden one is not found)."""
    key = require_visible(conn, label.entity_kind, label.entity_key, writer.principal)
    return set_label(conn, label.entity_kind, key, label.metadata, writer.owner_key, writer.scope)
