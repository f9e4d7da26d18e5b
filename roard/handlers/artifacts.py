"""ArtifactService: GetArtifact by path or hash prefix (a file, or a directory with its components)."""
from __future__ import annotations

import asyncio

from roar_api.v1 import artifacts_pb2, artifacts_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import file_record
from roard.handlers.errors import map_errors
from roard.handlers.workspaces import checklist_messages
from roard.lineage import checklist
from roard.lineage.artifacts import resolve_artifact
from roard.lineage.dag import build_dag


@map_errors
class ArtifactHandler(artifacts_pb2_grpc.ArtifactServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetArtifact(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        art = await resolve_artifact(ws, request.ref, request.workspace)
        items = []
        if art.produced_by:
            jobs = await ws.store.list_jobs()
            items = await asyncio.to_thread(_lineage_checklist, jobs, art.produced_by)
        return artifacts_pb2.Artifact(hash=art.hash, size=art.size, paths=art.paths,
                                      produced_by=art.produced_by, consumed_by=art.consumed_by,
                                      checklist=checklist_messages(items),
                                      components=[file_record(c) for c in art.components])


def _lineage_checklist(jobs, producer_ref: str):
    return checklist.evaluate(checklist.upstream_jobs(build_dag(jobs), producer_ref))
