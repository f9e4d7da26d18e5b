"""OpenLineage run events through ``openlineage-python``: START, then COMPLETE (or FAIL) per job,
oldest first, one JSON document per line.

Jobs and datasets share one namespace: the git remote (secrets redacted), else the workspace
as a ``file://`` URL. A dataset is a file by its path, carrying its BLAKE3 hash and size in the
``roar_contentHash`` facet (and the hash as its version). A job carries its command in
``roar_command`` and its commit in ``sourceCodeLocation``. Run ids are derived from the job uid,
so exporting twice gives the same ids.
"""
from __future__ import annotations

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet, JobFacet, RunFacet, dataset_version_dataset, job_type_job,
    output_statistics_output_dataset, processing_engine_run, source_code_location_job)
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_static_uuid

from roar_api.version import VERSION
from roard.lineage.export.scope import (
    ExportScope, command_line, env_names, git_field, hostname, public_argv, utc)
from roard.lineage.model import FileEntry, JobRecord, cwd_relative_to

PRODUCER = f"urn:roar:roard:{VERSION}"
_SCHEMA = "urn:roar:openlineage:facets:1-0-0:"


@attr.define
class ContentHashDatasetFacet(DatasetFacet):
    """The file's content identity: roar names every artifact by the hash of its bytes."""

    algorithm: str
    hash: str
    size: int

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA + "ContentHashDatasetFacet"


@attr.define
class CommandJobFacet(JobFacet):
    """The command line a step runs (secrets redacted) and where it runs."""

    argv: list[str]
    cwd: str
    kind: str

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA + "CommandJobFacet"


@attr.define
class RoarRunFacet(RunFacet):
    """How roar recorded the run; environment variable names only, never their values."""

    jobUid: str  # noqa: N815
    sessionId: str  # noqa: N815
    step: str
    exitCode: int  # noqa: N815
    status: str
    host: str
    envNames: list[str]  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA + "RoarRunFacet"


def namespace(scope: ExportScope) -> str:
    remote = next((git_field(j, "remote") for j in scope.jobs if git_field(j, "remote")), "")
    return remote or f"file://{scope.root}"


def build(scope: ExportScope) -> str:
    ns = namespace(scope)
    events = [event for job in scope.jobs for event in _events(job, ns, scope.root)]
    return "".join(Serde.to_json(event) + "\n" for event in events)


def _events(job: JobRecord, ns: str, root: str) -> list[RunEvent]:
    run = Run(runId=str(generate_static_uuid(utc(job.started_at), job.uid.encode())),
              facets=_run_facets(job))
    ol_job = Job(namespace=ns, name=command_line(job), facets=_job_facets(job, root))
    inputs = [InputDataset(ns, e.path, facets=_dataset_facets(e)) for e in _hashed(job.inputs)]
    outputs = [OutputDataset(ns, e.path, facets=_dataset_facets(e), outputFacets={
        "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            size=e.size, fileCount=1, producer=PRODUCER)}) for e in _hashed(job.outputs)]
    done = RunState.COMPLETE if job.exit_code == 0 and job.status in ("ok", "recovered") else RunState.FAIL
    return [
        RunEvent(eventType=RunState.START, eventTime=utc(job.started_at).isoformat(), run=run,
                 job=ol_job, inputs=inputs, producer=PRODUCER),
        RunEvent(eventType=done, eventTime=utc(job.ended_at).isoformat(), run=run, job=ol_job,
                 inputs=inputs, outputs=outputs, producer=PRODUCER),
    ]


def _hashed(entries: list[FileEntry]) -> list[FileEntry]:
    return [e for e in entries if e.hash]


def _dataset_facets(entry: FileEntry) -> dict[str, DatasetFacet]:
    return {
        "roar_contentHash": ContentHashDatasetFacet(algorithm="blake3", hash=entry.hash, size=entry.size,
                                                    producer=PRODUCER),
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=entry.hash,
                                                                      producer=PRODUCER),
    }


def _job_facets(job: JobRecord, root: str) -> dict[str, JobFacet]:
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="ROAR",
                                                jobType="COMMAND", producer=PRODUCER),
        "roar_command": CommandJobFacet(argv=public_argv(job), cwd=cwd_relative_to(job, root), kind=job.kind, producer=PRODUCER),
    }
    if git_field(job, "commit"):
        facets["sourceCodeLocation"] = _source_location(job)
    return facets


def _source_location(job: JobRecord) -> JobFacet:
    remote, root = git_field(job, "remote"), git_field(job, "repo_root")
    return source_code_location_job.SourceCodeLocationJobFacet(
        type="git", url=remote or f"file://{root}", repoUrl=remote or None,
        version=git_field(job, "commit"), branch=git_field(job, "branch") or None, producer=PRODUCER)


def _run_facets(job: JobRecord) -> dict[str, RunFacet]:
    return {
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=VERSION, name="roar", producer=PRODUCER),
        "roar_run": RoarRunFacet(jobUid=job.uid, sessionId=job.session_id, step=job.ref,
                                 exitCode=job.exit_code, status=job.status, host=hostname(job),
                                 envNames=env_names(job), producer=PRODUCER),
    }
