"""ReproductionService: PlanReproduction and Reproduce (streamed progress, then the verdict)."""
from __future__ import annotations

from roar_api.v1 import reproductions_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import plan_message, reproduction_event, verdict_event
from roard.handlers.errors import map_errors
from roard.handlers.relay import Done, relay
from roard.reproduce.execute import Options


@map_errors
class ReproductionHandler(reproductions_pb2_grpc.ReproductionServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def PlanReproduction(self, request, context):
        return plan_message(await self.daemon.reproductions.plan(request.workspace, request.ref, request.lineage,
                                                                 request.dir, request.python))

    async def Reproduce(self, request, context):
        options = Options(ref=request.ref, cwd=request.workspace, lineage=request.lineage,
                          directory=request.dir, python=request.python,
                          pip_any_version=request.pip_any_version, package_sync=request.package_sync,
                          rounds=request.rounds or 1, environment=dict(request.environment))
        start = lambda emit: self.daemon.reproductions.reproduce(options, emit)  # noqa: E731
        async for item in relay(start, lambda task: task.cancel()):
            yield verdict_event(item.result) if isinstance(item, Done) else reproduction_event(item)
