"""TransferManager: a get or a put from request to recorded job.

The bytes move in worker threads (``fetch``/``send``); this module resolves paths and sources,
builds the JobRecord (kind "get" or "put") with what reproduce needs in its ``TransferInfo``,
stores it with its composites, tags the commit and evaluates the put's checklist.
"""
from __future__ import annotations

import asyncio
import os
import posixpath
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from roar_api.refs import is_step_ref
from roard.capture.git import GitState, capture_git, repository_root
from roard.capture.runtime import Runtime, host_info
from roard.errors import InvalidArgument, NotFound
from roard.events import EventBus
from roard.finalize.finalize import display_path
from roard.hashing import HashCache
from roard.lineage.checklist import ChecklistResult
from roard.lineage.composite import Composite, make_composite
from roard.lineage.graph import current_jobs
from roard.lineage.model import FileEntry, JobRecord, TransferInfo, TransferredDirectory, TransferredFile
from roard.lineage.sourcing import mark_unsourced
from roard.lineage.views import step_checklist
from roard.transfers import fetch, send
from roard.transfers.progress import Report, Tracker
from roard.transfers.remote import Remote, open_remote, scheme_of
from roard.transfers.tagging import tag_commit
from roard.workspace.registry import Workspace, WorkspaceRegistry

_SKIP_DIRS = {".git", ".roar"}


@dataclass
class GetParams:
    cwd: str
    url: str
    dest: str = ""
    expected_hash: str = ""
    force: bool = False
    dry_run: bool = False
    message: str = ""
    tag: bool = False
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class PutParams:
    cwd: str
    url: str
    sources: list[str] = field(default_factory=list)
    message: str = ""
    dry_run: bool = False
    no_tag: bool = False
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class TransferOutcome:
    direction: str
    url: str
    files: list[TransferredFile]
    directories: list[tuple[Composite, str]] = field(default_factory=list)   # (composite, url)
    dry_run: bool = False
    job: JobRecord | None = None
    checklist: list[ChecklistResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    git_tag: str = ""


class TransferManager:
    def __init__(self, registry: WorkspaceRegistry, hashes: HashCache, bus: EventBus) -> None:
        self.registry = registry
        self.hashes = hashes
        self.bus = bus

    # --- get -------------------------------------------------------------------------------

    async def get(self, p: GetParams, report: Report | None = None,
                  cancel: threading.Event | None = None) -> TransferOutcome:
        ws = self.registry.get(p.cwd)
        scheme_of(p.url)
        expected = fetch.check_expected(p.expected_hash)
        remote = await asyncio.to_thread(open_remote, p.url, p.environment)
        listing = await asyncio.to_thread(fetch.list_remote, remote)
        dest_arg = p.dest or _default_name(remote)
        target = _target(p.cwd, dest_arg, remote, listing.is_dir)
        fetch.refuse_existing(target, p.force)
        if p.dry_run:
            return await self._plan_get(ws, p, remote, listing, target)
        started = time.time()
        tracker = Tracker([f.size for f in listing.files], report, cancel)
        written = await asyncio.to_thread(fetch.fetch, listing, target, expected, p.force, tracker,
                                          self.hashes)
        return await self._record_get(ws, p, listing, target, dest_arg, written, started)

    async def _record_get(self, ws: Workspace, p: GetParams, listing: fetch.Listing, target: Path,
                          dest_arg: str, written: list[tuple[Path, str, int]], started: float) -> TransferOutcome:
        remote = listing.remote
        uid = uuid.uuid4().hex
        git_state = await asyncio.to_thread(capture_git, p.cwd, ws.paths.diffs / f"{uid}.diff", ws.root)
        show = lambda path: display_path(str(path), git_state.repo_root, str(ws.root))  # noqa: E731
        moved = [TransferredFile(f.url, show(path), h, s) for f, (path, h, s) in zip(listing.files, written)]
        directories = []
        if listing.is_dir:
            members = [FileEntry(f.rel, str(target / f.rel), m.hash, m.size) for f, m in zip(listing.files, moved)]
            directories.append((make_composite(show(target), str(target), members), remote.clean_url))
        job = JobRecord(uid=uid, session_id="", kind="get", argv=["roarctl", "get", remote.clean_url, dest_arg]
                        + _get_flags(p), cwd=p.cwd, started_at=started, ended_at=time.time(), exit_code=0,
                        status="ok", tracer="fsspec", git=git_state,
                        runtime=Runtime.from_json(host_info()),
                        transfer=_transfer("get", remote, moved, directories, p.message),
                        outputs=[FileEntry(m.path, str(path), m.hash, m.size) for m, (path, _, _) in zip(moved, written)])
        outcome = TransferOutcome("get", remote.clean_url, moved, directories, job=job)
        await self._tag(outcome, git_state, p.tag)
        await self._record(ws, job, [("out", c) for c, _ in directories])
        return outcome

    async def _plan_get(self, ws: Workspace, p: GetParams, remote: Remote, listing: fetch.Listing,
                        target: Path) -> TransferOutcome:
        repo_root = await asyncio.to_thread(repository_root, p.cwd)
        planned = [TransferredFile(f.url, display_path(str(target / f.rel if listing.is_dir else target), repo_root,
                                                 str(ws.root)), "", f.size or 0) for f in listing.files]
        return TransferOutcome("get", remote.clean_url, planned, dry_run=True)

    # --- put -------------------------------------------------------------------------------

    async def put(self, p: PutParams, report: Report | None = None,
                  cancel: threading.Event | None = None) -> TransferOutcome:
        ws = self.registry.get(p.cwd)
        scheme_of(p.url)
        remote = await asyncio.to_thread(open_remote, p.url, p.environment)
        repo_root = await asyncio.to_thread(repository_root, p.cwd)
        show = lambda path: display_path(path, repo_root, str(ws.root))  # noqa: E731
        files, dirs, warnings = await self._collect(ws, p)
        if not files:
            what = ", ".join(p.sources) if p.sources else "the active session has no outputs on disk"
            raise InvalidArgument(f"nothing to put: {what} holds no files")
        items = await asyncio.to_thread(self._hash_all, files, show, _keys(p, files, dirs, show),
                                        report, cancel)
        directories = [(c, send.destination(remote, _dir_key(p, c))[0])
                       for c in await asyncio.to_thread(self._composites, dirs, items, show)]
        moved = [TransferredFile(send.destination(remote, i.key)[0], i.path, i.hash, i.size) for i in items]
        if p.dry_run:
            return TransferOutcome("put", remote.clean_url, moved, directories, dry_run=True, warnings=warnings)
        started = time.time()
        await asyncio.to_thread(send.upload, remote, items, Tracker([i.size for i in items], report, cancel))
        return await self._record_put(ws, p, remote, items, moved, directories, warnings, started)

    async def _record_put(self, ws: Workspace, p: PutParams, remote: Remote, items: list[send.Outgoing],
                          moved: list[TransferredFile], directories: list[tuple[Composite, str]],
                          warnings: list[str], started: float) -> TransferOutcome:
        uid = uuid.uuid4().hex
        git_state = await asyncio.to_thread(capture_git, p.cwd, ws.paths.diffs / f"{uid}.diff", ws.root)
        argv = ["roarctl", "put", *p.sources, remote.clean_url, "-m", p.message] + (["--no-tag"] if p.no_tag else [])
        job = JobRecord(uid=uid, session_id="", kind="put", argv=argv, cwd=p.cwd, started_at=started,
                        ended_at=time.time(), exit_code=0, status="ok", tracer="fsspec", git=git_state,
                        runtime=Runtime.from_json(host_info()),
                        transfer=_transfer("put", remote, moved, directories, p.message),
                        inputs=[FileEntry(i.path, i.abs_path, i.hash, i.size) for i in items],
                        warnings=list(warnings))
        await mark_unsourced(ws.store, job)
        outcome = TransferOutcome("put", remote.clean_url, moved, directories, job=job, warnings=warnings)
        await self._tag(outcome, git_state, not p.no_tag)
        await self._record(ws, job, [("in", c) for c, _ in directories])
        outcome.checklist = await step_checklist(ws.store, job.ref)
        return outcome

    async def _collect(self, ws: Workspace, p: PutParams) -> tuple[list[str], list[str], list[str]]:
        """(files, directories given, warnings) for the put's sources, files deduplicated."""
        wanted: list[tuple[str, Any]] = []
        if not p.sources:
            wanted += [("recorded", r) for r in await _session_outputs(ws)]
        for source in p.sources:
            if is_step_ref(source):
                job = await ws.store.get_job(source.strip(), with_decisions=False)
                wanted += [("recorded", (o.abs_path, o.path, job.ref)) for o in job.outputs]
            else:
                wanted.append(("path", source))
        return await asyncio.to_thread(_resolve_sources, p.cwd, wanted)

    def _hash_all(self, files: list[str], show: Any, keys: dict[str, str], report: Report | None,
                  cancel: threading.Event | None) -> list[send.Outgoing]:
        """Hash what is about to be put (through the cache). Blocking."""
        tracker = Tracker([os.path.getsize(f) for f in files], report, cancel)
        out = []
        for index, path in enumerate(files):
            tracker.hashing(index, show(path), tracker.sizes[index])
            result = self.hashes.hash_file(path)
            if not result.hash:
                raise InvalidArgument(f"cannot read {show(path)} to hash it ({', '.join(result.flags)})")
            out.append(send.Outgoing(path, show(path), keys[path], result.hash, result.size))
        return out

    @staticmethod
    def _composites(dirs: list[str], items: list[send.Outgoing], show: Any) -> list[Composite]:
        by_path = {i.abs_path: i for i in items}
        out = []
        for d in dirs:
            members = [FileEntry(os.path.relpath(f, d).replace(os.sep, "/"), f, by_path[f].hash, by_path[f].size)
                       for f in _walk(d)]
            if members:
                out.append(make_composite(show(d), d, members))
        return out

    async def _tag(self, outcome: TransferOutcome, git_state: GitState, wanted: bool) -> None:
        if not wanted:
            return
        name, warning = await asyncio.to_thread(tag_commit, git_state.repo_root, git_state.commit)
        outcome.git_tag = name
        if warning:
            outcome.warnings.append(warning)
            if outcome.job is not None:
                outcome.job.warnings.append(warning)

    async def _record(self, ws: Workspace, job: JobRecord, composites: list[tuple[str, Composite]]) -> None:
        await ws.store.add_job(job, composites)
        self.bus.publish("job.recorded", workspace=str(ws.root), job_uid=job.uid, message=job.ref)


# --- helpers --------------------------------------------------------------------------------

def _default_name(remote: Remote) -> str:
    name = posixpath.basename(urlsplit(remote.clean_url).path.rstrip("/"))
    if not name:
        raise InvalidArgument(f"cannot name the download after {remote.clean_url}; give DEST")
    return name


def _target(cwd: str, dest: str, remote: Remote, is_dir: bool) -> Path:
    """Where the download lands: DEST; a single file goes inside DEST when DEST is an existing
    directory or ends with /."""
    path = Path(os.path.normpath(os.path.join(cwd, dest)))
    if not is_dir and (dest.endswith("/") or path.is_dir()):
        return path / _default_name(remote)
    return path


def _get_flags(p: GetParams) -> list[str]:
    flags = ["--hash", p.expected_hash.strip().lower()] if p.expected_hash else []
    flags += ["--force"] if p.force else []
    flags += ["-m", p.message] if p.message else []
    return flags + (["--tag"] if p.tag else [])


def _transfer(direction: str, remote: Remote, moved: list[TransferredFile],
              directories: list[tuple[Composite, str]], message: str) -> TransferInfo:
    return TransferInfo(direction, remote.clean_url,
                        list(moved),
                        [TransferredDirectory(u, c.path, c.hash) for c, u in directories], message)


def _keys(p: PutParams, files: list[str], dirs: list[str], show: Any) -> dict[str, str]:
    """Where each file goes under the destination. One file: the destination itself (inside it
    when it ends with /). One directory: its files under the destination. Otherwise each file
    under the destination by its repo-relative path (absolute ones by their name)."""
    if len(p.sources) == 1 and not dirs and not is_step_ref(p.sources[0]):
        return {files[0]: os.path.basename(files[0]) if p.url.endswith("/") else ""}
    if len(p.sources) == 1 and len(dirs) == 1:
        return {f: os.path.relpath(f, dirs[0]).replace(os.sep, "/") for f in files}
    return {f: _relative_key(show(f), f) for f in files}


def _dir_key(p: PutParams, composite: Composite) -> str:
    if len(p.sources) == 1:
        return ""
    return _relative_key(composite.path, composite.abs_path)


def _relative_key(shown: str, abs_path: str) -> str:
    return os.path.basename(abs_path) if shown.startswith("/") else shown


def _walk(directory: str) -> list[str]:
    found = []
    for root, subdirs, names in os.walk(directory):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        found += [os.path.join(root, n) for n in sorted(names) if os.path.isfile(os.path.join(root, n))]
    return found


async def _session_outputs(ws: Workspace) -> list[tuple[str, str, str]]:
    """(abs_path, path, ref) of what the current steps of the active session (runs and builds)
    wrote."""
    jobs = current_jobs(await ws.store.list_jobs())
    return [(out.abs_path, out.path, job.ref) for job in jobs
            if job.kind in ("run", "build") for out in job.outputs]


def _resolve_sources(cwd: str, wanted: list[tuple[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """On disk: recorded outputs still there, given files, and the files under given directories.
    Blocking."""
    files: dict[str, None] = {}
    dirs: list[str] = []
    warnings: list[str] = []
    for kind, value in wanted:
        if kind == "recorded":
            abs_path, shown, ref = value
            if os.path.isfile(abs_path):
                files[abs_path] = None
            else:
                warnings.append(f"{shown} (written by {ref}) is gone from disk; not put")
            continue
        path = os.path.normpath(os.path.join(cwd, value))
        if os.path.isdir(path):
            dirs.append(path)
            files.update(dict.fromkeys(_walk(path)))
        elif os.path.isfile(path):
            files[path] = None
        else:
            raise NotFound(f"{value} does not exist (give a file, a directory or @N)")
    return list(files), dirs, warnings

