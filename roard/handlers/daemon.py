"""DaemonService: Hello, Status, Shutdown."""
from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from roar_api.v1 import daemon_pb2, daemon_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.errors import map_errors


@map_errors
class DaemonHandler(daemon_pb2_grpc.DaemonServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def Hello(self, request, context):
        info = await self.daemon.hello(request.client_install)
        return daemon_pb2.HelloResponse(
            daemon_version=info.version, protocol_major=info.protocol_major,
            protocol_minor=info.protocol_minor, capabilities=info.capabilities,
            build_id=info.build_id, stale_reason=info.stale_reason)

    async def Status(self, request, context):
        st = self.daemon.status()
        started = Timestamp()
        started.FromNanoseconds(int(st.started_at * 1e9))
        return daemon_pb2.DaemonStatus(
            pid=st.pid, version=st.version, uptime_seconds=st.uptime_seconds,
            socket_path=st.socket_path, active_runs=st.active_runs, workspaces=st.workspaces,
            log_path=st.log_path, started_at=started, protocol_major=st.protocol_major,
            protocol_minor=st.protocol_minor, listen_mode=st.listen_mode,
            idle_timeout_seconds=st.idle_timeout_seconds)

    async def Shutdown(self, request, context):
        self.daemon.request_shutdown("Shutdown call")
        return daemon_pb2.ShutdownResponse()
