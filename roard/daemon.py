"""The daemon's domain root: the one place where the services are built and their
collaborators handed to them; what it is running, which workspaces it has open, and when to stop.

Knows nothing about gRPC; ``roard/server.py`` wires it to the handlers, which reach the
services through it (``daemon.runs``, ``daemon.transfers``, ...). A new service is built in
``Daemon.__post_init__`` from the collaborators there and closed in ``Daemon.close``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from roar_api.version import PROTOCOL_MAJOR, PROTOCOL_MINOR, VERSION, build_id, install_root
from roard.events import EventBus
from roard.hashing import HashCache
from roard.registration.service import RegistrationService
from roard.reproduce.service import Reproductions
from roard.runs.manager import RunManager
from roard.runs.spawned import SpawnedRuns
from roard.tracing.service import TracingService
from roard.transfers.manager import TransferManager
from roard.watch.service import WatchService
from roard.workspace.registry import WorkspaceRegistry

log = logging.getLogger(__name__)

def reported_protocol() -> tuple[int, int]:
    """The protocol version roard reports in Hello and Status.

    TEST-ONLY hook: ROARD_TEST_PROTOCOL_MAJOR / ROARD_TEST_PROTOCOL_MINOR override it so that
    tests/daemon can exercise roarctl's mismatch handling against a real daemon. Nothing else
    sets them; the daemon speaks the same protocol either way.
    """
    return (int(os.environ.get("ROARD_TEST_PROTOCOL_MAJOR") or PROTOCOL_MAJOR),
            int(os.environ.get("ROARD_TEST_PROTOCOL_MINOR") or PROTOCOL_MINOR))


@dataclass
class DaemonConfig:
    socket_path: Path
    log_path: Path
    state_dir: Path
    idle_timeout: float = 0.0
    listen_mode: str = "self"


@dataclass(frozen=True)
class HelloInfo:
    version: str
    protocol_major: int
    protocol_minor: int
    build_id: str = ""
    stale_reason: str = ""


@dataclass(frozen=True)
class DaemonStatusInfo:
    pid: int
    version: str
    uptime_seconds: float
    started_at: float
    socket_path: str
    log_path: str
    active_runs: int
    workspaces: list[str]
    protocol_major: int
    protocol_minor: int
    listen_mode: str
    idle_timeout_seconds: float
    watching: list[str] = field(default_factory=list)


@dataclass
class Daemon:
    config: DaemonConfig
    bus: EventBus = field(default_factory=EventBus)
    started_at: float = field(default_factory=time.time)
    _monotonic_start: float = field(default_factory=time.monotonic)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    stop_reason: str = ""
    in_flight: int = 0
    last_activity: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        state = self.config.state_dir
        self.workspaces = WorkspaceRegistry(state)
        self.hashes = HashCache(state / "hashcache.db")
        self.tracing = TracingService()
        self.runs = RunManager(self.workspaces, self.bus, self.hashes, self.tracing)
        self.spawned = SpawnedRuns(self.runs, self.bus, state / "outputs")   # StartRun
        self.transfers = TransferManager(self.workspaces, self.hashes, self.bus)
        self.reproductions = Reproductions(self.workspaces, self.spawned, self.hashes)
        self.registration = RegistrationService(self.workspaces, self.bus, state)
        self.bus.listen(self.registration.on_event)   # queues finished jobs (registration.auto)
        self.watch = WatchService(self.workspaces, self.hashes, self.bus)   # stale/fresh, file status
        self.reproductions.remote = self.registration.import_lineage   # lineage only the server knows
        self.build_id = build_id()

    async def hello(self, client_install: str = "") -> HelloInfo:
        major, minor = reported_protocol()
        return HelloInfo(VERSION, major, minor, self.build_id,
                         await self.stale_reason(client_install))

    async def stale_reason(self, client_install: str) -> str:
        """Why this daemon is not running the code a client expects, or "". Hashing the
        installed code here (under a millisecond, off the loop) spares every roarctl call it."""
        ours = install_root()
        if client_install and os.path.realpath(client_install) != os.path.realpath(ours):
            return (f"roarctl from {client_install} is talking to roard from {ours}; "
                    "`roarctl daemon restart` starts the daemon of the roarctl you ran")
        if await asyncio.to_thread(build_id) != self.build_id:
            return ("roard is running code from before roar was last installed or edited; "
                    "`roarctl daemon restart` picks up the installed code")
        return ""

    def status(self) -> DaemonStatusInfo:
        major, minor = reported_protocol()
        return DaemonStatusInfo(
            pid=os.getpid(), version=VERSION,
            uptime_seconds=time.monotonic() - self._monotonic_start, started_at=self.started_at,
            socket_path=str(self.config.socket_path), log_path=str(self.config.log_path),
            active_runs=self.runs.active_count(), workspaces=self.workspaces.open_roots(),
            protocol_major=major, protocol_minor=minor,
            listen_mode=self.config.listen_mode, idle_timeout_seconds=self.config.idle_timeout,
            watching=[f"{w.workspace}: {w.mode}{f' ({w.reason})' if w.reason else ''}, "
                      f"{w.tracked_files:,} file(s), {w.stale_steps} stale step(s)" for w in self.watch.status()])

    # --- lifecycle -------------------------------------------------------------------------

    def request_shutdown(self, reason: str) -> None:
        if not self._stop.is_set():
            log.info("shutdown requested: %s", reason)
            self.stop_reason = reason
            self.bus.publish("daemon.stopping", message=reason)
            self._stop.set()

    async def wait_for_shutdown(self) -> None:
        await self._stop.wait()

    def call_started(self) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def call_finished(self) -> None:
        self.in_flight -= 1
        self.last_activity = time.monotonic()

    def idle_for(self) -> float:
        """Seconds with no call in flight, no active run and no event watcher; 0 when busy."""
        if self.in_flight or self.runs.active_count() or self.bus.subscriber_count:
            return 0.0
        return time.monotonic() - self.last_activity

    async def watch_idle(self) -> None:
        timeout = self.config.idle_timeout
        if timeout <= 0:
            return
        while not self._stop.is_set():
            await asyncio.sleep(min(timeout / 4, 5.0))
            if self.idle_for() >= timeout:
                self.request_shutdown(f"idle for {timeout:g} s")

    async def close(self) -> None:
        await self.spawned.close()   # stops the commands it started; their jobs are recorded
        await self.watch.close()
        await self.runs.close()      # waits for runs being finalized
        await self.tracing.close()
        await self.registration.close()
        await self.workspaces.close()
