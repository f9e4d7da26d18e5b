"""TracerService: which tracer backends are usable here, and why not."""
from __future__ import annotations

from roar_api.v1 import tracers_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import tracers_message
from roard.handlers.errors import map_errors


@map_errors
class TracerHandler(tracers_pb2_grpc.TracerServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def ListTracers(self, request, context):
        default = self.daemon.workspaces.setting(request.workspace, "tracer.default")
        return tracers_message(self.daemon.tracing.report(default))
