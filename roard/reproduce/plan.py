"""The reproduction plan: what rebuilding an artifact (or a whole session) takes, decided from
the recorded lineage alone. Making a plan changes nothing; `execute.py` carries it out.

Steps are the target's producing job and everything upstream of it (linked by content, across
sessions), with the session's build steps first. Each input the steps read from outside the
lineage is sourced from git, from an earlier step, or (unsourced) from a copy with the same
hash somewhere in the user's workspaces; an input nothing can provide is a blocker.
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from roard.errors import InvalidArgument, NotFound, RoarError
from roard.hashing import HashCache
from roard.lineage import checklist
from roard.lineage.artifacts import is_hash_prefix, producing_job, resolve_artifact
from roard.lineage.graph import LineageGraph, current_jobs, lineage_hash, record_order
from roard.lineage.labels import resolve_entity
from roard.lineage.model import FileEntry, JobRecord, cwd_relative_to
from roard.reproduce import checkout, pyenv
from roard.workspace.registry import Workspace, WorkspaceRegistry

#: Checklist items about publishing, which do not bear on whether a reproduction can run.
PUBLISH_ONLY = ("lineage registered", "all artifact paths in tracked directories")
#: Our own distribution is never a requirement of the pipeline it recorded.
SELF_DISTRIBUTIONS = {"roar-provenance"}


@dataclass
class PlannedInput:
    path: str          # repo-relative, or absolute outside the repository
    hash: str
    size: int
    source: str        # git | step | get | external | unsourced
    detail: str = ""
    available: bool = True
    copy_from: str = ""   # for unsourced inputs: a file with the recorded hash


@dataclass
class Plan:
    target_hash: str
    target_path: str
    lineage_hash: str
    steps: list[JobRecord]
    #: Hashes whose coming back identical makes the verdict "identical".
    target_hashes: set[str]
    repo_root: str = ""
    remote: str = ""
    commit: str = ""
    branch: str = ""
    workspace_rel: str = ""     # the workspace root relative to the repository root
    code: checkout.CodeSource | None = None
    python_version: str = ""
    python: pyenv.Interpreter | None = None
    packages: list[tuple[str, str]] = field(default_factory=list)
    constraints: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[PlannedInput] = field(default_factory=list)
    checklist: list[checklist.ChecklistResult] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source_workspace: str = ""


def step_ref(job: JobRecord) -> str:
    return f"{job.ref} (get)" if job.kind == "get" else job.ref


def rel_cwd(job: JobRecord) -> str:
    """The step's working directory relative to its repository ("" for the root itself)."""
    root = job.git.repo_root
    rel = cwd_relative_to(job, root) if root else job.cwd
    return "" if rel == "." else rel


async def _target_steps(ws: Workspace, ref: str, lineage: bool, cwd: str
                        ) -> tuple[str, str, list[JobRecord], set[str]]:
    """(target hash, target path, steps in order, target hashes)."""
    store = ws.store
    if lineage:
        sid = await resolve_entity(store, "dag", ref, cwd)
        jobs = await store.list_jobs(sid)
        if not jobs:
            raise NotFound(f"session {ref!r} has no jobs to reproduce")
        steps = current_jobs(jobs)
        lh = lineage_hash(jobs)
        return lh, "", steps, {o.hash for j in steps for o in j.outputs if o.hash}
    art = await resolve_artifact(store, ref, cwd)
    producer = await producing_job(store, art.hash)
    if producer is None:
        raise NotFound(f"artifact {art.hash[:12]} was never written by a recorded job (it is an input); "
                       "there is nothing to reproduce it from")
    path = next((o.path for o in producer.outputs if o.hash == art.hash), art.paths[0] if art.paths else "")
    return art.hash, path, await asyncio.to_thread(plan_steps, producer, await store.list_jobs("*")), {art.hash}


def plan_steps(producer: JobRecord, all_jobs: list[JobRecord]) -> list[JobRecord]:
    """What rebuilding ``producer``'s output runs: its session's current build steps, then
    ``producer`` and everything upstream of it (across sessions), each once, in order."""
    session = [j for j in all_jobs if j.session_id == producer.session_id]
    builds = [j for j in current_jobs(session) if j.kind == "build"]
    return _order(builds + LineageGraph(all_jobs).upstream(producer))


def _order(steps: list[JobRecord]) -> list[JobRecord]:
    """Each job once: build steps first, then the rest, each in the order they ran."""
    unique = list({j.uid: j for j in steps}.values())
    return sorted(unique, key=lambda j: (j.kind != "build", *record_order(j)))


def _packages(steps: list[JobRecord]) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(python version, pinned requirements, constraints, notes) from the steps' runtimes."""
    versions: list[str] = []
    used: dict[str, str] = {}
    installed: dict[str, str] = {}
    for job in steps:
        runtime = job.runtime
        if runtime.python_version:
            versions.append(runtime.python_version)
        for pkg in runtime.packages_used:
            used.setdefault(pkg.name, pkg.version)
        for pkg in runtime.packages_installed:
            installed.setdefault(pkg.name, pkg.version)
    notes = []
    if len(set(versions)) > 1:
        notes.append(f"the steps ran on {len(set(versions))} Python versions ({', '.join(sorted(set(versions)))}); "
                     f"the reproduction uses {versions[-1]}")
    pins = sorted(((n, v) for n, v in used.items() if n.lower() not in SELF_DISTRIBUTIONS),
                  key=lambda nv: nv[0].lower())
    cons = sorted(((n, v) for n, v in installed.items()
                   if n.lower() not in SELF_DISTRIBUTIONS and n not in used), key=lambda nv: nv[0].lower())
    return (versions[-1] if versions else ""), pins, cons, notes


def _place_inputs(plan: Plan, steps: list[JobRecord], hashes: HashCache,
                  rows_by_hash: dict[str, list[str]]) -> None:
    """Decide where each input from outside the lineage comes from. Blocking (hashes files)."""
    made_by: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    code_dir = plan.code.directory if plan.code else ""
    for job in steps:
        for entry in job.inputs:
            key = (entry.path, entry.hash)
            if key in seen or not entry.hash:
                continue
            seen.add(key)
            planned = _source_of(entry, made_by, code_dir, hashes, rows_by_hash.get(entry.hash, []))
            if planned is not None:
                plan.inputs.append(planned)
                if not planned.available:
                    plan.blockers.append(
                        f"unsourced input {entry.path} ({entry.hash[:12]}) was not found in this workspace or "
                        "your other workspaces; bring it in with `roarctl get` or copy it there"
                        if planned.source == "unsourced" else
                        f"input {entry.path} is no longer the file the step read ({planned.detail})")
        urls = {f.hash: f.url for f in job.transfer.files} if job.transfer else {}
        for out in job.outputs:
            if out.hash:
                made_by.setdefault(out.hash, f"{job.ref} {urls.get(out.hash, '')}".strip()
                                   if job.kind == "get" else step_ref(job))


def _source_of(entry: FileEntry, made_by: dict[str, str], code_dir: str, hashes: HashCache,
               copies: list[str]) -> PlannedInput | None:
    base = PlannedInput(entry.path, entry.hash, entry.size, "")
    if entry.hash in made_by:
        base.source = "get" if "://" in made_by[entry.hash] else "step"
        base.detail = made_by[entry.hash]
        return base
    if "git-tracked" in entry.flags:
        base.source, base.detail = "git", "comes with the checkout"
        return base
    if entry.path.startswith("/"):
        base.source = "external"
        now = hashes.hash_file(entry.abs_path).hash
        base.available = now == entry.hash
        base.detail = "present, unchanged" if base.available else (
            "gone" if not now else f"now {now[:12]}, recorded {entry.hash[:12]}")
        return base
    base.source = "unsourced"
    candidates = ([os.path.join(code_dir, entry.path)] if code_dir else []) + [entry.abs_path] + copies
    for candidate in dict.fromkeys(candidates):
        if os.path.isfile(candidate) and hashes.hash_file(candidate).hash == entry.hash:
            base.copy_from, base.detail = candidate, f"found at {candidate}"
            return base
    base.available, base.detail = False, "not found"
    return base


async def _copies_by_hash(registry: WorkspaceRegistry, hashes: set[str]) -> dict[str, list[str]]:
    """Where the user's workspaces recorded files with these hashes (newest first)."""
    found: dict[str, list[str]] = {}
    for root in registry.known_roots():
        try:
            ws = registry.get(str(root))
        except RoarError:  # a workspace that was deleted or moved: nothing to find there
            continue
        for h in hashes:
            for row in reversed(await ws.store.files_with_hash(h)):
                found.setdefault(h, []).append(row["abs_path"])
    return found


async def workspace_for(registry: WorkspaceRegistry, cwd: str, ref: str, lineage: bool) -> Workspace:
    """The workspace to reproduce from: the one containing ``cwd``, or, when that is not a
    workspace or does not know the hash, the one of the user's workspaces that recorded it."""
    try:
        here: Workspace | None = registry.get(cwd)
    except RoarError:
        here = None
    prefix = ref.strip().lower()
    if here is not None and (lineage or not is_hash_prefix(prefix) or await here.store.find_hashes(prefix)):
        return here
    if not lineage and is_hash_prefix(prefix):
        for root in registry.known_roots():
            try:
                other = registry.get(str(root))
            except RoarError:
                continue
            if other is not here and await other.store.find_hashes(prefix):
                return other
    if here is None:
        raise NotFound(f"{cwd} is not inside a roar workspace, and none of your workspaces recorded {ref!r}")
    return here


async def make_plan(ws: Workspace, registry: WorkspaceRegistry, hashes: HashCache, ref: str,
                    lineage: bool, cwd: str, directory: str = "", python: str = "") -> Plan:
    if not ref.strip():
        raise InvalidArgument("reproduce needs an artifact hash (or, with --lineage, a lineage hash)")
    target, target_path, steps, target_hashes = await _target_steps(ws, ref.strip(), lineage, cwd)
    steps = _order(steps)
    last = steps[-1]
    git = last.git
    plan = Plan(target_hash=target, target_path=target_path, lineage_hash=lineage_hash(steps),
                steps=steps, target_hashes=target_hashes, repo_root=git.repo_root,
                remote=git.remote, commit=git.commit, branch=git.branch,
                source_workspace=str(ws.root))
    if plan.repo_root and str(ws.root).startswith(plan.repo_root):
        plan.workspace_rel = os.path.relpath(ws.root, plan.repo_root)
    no_git = [j.ref for j in steps if not j.git.commit]
    if no_git:
        plan.blockers.append(f"{', '.join(no_git)} ran outside a git repository or before its first commit, "
                             "so its code cannot be checked out; commit the code and record the step again")
    plan.python_version, plan.packages, plan.constraints, notes = _packages(steps)
    plan.notes += notes
    for job in steps:
        if job.git.dirty:
            plan.notes.append(f"{job.ref} ran with uncommitted changes; its recorded diff "
                              f"({job.git.diff_path}) is applied before it runs")
        if job.kind == "put":
            plan.notes.append(f"{job.ref} is an upload (put); it is not replayed")
    if not no_git:
        plan.code = await asyncio.to_thread(checkout.choose_source, plan.repo_root, plan.remote,
                                            [j.git.commit for j in steps],
                                            directory, plan.target_hash,
                                            any(j.git.dirty for j in steps))
        plan.blockers += plan.code.blockers
    if plan.python_version or python:
        try:
            plan.python = await asyncio.to_thread(pyenv.find_interpreter, plan.python_version, python,
                                                  [j.runtime.python_executable for j in steps])
            if plan.python.note:
                plan.notes.append(plan.python.note)
        except pyenv.InterpreterNotFound as exc:
            plan.blockers.append(str(exc))
    rows = await _copies_by_hash(registry, {e.hash for j in steps for e in j.inputs
                                            if "unsourced" in e.flags and e.hash})
    await asyncio.to_thread(_place_inputs, plan, steps, hashes, rows)
    plan.checklist = [item for item in await asyncio.to_thread(checklist.evaluate, steps)
                      if item.name not in PUBLISH_ONLY]
    return plan
