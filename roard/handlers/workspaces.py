"""WorkspaceService: InitWorkspace, GetWorkspace, ResetSession."""
from __future__ import annotations

from roar_api.v1 import workspaces_pb2, workspaces_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import session_message, workspace_message
from roard.handlers.errors import map_errors
from roard.workspace import sessions


@map_errors
class WorkspaceHandler(workspaces_pb2_grpc.WorkspaceServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def InitWorkspace(self, request, context):
        view = await sessions.init(self.daemon.workspaces, request.path, request.add_to_gitignore)
        return workspaces_pb2.InitWorkspaceResponse(workspace=workspace_message(view), created=view.created,
                                                    gitignore_updated=view.gitignore_updated)

    async def GetWorkspace(self, request, context):
        return workspace_message(await sessions.view(self.daemon.workspaces.get(request.path)))

    async def ResetSession(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return session_message(await sessions.reset_session(ws, self.daemon.bus))
