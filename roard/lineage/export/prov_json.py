"""W3C PROV-JSON through the ``prov`` library.

Artifacts are entities named by their BLAKE3 hash (``blake3:<hex>``, i.e. ``urn:blake3:<hex>``)
with their paths and size; jobs are activities (``roar:job-<uid>``) with argv, times, exit code
and git commit; each job used its inputs, generated its outputs, and each output was derived
from each input of its job. The host a job ran on is a software agent associated with it.
"""
from __future__ import annotations

import json

from prov.constants import PROV_LABEL, PROV_TYPE
from prov.model import PROV, ProvDocument

from roard.lineage.export.scope import (
    ExportScope, artifacts, command_line, env_names, git_field, hostname, public_argv, utc)
from roard.lineage.model import JobRecord, cwd_relative_to

ROAR_NS = "urn:roar:"
BLAKE3_NS = "urn:blake3:"


def build(scope: ExportScope) -> str:
    doc = ProvDocument()
    doc.add_namespace("roar", ROAR_NS)
    doc.add_namespace("blake3", BLAKE3_NS)
    for art in artifacts(scope.jobs).values():
        doc.entity(f"blake3:{art.hash}", [(PROV_LABEL, art.paths[0]), ("roar:size", art.size),
                                          *(("roar:path", p) for p in art.paths)])
    for host in sorted({hostname(j) for j in scope.jobs} - {""}):
        doc.agent(_agent_id(host), [(PROV_TYPE, PROV["SoftwareAgent"]), ("roar:hostname", host)])
    for job in scope.jobs:
        _add_job(doc, job, scope.root)
    return doc.serialize(format="json", indent=2)


def _activity_attributes(job: JobRecord, root: str) -> list[tuple[str, object]]:
    attrs: list[tuple[str, object]] = [
        (PROV_LABEL, f"{job.ref} {command_line(job)}"), ("roar:argv", json.dumps(public_argv(job))),
        ("roar:exitCode", job.exit_code), ("roar:status", job.status), ("roar:kind", job.kind),
        ("roar:step", job.ref), ("roar:cwd", cwd_relative_to(job, root))]
    for key, name in (("commit", "roar:gitCommit"), ("branch", "roar:gitBranch"), ("remote", "roar:gitRemote")):
        if git_field(job, key):
            attrs.append((name, git_field(job, key)))
    attrs += [("roar:envName", name) for name in env_names(job)]
    return attrs


def _add_job(doc: ProvDocument, job: JobRecord, root: str) -> None:
    activity = doc.activity(f"roar:job-{job.uid}", utc(job.started_at), utc(job.ended_at),
                            _activity_attributes(job, root))
    inputs = sorted({e.hash for e in job.inputs if e.hash})
    outputs = sorted({e.hash for e in job.outputs if e.hash})
    for digest in inputs:
        doc.used(activity, f"blake3:{digest}", utc(job.started_at))
    for digest in outputs:
        doc.wasGeneratedBy(f"blake3:{digest}", activity, utc(job.ended_at))
        for source in inputs:
            if source != digest:
                doc.wasDerivedFrom(f"blake3:{digest}", f"blake3:{source}", activity)
    if hostname(job):
        doc.wasAssociatedWith(activity, _agent_id(hostname(job)))


def _agent_id(host: str) -> str:
    return f"roar:host-{host}"
