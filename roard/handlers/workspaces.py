"""WorkspaceService: InitWorkspace, GetWorkspace, ResetSession."""
from __future__ import annotations

import asyncio
from pathlib import Path

from roar_api.v1 import files_pb2, workspaces_pb2, workspaces_pb2_grpc
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.convert import file_record, job_message, timestamp
from roard.handlers.errors import map_errors
from roard.lineage import checklist
from roard.lineage.dag import build_dag, lineage_hash
from roard.workspace.registry import Workspace


def checklist_messages(items) -> list[files_pb2.ChecklistItem]:
    return [files_pb2.ChecklistItem(name=i.name, ok=i.ok, detail=i.detail) for i in items]


def _session_checklist(jobs):
    current = [n.job for n in build_dag(jobs) if not n.superseded]
    repo_root = next((j.git.get("repo_root", "") for j in current if j.git.get("repo_root")), "")
    return checklist.evaluate(current), checklist.untracked_output_dirs(current, repo_root)


async def workspace_message(ws: Workspace) -> workspaces_pb2.Workspace:
    sid = await ws.store.active_session()
    jobs = await ws.store.list_jobs(sid)
    items, dirs = await asyncio.to_thread(_session_checklist, jobs)
    session = workspaces_pb2.Session(id=sid, created_at=timestamp(await ws.store.session_created(sid)),
                                     job_count=len(jobs), lineage_hash=lineage_hash(jobs))
    unsourced = {}
    for job in jobs:
        for entry in job.inputs:
            if "unsourced" in entry.flags:
                unsourced.setdefault(entry.abs_path, entry)
    return workspaces_pb2.Workspace(root=str(ws.root), db_path=str(ws.paths.db), session=session,
                                    jobs=[job_message(j) for j in jobs],
                                    unsourced_inputs=[file_record(e) for e in unsourced.values()],
                                    checklist=checklist_messages(items), untracked_output_dirs=dirs)


@map_errors
class WorkspaceHandler(workspaces_pb2_grpc.WorkspaceServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def InitWorkspace(self, request, context):
        if not request.path:
            raise InvalidArgument("InitWorkspace needs the directory to initialize")
        ws, created, gitignore = self.daemon.workspaces.init(Path(request.path), request.add_to_gitignore)
        await ws.store.active_session()
        return workspaces_pb2.InitWorkspaceResponse(workspace=await workspace_message(ws),
                                                    created=created, gitignore_updated=gitignore)

    async def GetWorkspace(self, request, context):
        ws = self.daemon.workspaces.get(request.path)
        return await workspace_message(ws)

    async def ResetSession(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        sid = await ws.store.reset_session()
        self.daemon.bus.publish("session.reset", workspace=str(ws.root), message=sid)
        return workspaces_pb2.Session(id=sid, created_at=timestamp(await ws.store.session_created(sid)))
