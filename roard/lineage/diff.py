"""Lineage diff: what differs between how two artifacts (or two jobs) came to be.

Each side is the job that produced it plus every job upstream of it (``graph.LineageGraph``).
The sections are ordered by consequence: input data, code, command and parameters, packages, environment.
"""
from __future__ import annotations

import asyncio
import difflib
import re
from dataclasses import dataclass, field

import git

from roar_api.refs import is_step_ref
from roard.errors import InvalidArgument, NotFound
from roard.lineage.artifacts import producing_job, resolve_artifact
from roard.lineage.checklist import repo_root_of
from roard.lineage.graph import LineageGraph
from roard.lineage.model import JobRecord
from roard.lineage.store import JobStore


@dataclass
class Side:
    label: str
    jobs: list[JobRecord]


@dataclass
class LineageDiffResult:
    a: Side
    b: Side
    sections: list[tuple[str, list[str]]] = field(default_factory=list)


def _produced(jobs: list[JobRecord]) -> set[str]:
    return {o.hash for j in jobs for o in j.outputs if o.hash}


def _leaf_inputs(jobs: list[JobRecord]) -> dict[str, str]:
    """Inputs that come from outside the lineage (data and code it started from): path -> hash."""
    made = _produced(jobs)
    return {e.path: e.hash for j in jobs for e in j.inputs if e.hash and e.hash not in made}


def _data_lines(a: list[JobRecord], b: list[JobRecord]) -> list[str]:
    da, db = _leaf_inputs(a), _leaf_inputs(b)
    lines = []
    for path in sorted(set(da) | set(db)):
        ha, hb = da.get(path), db.get(path)
        if ha == hb:
            continue
        if ha and hb:
            lines.append(f"{path}: {ha[:12]} -> {hb[:12]}")
        elif ha:
            lines.append(f"{path}: read only by A ({ha[:12]})")
        else:
            lines.append(f"{path}: read only by B ({hb[:12]})")
    return lines


def _commits(jobs: list[JobRecord]) -> list[str]:
    return sorted({j.git.commit for j in jobs} - {""})


def _code_lines(a: list[JobRecord], b: list[JobRecord]) -> list[str]:
    ca, cb = _commits(a), _commits(b)
    lines = []
    if ca != cb:
        lines.append(f"commits: {', '.join(c[:10] for c in ca) or '-'} -> {', '.join(c[:10] for c in cb) or '-'}")
        root = repo_root_of(a + b)
        if root and ca and cb:
            try:
                stat = git.Git(root).execute(["git", "diff", "--stat", ca[-1], cb[-1]])
                lines += [f"  {line}" for line in stat.splitlines()]
            except git.GitCommandError:
                lines.append("  (the commits are not in the local repository)")
    dirty = [(side, j.ref) for side, jobs in (("A", a), ("B", b)) for j in jobs if j.git.dirty]
    for side, ref in dirty:
        lines.append(f"{side}'s {ref} ran with uncommitted changes (diff kept under .roar/diffs/)")
    return lines


def _step_name(job: JobRecord) -> str:
    return " ".join(job.argv[:2])


def _command_lines(a: list[JobRecord], b: list[JobRecord]) -> list[str]:
    lines = []
    bs = {(_step_name(j), j.kind): j for j in b}
    for ja in a:
        jb = bs.get((_step_name(ja), ja.kind))
        if jb is None:
            lines.append(f"A's {ja.ref} ({_step_name(ja)}) has no counterpart in B")
            continue
        if ja.argv != jb.argv:
            changes = []
            sm = difflib.SequenceMatcher(a=ja.argv, b=jb.argv)
            for op, i1, i2, j1, j2 in sm.get_opcodes():
                if op != "equal":
                    changes.append(f"{' '.join(ja.argv[i1:i2]) or '(nothing)'} -> {' '.join(jb.argv[j1:j2]) or '(nothing)'}")
            lines.append(f"{ja.ref} vs {jb.ref} ({_step_name(ja)}): " + "; ".join(changes))
        if ja.cwd != jb.cwd:
            lines.append(f"{ja.ref} vs {jb.ref}: cwd {ja.cwd} -> {jb.cwd}")
    names_a = {(_step_name(j), j.kind) for j in a}
    for jb in b:
        if (_step_name(jb), jb.kind) not in names_a:
            lines.append(f"B's {jb.ref} ({_step_name(jb)}) has no counterpart in A")
    return lines


def _packages(jobs: list[JobRecord]) -> tuple[dict[str, str], set[str]]:
    pkgs: dict[str, str] = {}
    pythons = set()
    for j in jobs:
        if j.runtime.python_version:
            pythons.add(j.runtime.python_version)
        for p in j.runtime.packages_used:
            pkgs[p.name] = p.version
    return pkgs, pythons


def _package_lines(a: list[JobRecord], b: list[JobRecord]) -> list[str]:
    pa, pya = _packages(a)
    pb, pyb = _packages(b)
    lines = []
    if pya != pyb:
        lines.append(f"python {', '.join(sorted(pya)) or '-'} -> {', '.join(sorted(pyb)) or '-'}")
    for name in sorted(set(pa) | set(pb), key=str.lower):
        if pa.get(name) != pb.get(name):
            lines.append(f"{name} {pa.get(name, '(not used)')} -> {pb.get(name, '(not used)')}")
    hosts_a = {_hardware(j) for j in a}
    hosts_b = {_hardware(j) for j in b}
    if hosts_a != hosts_b:
        lines.append(f"hardware {' | '.join(sorted(hosts_a))} -> {' | '.join(sorted(hosts_b))}")
    return lines


def _hardware(job: JobRecord) -> str:
    """CPU and GPU, with the CUDA runtime and cuDNN the job loaded: what decides whether
    numbers come back on other hardware."""
    rt = job.runtime
    loaded = " ".join(f"{name} {version}" for name, version in
                      (("CUDA", rt.cuda_runtime), ("cuDNN", rt.cudnn)) if version)
    return " ".join(part for part in (rt.cpu, rt.gpu, loaded) if part)


def _env_lines(a: list[JobRecord], b: list[JobRecord]) -> list[str]:
    ea = {k: v for j in a for k, v in (j.env or {}).items()}
    eb = {k: v for j in b for k, v in (j.env or {}).items()}
    return [f"{k}: {ea.get(k, '(unset)')} -> {eb.get(k, '(unset)')}"
            for k in sorted(set(ea) | set(eb)) if ea.get(k) != eb.get(k)]


def diff_lineages(a: Side, b: Side) -> LineageDiffResult:
    result = LineageDiffResult(a, b)
    for kind, fn in (("data", _data_lines), ("code", _code_lines), ("command", _command_lines),
                     ("packages", _package_lines), ("environment", _env_lines)):
        lines = fn(a.jobs, b.jobs)
        if lines:
            result.sections.append((kind, lines))
    return result


async def resolve_side(store: JobStore, ref: str, cwd: str) -> tuple[str, JobRecord]:
    """A job (@N, @BN, uid prefix) or an artifact (path or hash prefix) -> (label, producing job)."""
    if is_step_ref(ref):
        job = await store.get_job(ref, with_decisions=False)
        return f"job {job.ref} ({job.uid[:12]})", job
    if re.match(r"^[0-9a-f]{4,}$", ref.lower()) and "/" not in ref:
        try:
            job = await store.get_job(ref, with_decisions=False)
            return f"job {job.ref} ({job.uid[:12]})", job
        except (NotFound, InvalidArgument):
            pass
    art = await resolve_artifact(store, ref, cwd)
    job = await producing_job(store, art.hash)
    if job is None:
        raise NotFound(f"no recorded job produced {ref!r}, so it has no lineage to compare")
    return f"artifact {art.hash[:12]} ({ref}) from {job.ref}", job


async def diff_refs(store: JobStore, a: str, b: str, cwd: str) -> LineageDiffResult:
    """What differs between the lineages of two references (artifacts or jobs). Each side's
    lineage is walked over every session of the workspace."""
    if not a or not b:
        raise InvalidArgument("diff needs two references: artifacts (path or hash) or jobs (@N, uid)")
    label_a, job_a = await resolve_side(store, a, cwd)
    label_b, job_b = await resolve_side(store, b, cwd)
    all_jobs = await store.list_jobs("*")

    def walk_and_diff() -> LineageDiffResult:   # blocking: the walk, and git for the code section
        graph = LineageGraph(all_jobs)
        return diff_lineages(Side(label_a, graph.upstream(job_a)), Side(label_b, graph.upstream(job_b)))

    return await asyncio.to_thread(walk_and_diff)
