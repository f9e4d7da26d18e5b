"""ConfigService: list, get and set workspace configuration keys."""
from __future__ import annotations

import asyncio

from roar_api.v1 import config_pb2, config_pb2_grpc
from roard import config as cfg
from roard.daemon import Daemon
from roard.handlers.convert import config_entry
from roard.handlers.errors import map_errors


@map_errors
class ConfigHandler(config_pb2_grpc.ConfigServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def ListConfig(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return config_pb2.ListConfigResponse(entries=[config_entry(s) for s in cfg.describe(ws.paths.config)])

    async def GetConfig(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return config_entry(cfg.describe_one(ws.paths.config, request.key))

    async def SetConfig(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return config_entry(await asyncio.to_thread(cfg.set_and_describe, ws.paths.config, request.key,
                                                    request.value))
