"""LabelService: versioned labels on DAGs (sessions), jobs and artifacts."""
from __future__ import annotations

from roar_api.v1 import labels_pb2, labels_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import label_message
from roard.handlers.errors import map_errors
from roard.lineage import labels


@map_errors
class LabelHandler(labels_pb2_grpc.LabelServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    def _target(self, target) -> labels.Target:
        return labels.Target(self.daemon.workspaces.get(target.workspace).store, target.kind, target.ref,
                             target.workspace)

    async def SetLabels(self, request, context):
        return label_message(await labels.patch(self._target(request.target), dict(request.patch)))

    async def GetLabels(self, request, context):
        return label_message(await labels.get(self._target(request)))

    async def CopyLabels(self, request, context):
        return label_message(await labels.copy(self._target(request.source), self._target(request.target)))

    async def LabelHistory(self, request, context):
        return labels_pb2.LabelHistoryResponse(
            versions=[label_message(d) for d in await labels.history_of(self._target(request))])
