"""JobService: GetJob, ListJobs, PopJob."""
from __future__ import annotations

import asyncio
import os

from roar_api.v1 import jobs_pb2, jobs_pb2_grpc
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.convert import job_message
from roard.handlers.errors import map_errors


@map_errors
class JobHandler(jobs_pb2_grpc.JobServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def GetJob(self, request, context):
        if not request.ref:
            raise InvalidArgument("GetJob needs a ref: @N, @BN or a job uid prefix")
        ws = self.daemon.workspaces.get(request.workspace)
        job = await ws.store.get_job(request.ref, with_decisions=request.explain)
        return job_message(job, with_decisions=request.explain)

    async def ListJobs(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        jobs = await ws.store.list_jobs(request.session_id or None, limit=request.limit)
        return jobs_pb2.ListJobsResponse(jobs=[job_message(j) for j in jobs])

    async def PopJob(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        job = await ws.store.pop_job()
        deleted = []
        if request.delete_outputs:
            deleted = await asyncio.to_thread(_delete_outputs, [o.abs_path for o in job.outputs],
                                              str(ws.root))
        self.daemon.bus.publish("job.popped", workspace=str(ws.root), job_uid=job.uid, message=job.ref)
        return jobs_pb2.PopJobResponse(job=job_message(job), deleted_paths=deleted)


def _delete_outputs(paths: list[str], root: str) -> list[str]:
    """Delete a popped job's outputs that live inside the workspace (never anything else)."""
    deleted = []
    for path in paths:
        if path.startswith(root.rstrip("/") + "/") and os.path.isfile(path):
            os.unlink(path)
            deleted.append(path)
    return deleted
