"""Carry out a reproduction plan: code, environment, inputs, steps (traced, in a fresh session),
verdict. Everything that can stop the reproduction is checked before the first step runs, and a
checkout this module created is removed again when it stops that early.

Progress goes out through ``emit`` (thread-safe: it is called from worker threads too).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

from roard.capture.runtime import is_python_executable
from roard.errors import FailedPrecondition, InvalidArgument
from roard.hashing import HashCache
from roard.lineage.model import FileEntry, JobRecord, TransferInfo
from roard.reproduce import checkout, pyenv, system_sync
from roard.reproduce.plan import Plan, make_plan, rel_cwd, step_ref
from roard.reproduce.verdict import StepRun, Verdict, judge
from roard.runs.output import Chunk
from roard.runs.spawned import Finished, SpawnedRuns, StartSpec
from roard.workspace.registry import Workspace, WorkspaceRegistry

#: Seconds between "still running" progress events of a long step.
HEARTBEAT = 5.0
MAX_ROUNDS = 20


@dataclass
class Progress:
    phase: str
    message: str
    step: str = ""
    elapsed: float = 0.0
    round: int = 0


@dataclass
class Output:
    step: str
    data: bytes


Event = Union[Progress, Output]
Emit = Callable[[Event], None]


@dataclass
class Options:
    ref: str
    cwd: str
    lineage: bool = False
    directory: str = ""
    python: str = ""
    pip_any_version: bool = False
    package_sync: bool = False
    rounds: int = 1
    environment: dict[str, str] = field(default_factory=dict)


class Reproduction:
    def __init__(self, ws: Workspace, registry: WorkspaceRegistry, runs: SpawnedRuns, hashes: HashCache,
                 options: Options, emit: Emit) -> None:
        self.ws, self.registry, self.runs, self.hashes = ws, registry, runs, hashes
        self.opts, self.emit = options, emit
        self.started = time.monotonic()
        self.env: pyenv.Environment | None = None
        self.notes: list[str] = []
        self.diffs: dict[str, bytes] = {}   # job uid -> its recorded dirty-tree diff

    def _progress(self, phase: str, message: str, step: str = "", round_: int = 0,
                  elapsed: float | None = None) -> None:
        self.emit(Progress(phase, message, step, time.monotonic() - self.started if elapsed is None else elapsed,
                           round_))

    async def run(self) -> Verdict:
        opts = self.opts
        if not 1 <= opts.rounds <= MAX_ROUNDS:
            raise InvalidArgument(f"--rounds must be between 1 and {MAX_ROUNDS}")
        plan = await make_plan(self.ws, self.registry, self.hashes, opts.ref, opts.lineage, opts.cwd,
                               opts.directory, opts.python)
        if plan.blockers:
            more = f" ({len(plan.blockers) - 1} more in the plan)" if len(plan.blockers) > 1 else ""
            raise FailedPrecondition(f"cannot reproduce: {plan.blockers[0]}{more}")
        assert plan.code is not None
        self.notes += plan.notes
        self.diffs = await asyncio.to_thread(_recorded_diffs, plan)
        code_dir = Path(plan.code.directory)
        created = plan.code.kind in ("clone", "local-clone") and not code_dir.exists()
        try:
            replay_ws = await self._prepare(plan, code_dir)
        except BaseException:
            if created:
                await asyncio.to_thread(shutil.rmtree, code_dir, True)
            raise
        runs, session_id = await self._run_rounds(plan, replay_ws, code_dir)
        self._progress("verdict", "comparing outputs with the recorded hashes")
        verdict = judge(runs, plan.target_hashes, opts.rounds)
        verdict.directory = str(replay_ws.root)
        verdict.session_id = session_id
        verdict.notes = self.notes
        return verdict

    # --- before any step ---------------------------------------------------------------------

    async def _prepare(self, plan: Plan, code_dir: Path) -> Workspace:
        assert plan.code is not None
        self._progress("code", f"{plan.code.kind}: {code_dir} ({plan.code.reason})")
        await asyncio.to_thread(checkout.prepare, plan.code, plan.commit)
        if plan.python is not None and (plan.packages or plan.python_version):
            self._progress("environment", f"Python {plan.python.version} with {len(plan.packages)} pinned "
                                          "package(s)")
            self.env, reused = await asyncio.to_thread(
                pyenv.ensure_environment, plan.python, plan.packages, plan.constraints,
                self.opts.pip_any_version, lambda line: self._progress("environment", line))
            self.notes += self.env.substitutions
            self._progress("environment", f"{'reusing' if reused else 'built'} {self.env.directory}")
        if self.opts.package_sync:
            await asyncio.to_thread(self._sync_system_packages, plan)
        if plan.code.kind == "reuse":
            replay_ws = self.ws
        else:
            root = code_dir / plan.workspace_rel if plan.workspace_rel not in ("", ".") else code_dir
            await asyncio.to_thread(checkout.put_in_place, str(code_dir), plan.steps[0].git.commit,
                                    self._diff_of(plan.steps[0]), checkout.TreeState(),
                                    step_ref(plan.steps[0]))
            root.mkdir(parents=True, exist_ok=True)
            replay_ws, _, _ = self.registry.init(root, add_gitignore=False)
        await asyncio.to_thread(self._bring_inputs, plan, code_dir)
        return replay_ws

    def _sync_system_packages(self, plan: Plan) -> None:
        wanted = system_sync.recorded(plan.steps)
        for line in system_sync.sync(wanted, lambda m: self._progress("environment", m)):
            self.notes.append(line)

    def _bring_inputs(self, plan: Plan, code_dir: Path) -> None:
        """Copy unsourced inputs (found by hash) into place; never overwrite a different file."""
        for item in plan.inputs:
            if item.source != "unsourced" or not item.copy_from:
                continue
            dest = code_dir / item.path
            if dest.exists() and self.hashes.hash_file(str(dest)).hash == item.hash:
                continue
            if dest.exists():
                raise FailedPrecondition(f"{dest} exists with different content than the recorded input "
                                         f"{item.hash[:12]}; move it away or use --dir")
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.roar-tmp")
            shutil.copy2(item.copy_from, tmp)
            os.replace(tmp, dest)
            self._progress("inputs", f"{item.path} <- {item.copy_from}")

    def _diff_of(self, job: JobRecord) -> bytes:
        return self.diffs.get(job.uid, b"")

    # --- the steps ---------------------------------------------------------------------------

    async def _run_rounds(self, plan: Plan, replay_ws: Workspace, code_dir: Path) -> tuple[list[StepRun], str]:
        """Every step, every round, in a fresh session; returns the runs and that session."""
        store = replay_ws.store
        previous = await store.active_session()
        session_id = await store.reset_session()
        runs = [StepRun(step_ref(j), j, []) for j in plan.steps if j.kind not in ("put",)]
        tree = checkout.TreeState(plan.steps[0].git.commit, self._diff_of(plan.steps[0]))
        try:
            for round_ in range(1, self.opts.rounds + 1):
                for run in runs:
                    job = run.original
                    if plan.code is not None and plan.code.kind != "reuse":
                        tree = await asyncio.to_thread(checkout.put_in_place, str(code_dir), job.git.commit,
                                                       self._diff_of(job), tree, run.ref)
                    if job.kind == "get":
                        run.replays.append(await self._fetch(job, code_dir, run.ref, round_))
                    else:
                        run.replays.append(await self._run_step(job, replay_ws, code_dir, run.ref, round_))
        finally:
            if plan.code is not None and plan.code.kind in ("reuse", "dir"):
                await store.activate_session(previous)
        return runs, session_id

    def _environment(self, job: JobRecord) -> dict[str, str]:
        env = dict(self.opts.environment)
        env.update(job.env or {})
        if self.env is not None:
            env["PATH"] = f"{self.env.bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}"
            env["VIRTUAL_ENV"] = str(self.env.directory)
            env.pop("PYTHONHOME", None)
        return env

    def _argv(self, job: JobRecord) -> list[str]:
        """The recorded command; a Python interpreter named by path becomes the environment's."""
        argv = list(job.argv)
        recorded_exe = job.runtime.python_executable
        if self.env is not None and argv and "/" in argv[0] and (
                argv[0] == recorded_exe or is_python_executable(argv[0])):
            argv[0] = str(self.env.python)
        return argv

    async def _run_step(self, job: JobRecord, ws: Workspace, code_dir: Path, ref: str, round_: int) -> JobRecord:
        """Run one step the way StartRun does (``runs.spawned``: traced, recorded as
        ``roarctl run`` records it), its output streamed out as it comes."""
        rel = rel_cwd(job)
        cwd = str(code_dir / rel) if not rel.startswith("/") else rel
        run = await self.runs.start(StartSpec(argv=self._argv(job), cwd=cwd, workspace=str(ws.root), kind=job.kind,
                                              environment=self._environment(job)))
        self._progress("step", " ".join(job.argv), ref, round_, 0.0)
        began = time.monotonic()
        heartbeat = asyncio.ensure_future(self._heartbeat(ref, round_, began))
        finished: Finished | None = None
        try:
            async for item in self.runs.follow(run, owner=True):
                if isinstance(item, Chunk):
                    self.emit(Output(ref, item.data))
                elif isinstance(item, Finished):
                    finished = item
        except asyncio.CancelledError:
            await self.runs.cancel(run.run_id)
            with contextlib.suppress(Exception):
                await asyncio.shield(run.finished)
            raise
        finally:
            heartbeat.cancel()
        assert finished is not None
        self._progress("step", f"exit {finished.exit_code} after {time.monotonic() - began:.1f}s", ref, round_)
        return finished.job

    async def _heartbeat(self, ref: str, round_: int, began: float) -> None:
        """"still running" progress while a long step runs."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            self._progress("step", "running", ref, round_, time.monotonic() - began)

    async def _fetch(self, job: JobRecord, code_dir: Path, ref: str, round_: int) -> JobRecord:
        """Re-download a Get job's files, each verified against its recorded hash."""
        from roard.transfers.fetch import download

        transfer = job.transfer or TransferInfo("get", "")
        self._progress("step", f"fetching {transfer.url}", ref, round_)
        outputs = []
        for item in transfer.files:
            dest = Path(item.path) if item.path.startswith("/") else code_dir / item.path
            if not (dest.exists() and self.hashes.hash_file(str(dest)).hash == item.hash):
                dest.parent.mkdir(parents=True, exist_ok=True)
                await asyncio.to_thread(download, item.url, dest, item.hash, force=True,
                                        environment=self.opts.environment, cache=self.hashes)
            outputs.append(FileEntry(item.path, str(dest), item.hash, item.size))
        now = time.time()
        return JobRecord(uid="", session_id="", kind="get", argv=job.argv, cwd=str(code_dir), started_at=now,
                         ended_at=now, exit_code=0, status="ok", outputs=outputs)


def _recorded_diffs(plan: Plan) -> dict[str, bytes]:
    """The recorded dirty-tree diff of each step that has one, read once (blocking)."""
    diffs = {}
    for job in plan.steps:
        rel = job.git.diff_path
        if not rel:
            continue
        path = Path(plan.source_workspace) / rel
        try:
            diffs[job.uid] = path.read_bytes()
        except OSError:
            raise FailedPrecondition(f"the recorded diff of {job.ref} ({path}) is gone, so its dirty tree "
                                     "cannot be recreated") from None
    return diffs
