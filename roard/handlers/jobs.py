"""JobService: GetJob, ListJobs, PopJob."""
from __future__ import annotations

from roar_api.v1 import jobs_pb2, jobs_pb2_grpc
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.convert import job_message
from roard.handlers.errors import map_errors
from roard.workspace import sessions


@map_errors
class JobHandler(jobs_pb2_grpc.JobServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetJob(self, request, context):
        if not request.ref:
            raise InvalidArgument("GetJob needs a ref: @N, @BN or a job uid prefix")
        ws = self.daemon.workspaces.get(request.workspace)
        return job_message(await ws.store.get_job(request.ref, with_decisions=request.explain),
                           with_decisions=request.explain)

    async def ListJobs(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        jobs = await ws.store.list_jobs(request.session_id or None, limit=request.limit)
        return jobs_pb2.ListJobsResponse(jobs=[job_message(j) for j in jobs])

    async def PopJob(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        popped = await sessions.pop_job(ws, request.delete_outputs, self.daemon.bus)
        return jobs_pb2.PopJobResponse(job=job_message(popped.job), deleted_paths=popped.deleted_paths)
