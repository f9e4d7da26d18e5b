"""ConfigService: list, get and set workspace configuration keys."""
from __future__ import annotations

import asyncio

from roar_api.v1 import config_pb2, config_pb2_grpc
from roard import config as cfg
from roard.daemon import Daemon
from roard.errors import InvalidArgument
from roard.handlers.errors import map_errors
from roard.workspace.registry import Workspace


def _entry(ws: Workspace, name: str) -> config_pb2.ConfigEntry:
    key = cfg.KEYS.get(name)
    if key is None:
        raise InvalidArgument(f"unknown config key {name!r}; valid keys: {', '.join(cfg.KEYS)}")
    values = ws.config()
    return config_pb2.ConfigEntry(key=name, value=cfg.render(values[name]), default=cfg.render(key.default),
                                  description=key.description, choices=list(key.choices),
                                  is_set=name in cfg.explicitly_set(ws.paths.config))


@map_errors
class ConfigHandler(config_pb2_grpc.ConfigServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def ListConfig(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return config_pb2.ListConfigResponse(entries=[_entry(ws, name) for name in cfg.KEYS])

    async def GetConfig(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        return _entry(ws, request.key)

    async def SetConfig(self, request, context):
        ws = self.daemon.workspaces.get(request.workspace)
        await asyncio.to_thread(cfg.set_value, ws.paths.config, request.key, request.value)
        return _entry(ws, request.key)
