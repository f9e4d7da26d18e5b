"""WatchService: the daemon's workspace watcher (one per daemon, built in ``roard/daemon.py``).

A workspace is watched from the first time a client asks about it (file status, events for it)
or a job is recorded in it, until nobody has for ``watch.idle_minutes`` (a client subscribed to
its events counts as using it). For each it keeps a
``TrackedWorkspace`` (the files its current steps read and wrote, their hashes now, the stale
steps) and watches its tree with watchfiles (inotify): a change to a tracked file is re-checked
in the background (stat, then BLAKE3 through the hash cache, so finalize later finds the hash
ready) by one worker thread at lowered priority, and ``step.stale`` / ``step.fresh`` /
``file.changed`` events go on the bus. Writes under ``.roar/`` and to untracked files are
filtered out; an atomic save (write, rename over) and a checkout of many files are only
changes to tracked paths, batched by watchfiles' debounce.

When notifications are not available (the inotify watch limit reached, or ``watch.mode =
poll``), the tracked files are polled by stat instead; ``daemon status`` says which.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from roard.errors import FailedPrecondition, InvalidArgument
from roard.events import DaemonEvent, EventBus
from roard.hashing import HashCache
from roard.lineage.file_status import FileStatusInfo
from roard.watch.tracked import Transitions, TrackedWorkspace
from roard.workspace.registry import Workspace, WorkspaceRegistry

log = logging.getLogger(__name__)

#: watchfiles: group changes for up to this long (ms), and yield once none came for STEP ms.
DEBOUNCE_MS = 100
STEP_MS = 50
#: Seconds between polls of the tracked files when notifications are not available.
POLL_INTERVAL = 2.0
#: Probing that notifications work: touch .roar/watch-probe this often, for at most this long.
PROBE_INTERVAL = 0.1
PROBE_TIMEOUT = 10.0
#: Niceness of the worker thread that stats and hashes.
WORKER_NICENESS = 10
RECORD_TOPICS = ("job.recorded", "job.popped", "session.reset")


def _lower_priority() -> None:
    """The worker thread's own priority (Linux: a thread's nice value is its own)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


@dataclass
class Watched:
    ws: Workspace
    tracked: TrackedWorkspace
    last_used: float = field(default_factory=time.monotonic)
    mode: str = "starting"             # "notify", "polling", "starting"
    reason: str = ""                   # why polling
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)   # watching (or polling) has begun
    pending: set[str] = field(default_factory=set)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    rechecking: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def root(self) -> str:
        return str(self.ws.root)


@dataclass(frozen=True)
class WatchStatus:
    workspace: str
    mode: str
    tracked_files: int
    stale_steps: int
    reason: str = ""


class WatchService:
    def __init__(self, registry: WorkspaceRegistry, hashes: HashCache, bus: EventBus) -> None:
        self.registry = registry
        self.hashes = hashes
        self.bus = bus
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="roard-watch", initializer=_lower_priority)
        self._watched: dict[str, Watched] = {}
        self._expiry: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        bus.listen(self.on_event)

    # --- what clients ask ------------------------------------------------------------------

    async def file_status(self, paths: list[str], cwd: str) -> list[FileStatusInfo]:
        """Each file's status, from memory and the hash cache (a file hashed before and not
        changed since is not read). One worker-thread hop per workspace, not per file."""
        asked = [(path, os.path.normpath(os.path.join(cwd or "/", path))) for path in paths]
        roots: dict[str, str] = {}        # directory -> its workspace root ("" when none)
        groups: dict[str, list[int]] = {}
        for i, (_, abs_path) in enumerate(asked):
            directory = os.path.dirname(abs_path)
            if directory not in roots:
                try:
                    roots[directory] = str(self.registry.get(abs_path).root)
                except FailedPrecondition:
                    roots[directory] = ""
            groups.setdefault(roots[directory], []).append(i)
        out: list[FileStatusInfo | None] = [None] * len(asked)
        for root, indexes in groups.items():
            watched = await self.open(root) if root else None
            if watched is None:
                note = "watching is off for this workspace (watch.enabled)" if root else "not in a roar workspace"
                for i in indexes:
                    path, abs_path = asked[i]
                    out[i] = FileStatusInfo(path, abs_path, root, note=note)
                continue
            tracked = watched.tracked
            hashes = await asyncio.to_thread(lambda: [tracked.hash_now(asked[i][1]) for i in indexes])
            for i, current in zip(indexes, hashes):
                out[i] = tracked.index.status(asked[i][0], asked[i][1], root, current)
        return [info for info in out if info is not None]

    def touch(self, path: str) -> None:
        """A client is interested in the workspace holding ``path``: watch it (in the
        background) and keep watching."""
        task = asyncio.ensure_future(self._open_quietly(path))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _open_quietly(self, path: str) -> None:
        # In the background: a path in no workspace, or not a workspace path at all, is no one's error.
        with contextlib.suppress(FailedPrecondition, InvalidArgument):
            await self.open(path)

    async def open(self, path: str) -> Watched | None:
        """The watched workspace holding ``path`` (watching it from now on); None when the
        workspace turned watching off. FailedPrecondition when ``path`` is in none."""
        ws = self.registry.get(path)
        root = str(ws.root)
        watched = self._watched.get(root)
        if watched is None:
            if not ws.config()["watch.enabled"]:
                return None
            watched = Watched(ws, TrackedWorkspace(ws.root, self.hashes))
            self._watched[root] = watched
            watched.tasks.append(asyncio.ensure_future(self._start(watched)))
            self._ensure_expiry()
        watched.last_used = time.monotonic()
        await watched.ready.wait()
        return watched

    def status(self) -> list[WatchStatus]:
        return [WatchStatus(w.root, w.mode, len(w.tracked.tracked), len(w.tracked.stale), w.reason)
                for w in self._watched.values()]

    # --- watching --------------------------------------------------------------------------

    async def _start(self, watched: Watched) -> None:
        try:
            await self._reload(watched)
        finally:
            watched.loaded.set()
        mode = watched.ws.config()["watch.mode"]
        if mode == "poll":
            self._poll_instead(watched, "watch.mode is poll")
        else:
            watched.tasks.append(asyncio.ensure_future(self._notify(watched, fallback=mode == "auto")))
            watched.tasks.append(asyncio.ensure_future(self._probe(watched)))
            watched.tasks.append(asyncio.ensure_future(self._poll(watched, outside_only=True)))

    async def _notify(self, watched: Watched, fallback: bool) -> None:
        from watchfiles import awatch

        tracked = watched.tracked
        roar_dir = os.path.join(watched.root, ".roar") + os.sep
        probe = self._probe_path(watched)

        def wanted(_change: object, path: str) -> bool:
            if path == probe and not watched.ready.is_set():
                watched.mode = "notify"
                self.bus.publish("watch.started", workspace=watched.root, state="notify",
                                 message=f"watching {len(tracked.tracked):,} file(s) with notifications")
                watched.ready.set()
            return path in tracked.tracked and not path.startswith(roar_dir)

        try:
            async for changes in awatch(watched.root, watch_filter=wanted, debounce=DEBOUNCE_MS, step=STEP_MS,
                                        stop_event=watched.stop, recursive=True):
                # (not ignore_permission_denied: with it, watchfiles also swallows the watch limit
                # error and never yields; an unreadable directory means polling instead)
                self._queue(watched, {path for _, path in changes})
        except asyncio.CancelledError:
            raise
        except Exception as exc:   # inotify's watch limit, or no notifications on this file system
            if not fallback:
                log.warning("cannot watch %s: %s", watched.root, exc)
                watched.mode, watched.reason = "off", str(exc)
                watched.ready.set()
                return
            self._poll_instead(watched, f"notifications unavailable ({exc})")

    @staticmethod
    def _probe_path(watched: Watched) -> str:
        return os.path.join(watched.root, ".roar", "watch-probe")

    async def _probe(self, watched: Watched) -> None:
        """Touch a file under .roar/ until the notifications show it: then watching has begun
        (a change made after ``open`` returns is seen)."""
        probe = self._probe_path(watched)
        for _ in range(int(PROBE_TIMEOUT / PROBE_INTERVAL)):
            if watched.ready.is_set():
                break
            with contextlib.suppress(OSError):
                await asyncio.to_thread(Path(probe).write_bytes, b"")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(watched.ready.wait(), PROBE_INTERVAL)
        if not watched.ready.is_set():   # notifications never came: poll
            self._poll_instead(watched, f"no notification arrived within {PROBE_TIMEOUT:g} s")
        with contextlib.suppress(OSError):
            os.unlink(probe)

    def _poll_instead(self, watched: Watched, reason: str) -> None:
        if watched.mode == "polling":
            return
        watched.mode, watched.reason = "polling", reason
        watched.ready.set()
        log.info("polling the tracked files of %s: %s", watched.root, reason)
        self.bus.publish("watch.started", workspace=watched.root, state="polling",
                         message=f"polling {len(watched.tracked.tracked):,} file(s): {reason}")
        watched.tasks.append(asyncio.ensure_future(self._poll(watched)))

    async def _poll(self, watched: Watched, outside_only: bool = False) -> None:
        """Stat the tracked files every POLL_INTERVAL: all of them when polling instead of
        notifications, else those outside the workspace's tree (inputs elsewhere on disk)."""
        loop = asyncio.get_running_loop()
        while not watched.stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(watched.stop.wait(), POLL_INTERVAL)
            if outside_only and watched.mode == "polling":
                return   # the full poll took over
            if not watched.stop.is_set() and (watched.tracked.outside or not outside_only):
                self._publish(watched, await loop.run_in_executor(self._worker, watched.tracked.poll, outside_only))

    def _queue(self, watched: Watched, paths: set[str]) -> None:
        watched.pending |= paths
        if watched.rechecking is None or watched.rechecking.done():
            watched.rechecking = asyncio.ensure_future(self._recheck(watched))

    async def _recheck(self, watched: Watched) -> None:
        loop = asyncio.get_running_loop()
        while watched.pending:
            paths, watched.pending = list(watched.pending), set()
            try:
                result = await loop.run_in_executor(self._worker, watched.tracked.recheck, paths)
            except Exception:
                log.exception("re-checking %d file(s) in %s", len(paths), watched.root)
                continue
            self._publish(watched, result)

    async def _reload(self, watched: Watched) -> None:
        store = watched.ws.store
        session_jobs = await store.list_jobs()
        all_jobs = await store.list_jobs("*")
        loop = asyncio.get_running_loop()
        self._publish(watched, await loop.run_in_executor(self._worker, watched.tracked.load,
                                                          session_jobs, all_jobs))

    def _publish(self, watched: Watched, result: Transitions) -> None:
        root = watched.root
        if result.changed:
            self.bus.publish("file.changed", workspace=root, paths=tuple(result.changed),
                             message=f"{len(result.changed)} tracked file(s) changed")
        for ref, reasons in result.stale.items():
            self.bus.publish("step.stale", workspace=root, step=ref, reasons=reasons,
                             paths=result.stale_paths.get(ref, ()), message=f"{ref} is stale: {reasons[0]}")
        for ref in result.fresh:
            self.bus.publish("step.fresh", workspace=root, step=ref, message=f"{ref} is fresh")

    # --- records changing, idleness --------------------------------------------------------

    def on_event(self, event: DaemonEvent) -> None:
        """Bus listener: new records re-load a watched workspace (or start watching it); a
        recorded job's outputs are announced as artifacts."""
        if event.topic not in RECORD_TOPICS or not event.workspace:
            return
        task = asyncio.ensure_future(self._records_changed(event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _records_changed(self, event: DaemonEvent) -> None:
        try:
            watched = self._watched.get(event.workspace)
            if event.topic == "job.recorded":
                ws = self.registry.get(event.workspace)
                job = await ws.store.get_job(event.message, with_decisions=False)
                for out in job.outputs:
                    self.bus.publish("artifact.recorded", workspace=event.workspace, run_id=event.run_id,
                                     job_uid=job.uid, step=job.ref, paths=(out.abs_path,), hash=out.hash,
                                     message=f"{out.path} {out.hash[:12]}")
                if watched is None:
                    await self.open(event.workspace)   # loads the records, this job included
                    return
                await watched.loaded.wait()
                watched.last_used = time.monotonic()
                loop = asyncio.get_running_loop()
                added = await loop.run_in_executor(self._worker, watched.tracked.add, job)
                if added is not None:   # one job more: not every record read again
                    self._publish(watched, added)
                    return
            if watched is not None:
                await watched.loaded.wait()
                watched.last_used = time.monotonic()
                await self._reload(watched)
        except Exception:
            log.exception("updating the watch of %s after %s", event.workspace, event.topic)

    def _ensure_expiry(self) -> None:
        if self._expiry is None or self._expiry.done():
            self._expiry = asyncio.ensure_future(self._expire())

    async def _expire(self) -> None:
        while self._watched:
            limits = {root: self._idle_limit(w) for root, w in self._watched.items()}
            await asyncio.sleep(min(30.0, min(limits.values()) / 2))
            now = time.monotonic()
            followed = self.bus.subscribed_workspaces()   # an editor listening for its events
            for root, limit in limits.items():
                watched = self._watched.get(root)
                if watched is not None and root in followed:
                    watched.last_used = now
                elif watched is not None and now - watched.last_used >= limit:
                    await self._stop(root, f"unused for {limit / 60:g} min (watch.idle_minutes)")

    @staticmethod
    def _idle_limit(watched: Watched) -> float:
        """Seconds of disuse after which ``watched`` is no longer watched."""
        try:
            return float(watched.ws.config()["watch.idle_minutes"]) * 60
        except Exception:   # a config file being edited: the default
            return 3600.0

    async def _stop(self, root: str, reason: str) -> None:
        watched = self._watched.pop(root, None)
        if watched is None:
            return
        watched.stop.set()
        for task in watched.tasks + ([watched.rechecking] if watched.rechecking else []):
            task.cancel()
        await asyncio.gather(*watched.tasks, return_exceptions=True)
        self.bus.publish("watch.stopped", workspace=root, state="stopped", message=reason)

    async def close(self) -> None:
        for root in list(self._watched):
            await self._stop(root, "daemon stopping")
        if self._expiry is not None:
            self._expiry.cancel()
        for task in list(self._background):
            task.cancel()
        self._worker.shutdown(wait=True, cancel_futures=True)
