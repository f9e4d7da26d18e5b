"""DaemonService: Hello, Status, Shutdown."""
from __future__ import annotations

from roar_api.v1 import daemon_pb2, daemon_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import hello_message, status_message
from roard.handlers.errors import map_errors


@map_errors
class DaemonHandler(daemon_pb2_grpc.DaemonServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def Hello(self, request, context):
        return hello_message(await self.daemon.hello(request.client_install))

    async def Status(self, request, context):
        return status_message(self.daemon.status())

    async def Shutdown(self, request, context):
        self.daemon.request_shutdown("Shutdown call")
        return daemon_pb2.ShutdownResponse()
