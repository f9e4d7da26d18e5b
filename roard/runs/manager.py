"""RunManager: the run lifecycle. BeginRun allocates a run and its spool and answers with a
launch plan; EndRun finalizes the spool into a job. Runs in flight are on disk, so a daemon that
restarts finishes them (the client retries EndRun, or the client is gone and the run is recovered).

It does runs only: hashing (the ``HashCache``), the tracers (``TracingService``) and the lineage
rules (``lineage.sourcing``) belong to their own modules and are handed in by the daemon root.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from roar_api.paths import runtime_spool_dir
from roard.capture.git import capture_git
from roard.errors import FailedPrecondition, InvalidArgument, NotFound
from roard.events import EventBus
from roard.finalize.classify import warning_text
from roard.finalize.filters import FilterRules
from roard.finalize.finalize import finalize_run, stamp_inherited
from roard.hashing import HashCache
from roard.lineage.model import JobRecord
from roard.lineage.sourcing import mark_unsourced
from roard.lineage.store import JobStore
from roard.runs import kept
from roard.runs.liveness import live_processes
from roard.runs.loss import check_spool, spool_room_note
from roard.runs.record import RunRecord, process_alive, process_start_time
from roard.tracing.backends import (LaunchPlan, choose_backend, is_go_executable, launch_plan, native_dir,
                                     preload_blind)
from roard.tracing.service import TracingService
from roard.workspace import env as ws_env
from roard.workspace.layout import WorkspacePaths
from roard.workspace.registry import WorkspaceRegistry

log = logging.getLogger(__name__)

#: A recovered job's exit code is not known: roarctl, the command's parent, died first, and roard
#: (no parent of the command) cannot learn it. The job keeps exit code -1 with this warning.
EXIT_UNKNOWN_WARNING = ("the command's exit code is unknown (recorded as -1): roarctl was gone before the "
                        "command ended, and roard is not its parent")

#: How often runs whose client may have died are checked.
CLIENT_CHECK_INTERVAL = 2.0


def resolve_program(name: str, cwd: str, path_var: str) -> str | None:
    """What the command's first word runs, as execvp would find it."""
    if "/" in name:
        return os.path.join(cwd, name)
    return shutil.which(name, path=path_var or os.defpath)


@dataclass
class RunEnd:
    exit_code: int
    signal: int = 0
    interrupted: bool = False
    spawn_error: str = ""
    recovered: bool = False


def _cannot_start_unless(write: Callable[[], object], run_dir: Path, spool: Path) -> None:
    """Do ``write`` (the run's directories and files, before the command runs); when the disk is
    full or read-only, leave nothing of the run behind and refuse it in one sentence."""
    try:
        write()
    except OSError as exc:
        reason = kept.storage_failure(exc)
        if reason is None:
            raise
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.rmtree(spool, ignore_errors=True)
        raise FailedPrecondition(f"cannot start the run: {reason}") from None


async def _recorded(store: JobStore, run_id: str) -> JobRecord | None:
    """The job recorded for run ``run_id`` (its uid), or None."""
    try:
        return await store.get_job(run_id, with_decisions=False)
    except NotFound:
        return None


class RunManager:
    def __init__(self, registry: WorkspaceRegistry, bus: EventBus, hashes: HashCache,
                 tracing: TracingService) -> None:
        self.registry = registry
        self.bus = bus
        self.hashes = hashes
        self.tracing = tracing
        self._active: dict[str, RunRecord] = {}
        self._finishing: dict[str, asyncio.Task[JobRecord]] = {}
        self._watch: asyncio.Task[None] | None = None
        self._waiting: set[str] = set()   # client gone, processes still running
        self._kept: dict[str, RunEnd] = {}  # ended, not recorded yet (disk full or read-only)

    def active_count(self) -> int:
        return len(self._active)

    def active_runs(self) -> list[RunRecord]:
        """The runs in flight (begun, not yet recorded)."""
        return list(self._active.values())

    # --- begin ---------------------------------------------------------------------------------

    async def begin(self, workspace: str, argv: list[str], cwd: str, kind: str, tracer: str,
                    inherited: list[dict], environment: dict[str, str],
                    client_pid: int = 0, rerun_of: str = "") -> tuple[RunRecord, LaunchPlan]:
        if not argv:
            raise InvalidArgument("no command given: usage is `roarctl run COMMAND [ARGS...]`")
        if kind not in ("run", "build"):
            raise InvalidArgument(f"unknown run kind {kind!r}; expected run or build")
        if not cwd.startswith("/"):
            raise InvalidArgument("cwd must be an absolute path")
        ws = self.registry.get(workspace or cwd)
        config = ws.config()
        program = resolve_program(argv[0], cwd, environment.get("PATH", ""))
        backend = choose_backend(tracer, config["tracer.default"], program)
        run_id = uuid.uuid4().hex
        run_dir = ws.paths.runs / run_id
        fast_root = runtime_spool_dir()
        spool_note = spool_room_note(fast_root)
        if spool_note:   # nearly full: the workspace's disk instead, rather than lose events
            fast_root = None
        spool = fast_root / run_id if fast_root else run_dir / "spool"
        plan = launch_plan(backend, spool, environment, run_id)
        injected = ws_env.load(ws.paths.env)
        plan.environment = {**injected, **plan.environment}
        _cannot_start_unless(lambda: (run_dir.mkdir(parents=True, mode=0o700),
                                      spool.mkdir(parents=True, mode=0o700)), run_dir, spool)
        git = await asyncio.to_thread(capture_git, cwd, ws.paths.diffs / f"{run_id}.diff", ws.root)
        warnings = list(plan.warnings) + ([spool_note] if spool_note else [])
        if backend == "preload" and program and preload_blind(program):
            # The shim never loads into it, so nothing else would say so.
            warnings.append(warning_text("go-program" if is_go_executable(program) else "static-program",
                                         program))
        if git.dirty:
            warnings.append(f"the git tree has uncommitted changes; the diff is kept in {git.diff_path} "
                            "so this job stays recreatable")
        record = RunRecord(run_id=run_id, workspace=str(ws.root), kind=kind, argv=list(argv), cwd=cwd,
                           started_at=time.time(), tracer=plan.tracer, spool_dir=str(spool),
                           run_dir=str(run_dir),
                           client_pid=client_pid, client_start=process_start_time(client_pid),
                           git=git, inherited=stamp_inherited(inherited), warnings=warnings,
                           quiet=config["output.quiet"], env=injected,
                           pythonpath=environment.get("PYTHONPATH", ""),
                           cuda_visible_devices=environment.get("CUDA_VISIBLE_DEVICES"), rerun_of=rerun_of)
        # kept.reserve: room for the run's end, should its disk fill up before EndRun
        _cannot_start_unless(lambda: (record.save(), kept.reserve(run_dir)), run_dir, spool)
        if plan.tracer == "ebpf":   # last, so that nothing after it can fail and leave it registered
            await self._ebpf_open(run_id, spool, run_dir)
        self._active[run_id] = record
        self._ensure_watch()
        self.bus.publish("run.started", workspace=record.workspace, run_id=run_id,
                         message=" ".join(argv))
        return record, plan

    # --- end -----------------------------------------------------------------------------------

    async def end(self, run_id: str, end: RunEnd) -> JobRecord:
        if run_id in self._finishing:
            return await asyncio.shield(self._finishing[run_id])
        record = self._active.get(run_id)
        if record is None:
            raise NotFound(f"no active run {run_id!r} (it was already recorded, or never began)")
        task = asyncio.ensure_future(self._finish_or_keep(record, end))
        self._finishing[run_id] = task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._finishing.pop(run_id, None)

    async def _finish_or_keep(self, record: RunRecord, end: RunEnd) -> JobRecord:
        """Record the run; when its disk is full or read-only, keep it with its end (exit code
        and all) to be recorded later, and say so."""
        try:
            return await self._finish(record, end)
        except Exception as exc:
            reason = kept.storage_failure(exc)
            if reason is None:
                raise
            if record.run_id not in self._kept:
                with contextlib.suppress(OSError, ValueError):
                    await asyncio.to_thread(kept.save, Path(record.run_dir), end)
                log.warning("run %s not recorded (%s); kept, to be recorded when the disk takes writes",
                            record.run_id, reason)
            self._kept[record.run_id] = end
            raise FailedPrecondition(f"{reason}; the run is kept (exit code {end.exit_code}) and will be "
                                     "recorded when space is freed") from None

    async def _finish(self, record: RunRecord, end: RunEnd) -> JobRecord:
        ws = self.registry.get(record.workspace)
        recorded = await _recorded(ws.store, record.run_id)
        if recorded is not None:   # a daemon killed between recording the job and cleaning up
            log.info("run %s was recorded already as %s; cleaning up", record.run_id, recorded.ref)
            self._clean_up(record)
            return recorded
        config = ws.config()
        rules = FilterRules.from_config(config, ws.root, native_dir())
        if record.tracer == "ebpf":   # what the tracer server still holds goes to the spool first
            record.warnings.extend(await self.tracing.flush_run(record.run_id))
        loss = await asyncio.to_thread(check_spool, record.spool_dir)
        t0 = time.perf_counter()
        result = await asyncio.to_thread(finalize_run, record, rules, self.hashes)
        t1 = time.perf_counter()
        if end.recovered:
            status = "recovered"
        elif end.interrupted:
            status = "interrupted"
        elif end.exit_code == 0:
            status = "ok"
        else:
            status = "failed"
        warnings = list(record.warnings)
        if end.recovered:
            warnings.append(EXIT_UNKNOWN_WARNING)
        if end.spawn_error:
            warnings.append(end.spawn_error)
        warnings += result.warnings
        if loss is not None:   # the tracer may have lost events: the record is not the whole truth
            status = "incomplete"
            warnings.insert(0, loss.sentence())
            log.warning("run %s: %s", record.run_id, loss.sentence())
        # The job's uid is the run's id: recording the same run twice is then impossible to miss.
        job = JobRecord(uid=record.run_id, session_id="", kind=record.kind, argv=record.argv,
                        cwd=record.cwd, started_at=record.started_at, ended_at=time.time(),
                        exit_code=end.exit_code, status=status, tracer=record.tracer,
                        git=record.git, runtime=result.runtime, inputs=result.inputs,
                        outputs=result.outputs, warnings=warnings, decisions=result.decisions,
                        env=record.env, rerun_of=record.rerun_of)
        await mark_unsourced(ws.store, job)
        t2 = time.perf_counter()
        await ws.store.add_job(job)
        t3 = time.perf_counter()
        self._clean_up(record)
        log.info("recorded %s %s (%s): %d inputs, %d outputs; finalize %.3fs (classify %.3fs, hash %.3fs), "
                 "sourcing %.3fs, store %.3fs", job.ref, job.uid[:12], status, len(job.inputs),
                 len(job.outputs), t1 - t0, result.stats.get("classify_s", 0.0),
                 result.stats.get("hash_s", 0.0), t2 - t1, t3 - t2)
        self.bus.publish("run.finished", workspace=record.workspace, run_id=record.run_id,
                         job_uid=job.uid, message=f"{job.ref} {status} exit {end.exit_code}")
        self.bus.publish("job.recorded", workspace=record.workspace, run_id=record.run_id,
                         job_uid=job.uid, message=job.ref)
        return job

    def _clean_up(self, record: RunRecord) -> None:
        self._active.pop(record.run_id, None)
        with contextlib.suppress(OSError):
            shutil.rmtree(record.spool_dir)
        with contextlib.suppress(OSError):
            shutil.rmtree(record.run_dir)

    # --- recovery ------------------------------------------------------------------------------

    async def recover_unfinished(self) -> None:
        """Load runs left on disk by a daemon that died. Runs whose client is still alive wait for
        its EndRun; the others are finalized now from their spools."""
        for root in self.registry.known_roots():
            runs_dir = WorkspacePaths(root).runs
            if not runs_dir.is_dir():
                continue
            for run_dir in sorted(runs_dir.iterdir()):
                if not (run_dir / "run.json").exists() or run_dir.name in self._active:
                    continue
                try:
                    record = RunRecord.load(run_dir)
                except (OSError, ValueError, TypeError) as exc:
                    log.warning("cannot read %s: %s", run_dir / "run.json", exc)
                    continue
                self._active[record.run_id] = record
                saved = kept.load(run_dir)
                if saved is not None:
                    self._kept[record.run_id] = RunEnd(**{k: v for k, v in saved.items()
                                                          if k in RunEnd.__dataclass_fields__})
                log.info("found unfinished run %s in %s", record.run_id, root)
        self._ensure_watch()
        await self._finish_orphans()

    async def _finish_orphans(self) -> None:
        for record in list(self._active.values()):
            if record.run_id in self._finishing:
                continue
            if not process_alive(record.client_pid, record.client_start):
                # Never finalize while the command still runs: its later outputs would be missed.
                alive = await asyncio.to_thread(live_processes, record.spool_dir, record.run_id)
                if alive:
                    if record.run_id not in self._waiting:
                        self._waiting.add(record.run_id)
                        log.warning("run %s lost its client (pid %d); waiting for its %d process(es) "
                                    "still running (%s) before recording it", record.run_id,
                                    record.client_pid, len(alive), ", ".join(map(str, alive[:8])))
                    continue
                self._waiting.discard(record.run_id)
                end = self._kept.get(record.run_id)
                if end is None:
                    log.warning("run %s lost its client (pid %d); recording it from its spool",
                                record.run_id, record.client_pid)
                try:
                    await self.end(record.run_id, end or RunEnd(exit_code=-1, recovered=True))
                except FailedPrecondition:
                    pass   # kept: tried again next round
                except Exception:
                    log.exception("could not recover run %s", record.run_id)
                else:
                    self._kept.pop(record.run_id, None)

    def _ensure_watch(self) -> None:
        if self._watch is None or self._watch.done():
            self._watch = asyncio.ensure_future(self._watch_clients())

    async def _watch_clients(self) -> None:
        while self._active:
            await asyncio.sleep(CLIENT_CHECK_INTERVAL)
            await self._finish_orphans()

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        for task in list(self._finishing.values()):
            with contextlib.suppress(Exception):
                await task

    async def _ebpf_open(self, run_id: str, spool: Path, run_dir: Path) -> None:
        """Register the run with the eBPF tracer server (started if needed); on failure nothing
        of the run is left behind."""
        try:
            await self.tracing.open_run(run_id, spool)
        except BaseException:
            shutil.rmtree(spool, ignore_errors=True)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
