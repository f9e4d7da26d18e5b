"""LineageService: GetDag, DiffLineage, ExportLineage, PlanRerun."""
from __future__ import annotations

from roar_api.v1 import lineage_pb2, lineage_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import dag_message, diff_message, rerun_message
from roard.handlers.errors import map_errors
from roard.lineage import diff, export, views

EXPORT_CHUNK = 1 << 20


@map_errors
class LineageHandler(lineage_pb2_grpc.LineageServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetDag(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        disk_hash = None if request.skip_disk_check else self.daemon.hashes.current_hash
        return dag_message(await views.session_dag(ws.store, request.session_id, request.expanded, disk_hash))

    async def DiffLineage(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return diff_message(await diff.diff_refs(ws.store, request.a, request.b, request.workspace))

    async def PlanRerun(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return rerun_message(await views.rerun_plan(ws.store, request.ref, request.upstream,
                                                    self.daemon.hashes.current_hash))

    async def ExportLineage(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        document = await export.export(ws.store, request.ref, request.workspace, request.format)
        data = document.text.encode()
        yield lineage_pb2.LineageExportChunk(data=data[:EXPORT_CHUNK], media_type=document.media_type,
                                             scope=document.scope.label, job_count=len(document.scope.jobs))
        for start in range(EXPORT_CHUNK, len(data), EXPORT_CHUNK):
            yield lineage_pb2.LineageExportChunk(data=data[start:start + EXPORT_CHUNK])
