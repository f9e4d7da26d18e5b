"""Wire the domain to gRPC: the aio server on the Unix socket, health, reflection, signals."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from roar_api.v1 import (artifacts_pb2, artifacts_pb2_grpc, daemon_pb2, daemon_pb2_grpc,
                         events_pb2, events_pb2_grpc, jobs_pb2, jobs_pb2_grpc, lineage_pb2,
                         lineage_pb2_grpc, runs_pb2, runs_pb2_grpc, workspaces_pb2,
                         workspaces_pb2_grpc)
from roard.daemon import Daemon
from roard.listener import ActivatedSocketProxy, SocketLock, prepare_socket, systemd_listen_fd

log = logging.getLogger(__name__)

#: Seconds in-flight calls get to finish after SIGTERM/SIGINT/Shutdown.
SHUTDOWN_GRACE = 10.0


class ActivityInterceptor(grpc.aio.ServerInterceptor):
    """Counts calls in flight so the idle timeout never fires in the middle of one."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def intercept_service(self, continuation, handler_call_details):
        self.daemon.call_started()
        try:
            return await continuation(handler_call_details)
        finally:
            self.daemon.call_finished()


def _register(server: grpc.aio.Server,
              daemon: Daemon) -> tuple[list[str], health.aio.HealthServicer]:
    from roard.handlers.artifacts import ArtifactHandler
    from roard.handlers.daemon import DaemonHandler
    from roard.handlers.events import EventHandler
    from roard.handlers.jobs import JobHandler
    from roard.handlers.lineage import LineageHandler
    from roard.handlers.runs import RunHandler
    from roard.handlers.workspaces import WorkspaceHandler

    daemon_pb2_grpc.add_DaemonServiceServicer_to_server(DaemonHandler(daemon), server)
    events_pb2_grpc.add_EventServiceServicer_to_server(EventHandler(daemon), server)
    runs_pb2_grpc.add_RunServiceServicer_to_server(RunHandler(daemon), server)
    jobs_pb2_grpc.add_JobServiceServicer_to_server(JobHandler(daemon), server)
    workspaces_pb2_grpc.add_WorkspaceServiceServicer_to_server(WorkspaceHandler(daemon), server)
    lineage_pb2_grpc.add_LineageServiceServicer_to_server(LineageHandler(daemon), server)
    artifacts_pb2_grpc.add_ArtifactServiceServicer_to_server(ArtifactHandler(daemon), server)

    services = [m.DESCRIPTOR.services_by_name[name].full_name for m, name in (
        (daemon_pb2, "DaemonService"), (events_pb2, "EventService"), (runs_pb2, "RunService"),
        (jobs_pb2, "JobService"), (workspaces_pb2, "WorkspaceService"),
        (lineage_pb2, "LineageService"), (artifacts_pb2, "ArtifactService"))]
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME], server)
    return services, health_servicer


def _bind(server: grpc.aio.Server, path: Path) -> None:
    """Bind with a umask that makes the socket 0600 from the first instant."""
    old = os.umask(0o177)
    try:
        server.add_insecure_port(f"unix:{path}")
    finally:
        os.umask(old)
    os.chmod(path, 0o600)


async def serve(daemon: Daemon) -> int:
    sock_path = daemon.config.socket_path
    listen_fd = systemd_listen_fd()
    lock: SocketLock = prepare_socket(sock_path) if listen_fd is None else _activated_lock(sock_path)
    proxy: ActivatedSocketProxy | None = None
    backend_path = sock_path
    if listen_fd is not None:
        daemon.config.listen_mode = "socket-activation"
        backend_path = sock_path.with_name(f".{sock_path.name}.{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(backend_path)

    server = grpc.aio.server(interceptors=[ActivityInterceptor(daemon)],
                             options=[("grpc.so_reuseport", 0)])
    services, health_servicer = _register(server, daemon)
    _bind(server, backend_path)
    await server.start()
    for name in ["", *services]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    if listen_fd is not None:
        proxy = ActivatedSocketProxy(listen_fd, backend_path)
        await proxy.start()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.request_shutdown, signal.Signals(sig).name)
    await daemon.runs.recover_unfinished()
    log.info("roard %s listening on %s (pid %d, %s)", daemon.hello().version, sock_path,
             os.getpid(), daemon.config.listen_mode)
    idle = asyncio.create_task(daemon.watch_idle())
    try:
        await daemon.wait_for_shutdown()
    finally:
        idle.cancel()
        await health_servicer.enter_graceful_shutdown()
        if proxy is not None:
            await proxy.close()
        await server.stop(SHUTDOWN_GRACE)
        await daemon.close()
        for path in {backend_path, sock_path} if proxy is None else {backend_path}:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        lock.release()
        log.info("roard stopped (%s)", daemon.stop_reason or "done")
    return 0


def _activated_lock(sock_path: Path) -> SocketLock:
    """Under socket activation systemd owns the path; we still hold the lock so that a manual
    `roard` cannot start beside us."""
    return SocketLock.acquire(sock_path)
