"""RunService: BeginRun and EndRun (roarctl spawns), StartRun, AttachRun, CancelRun and ListRuns
(the daemon spawns)."""
from __future__ import annotations

from roar_api.v1 import runs_pb2, runs_pb2_grpc
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.convert import job_message
from roard.handlers.errors import map_errors
from roard.runs.manager import RunEnd
from roard.runs.output import Chunk, Skipped
from roard.runs.spawned import RunEvent, Started, StartSpec


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
            environment=dict(request.environment), client_pid=_client_pid(context), rerun_of=request.rerun_of)
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

    # --- daemon-spawned runs ----------------------------------------------------------------

    async def StartRun(self, request, context):
        if not request.argv:
            raise InvalidArgument("StartRun needs a command (argv)")
        size = request.size if request.HasField("size") else None
        run = await self.daemon.spawned.start(StartSpec(
            argv=list(request.argv), cwd=request.cwd, workspace=request.workspace, kind=request.kind or "run",
            tracer=request.tracer, environment=dict(request.environment), pty=request.pty,
            rows=size.rows if size else 24, cols=size.cols if size else 80))
        try:
            async for event in self.daemon.spawned.follow(run, owner=True):
                yield run_output_message(event, request.explain)
        finally:
            if request.cancel_on_disconnect and not run.finished.done():
                await self.daemon.spawned.cancel(run.run_id)

    async def AttachRun(self, request, context):
        run = self.daemon.spawned.get(request.run_id)
        async for event in self.daemon.spawned.follow(run, offset=request.offset):
            yield run_output_message(event, False)

    async def CancelRun(self, request, context):
        if request.grace_seconds < 0:
            raise InvalidArgument("grace_seconds cannot be negative")
        return runs_pb2.CancelRunResponse(
            signalled=await self.daemon.spawned.cancel(request.run_id, request.grace_seconds))

    async def ListRuns(self, request, context):
        return runs_pb2.ListRunsResponse(runs=[
            runs_pb2.ActiveRun(run_id=r.run_id, workspace=r.workspace, argv=r.argv, cwd=r.cwd,
                               started_at=r.started_at, tracer=r.tracer, spawned=r.spawned, pid=r.pid,
                               output_bytes=r.output_bytes)
            for r in self.daemon.spawned.list_runs(request.workspace)])


def run_output_message(event: RunEvent, explain: bool) -> runs_pb2.RunOutput:
    if isinstance(event, Chunk):
        return runs_pb2.RunOutput(chunk=runs_pb2.OutputChunk(stream=event.stream, data=event.data,
                                                             offset=event.offset))
    if isinstance(event, Started):
        return runs_pb2.RunOutput(started=runs_pb2.RunStarted(
            run_id=event.run_id, pid=event.pid, workspace=event.workspace, argv=event.argv,
            tracer=event.tracer, warnings=event.warnings, pty=event.pty))
    if isinstance(event, Skipped):
        return runs_pb2.RunOutput(skipped=runs_pb2.OutputSkipped(bytes=event.bytes))
    return runs_pb2.RunOutput(finished=runs_pb2.RunFinished(
        job=job_message(event.job, with_decisions=explain), exit_code=event.exit_code,
        signal=event.signal, cancelled=event.cancelled))
