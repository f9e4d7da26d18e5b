"""roar-cli 0.4.7's registration calls, mapped onto the one model (see 16.md, compatibility).

The original client registers a session, then its jobs in a batch (``metadata`` a JSON string),
then artifacts, then each job's inputs and outputs, then labels. Each call is its own
transaction and idempotent, so the client's retries are harmless.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from glaas.db import chunks, member
from glaas.models import ARTIFACT, JOB, SESSION, artifacts, jobs, sessions
from glaas.queries.errors import Invalid, NotFound
from glaas.queries.visibility import visible
from glaas.registration import store
from glaas.registration.lineage import apply_label, gpu_model_of
from glaas.registration.writer import Writer
from glaas.schemas import (
    CompatArtifactBatchIn,
    CompatArtifactBatchOut,
    CompatCompositeIn,
    CompatCompositeOut,
    CompatEdgesIn,
    CompatEdgesOut,
    CompatJobBatchIn,
    CompatJobBatchOut,
    CompatLabelsIn,
    CompatLabelsOut,
    CompatSessionIn,
    CompatSessionOut,
    NativeLabel,
    normalize_digest,
    storable,
)


def _checked(digest: str) -> str:
    try:
        return normalize_digest(digest)
    except ValueError as exc:
        raise Invalid(f"{digest[:80]!r}: {exc}.") from exc


def register_session(conn: Connection, body: CompatSessionIn, writer: Writer, web_url: str) -> CompatSessionOut:
    found, _ = store.ensure_sessions(conn, [dict(hash=body.hash, git_repo=body.git_repo, git_commit=body.git_commit,
                                                 git_branch=body.git_branch)])
    new = store.grant(conn, SESSION, sessions, [found[body.hash].id], writer)
    return CompatSessionOut(hash=body.hash, created=bool(new), url=f"{web_url}/dag/{body.hash}")


def _session_id(conn: Connection, session_hash: str, writer: Writer) -> int:
    sid = conn.execute(select(sessions.c.id).where(sessions.c.hash == session_hash,
                                                   visible(sessions, SESSION, writer.principal))).scalar()
    if sid is None:
        raise NotFound(f"No session {session_hash} is registered here; register the session first.")
    return sid


def _metadata(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError) as exc:
        raise Invalid("metadata is neither a JSON object nor a JSON-encoded string of one.") from exc
    if not isinstance(parsed, dict):
        raise Invalid("metadata must encode a JSON object.")
    try:
        return storable(parsed)
    except ValueError as exc:
        raise Invalid(f"metadata: {exc}.") from exc


def _git_repo(meta: dict[str, Any]) -> str | None:
    git = meta.get("git")
    if isinstance(git, dict):
        return git.get("repo") or git.get("remote") or git.get("remote_url") or git.get("repo_url")
    return None


def _packages(meta: dict[str, Any]) -> dict[str, str]:
    pk = meta.get("packages")
    if isinstance(pk, dict):
        flat: dict[str, str] = {}
        for name, version in pk.items():
            if isinstance(version, dict):  # {"pip": {"torch": "2.3"}, ...}: one level of managers
                flat.update({str(n): str(v) for n, v in version.items() if not isinstance(v, (dict, list))})
            elif not isinstance(version, list):
                flat[str(name)] = str(version)
        return flat
    if isinstance(pk, list):
        return {str(p.get("name")): str(p.get("version", "")) for p in pk if isinstance(p, dict) and p.get("name")}
    return {}


def register_jobs(conn: Connection, session_hash: str, body: CompatJobBatchIn, writer: Writer) -> CompatJobBatchOut:
    sid = _session_id(conn, session_hash, writer)
    rows, packages, errors = [], {}, []
    for job in body.jobs:
        try:
            meta = _metadata(job.metadata)
        except Invalid as exc:
            errors.append(f"{job.job_uid}: {exc.message}")
            continue
        runtime = meta.get("runtime") if isinstance(meta.get("runtime"), dict) else None
        git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
        rows.append(dict(uid=job.job_uid, session_id=sid, command=job.command, argv=meta.get("argv"),
                         cwd=meta.get("cwd"), timestamp=job.timestamp, duration_seconds=job.duration_seconds,
                         exit_code=job.exit_code, job_type=job.job_type, step_number=job.step_number,
                         git_repo=_git_repo(meta), git_commit=job.git_commit or git.get("commit"),
                         git_branch=job.git_branch or git.get("branch"), git_dirty=git.get("dirty"),
                         gpu_model=gpu_model_of(runtime), runtime=runtime, packages=_packages(meta) or None,
                         metadata=meta or None))
        packages[job.job_uid] = _packages(meta)
    found, _ = store.ensure_jobs(conn, rows, packages, writer)
    new = store.grant(conn, JOB, jobs, [r.id for r in found.values()], writer)
    store.grant(conn, SESSION, sessions, [sid], writer)
    store.refresh_search_docs(conn, new, set())
    ids = [found[r["uid"]].id for r in rows]
    return CompatJobBatchOut(job_ids=ids, created_count=len(new), existing_count=len(ids) - len(new), errors=errors)


def _digest(hashes) -> str:
    by_alg = {h.algorithm.lower(): h.digest for h in hashes}
    return normalize_digest(by_alg.get("blake3") or hashes[0].digest)


def register_artifacts(conn: Connection, body: CompatArtifactBatchIn, writer: Writer) -> CompatArtifactBatchOut:
    rows, errors = [], []
    for a in body.artifacts:
        try:
            digest = _digest(a.hashes)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        try:
            meta = _metadata(a.metadata)
        except Invalid as exc:
            errors.append(f"{digest}: {exc.message}")
            continue
        extra = {"hashes": [h.model_dump() for h in a.hashes]}
        if a.source_url:
            extra["source_url"] = a.source_url
        rows.append(dict(hash=digest, size=a.size, source_type=a.source_type, metadata={**(meta or {}), **extra},
                         path=a.source_url))
    size_before: dict[str, int | None] = {}
    for part in chunks(sorted({r["hash"] for r in rows})):
        size_before.update(conn.execute(select(artifacts.c.hash, artifacts.c.size).where(member(conn, artifacts.c.hash, part))).all())
    found, created = store.ensure_artifacts(conn, rows)
    store.grant(conn, ARTIFACT, artifacts, [r.id for r in found.values()], writer)
    store.refresh_search_docs(conn, set(), {found[h].id for h in created})
    updated = sum(1 for h, size in size_before.items() if size is None and found[h].size is None and
                  any(r["hash"] == h and r.get("size") is not None for r in rows))
    existing = len(found) - len(created) - updated
    return CompatArtifactBatchOut(created=len(created), updated=updated, existing=max(existing, 0), errors=errors)


def register_composite(conn: Connection, body: CompatCompositeIn, writer: Writer) -> CompatCompositeOut:
    """A composite (directory) artifact with the components the client stored; the client's
    membership summary and totals are kept in its metadata."""
    digest = _checked(body.hash)
    meta = _metadata(body.metadata)
    meta.update({k: v for k, v in (("component_count_total", body.component_count_total),
                                    ("membership_index", body.membership_index)) if v is not None})
    components = [(c.relative_path, _checked(c.component_digest), c) for c in body.components]
    rows = [dict(hash=digest, size=body.size, source_type=body.source_type, is_composite=True, metadata=meta or None)]
    rows += [dict(hash=h, size=c.component_size, path=path) for path, h, c in components]
    found, created = store.ensure_artifacts(conn, rows)
    store.grant(conn, ARTIFACT, artifacts, [r.id for r in found.values()], writer)
    store.add_components(conn, [dict(composite_id=found[digest].id, path=path, component_id=found[h].id)
                                for path, h, _c in components])
    store.refresh_search_docs(conn, set(), {found[h].id for h in created})
    return CompatCompositeOut(artifact_id=found[digest].id, hash=digest, created=digest in created,
                              components_stored=len(components))


def link_job(conn: Connection, session_hash: str, job_uid: str, direction: str, body: CompatEdgesIn,
             writer: Writer) -> CompatEdgesOut:
    row = conn.execute(select(jobs.c.id, jobs.c.session_id).where(
        jobs.c.uid == job_uid, visible(jobs, JOB, writer.principal))).first()
    if row is None or row.session_id != _session_id(conn, session_hash, writer):
        raise NotFound(f"No job {job_uid} is registered in session {session_hash}; register the job first.")
    refs = [(_checked(a.hash), a) for a in body.artifacts]
    found, created = store.ensure_artifacts(conn, [dict(hash=h, size=a.size, source_type=a.source_type, path=a.path)
                                                   for h, a in refs])
    store.grant(conn, ARTIFACT, artifacts, [r.id for r in found.values()], writer)
    linked = store.link(conn, [dict(job_id=row.id, artifact_id=found[h].id, direction=direction, path=a.path)
                               for h, a in refs])
    store.refresh_search_docs(conn, {row.id} if linked else set(), {r.artifact_id for r in linked})
    count = len(refs)
    return CompatEdgesOut(job_uid=job_uid, artifacts_registered=len(created),
                          inputs_linked=count if direction == "in" else None,
                          outputs_linked=count if direction == "out" else None)


def sync_labels(conn: Connection, body: CompatLabelsIn, writer: Writer) -> CompatLabelsOut:
    created = updated = unchanged = 0
    for item in body.labels:
        key = {"session": item.session_hash, "job": item.job_uid, "artifact": item.artifact_hash}[item.entity_type]
        if not key:
            raise Invalid(f"A {item.entity_type} label needs its {item.entity_type} key.")
        meta = item.metadata if isinstance(item.metadata, dict) else _metadata(item.metadata)
        doc, changed = apply_label(conn, NativeLabel(entity_kind=item.entity_type, entity_key=key, metadata=meta), writer)
        if not changed:
            unchanged += 1
        elif doc.version == 1:
            created += 1
        else:
            updated += 1
    return CompatLabelsOut(created=created, updated=updated, unchanged=unchanged)
