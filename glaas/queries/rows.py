"""Database rows -> API models (one place for each conversion)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, select

from glaas.models import artifacts, jobs, sessions
from glaas.schemas import ArtifactSummary, JobDetail, JobSummary

JOB_SUMMARY_COLUMNS = (jobs.c.id, jobs.c.uid, sessions.c.hash.label("session_hash"), jobs.c.command,
                       jobs.c.timestamp, jobs.c.duration_seconds, jobs.c.exit_code, jobs.c.job_type,
                       jobs.c.step_number, jobs.c.gpu_model, jobs.c.created_at)


def select_job_summaries() -> Select[Any]:
    return select(*JOB_SUMMARY_COLUMNS).join(sessions, sessions.c.id == jobs.c.session_id)


def select_job_details() -> Select[Any]:
    return select(jobs, sessions.c.hash.label("session_hash")).join(sessions, sessions.c.id == jobs.c.session_id)


# The *_fields functions give plain dicts: a large answer (a lineage graph) is assembled from
# them and validated once, in pydantic's core, instead of one model at a time.

def job_summary_fields(row: Row[Any]) -> dict[str, Any]:
    return dict(uid=row.uid, session_hash=row.session_hash, command=row.command or "", timestamp=row.timestamp,
                duration_seconds=row.duration_seconds, exit_code=row.exit_code, job_type=row.job_type,
                step_number=row.step_number, gpu_model=row.gpu_model)


def job_detail_fields(row: Row[Any]) -> dict[str, Any]:
    return dict(job_summary_fields(row), argv=row.argv, cwd=row.cwd,
                git=dict(repo=row.git_repo, commit=row.git_commit, branch=row.git_branch, dirty=row.git_dirty),
                runtime=row.runtime, packages=row.packages, metadata=row.metadata, created_at=row.created_at,
                inputs=[], outputs=[], labels=[])


def job_summary(row: Row[Any]) -> JobSummary:
    return JobSummary.model_validate(job_summary_fields(row))


def job_detail(row: Row[Any]) -> JobDetail:
    return JobDetail.model_validate(job_detail_fields(row))


ARTIFACT_SUMMARY_COLUMNS = (artifacts.c.id, artifacts.c.hash, artifacts.c.size, artifacts.c.source_type,
                            artifacts.c.file_type, artifacts.c.extension, artifacts.c.is_composite,
                            artifacts.c.created_at)


def artifact_summary_fields(row: Row[Any]) -> dict[str, Any]:
    return dict(hash=row.hash, size=row.size, source_type=row.source_type, file_type=row.file_type,
                extension=row.extension, is_composite=bool(row.is_composite), created_at=row.created_at)


def artifact_summary(row: Row[Any]) -> ArtifactSummary:
    return ArtifactSummary.model_validate(artifact_summary_fields(row))
