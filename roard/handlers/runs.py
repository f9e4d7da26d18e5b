"""RunService: BeginRun and EndRun."""
from __future__ import annotations

from roar_api.v1 import runs_pb2, runs_pb2_grpc
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.convert import job_message
from roard.handlers.errors import map_errors
from roard.runs.manager import RunEnd


def _client_pid(context) -> int:
    """The pid the client announced in metadata (used to notice a client that died)."""
    for key, value in context.invocation_metadata() or ():
        if key == "roar-client-pid" and value.isdigit():
            return int(value)
    return 0


@map_errors
class RunHandler(runs_pb2_grpc.RunServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def BeginRun(self, request, context):
        inherited = [{"fd": f.fd, "path": f.path, "flags": f.flags} for f in request.inherited_files]
        record, plan = await self.daemon.runs.begin(
            workspace=request.workspace, argv=list(request.argv), cwd=request.cwd,
            kind=request.kind or "run", tracer=request.tracer, inherited=inherited,
            environment=dict(request.environment), client_pid=_client_pid(context))
        return runs_pb2.BeginRunResponse(
            run_id=record.run_id, warnings=record.warnings, quiet=record.quiet,
            launch=runs_pb2.LaunchSpec(argv_prefix=plan.argv_prefix, environment=plan.environment,
                                       tracer=plan.tracer))

    async def EndRun(self, request, context):
        if not request.run_id:
            raise InvalidArgument("EndRun needs the run_id that BeginRun returned")
        job = await self.daemon.runs.end(request.run_id, RunEnd(
            exit_code=request.exit_code, signal=request.signal, interrupted=request.interrupted,
            spawn_error=request.spawn_error))
        return runs_pb2.EndRunResponse(job=job_message(job, with_decisions=request.explain))
