"""Runs the daemon spawns itself (StartRun): the command is started by roard, recorded through
``RunManager.begin/end`` exactly as ``roarctl run`` records it (same tracer choice, same job),
and its output is kept (``output.OutputLog``) for whoever follows it.

A run belongs to the daemon, not to the client that started it: a client that goes away does
not stop it unless it asked to (``cancel_on_disconnect``, handled by the caller through
``cancel``); ``AttachRun`` follows it from another client. Reproduction (``reproduce/execute.py``) runs its
steps through ``SpawnedRuns.start`` as well: one way for roard to spawn a traced command.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import struct
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Union

from roar_api.launch import RUN_ENVIRONMENT
from roard.errors import InvalidArgument, NotFound
from roard.events import EventBus
from roard.lineage.model import JobRecord
from roard.runs.manager import RunEnd, RunManager
from roard.runs.output import Chunk, OutputLog, Skipped, prune_logs
from roard.runs.record import RunRecord

log = logging.getLogger(__name__)

#: Seconds between SIGTERM and SIGKILL when a run is cancelled without saying.
CANCEL_GRACE = 5.0
#: After the command exits, how long its output pipes may stay open (held by a process it left
#: behind) before the daemon stops reading them.
DRAIN_GRACE = 2.0
#: Finished runs remembered in memory for AttachRun (older ones are replayed from disk).
FINISHED_KEPT = 64
#: Runs whose output logs are kept on disk.
LOGS_KEPT = 200
#: The most read from a pipe at once (asyncio's pipe transport reads up to 256 KiB).
READ_SIZE = 1024 * 1024
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
#: Environment variables of the command's environment that BeginRun derives the launch from,
#: as roarctl passes them.
LAUNCH_VARIABLES = RUN_ENVIRONMENT


@dataclass
class StartSpec:
    argv: list[str]
    cwd: str
    workspace: str = ""
    kind: str = "run"
    tracer: str = ""
    environment: dict[str, str] = field(default_factory=dict)   # added to the daemon's own
    pty: bool = False
    rows: int = 24
    cols: int = 80


@dataclass(frozen=True)
class Started:
    run_id: str
    pid: int
    workspace: str
    argv: list[str]
    tracer: str
    warnings: list[str]
    pty: bool


@dataclass(frozen=True)
class Finished:
    job: JobRecord
    exit_code: int
    signal: int
    cancelled: bool


RunEvent = Union[Started, Chunk, Skipped, Finished]


@dataclass(frozen=True)
class Pipe:
    """One of the command's output pipes, as the daemon reads it."""
    name: str                       # "stdout" or "stderr"
    reader: asyncio.StreamReader
    transport: asyncio.ReadTransport


@dataclass(frozen=True)
class RunInfo:
    """A run in flight, as ListRuns shows it."""
    run_id: str
    workspace: str
    argv: list[str]
    cwd: str
    started_at: float
    tracer: str
    spawned: bool
    pid: int = 0
    output_bytes: int = 0


@dataclass
class SpawnedRun:
    started: Started
    record: RunRecord
    output: OutputLog
    started_at: float = field(default_factory=time.time)
    process: asyncio.subprocess.Process | None = None
    finished: "asyncio.Future[Finished]" = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    cancelled: bool = False

    @property
    def run_id(self) -> str:
        return self.started.run_id


class SpawnedRuns:
    """The daemon's spawned runs: start, follow, cancel, list."""

    def __init__(self, runs: RunManager, bus: EventBus, output_dir: Path) -> None:
        self.runs = runs
        self.bus = bus
        self.output_dir = output_dir
        self._active: dict[str, SpawnedRun] = {}
        self._finished: dict[str, SpawnedRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- start -----------------------------------------------------------------------------

    async def start(self, spec: StartSpec) -> SpawnedRun:
        """Begin the run, spawn the command; returns once it is running (or recorded as not
        startable: its ``finished`` is then already set)."""
        if spec.pty and not (0 < spec.rows <= 10000 and 0 < spec.cols <= 10000):
            raise InvalidArgument(f"terminal size {spec.rows}x{spec.cols} is not a size: rows and cols "
                                  "must be between 1 and 10000")
        for key, value in spec.environment.items():
            if not key or "=" in key or "\0" in key or "\0" in value:
                raise InvalidArgument(f"environment variable {key!r} cannot be set: a name is non-empty "
                                      "without '=' and neither name nor value holds a NUL byte")
        env = {**os.environ, **spec.environment}
        if spec.pty:
            env.setdefault("TERM", "xterm-256color")
            env["LINES"], env["COLUMNS"] = str(spec.rows), str(spec.cols)
        record, plan = await self.runs.begin(
            spec.workspace, list(spec.argv), spec.cwd, spec.kind or "run", spec.tracer, [],
            {k: env[k] for k in LAUNCH_VARIABLES if k in env}, client_pid=os.getpid())
        if len(self._finished) == 0 and not self._active:
            await asyncio.to_thread(prune_logs, self.output_dir, LOGS_KEPT)
        output = OutputLog(self.output_dir, record.run_id)
        argv = [*plan.argv_prefix, *spec.argv]
        launch_env = {**env, **plan.environment}
        try:
            process, pipes, master = await _spawn(argv, spec, launch_env)
        except OSError as exc:
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            run = SpawnedRun(Started(record.run_id, 0, record.workspace, list(spec.argv), plan.tracer,
                                     list(record.warnings), spec.pty), record, output)
            output.append("stderr", f"roar: cannot run {spec.argv[0]}: {exc.strerror}\n".encode())
            output.close()
            job = await self.runs.end(record.run_id, RunEnd(code, spawn_error=f"{spec.argv[0]}: {exc.strerror}"))
            run.finished.set_result(Finished(job, code, 0, False))
            self._remember(run)
            return run
        run = SpawnedRun(Started(record.run_id, process.pid, record.workspace, list(spec.argv), plan.tracer,
                                 list(record.warnings), spec.pty), record, output, process=process)
        self._active[run.run_id] = run
        task = asyncio.ensure_future(self._supervise(run, pipes, master))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.bus.publish("run.output", workspace=record.workspace, run_id=run.run_id,
                         message=f"pid {process.pid}: {' '.join(spec.argv)}")
        return run

    async def _supervise(self, run: SpawnedRun, pipes: list["Pipe"], master: int) -> None:
        """Pump the output until the command ends, then record the job."""
        proc = run.process
        assert proc is not None
        try:
            if master >= 0:
                readers = [asyncio.ensure_future(self._pump_fd(run, master, "pty"))]
            else:
                readers = [asyncio.ensure_future(self._pump(run, pipe.reader, pipe.name)) for pipe in pipes]
            status = await proc.wait()
            pending = set(readers)
            while pending:
                before = run.output.total
                _, pending = await asyncio.wait(pending, timeout=DRAIN_GRACE)
                if pending and run.output.total == before and not run.output.owner_lagging():
                    for reader in pending:   # a process the command left behind holds the pipe
                        reader.cancel()
                    break
            await asyncio.gather(*readers, return_exceptions=True)
        except BaseException:
            await _stop_group(proc, CANCEL_GRACE)
            raise
        finally:
            run.output.close()
            await asyncio.shield(run.output.flushed())   # kept output is on disk before the job is
            for pipe in pipes:
                pipe.transport.close()
            if master >= 0:
                with contextlib.suppress(OSError):
                    os.close(master)
        if status >= 0:
            end = RunEnd(status, interrupted=run.cancelled)
        else:
            end = RunEnd(128 - status, signal=-status, interrupted=run.cancelled)
        try:
            job = await self.runs.end(run.run_id, end)
        except BaseException as exc:
            run.finished.set_exception(exc)
            raise
        finally:
            self._active.pop(run.run_id, None)
        run.finished.set_result(Finished(job, end.exit_code, end.signal, run.cancelled))
        self._remember(run)

    async def _pump(self, run: SpawnedRun, stream: asyncio.StreamReader, name: str) -> None:
        while data := await stream.read(READ_SIZE):
            run.output.append(name, data)
            await run.output.wait_for_owner()

    async def _pump_fd(self, run: SpawnedRun, fd: int, name: str) -> None:
        """A pty master: readable until every slave end is closed (then EIO)."""
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(fd, readable.set)
        try:
            while True:
                await readable.wait()
                readable.clear()
                try:
                    data = os.read(fd, READ_SIZE)
                except BlockingIOError:
                    continue
                except OSError:   # EIO: the terminal's last user has gone
                    return
                if not data:
                    return
                run.output.append(name, data)
                await run.output.wait_for_owner()
        finally:
            loop.remove_reader(fd)

    def _remember(self, run: SpawnedRun) -> None:
        self._finished[run.run_id] = run
        while len(self._finished) > FINISHED_KEPT:
            self._finished.pop(next(iter(self._finished)))

    # --- follow, cancel, list ----------------------------------------------------------------

    def get(self, run_id: str) -> SpawnedRun:
        run = self._active.get(run_id) or self._finished.get(run_id)
        if run is None:
            raise NotFound(f"no run {run_id!r} started by the daemon (roarctl's runs cannot be attached to; "
                           "finished runs are kept for a while)")
        return run

    async def follow(self, run: SpawnedRun, offset: int = 0, owner: bool = False) -> AsyncIterator[RunEvent]:
        """Started, the output from ``offset`` on (what is kept first, then live), Finished."""
        yield run.started
        async for item in run.output.follow(offset, owner=owner):
            yield item
        yield await asyncio.shield(run.finished)

    async def cancel(self, run_id: str, grace: float = 0.0) -> bool:
        """SIGTERM to the run's process group, SIGKILL after ``grace`` seconds; False when it
        had already ended."""
        run = self.get(run_id)
        if run.process is None or run.process.returncode is not None or run.run_id not in self._active:
            return False
        run.cancelled = True
        task = asyncio.ensure_future(_stop_group(run.process, grace if grace > 0 else CANCEL_GRACE))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def list_runs(self, workspace: str = "") -> list["RunInfo"]:
        """Runs in flight, spawned by the daemon or by roarctl (BeginRun), oldest first."""
        found = []
        for record in self.runs.active_runs():
            if workspace and record.workspace != workspace:
                continue
            run = self._active.get(record.run_id)
            found.append(RunInfo(record.run_id, record.workspace, list(record.argv), record.cwd, record.started_at,
                                 record.tracer, spawned=run is not None,
                                 pid=run.started.pid if run else 0, output_bytes=run.output.total if run else 0))
        return sorted(found, key=lambda r: r.started_at)

    async def close(self) -> None:
        """Stop the runs still going (they are recorded as interrupted)."""
        for run in list(self._active.values()):
            with contextlib.suppress(NotFound):
                await self.cancel(run.run_id, 1.0)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def _spawn(argv: list[str], spec: StartSpec, env: dict[str, str]
                 ) -> tuple[asyncio.subprocess.Process, list["Pipe"], int]:
    """Start the command in a session (and process group) of its own; returns the process,
    readers of its stdout and stderr (none with a pty) and the pty master (-1 without one)."""
    if not spec.pty:
        pipes = [_big_pipe(), _big_pipe()]
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=spec.cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=pipes[0][1],
                stderr=pipes[1][1], start_new_session=True)
        except BaseException:
            for r, _ in pipes:
                os.close(r)
            raise
        finally:
            for _, w in pipes:
                os.close(w)
        loop = asyncio.get_running_loop()
        readers = []
        for name, (r, _) in zip(("stdout", "stderr"), pipes):
            reader = asyncio.StreamReader(limit=READ_SIZE)
            transport, _ = await loop.connect_read_pipe(lambda reader=reader: asyncio.StreamReaderProtocol(reader),
                                                        os.fdopen(r, "rb", buffering=0))
            readers.append(Pipe(name, reader, transport))
        return proc, readers, -1
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", spec.rows, spec.cols, 0, 0))
        os.set_blocking(master, False)
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=spec.cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, [], master


def _big_pipe() -> tuple[int, int]:
    """A pipe with a 1 MiB buffer where the system allows (64 KiB otherwise): a command that
    writes a lot wakes the daemon a sixteenth as often."""
    r, w = os.pipe2(os.O_CLOEXEC)
    with contextlib.suppress(OSError):
        fcntl.fcntl(w, F_SETPIPE_SZ, READ_SIZE)
    return r, w


async def _stop_group(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM to the process group, then SIGKILL after ``grace`` seconds (and to whatever of
    the group is left once the leader is gone)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        if wait is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), wait)
        except asyncio.TimeoutError:
            continue
        # The leader is gone; children that ignored SIGTERM must not outlive the cancel.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
