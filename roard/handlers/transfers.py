"""TransferService: Download and Upload, streaming progress from the worker thread that moves the
bytes and ending with the recorded Transfer."""
from __future__ import annotations

import threading
from typing import AsyncIterator, Awaitable, Callable

from roar_api.v1 import transfers_pb2, transfers_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import transfer_outcome, transfer_progress
from roard.handlers.errors import map_errors
from roard.handlers.relay import Done, relay
from roard.transfers.manager import GetParams, PutParams, TransferOutcome
from roard.transfers.progress import Report

Start = Callable[[Report, threading.Event], Awaitable[TransferOutcome]]


@map_errors
class TransferHandler(transfers_pb2_grpc.TransferServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def Download(self, request, context):
        params = GetParams(cwd=request.workspace, url=request.url, dest=request.dest,
                           expected_hash=request.expected_hash, force=request.force,
                           dry_run=request.dry_run, message=request.message, tag=request.tag,
                           environment=dict(request.environment))
        async for update in _stream(lambda report, cancel: self.daemon.transfers.get(params, report, cancel)):
            yield update

    async def Upload(self, request, context):
        params = PutParams(cwd=request.workspace, url=request.url, sources=list(request.sources),
                           message=request.message, dry_run=request.dry_run, no_tag=request.no_tag,
                           environment=dict(request.environment))
        async for update in _stream(lambda report, cancel: self.daemon.transfers.put(params, report, cancel)):
            yield update


async def _stream(start: Start) -> AsyncIterator[transfers_pb2.TransferUpdate]:
    """Progress as it comes, then the outcome. A client that goes away cancels the transfer
    (through the event the worker thread checks), which cleans up."""
    cancel = threading.Event()
    async for item in relay(lambda report: start(report, cancel), lambda _task: cancel.set()):
        yield transfer_outcome(item.result) if isinstance(item, Done) else transfer_progress(item)
