"""Wire the domain to gRPC: the aio server on the Unix socket, health, reflection, signals."""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from roar_api.version import VERSION
from roard.daemon import Daemon
from roard.listener import ActivatedSocketProxy, SocketLock, prepare_socket, systemd_listen_fd

log = logging.getLogger(__name__)

#: Seconds in-flight calls get to finish after SIGTERM/SIGINT/Shutdown.
SHUTDOWN_GRACE = 10.0


#: Seconds a response stream may still deliver what is queued once shutdown ends it.
STREAM_FLUSH = 0.2


class _Malformed:
    """Stands in for a request whose bytes do not parse, so the call can be refused with
    INVALID_ARGUMENT (grpc's own answer to a deserializer error is UNKNOWN)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


def _lenient(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None
    owner = getattr(deserializer, "__self__", None)  # generated code passes Message.FromString
    type_name = getattr(getattr(owner, "DESCRIPTOR", None), "full_name", "the request message")

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:
            return _Malformed(type_name)
    return deserialize


async def _refuse(context: grpc.aio.ServicerContext, method: str, bad: _Malformed) -> None:
    log.warning("refused a malformed %s request (not a valid %s)", method, bad.type_name)
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"malformed request: the bytes sent to {method} are not a valid {bad.type_name}")


def _nul_field(message: Any, prefix: str = "") -> str | None:
    """The name of the first string field (nested, repeated and map fields included) that holds
    a NUL byte, else None. No path, argument or name of the API can hold one, and such a string
    reaching an `os` call raises ValueError deep in the domain."""
    for field, value in message.ListFields():
        name = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                if isinstance(key, str) and "\0" in key:
                    return f"{name} (a key)"
                if value_field.message_type is not None:
                    found = _nul_field(item, f"{name}[{key!r}].")
                    if found:
                        return found
                elif isinstance(item, str) and "\0" in item:
                    return f"{name}[{key!r}]"
            continue
        items = value if field.is_repeated else [value]
        for item in items:
            if field.type == field.TYPE_STRING:
                if "\0" in item:
                    return name
            elif field.type == field.TYPE_MESSAGE:
                found = _nul_field(item, f"{name}.")
                if found:
                    return found
    return None


async def _refuse_nul(context: grpc.aio.ServicerContext, method: str, field: str) -> None:
    log.warning("refused a %s request with a NUL byte in %s", method, field)
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"invalid request: {field} contains a NUL byte, which no path, argument "
                        f"or name may hold")


async def _admit(request: Any, context: grpc.aio.ServicerContext, method: str, stream_in: bool) -> Any:
    """The request a handler may see: a malformed one, or one with a NUL byte in any string,
    is refused with INVALID_ARGUMENT; a request stream is checked message by message."""
    if stream_in:
        return _checked(request, context, method)
    await _check(request, context, method)
    return request


async def _check(request: Any, context: grpc.aio.ServicerContext, method: str) -> None:
    if isinstance(request, _Malformed):
        await _refuse(context, method, request)
    elif hasattr(request, "ListFields"):
        field = _nul_field(request)
        if field is not None:
            await _refuse_nul(context, method, field)


async def _checked(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext,
                   method: str) -> AsyncIterator[Any]:
    async for request in requests:
        await _check(request, context, method)
        yield request


class CallInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every method handler (ours, health and reflection) so that:

    * a request that does not parse, or holds a NUL byte in any string field, gets
      INVALID_ARGUMENT and the daemon carries on;
    * calls count as in flight for their whole duration, so the idle timeout never fires in
      the middle of one;
    * on shutdown, once the unary calls have finished, response streams (WatchEvents,
      Health.Watch) deliver what is queued and end with OK instead of holding shutdown for the
      whole grace period.
    """

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._unary = 0
        self._unary_idle = asyncio.Event()
        self._unary_idle.set()
        self._end_streams = asyncio.Event()

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        deserialize = _lenient(handler.request_deserializer)
        serialize = handler.response_serializer
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary_call(handler.unary_unary, method, False), deserialize, serialize)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary_call(handler.stream_unary, method, True), deserialize, serialize)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._stream_call(handler.unary_stream, method, False), deserialize, serialize)
        return grpc.stream_stream_rpc_method_handler(
            self._stream_call(handler.stream_stream, method, True), deserialize, serialize)

    # --- bookkeeping ------------------------------------------------------------------------

    def _started(self, unary: bool) -> None:
        self.daemon.call_started()
        if unary:
            self._unary += 1
            self._unary_idle.clear()

    def _finished(self, unary: bool) -> None:
        self.daemon.call_finished()
        if unary:
            self._unary -= 1
            if self._unary == 0:
                self._unary_idle.set()

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) for unary calls in flight, then tell response streams to end."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._unary_idle.wait(), timeout)
        self._end_streams.set()

    # --- wrappers ---------------------------------------------------------------------------

    def _unary_call(self, behavior: Callable[..., Any], method: str, stream_in: bool):
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            self._started(True)
            try:
                request = await _admit(request, context, method, stream_in)
                result = behavior(request, context)
                return await result if inspect.isawaitable(result) else result
            finally:
                self._finished(True)
        return call

    def _stream_call(self, behavior: Callable[..., Any], method: str, stream_in: bool):
        if inspect.isasyncgenfunction(behavior):
            async def gen(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                self._started(False)
                try:
                    request = await _admit(request, context, method, stream_in)
                    stream = self._until_shutdown(behavior(request, context))
                    try:
                        async for item in stream:
                            yield item
                    finally:
                        await stream.aclose()
                finally:
                    self._finished(False)
            return gen

        async def coro(request: Any, context: grpc.aio.ServicerContext) -> Any:
            # A handler that writes through context.write() and returns when done.
            self._started(False)
            try:
                request = await _admit(request, context, method, stream_in)
                result = behavior(request, context)
                if inspect.isasyncgen(result):  # a generator behind a plain wrapper function
                    stream = self._until_shutdown(result)
                    try:
                        async for item in stream:
                            await context.write(item)
                    finally:
                        await stream.aclose()
                    return None
                task = asyncio.ensure_future(result)
                try:
                    if await self._first(task) is not task:
                        await asyncio.wait({task}, timeout=STREAM_FLUSH)
                        if not task.done():
                            return None
                    return task.result()
                finally:
                    await _cancel(task)
            finally:
                self._finished(False)
        return coro

    async def _first(self, fut: asyncio.Future) -> asyncio.Future | None:
        """Wait for ``fut`` or the end-of-streams signal; return ``fut`` if it finished."""
        ender = asyncio.ensure_future(self._end_streams.wait())
        try:
            await asyncio.wait({fut, ender}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ender.cancel()
        return fut if fut.done() else None

    async def _until_shutdown(self, agen: AsyncIterator[Any]) -> AsyncIterator[Any]:
        nxt: asyncio.Future | None = None
        try:
            while True:
                nxt = asyncio.ensure_future(agen.__anext__())
                if await self._first(nxt) is None:
                    await asyncio.wait({nxt}, timeout=STREAM_FLUSH)
                    if not nxt.done():
                        return
                try:
                    item = nxt.result()
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if nxt is not None:
                await _cancel(nxt)
            await agen.aclose()


async def _cancel(fut: asyncio.Future) -> None:
    """Cancel ``fut`` if it still runs and wait until it has finished unwinding."""
    if not fut.done():
        fut.cancel()
        await asyncio.wait({fut})
    if not fut.cancelled():
        fut.exception()  # retrieved: no "exception was never retrieved" noise


def _register(server: grpc.aio.Server,
              daemon: Daemon) -> tuple[list[str], health.aio.HealthServicer]:
    from roard.handlers.registry import register_services

    services = register_services(server, daemon)
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

    calls = CallInterceptor(daemon)
    server = grpc.aio.server(interceptors=[calls],
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
    daemon.registration.start()   # the queue's worker, and jobs left unqueued by a killed daemon
    log.info("roard %s listening on %s (pid %d, %s)", VERSION, sock_path,
             os.getpid(), daemon.config.listen_mode)
    idle = asyncio.create_task(daemon.watch_idle())
    try:
        await daemon.wait_for_shutdown()
    finally:
        idle.cancel()
        await health_servicer.enter_graceful_shutdown()
        if proxy is not None:
            await proxy.close()
        stopping = asyncio.create_task(server.stop(SHUTDOWN_GRACE))  # no new calls from here
        await calls.drain(SHUTDOWN_GRACE)
        await stopping
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
