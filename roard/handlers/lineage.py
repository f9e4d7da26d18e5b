"""LineageService: GetDag, DiffLineage, ExportLineage."""
from __future__ import annotations

import asyncio

from roar_api.v1 import lineage_pb2, lineage_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import file_record
from roard.handlers.errors import map_errors
from roard.errors import InvalidArgument
from roard.lineage import diff, export
from roard.lineage.dag import build_dag, lineage_hash

EXPORT_CHUNK = 1 << 20


@map_errors
class LineageHandler(lineage_pb2_grpc.LineageServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetDag(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        sid = request.session_id or await ws.store.active_session()
        jobs = await ws.store.list_jobs(sid)
        cache = self.daemon.runs.cache

        def disk_hash(path: str) -> str | None:
            res = cache.hash_file(path)
            return res.hash or None

        nodes = await asyncio.to_thread(build_dag, jobs, request.expanded,
                                        None if request.skip_disk_check else disk_hash)
        return lineage_pb2.Dag(session_id=sid, lineage_hash=lineage_hash(jobs), nodes=[
            lineage_pb2.DagNode(
                job_uid=n.job.uid, ref=n.job.ref, argv=n.job.argv, exit_code=n.job.exit_code,
                inputs=[file_record(e) for e in n.job.inputs],
                outputs=[file_record(e) for e in n.job.outputs], depends_on=n.depends_on,
                superseded=n.superseded, stale=n.stale, stale_reasons=n.stale_reasons, seq=n.job.seq)
            for n in nodes])

    async def DiffLineage(self, request, context):
        if not request.a or not request.b:
            raise InvalidArgument("diff needs two references: artifacts (path or hash) or jobs (@N, uid)")
        ws = self.daemon.workspaces.get(request.workspace)
        label_a, job_a = await diff.resolve_side(ws, request.a, request.workspace)
        label_b, job_b = await diff.resolve_side(ws, request.b, request.workspace)
        all_jobs = await ws.store.list_jobs("*")
        result = await asyncio.to_thread(
            diff.diff_lineages, diff.Side(label_a, diff.lineage_of(job_a, all_jobs)),
            diff.Side(label_b, diff.lineage_of(job_b, all_jobs)))
        return lineage_pb2.LineageDiff(
            a=label_a, b=label_b,
            sections=[lineage_pb2.DiffSection(kind=k, lines=lines) for k, lines in result.sections],
            a_steps=[f"{j.ref} {' '.join(j.argv)}" for j in result.a.jobs],
            b_steps=[f"{j.ref} {' '.join(j.argv)}" for j in result.b.jobs])

    async def ExportLineage(self, request, context):
        fmt = export.check_format(request.format)
        ws = self.daemon.workspaces.get(request.workspace)
        scope = await export.resolve_scope(ws, request.ref, request.workspace)
        data = (await asyncio.to_thread(export.render, scope, fmt)).encode()
        yield lineage_pb2.LineageExportChunk(data=data[:EXPORT_CHUNK], media_type=export.media_type(fmt),
                                             scope=scope.label, job_count=len(scope.jobs))
        for start in range(EXPORT_CHUNK, len(data), EXPORT_CHUNK):
            yield lineage_pb2.LineageExportChunk(data=data[start:start + EXPORT_CHUNK])
