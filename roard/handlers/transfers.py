"""TransferService: Download and Upload, streaming progress from the worker thread that moves the
bytes and ending with the recorded Transfer."""
from __future__ import annotations

import threading
from typing import Any, AsyncIterator, Awaitable, Callable

from roar_api.v1 import transfers_pb2, transfers_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import job_message
from roard.handlers.errors import map_errors
from roard.handlers.relay import Done, relay
from roard.handlers.workspaces import checklist_messages
from roard.transfers.manager import GetParams, PutParams, TransferManager, TransferOutcome
from roard.transfers.progress import ProgressEvent, Report

Start = Callable[[Report, threading.Event], Awaitable[TransferOutcome]]


@map_errors
class TransferHandler(transfers_pb2_grpc.TransferServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.transfers = TransferManager(daemon.workspaces, daemon.runs, daemon.bus)

    async def Download(self, request, context):
        params = GetParams(cwd=request.workspace, url=request.url, dest=request.dest,
                           expected_hash=request.expected_hash, force=request.force,
                           dry_run=request.dry_run, message=request.message, tag=request.tag,
                           environment=dict(request.environment))
        async for update in _stream(lambda report, cancel: self.transfers.get(params, report, cancel)):
            yield update

    async def Upload(self, request, context):
        params = PutParams(cwd=request.workspace, url=request.url, sources=list(request.sources),
                           message=request.message, dry_run=request.dry_run, no_tag=request.no_tag,
                           environment=dict(request.environment))
        async for update in _stream(lambda report, cancel: self.transfers.put(params, report, cancel)):
            yield update


async def _stream(start: Start) -> AsyncIterator[transfers_pb2.TransferUpdate]:
    """Progress as it comes, then the outcome. A client that goes away cancels the transfer
    (through the event the worker thread checks), which cleans up."""
    cancel = threading.Event()
    async for item in relay(lambda report: start(report, cancel), lambda _task: cancel.set()):
        if isinstance(item, Done):
            yield transfers_pb2.TransferUpdate(transfer=_transfer(item.result))
        else:
            yield _progress(item)


def _progress(e: ProgressEvent) -> transfers_pb2.TransferUpdate:
    return transfers_pb2.TransferUpdate(progress=transfers_pb2.TransferProgress(
        path=e.path, done=e.done, total=e.total, file_index=e.file_index, file_count=e.file_count,
        all_done=e.all_done, all_total=e.all_total, phase=e.phase))


def _transfer(o: TransferOutcome) -> transfers_pb2.Transfer:
    msg: Any = transfers_pb2.Transfer(
        direction=o.direction, url=o.url, dry_run=o.dry_run, warnings=o.warnings, git_tag=o.git_tag,
        files=[transfers_pb2.TransferFile(url=f.url, path=f.path, hash=f.hash, size=f.size) for f in o.files],
        directories=[transfers_pb2.DirectoryRecord(hash=c.hash, path=c.path, url=url,
                                                   file_count=len(c.components), size=c.size)
                     for c, url in o.directories],
        checklist=checklist_messages(o.checklist))
    if o.job is not None:
        msg.job.CopyFrom(job_message(o.job))
    return msg
