"""TracerService: which tracer backends are usable here, and why not."""
from __future__ import annotations

from roar_api.v1 import tracers_pb2, tracers_pb2_grpc
from roard.daemon import Daemon
from roard.errors import FailedPrecondition
from roard.handlers.errors import map_errors
from roard.tracing.backends import auto_choice


@map_errors
class TracerHandler(tracers_pb2_grpc.TracerServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def ListTracers(self, request, context):
        default = ""
        if request.workspace:
            try:
                default = self.daemon.workspaces.get(request.workspace).config()["tracer.default"]
            except FailedPrecondition:
                default = ""
        tracers = self.daemon.runs.tracer_statuses()
        return tracers_pb2.ListTracersResponse(
            default=default, auto_choice=auto_choice(),
            tracers=[tracers_pb2.Tracer(name=t.name, usable=t.usable, reason=t.reason, path=t.path,
                                        description=t.description) for t in tracers])
