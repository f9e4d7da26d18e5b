"""LabelService: versioned labels on DAGs (sessions), jobs and artifacts."""
from __future__ import annotations

from roar_api.v1 import labels_pb2, labels_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import timestamp
from roard.handlers.errors import map_errors
from roard.lineage import labels


def _doc(doc: labels.LabelDoc) -> labels_pb2.LabelDocument:
    return labels_pb2.LabelDocument(kind=doc.kind, entity=doc.entity, version=doc.version,
                                    labels=doc.labels, created_at=timestamp(doc.created_at))


@map_errors
class LabelHandler(labels_pb2_grpc.LabelServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def _resolve(self, target):
        ws = self.daemon.workspaces.get(target.workspace)
        entity = await labels.resolve_entity(ws, target.kind, target.ref, target.workspace)
        return ws, entity

    async def SetLabels(self, request, context):
        ws, entity = await self._resolve(request.target)
        return _doc(await labels.write(ws, request.target.kind, entity, dict(request.patch)))

    async def GetLabels(self, request, context):
        ws, entity = await self._resolve(request)
        return _doc(await labels.current(ws, request.kind, entity))

    async def CopyLabels(self, request, context):
        src_ws, src = await self._resolve(request.source)
        ws, dst = await self._resolve(request.target)
        doc = await labels.current(src_ws, request.source.kind, src)
        return _doc(await labels.write(ws, request.target.kind, dst, doc.labels))

    async def LabelHistory(self, request, context):
        ws, entity = await self._resolve(request)
        return labels_pb2.LabelHistoryResponse(versions=[_doc(d) for d in await labels.history(ws, request.kind, entity)])
