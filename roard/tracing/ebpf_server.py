"""The eBPF tracer server: one long-lived ``roar-ebpf --server SOCK`` per daemon, so that a run
does not pay for loading and verifying the BPF programs (~40-50 ms) every time.

Started on the first ebpf run (restarted when it died), stopped with the daemon (it also ends by
itself when roard dies: PR_SET_PDEATHSIG). Each run is registered (``RUN``) before its launcher
(``roar-ebpf --attach SOCK --run ID -- CMD``, the run's launch plan) starts, and flushed
(``FLUSH``: every record submitted before the request is written, the run's spool files are
closed) before finalize reads the spool. The protocol is one text line each way per connection;
see tracers/ebpf/main.c.

Domain code: asyncio streams and subprocesses only, never blocking the event loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path

from roar_api import paths
from roard.errors import FailedPrecondition

log = logging.getLogger(__name__)

SOCKET_NAME = "roar-ebpf.sock"
#: Loading, verifying and attaching take ~50 ms; a very loaded machine gets far more.
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


def socket_path() -> Path:
    """Beside roard's own socket (a 0700 directory), else in a private directory of the state dir."""
    d = paths.socket_path().parent
    if not paths.is_private_dir(d):
        d = paths.state_dir() / "run"
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(d, 0o700)
    return d / SOCKET_NAME


def launcher_argv(binary: Path, run_id: str) -> list[str]:
    return [str(binary), "--attach", str(socket_path()), "--run", run_id, "--"]


class EbpfServer:
    """Starts, talks to and stops the tracer server. One per daemon, owned by the tracing
    service (``roard/tracing/service.py``)."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: Path | None = None
        self._generation = 0
        self._runs: dict[str, int] = {}            # run id -> generation of the server it is in
        self._flushed: set[str] = set()            # a retried EndRun has nothing more to flush
        self._lock = asyncio.Lock()
        self._stderr_task: asyncio.Task[None] | None = None
        #: Why the last attempt to start the server failed ("" when it started): `roarctl
        #: tracer status` shows it; the next ebpf run tries again.
        self.start_error = ""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    # --- the process -----------------------------------------------------------------------

    async def _start(self) -> None:
        sock = socket_path()
        env = dict(os.environ)
        proc = await asyncio.create_subprocess_exec(
            str(self.binary), "--server", str(sock), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            start_new_session=True)
        assert proc.stdout is not None and proc.stderr is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
        except asyncio.TimeoutError:
            line = b""
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        if line.strip() != b"ready":
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            err = (await proc.stderr.read()).decode(errors="replace").strip().splitlines()
            await proc.wait()
            reason = err[-1].removeprefix("roar-ebpf: ") if err else (
                f"the tracer server exited with status {proc.returncode} without saying why")
            self.start_error = f"the tracer server could not start: {reason}"
            raise FailedPrecondition(f"the ebpf tracer cannot run here: {reason}")
        self.start_error = ""
        self._proc, self._sock = proc, sock
        self._generation += 1
        self._stderr_task = asyncio.ensure_future(self._relay_stderr(proc))
        log.info("started the eBPF tracer server (pid %d) on %s", proc.pid, sock)

    async def _relay_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            log.warning("eBPF tracer server: %s", line.decode(errors="replace").rstrip())
        rc = await proc.wait()
        if rc != 0:
            log.warning("the eBPF tracer server (pid %d) ended with status %d", proc.pid, rc)

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._stderr_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._stderr_task, 2)

    async def stop(self) -> None:
        """Daemon shutdown: the server writes what its runs did, closes their files and exits."""
        async with self._lock:
            await self._kill()

    # --- requests --------------------------------------------------------------------------

    async def _request(self, line: str) -> str:
        assert self._sock is not None
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(self._sock)),
                                                REQUEST_TIMEOUT)
        try:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        text = answer.decode(errors="replace").strip()
        if not text:
            raise ConnectionError("the eBPF tracer server closed the connection")
        return text

    async def open_run(self, run_id: str, spool: Path) -> None:
        """Register a run before its launcher starts: the server (started now if it is not
        running) opens the spool directory and attaches its probes."""
        if "\n" in str(spool) or " " in run_id:
            raise FailedPrecondition(f"the ebpf tracer cannot use the spool directory {spool!r}")
        async with self._lock:
            for attempt in (1, 2):
                if not self._alive():
                    await self._kill()
                    await self._start()
                try:
                    answer = await self._request(f"RUN {run_id} {spool}")
                    break
                except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
                    if attempt == 2:
                        raise FailedPrecondition(f"the ebpf tracer server does not answer: {exc}") from None
                    log.warning("the eBPF tracer server does not answer (%s); restarting it", exc)
                    await self._kill()
            if not answer.startswith("OK"):
                raise FailedPrecondition(f"the ebpf tracer cannot trace this run: "
                                         f"{answer.removeprefix('ERR ')}")
            self._runs[run_id] = self._generation

    async def flush_run(self, run_id: str) -> list[str]:
        """End of a run: everything its processes did until now is in its spool, its files are
        closed and its processes are no longer followed. Returns warnings for the job (the
        server died during the run); lost events are in the spool (``W ebpf-lost``)."""
        async with self._lock:
            if run_id in self._flushed:
                return []
            generation = self._runs.pop(run_id, None)
            if generation is None:
                # Registered with a server of an earlier daemon (which ended with it, writing
                # what it had) or never registered (BeginRun failed half-way).
                return ["the eBPF tracer was restarted during the run (roard restarted?): "
                        "what the job did after that is missing"]
            self._flushed.add(run_id)
            if generation != self._generation or not self._alive():
                return ["the eBPF tracer server ended during the run: what the job did after "
                        "that is missing"]
            try:
                answer = await self._request(f"FLUSH {run_id}")
            except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
                return [f"the eBPF tracer server did not flush the run ({exc}): the end of what "
                        "the job did may be missing"]
        if not answer.startswith("OK"):
            return [f"the eBPF tracer could not flush the run: {answer.removeprefix('ERR ')}"]
        log.debug("eBPF run %s flushed: %s", run_id, answer)
        return []
