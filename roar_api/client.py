"""A small client for roard's API, for tools and scripts (roarctl has its own, lighter one).

    from roar_api.client import connect

    with connect() as roar:                       # starts roard if it is not running
        run = roar.start_run(["python", "train.py"], cwd="/path/to/workspace")
        for chunk in run:                         # output as it comes: (stream, bytes)
            print(chunk.stream, chunk.data.decode(errors="replace"), end="")
        print(run.finished.exit_code, run.finished.job.ref)

        for status in roar.file_status(["data/out.csv"], cwd="/path/to/workspace"):
            print(status.path, status.produced_by or status.note, "stale" if status.stale else "fresh")

        for event in roar.watch_events(kinds=["step.stale", "step.fresh"]):
            print(event.topic, event.step, list(event.reasons))

Messages are the generated ones in ``roar_api.v1`` (documented in ``proto/roar/v1``). Errors
are ``grpc.RpcError`` (``.code()``, ``.details()`` is one sentence). Uses grpcio.
"""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import grpc

from roar_api import paths
from roar_api.v1 import (daemon_pb2, daemon_pb2_grpc, events_pb2, events_pb2_grpc, files_pb2, files_pb2_grpc,
                         runs_pb2, runs_pb2_grpc)
from roar_api.version import PROTOCOL_MAJOR, PROTOCOL_MINOR, VERSION

#: Seconds to wait for an autostarted roard to answer.
AUTOSTART_TIMEOUT = 20.0


class RoarUnavailable(RuntimeError):
    """roard is not running (and was not to be started) or could not be started."""


@dataclass
class Run:
    """A run started with ``Client.start_run`` or followed with ``Client.attach_run``:
    iterate it for its output chunks; ``started`` and ``finished`` fill in as they arrive."""

    _stream: Any
    started: runs_pb2.RunStarted | None = None
    finished: runs_pb2.RunFinished | None = None
    skipped_bytes: int = 0
    _first: list[runs_pb2.RunOutput] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.started.run_id if self.started else ""

    def __iter__(self) -> Iterator[runs_pb2.OutputChunk]:
        first, self._first = self._first, []
        for item in itertools.chain(first, self._stream):
            kind = item.WhichOneof("item")
            if kind == "chunk":
                yield item.chunk
            elif kind == "started":
                self.started = item.started
            elif kind == "skipped":
                self.skipped_bytes += item.skipped.bytes
            elif kind == "finished":
                self.finished = item.finished

    def wait(self) -> runs_pb2.RunFinished:
        """Read (and drop) the rest of the output; the finished message."""
        for _ in self:
            pass
        assert self.finished is not None, "the stream ended without the recorded job"
        return self.finished

    def detach(self) -> None:
        """Stop following; the run goes on (unless it was started with cancel_on_disconnect)."""
        self._stream.cancel()


class Client:
    """Stubs over one channel to roard's Unix socket. Use ``connect()`` to make one."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.daemon = daemon_pb2_grpc.DaemonServiceStub(channel)
        self.runs = runs_pb2_grpc.RunServiceStub(channel)
        self.events = events_pb2_grpc.EventServiceStub(channel)
        self.files = files_pb2_grpc.FileServiceStub(channel)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()

    def hello(self) -> daemon_pb2.HelloResponse:
        return self.daemon.Hello(daemon_pb2.HelloRequest(
            client_name="roar_api.client", client_version=VERSION, protocol_major=PROTOCOL_MAJOR,
            protocol_minor=PROTOCOL_MINOR), timeout=10)

    # --- runs ------------------------------------------------------------------------------

    def start_run(self, argv: list[str], cwd: str | os.PathLike[str], *, environment: dict[str, str] | None = None,
                  pty: bool = False, rows: int = 24, cols: int = 80, tracer: str = "", kind: str = "run",
                  cancel_on_disconnect: bool = False, explain: bool = False) -> Run:
        """Have roard spawn and record ``argv`` in ``cwd``; returns once it has started."""
        request = runs_pb2.StartRunRequest(
            argv=argv, cwd=str(Path(cwd).absolute()), environment=environment or {}, pty=pty, tracer=tracer,
            kind=kind, cancel_on_disconnect=cancel_on_disconnect, explain=explain,
            size=runs_pb2.TerminalSize(rows=rows, cols=cols) if pty else None)
        return self._follow(self.runs.StartRun(request))

    def attach_run(self, run_id: str, offset: int = 0) -> Run:
        """Follow a daemon-spawned run: what is kept of its output, then live output."""
        return self._follow(self.runs.AttachRun(runs_pb2.AttachRunRequest(run_id=run_id, offset=offset)))

    @staticmethod
    def _follow(stream: Any) -> Run:
        run = Run(stream)
        first = next(stream)   # "started" (or the error) arrives first
        run._first.append(first)
        if first.WhichOneof("item") == "started":
            run.started = first.started
        return run

    def cancel_run(self, run_id: str, grace_seconds: float = 0.0) -> bool:
        return self.runs.CancelRun(runs_pb2.CancelRunRequest(run_id=run_id, grace_seconds=grace_seconds),
                                   timeout=10).signalled

    def list_runs(self, workspace: str = "") -> list[runs_pb2.ActiveRun]:
        return list(self.runs.ListRuns(runs_pb2.ListRunsRequest(workspace=workspace), timeout=10).runs)

    # --- events and files ------------------------------------------------------------------

    def watch_events(self, *, workspace: str = "", kinds: Iterable[str] = (),
                     topic_prefixes: Iterable[str] = (), announce: bool = False) -> Iterator[events_pb2.Event]:
        """Events from now on (an endless iterator: ``.cancel()`` it or break out). With
        ``announce`` the first is ``events.subscribed``: from there on nothing is missed."""
        return self.events.WatchEvents(events_pb2.WatchEventsRequest(
            workspace=workspace, kinds=list(kinds), topic_prefixes=list(topic_prefixes), announce=announce))

    def file_status(self, paths_: Iterable[str | os.PathLike[str]], cwd: str | os.PathLike[str] = "",
                    ) -> list[files_pb2.FileStatus]:
        request = files_pb2.GetFileStatusRequest(paths=[str(p) for p in paths_], cwd=str(cwd or os.getcwd()))
        return list(self.files.GetFileStatus(request, timeout=30).files)

    def watch_file_status(self, paths_: Iterable[str | os.PathLike[str]], cwd: str | os.PathLike[str] = ""
                          ) -> Iterator[files_pb2.FileStatus]:
        request = files_pb2.GetFileStatusRequest(paths=[str(p) for p in paths_], cwd=str(cwd or os.getcwd()))
        return self.files.WatchFileStatus(request)


def connect(socket: str | os.PathLike[str] | None = None, autostart: bool = True,
            timeout: float = AUTOSTART_TIMEOUT) -> Client:
    """A client of roard on ``socket`` (default: ``ROARD_SOCKET``, else the per-user socket,
    as roarctl finds it), starting roard the way roarctl does when it is not running."""
    sock = paths.socket_path(socket)
    if not _answers(sock):
        if not autostart:
            raise RoarUnavailable(f"roard is not running on {sock}")
        _start_roard(sock, timeout)
    return Client(_channel(sock))


def _channel(sock: Path) -> grpc.Channel:
    return grpc.insecure_channel(f"unix://{sock}", options=[("grpc.enable_retries", 0),
                                                             ("grpc.max_receive_message_length", 64 << 20)])


def _answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    with _channel(sock) as channel:
        try:
            daemon_pb2_grpc.DaemonServiceStub(channel).Hello(daemon_pb2.HelloRequest(), timeout=2)
            return True
        except grpc.RpcError:
            return False


def _start_roard(sock: Path, timeout: float) -> None:
    """``python -m roard --socket SOCK`` from this interpreter, detached, its stderr to roard's
    log; then wait until it answers."""
    log = paths.log_path()
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(os.devnull, "rb") as devnull, open(log, "ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "roard", "--socket", str(sock)], stdin=devnull,
                                stdout=devnull, stderr=err, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(sock):
            return
        if proc.poll() not in (None, 0) and not _answers(sock):
            raise RoarUnavailable(f"roard exited with code {proc.returncode} while starting; see {log}")
        time.sleep(0.05)
    raise RoarUnavailable(f"roard did not answer within {timeout:g} s of starting; see {log}")
