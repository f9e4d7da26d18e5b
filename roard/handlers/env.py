"""EnvService: the variables a workspace injects into its runs."""
from __future__ import annotations

from roar_api.v1 import env_pb2, env_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.errors import map_errors
from roard.workspace import env


@map_errors
class EnvHandler(env_pb2_grpc.EnvServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def ListEnv(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return env_pb2.ListEnvResponse(vars=[env_pb2.EnvVar(name=k, value=v)
                                             for k, v in sorted(env.load(ws.paths.env).items())])

    async def SetEnv(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        env.set_var(ws.paths.env, request.name, request.value)
        return env_pb2.EnvVar(name=request.name, value=request.value)

    async def UnsetEnv(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        value = env.unset_var(ws.paths.env, request.name)
        return env_pb2.EnvVar(name=request.name, value=value)
