"""Local records -> the GLaaS server's native registration payload (glaas/API.md), with every
string that describes a job, session or label passed through the omission filter first.

The payload is a plain JSON document: sessions (by lineage hash), jobs (by uid), artifacts (by
BLAKE3 digest), composites (a directory's Merkle hash with its components), edges (job used or
produced an artifact at a path) and labels. Its idempotency key is derived from its content, so
the same lineage sent twice is recognised as one registration by the server.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

import blake3

from roard.capture.omission import OmissionFilter, Redaction
from roard.lineage.artifacts import ArtifactInfo
from roard.lineage.graph import lineage_hash
from roard.lineage.model import JobRecord, relative_cwd

#: Runtime fields that are facts about the machine, sent as the job's ``runtime``.
RUNTIME_FIELDS = ("hostname", "os", "cpu", "gpu", "gpus", "gpu_driver", "cuda_version", "gpu_devices_opened",
                  "gpu_uuids_opened", "cuda_runtime", "cudnn", "gpu_libraries", "cuda_visible_devices",
                  "memory", "python_executable", "python_version")


@dataclass(frozen=True)
class CompositeRow:
    """One component of a directory recorded as a whole (a row of the ``composites`` table)."""

    job_uid: str
    role: str          # in | out
    hash: str
    path: str
    member: str
    member_hash: str
    member_size: int


@dataclass(frozen=True)
class LabelRow:
    kind: str          # dag | job | artifact
    entity: str        # session id | job uid | artifact hash
    labels: dict[str, Any]


@dataclass
class Payload:
    """What is sent, after omission; ``redactions`` say what was removed and where."""

    body: dict[str, Any]
    redactions: list[Redaction] = field(default_factory=list)
    session_hashes: list[str] = field(default_factory=list)

    @property
    def idempotency_key(self) -> str:
        return content_key(self.body)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.body.items() if isinstance(v, list)}


def content_key(body: Mapping[str, Any]) -> str:
    """BLAKE3 of the canonical JSON of ``body``: equal content, equal key."""
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return blake3.blake3(canon.encode("utf-8", "surrogateescape")).hexdigest()


def _source_type(url: str) -> str:
    return urlsplit(url).scheme or "file"


def plain(record: Any) -> dict[str, Any]:
    """A job's git state, runtime or transfer as its JSON object (typed records or the plain
    dicts older jobs carry)."""
    if record is None:
        return {}
    if hasattr(record, "to_json"):
        data = dict(record.to_json())
        data.pop("v", None)
        return data
    return dict(record)


def transfer_of(job: JobRecord) -> dict[str, Any]:
    """What a get or put recorded moving (``{}`` for other jobs)."""
    found = getattr(job, "transfer", None)
    return plain(found) if found is not None else dict(plain(job.runtime).get("transfer") or {})


def _packages(runtime: Mapping[str, Any]) -> dict[str, str]:
    used = runtime.get("packages_used") or []
    return {str(p.get("name")): str(p.get("version", "")) for p in used if isinstance(p, dict) and p.get("name")}


def _job_entry(job: JobRecord, session_hash: str) -> dict[str, Any]:
    git = plain(job.git)
    runtime = plain(job.runtime)
    repo_root = str(git.get("repo_root") or "")
    metadata = {k: v for k, v in runtime.items()
                if k not in RUNTIME_FIELDS and k not in ("packages_used", "packages_installed", "transfer")}
    if job.kind in ("get", "put"):
        metadata["transfer"] = transfer_of(job)
    metadata.update({"status": job.status, "tracer": job.tracer})
    if job.env:
        metadata["env"] = dict(job.env)
    flags = {e.path: list(e.flags) for e in job.inputs if e.flags}
    if flags:   # "git-tracked", "unsourced": where a reproduction finds each input
        metadata["input_flags"] = flags
    return {
        "uid": job.uid,
        "session_hash": session_hash,
        "command": " ".join(job.argv),
        "argv": list(job.argv),
        # Where in the repository it ran, not where the repository was on this machine.
        "cwd": relative_cwd(job.cwd, repo_root) if repo_root else job.cwd,
        "timestamp": job.started_at,
        "duration_seconds": round(job.duration, 6),
        "exit_code": job.exit_code,
        "job_type": job.kind,
        "step_number": job.step,
        "git": {"repo": git.get("remote", ""), "commit": git.get("commit", ""),
                "branch": git.get("branch", ""), "dirty": bool(git.get("dirty"))},
        "runtime": {k: runtime[k] for k in RUNTIME_FIELDS if k in runtime},
        "packages": _packages(runtime),
        "metadata": metadata,
        "inputs": [],
        "outputs": [],
    }


def _session_entry(lineage: str, jobs: list[JobRecord]) -> dict[str, Any]:
    git = next((plain(j.git) for j in jobs if plain(j.git).get("commit")), {})
    return {"hash": lineage, "git_repo": git.get("remote", ""), "git_commit": git.get("commit", ""),
            "git_branch": git.get("branch", "")}


def build(jobs: list[JobRecord], composites: Iterable[CompositeRow], labels: Iterable[LabelRow],
          omit: OmissionFilter, scope: str, loose: Iterable[ArtifactInfo] = ()) -> Payload:
    """The payload for ``jobs`` (an artifact's lineage or a session, in record order). Jobs are
    grouped by their local session; each group is sent as a session named by the lineage hash
    of the jobs sent (content only, so the same pipeline elsewhere has the same hash)."""
    by_session: dict[str, list[JobRecord]] = {}
    for job in jobs:
        by_session.setdefault(job.session_id, []).append(job)
    session_hash = {sid: lineage_hash(group) for sid, group in by_session.items()}
    sessions = [_session_entry(session_hash[sid], group) for sid, group in by_session.items()]
    job_entries = {j.uid: _job_entry(j, session_hash[j.session_id]) for j in jobs}

    artifacts: dict[str, dict[str, Any]] = {}

    def artifact(digest: str, size: int, path: str) -> dict[str, Any]:
        return artifacts.setdefault(digest, {"hash": digest, "size": size, "path": path})

    for job in jobs:
        urls = _transfer_urls(job) if job.kind == "get" else {}
        entry_of = job_entries[job.uid]
        for direction, files in (("inputs", job.inputs), ("outputs", job.outputs)):
            for f in files:
                if not f.hash:
                    continue
                art = artifact(f.hash, f.size, f.path)
                if direction == "outputs" and f.hash in urls:
                    art["source_type"] = _source_type(urls[f.hash])[:32]
                    art["metadata"] = {"source_url": urls[f.hash]}
                entry_of[direction].append({"hash": f.hash, "path": f.path, "size": f.size})
    for info in loose:   # with its components when it is a directory
        artifact(info.hash, info.size, info.paths[0] if info.paths else "")
        if info.components:
            artifacts[info.hash]["components"] = [{"path": c.path, "hash": c.hash, "size": c.size}
                                                  for c in sorted(info.components, key=lambda c: c.path)]
            for c in info.components:
                artifact(c.hash, c.size, os.path.join(artifacts[info.hash]["path"], c.path))
    members: dict[str, dict[str, dict[str, Any]]] = {}
    for row in composites:
        members.setdefault(row.hash, {})[row.member] = {"path": row.member, "hash": row.member_hash,
                                                        "size": row.member_size}
        ref = {"hash": row.hash, "path": row.path, "size": 0}
        side = job_entries[row.job_uid]["inputs" if row.role == "in" else "outputs"] \
            if row.job_uid in job_entries else None
        if side is not None and all(r["hash"] != row.hash for r in side):
            side.append(ref)
        artifact(row.hash, 0, row.path)
    for digest, comps in members.items():
        ordered = sorted(comps.values(), key=lambda c: c["path"])
        art = artifacts[digest]
        art["components"] = ordered
        art["size"] = sum(c["size"] for c in ordered)
        for c in ordered:
            artifact(c["hash"], c["size"], os.path.join(art["path"], c["path"]))
    for entry in job_entries.values():
        for ref in entry["inputs"] + entry["outputs"]:
            ref["size"] = artifacts[ref["hash"]]["size"]

    sent = {"dag": set(session_hash), "job": set(job_entries), "artifact": set(artifacts)}
    label_entries = [{"entity_kind": "session" if row.kind == "dag" else row.kind,
                      "entity_key": session_hash[row.entity] if row.kind == "dag" else row.entity,
                      "metadata": row.labels}
                     for row in labels if row.entity in sent.get(row.kind, ()) and row.labels]
    art_list = sorted(artifacts.values(), key=lambda a: a["hash"])
    return _redacted(scope, sessions, list(job_entries.values()), art_list, label_entries, omit)


def _redacted(scope: str, sessions: list[dict[str, Any]], jobs: list[dict[str, Any]],
              artifacts: list[dict[str, Any]], labels: list[dict[str, Any]], omit: OmissionFilter) -> Payload:
    """The body with every string through the omission filter, hashes and sizes aside: each
    distinct path (of inputs, outputs, artifacts, components) is redacted once, and label
    documents on their own (``entity_key`` names a key, not a secret)."""
    refs = [r for j in jobs for r in j["inputs"] + j["outputs"]] + \
        [c for a in artifacts for c in a.get("components", [])] + artifacts
    paths = sorted({r["path"] for r in refs})
    described = omit.redact({
        "sessions": sessions, "paths": paths,
        "jobs": [{k: v for k, v in j.items() if k not in ("inputs", "outputs")} for j in jobs],
        "metadata": [a.get("metadata") for a in artifacts], "labels": [lb["metadata"] for lb in labels]})
    clean = described.value
    clean_path = dict(zip(paths, clean["paths"]))
    for ref in refs:
        ref["path"] = clean_path.get(ref["path"], ref["path"])
    for art, metadata in zip(artifacts, clean["metadata"]):
        if metadata is not None:
            art["metadata"] = metadata
    for entry, metadata in zip(labels, clean["labels"]):
        entry["metadata"] = metadata
    clean_jobs = [{**c, "inputs": j["inputs"], "outputs": j["outputs"]} for c, j in zip(clean["jobs"], jobs)]
    body = {"scope": scope, "sessions": clean["sessions"], "jobs": clean_jobs, "artifacts": artifacts,
            "labels": labels}
    where = [Redaction(r.rule, _where(r.path, clean, artifacts, labels)) for r in described.redactions]
    return Payload(body, where, [s["hash"] for s in sessions])


def _where(path: str, clean: dict[str, Any], artifacts: list[dict[str, Any]], labels: list[dict[str, Any]]) -> str:
    """A redaction's place in terms of the body sent (``paths[3]`` -> ``path data/x?token=...``)."""
    head, _, rest = path.partition("]")
    kind, _, index = head.partition("[")
    if not index.isdigit():
        return path
    i = int(index)
    if kind == "paths":
        return f"path {clean['paths'][i]}"
    if kind == "metadata":
        return f"artifacts[{artifacts[i]['hash'][:12]}].metadata{rest}"
    if kind == "labels":
        return f"labels[{labels[i]['entity_kind']} {labels[i]['entity_key'][:12]}]{rest}"
    return path


def _transfer_urls(job: JobRecord) -> dict[str, str]:
    transfer = transfer_of(job)
    return {str(e.get("hash")): str(e.get("url", "")) for e in
            [*transfer.get("files", []), *transfer.get("directories", [])] if e.get("hash")}


def split(payload: Payload, max_jobs: int) -> list[Payload]:
    """The payload in parts of at most ``max_jobs`` jobs each, every part whole (its jobs'
    sessions and artifacts), for lineages too big for one request. One part when it fits."""
    body = payload.body
    if len(body["jobs"]) <= max_jobs:
        return [payload]
    arts = {a["hash"]: a for a in body["artifacts"]}
    sessions = {s["hash"]: s for s in body["sessions"]}
    parts = []
    for i in range(0, len(body["jobs"]), max_jobs):
        jobs = body["jobs"][i:i + max_jobs]
        hashes = {r["hash"] for j in jobs for r in j["inputs"] + j["outputs"]}
        hashes |= {c["hash"] for h in list(hashes) for c in arts.get(h, {}).get("components", [])}
        if i == 0:   # artifacts no job of the lineage touched (a target only ever read)
            touched = {r["hash"] for j in body["jobs"] for r in j["inputs"] + j["outputs"]}
            hashes |= {h for h in arts if h not in touched}
        keys = {j["uid"] for j in jobs} | hashes | ({s for s in sessions} if i == 0 else set())
        parts.append(Payload({
            "scope": body["scope"],
            "sessions": [sessions[h] for h in sorted({j["session_hash"] for j in jobs} | (set(sessions) if i == 0 else set()))],
            "jobs": jobs, "artifacts": [arts[h] for h in sorted(hashes) if h in arts],
            "labels": [lb for lb in body["labels"] if lb["entity_key"] in keys]},
            [], payload.session_hashes))
    return parts
