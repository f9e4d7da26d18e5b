"""FileService: GetFileStatus and its stream form, answered by the workspace watcher."""
from __future__ import annotations

import contextlib

from roar_api.v1 import files_pb2, files_pb2_grpc
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.errors import map_errors
from roard.lineage.file_status import FileStatusInfo

#: Events after which a watched file's status may have changed.
STATUS_TOPICS = ("file.changed", "step.stale", "step.fresh", "job.recorded", "job.popped", "session.reset",
                 "events.dropped")


def file_status_message(info: FileStatusInfo) -> files_pb2.FileStatus:
    return files_pb2.FileStatus(
        path=info.path, abs_path=info.abs_path, workspace=info.workspace, exists=info.exists, hash=info.hash,
        produced_by=info.produced_by, producer_job_uid=info.producer_job_uid, producer_argv=info.producer_argv,
        note=info.note, consumed_by=info.consumed_by, stale=info.stale, stale_reasons=info.stale_reasons,
        stale_consumers=info.stale_consumers, tracked=info.tracked)


def _check(request) -> None:
    if not request.paths:
        raise InvalidArgument("no paths given: GetFileStatus needs at least one file")
    if not request.cwd.startswith("/") and any(not p.startswith("/") for p in request.paths):
        raise InvalidArgument("relative paths need an absolute cwd")


@map_errors
class FileHandler(files_pb2_grpc.FileServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetFileStatus(self, request, context):
        _check(request)
        infos = await self.daemon.watch.file_status(list(request.paths), request.cwd)
        return files_pb2.GetFileStatusResponse(files=[file_status_message(i) for i in infos])

    async def WatchFileStatus(self, request, context):
        _check(request)
        events = self.daemon.bus.watch(kinds=STATUS_TOPICS)
        async with contextlib.aclosing(events):
            last: dict[str, files_pb2.FileStatus] = {}
            while True:
                for info in await self.daemon.watch.file_status(list(request.paths), request.cwd):
                    message = file_status_message(info)
                    if last.get(info.abs_path) != message:
                        last[info.abs_path] = message
                        yield message
                workspaces = {m.workspace for m in last.values()}
                async for event in events:
                    if event.workspace in workspaces or not event.workspace:
                        break
