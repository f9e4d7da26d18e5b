"""Lineage known only to the server: ``roarctl reproduce HASH`` for a hash no local workspace
recorded asks the configured GLaaS server for the artifact's reproduction DAG and imports it
into the current workspace as a session of its own (not the active one), so the reproduce
planner works from it as from any recorded lineage: clone of the recorded remote, the recorded
interpreter and packages, inputs from the checkout, from earlier steps or through ``get``.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from roard.errors import NotFound
from roard.lineage.model import FileEntry, JobRecord
from roard.lineage.store import JobStore

LINEAGE_PATH = "/api/v1/artifacts/{ref}/dag"


def _typed(name: str, data: dict[str, Any]) -> Any:
    """``data`` as the type JobRecord's field ``name`` has (a typed record, or a dict)."""
    spec = next(f for f in dataclasses.fields(JobRecord) if f.name == name)
    default = spec.default_factory() if spec.default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
    kind = type(default) if default is not None else None
    if kind is not None and hasattr(kind, "from_json"):
        return kind.from_json(data)
    return dict(data)


def _files(refs: list[dict[str, Any]], flags: dict[str, list[str]]) -> list[FileEntry]:
    return [FileEntry(r["path"], r["path"], r["hash"], int(r.get("size") or 0), list(flags.get(r["path"], [])))
            for r in refs]


def remote_job(detail: dict[str, Any]) -> JobRecord:
    """A job as the server describes it (JobDetail), as a local record. Paths are relative to
    the repository; the repository itself is the recorded remote (cloned by the planner)."""
    metadata = dict(detail.get("metadata") or {})
    git = detail.get("git") or {}
    runtime = dict(detail.get("runtime") or {})
    runtime["packages_used"] = [{"name": n, "version": v} for n, v in (detail.get("packages") or {}).items()]
    started = float(detail.get("timestamp") or 0.0)
    job = JobRecord(
        uid=detail["uid"], session_id="", kind=detail.get("job_type") or "run",
        argv=list(detail.get("argv") or str(detail.get("command", "")).split()),
        cwd=detail.get("cwd") or ".", started_at=started,
        ended_at=started + float(detail.get("duration_seconds") or 0.0),
        exit_code=int(detail.get("exit_code") or 0), status=str(metadata.get("status") or "ok"),
        tracer=str(metadata.get("tracer") or "glaas"),
        git=_typed("git", {"commit": git.get("commit") or "", "branch": git.get("branch") or "",
                           "remote": git.get("repo") or "", "dirty": bool(git.get("dirty"))}),
        runtime=_typed("runtime", runtime),
        inputs=_files(detail.get("inputs") or [], metadata.get("input_flags") or {}),
        outputs=_files(detail.get("outputs") or [], {}),
        warnings=["imported from a GLaaS server (registered lineage)"])
    transfer = metadata.get("transfer")
    if transfer and any(f.name == "transfer" for f in dataclasses.fields(JobRecord)):
        job.transfer = _typed_transfer(transfer)      # type: ignore[attr-defined]
    return job


def _typed_transfer(data: dict[str, Any]) -> Any:
    from roard.lineage import model

    kind = getattr(model, "TransferInfo", None)
    return kind.from_json(data) if kind is not None else data


async def import_jobs(store: JobStore, jobs: list[JobRecord]) -> int:
    """Add the jobs the workspace does not have yet as a new session, leaving the active
    session as it was. Returns how many were added."""
    have = set()
    for job in jobs:
        try:
            await store.get_job(job.uid, with_decisions=False)
            have.add(job.uid)
        except NotFound:
            pass
    new = sorted((j for j in jobs if j.uid not in have), key=lambda j: (j.ended_at, j.started_at))
    if not new:
        return 0
    previous = await store.active_session()
    await store.reset_session()
    try:
        for job in new:
            await store.add_job(job)
    finally:
        await store.activate_session(previous)
    return len(new)


