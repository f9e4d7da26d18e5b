"""ArtifactService: GetArtifact by path or hash prefix (a file, or a directory with its components)."""
from __future__ import annotations

from roar_api.v1 import artifacts_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import artifact_message
from roard.handlers.errors import map_errors
from roard.lineage.views import describe_artifact


@map_errors
class ArtifactHandler(artifacts_pb2_grpc.ArtifactServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetArtifact(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return artifact_message(await describe_artifact(ws.store, request.ref, request.workspace))
