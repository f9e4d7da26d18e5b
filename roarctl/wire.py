"""roarctl's gRPC client: unary and server-streaming calls over one HTTP/2 connection on roard's
Unix socket.

Why not grpcio here: ``import grpc`` costs roarctl 35-45 ms on every call (its 17 MB extension
pulls in asyncio, ssl and logging), more than everything else `roarctl run` does. A client that
only ever talks to one local daemon needs little of HTTP/2: framing and flow control (RFC 9113),
header compression (RFC 7541, roarctl/wire_headers.py), gRPC's length-prefixed messages and
its status trailers. roard itself, the tests and other tools use grpcio; method paths and message
classes come from the generated descriptors, so the .proto files stay the one source of truth.

It is kept on the condition that tests/daemon/test_wire_conformance.py passes: messages up to
grpc's 4 MiB limit, 100,000-message streams, trailers-only errors, deadlines, cancellation,
GOAWAY and a daemon killed mid-call, against grpc.aio as roard runs it (test_wire_frames.py adds
the frame orders grpc sends only by chance). What it does not do it refuses in one sentence:
client-streaming calls, compressed messages, server push, a server that is not HTTP/2. Calls on
one Channel come from one thread.
"""
from __future__ import annotations

import enum
import importlib
import os
import socket
import struct
import time
from typing import Any, Iterator, NoReturn
from urllib.parse import unquote

from google.protobuf.message_factory import GetMessageClass

from roar_api.services import SERVICES
from roar_api.version import VERSION
from roarctl.wire_headers import HeaderDecoder, HeaderError, encode_headers


class StatusCode(enum.IntEnum):
    """gRPC status codes (the numbers are the wire values)."""
    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class RpcError(Exception):
    """A call that did not end with status OK; ``code()`` and ``details()`` as in grpcio."""

    def __init__(self, code: StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code = code
        self._details = details

    def code(self) -> StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


# Frame types and flags (RFC 9113, section 6).
DATA, HEADERS, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_ENABLE_PUSH, SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE = 0x2, 0x4, 0x5
ERROR_REFUSED_STREAM, ERROR_CANCEL, ERROR_ENHANCE_YOUR_CALM, ERROR_INADEQUATE_SECURITY = 0x7, 0x8, 0xB, 0xC
#: What an HTTP/2 stream reset means as a gRPC status (gRPC's PROTOCOL-HTTP2.md); others are INTERNAL.
RESET_STATUS = {ERROR_REFUSED_STREAM: StatusCode.UNAVAILABLE, ERROR_CANCEL: StatusCode.CANCELLED,
                ERROR_ENHANCE_YOUR_CALM: StatusCode.RESOURCE_EXHAUSTED,
                ERROR_INADEQUATE_SECURITY: StatusCode.PERMISSION_DENIED}
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEFAULT_WINDOW = 65535
#: The largest frame roarctl accepts: HTTP/2's default SETTINGS_MAX_FRAME_SIZE, which it keeps.
MAX_FRAME = 16384
#: The flow-control window roarctl grants roard, per stream and for the connection. Bytes are
#: credited back as they arrive (not as the caller reads them), once half the window has been
#: received, so a stream nobody is reading never stalls another; a window this size keeps a
#: Unix socket busy while bounding what roard pushes at a call it has not yet seen cancelled.
RECEIVE_WINDOW = 4 * 1024 * 1024
REFILL_AFTER = RECEIVE_WINDOW // 2
SHUTTING_DOWN = "roard is shutting down"
#: Seconds a frame the connection owes roard (an ACK, a window update, a cancellation) may wait
#: for room to be sent in, whatever the call's deadline: roard is not reading when it cannot,
#: and the connection is given up.
CONTROL_SEND_TIMEOUT = 1.0


#: struct ucred: pid, uid, gid
_UCRED = struct.Struct("3i")


def check_peer(sock: socket.socket, path: str) -> None:
    """Refuse, before a byte is sent, a daemon that is not the user's own: the process at the
    other end (SO_PEERCRED, from the kernel) and the socket file must both belong to this uid.
    Another user's daemon could answer BeginRun with a launch prefix of its choosing."""
    me = os.geteuid()
    pid, uid, _ = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    if uid != me:
        raise RpcError(StatusCode.PERMISSION_DENIED,
                       f"refusing to talk to {path}: the process serving it (pid {pid}) runs as uid {uid}, "
                       f"not as you (uid {me})")
    try:
        owner = os.stat(path).st_uid
    except OSError as exc:
        raise RpcError(StatusCode.UNAVAILABLE, f"cannot check {path}: {exc.strerror}") from None
    if owner != me:
        raise RpcError(StatusCode.PERMISSION_DENIED,
                       f"refusing to talk to {path}: the socket file is owned by uid {owner}, not by you (uid {me})")


class _Stream:
    def __init__(self, stream_id: int, send_window: int) -> None:
        self.id = stream_id
        self.send_window = send_window
        self.received = 0
        self.data = bytearray()
        self.headers: dict[str, str] | None = None
        self.trailers: dict[str, str] | None = None
        self.closed = False          # the daemon's side ended (END_STREAM, reset, or connection gone)
        self.ended = False           # ... with END_STREAM: a reset after that changes nothing
        self.opened = False          # its HEADERS went out: only then may it be reset
        self.error: RpcError | None = None

    def next_message(self) -> bytes | None:
        """One whole length-prefixed message from what has arrived, or None."""
        if len(self.data) < 5:
            return None
        compressed, length = self.data[0], int.from_bytes(self.data[1:5], "big")
        if compressed:
            raise RpcError(StatusCode.INTERNAL, "roard sent a compressed message, which roarctl never asks for")
        if len(self.data) < 5 + length:
            return None
        message = bytes(self.data[5:5 + length])
        del self.data[:5 + length]
        return message


class Connection:
    """One HTTP/2 connection to the daemon. Blocking; calls on it may interleave (each reads
    frames until its own stream has what it waits for, keeping the others' frames)."""

    def __init__(self, path: str, timeout: float | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(path)
        except OSError as exc:
            self.sock.close()
            raise RpcError(StatusCode.UNAVAILABLE, f"cannot connect to {path}: {exc.strerror or exc}") from None
        try:
            check_peer(self.sock, path)
        except RpcError:
            self.sock.close()
            raise
        self.decoder = HeaderDecoder()
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1
        self.send_window = DEFAULT_WINDOW
        self.peer_initial_window = DEFAULT_WINDOW
        self.peer_max_frame = MAX_FRAME
        self.received = 0
        self.dead: str = ""              # why the connection can carry no more calls
        self.going_away = False          # roard sent GOAWAY: it is shutting down
        self.peer_settings = False       # roard's first frame, SETTINGS, has come
        self._inbox = bytearray()
        settings = struct.pack(">HIHI", SETTINGS_ENABLE_PUSH, 0, SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self._send(PREFACE + self._frame(SETTINGS, 0, 0, settings)
                       + self._frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", RECEIVE_WINDOW - DEFAULT_WINDOW)),
                       deadline)
        except TimeoutError:
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded") from None

    # --- frames ------------------------------------------------------------------------------

    @staticmethod
    def _frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
        return len(payload).to_bytes(3, "big") + bytes((kind, flags)) + stream_id.to_bytes(4, "big") + payload

    def _send(self, data: bytes, deadline: float | None) -> None:
        """Send ``data`` whole, or raise TimeoutError at ``deadline``: roard is not reading. A
        frame may then be half sent, so the connection carries no more calls."""
        self._settimeout(deadline)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            self._abandon("roard stopped reading what roarctl sent")
            raise TimeoutError from None
        except OSError as exc:
            self._die(f"roard closed the connection ({exc.strerror or exc})")

    def _reply(self, frame: bytes) -> None:
        """Send a frame the connection owes roard, bounded by CONTROL_SEND_TIMEOUT."""
        try:
            self._send(frame, time.monotonic() + CONTROL_SEND_TIMEOUT)
        except TimeoutError:
            self._die(self.dead)

    def _settimeout(self, deadline: float | None) -> None:
        if deadline is None:
            self.sock.settimeout(None)
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)

    def _fill(self, n: int, deadline: float | None) -> None:
        """Wait until ``n`` bytes have arrived, consuming none: a timeout or Ctrl-C between
        frames leaves the connection in step."""
        while len(self._inbox) < n:
            self._settimeout(deadline)
            try:
                chunk = self.sock.recv(max(65536, n - len(self._inbox)))
            except socket.timeout:
                raise TimeoutError from None
            except OSError as exc:
                self._die(f"roard closed the connection ({exc.strerror or exc})")
            if not chunk:
                self._die("roard closed the connection")
            self._inbox += chunk

    def _next_frame(self, deadline: float | None) -> tuple[int, int, int, bytes]:
        """(type, flags, stream id, payload) of the next whole frame."""
        self._fill(9, deadline)
        length = int.from_bytes(self._inbox[:3], "big")
        if not self.peer_settings and (self._inbox[3] != SETTINGS or length > MAX_FRAME):
            self._die("the socket's server does not speak HTTP/2 (it is not roard)")
        if length > MAX_FRAME:
            self._die(f"roard sent a {length}-byte frame, beyond HTTP/2's {MAX_FRAME} (protocol error)")
        self._fill(9 + length, deadline)
        header, payload = bytes(self._inbox[:9]), bytes(self._inbox[9:9 + length])
        del self._inbox[:9 + length]
        return header[3], header[4], int.from_bytes(header[5:9], "big") & 0x7FFFFFFF, payload

    def _die(self, why: str) -> NoReturn:
        self._abandon(why)
        raise RpcError(StatusCode.UNAVAILABLE, self.dead)

    def _abandon(self, why: str) -> None:
        """The connection carries no more calls: every call still open on it fails with ``why``."""
        self.dead = self.dead or why
        for stream in self.streams.values():
            if not stream.closed:
                stream.closed = True
                stream.error = stream.error or RpcError(StatusCode.UNAVAILABLE, why)
        self.sock.close()

    def close(self) -> None:
        self.dead = self.dead or "closed"
        self.sock.close()

    # --- reading -----------------------------------------------------------------------------

    def _read_frame(self, deadline: float | None) -> None:
        kind, flags, stream_id, payload = self._next_frame(deadline)
        stream = self.streams.get(stream_id)
        if kind == DATA:
            self._on_data(stream, stream_id, flags, payload)
        elif kind == HEADERS:
            block = self._header_block(flags, payload, deadline)
            self._on_headers(stream, flags, block)
        elif kind == RST_STREAM and stream is not None and not stream.ended:
            code = int.from_bytes(payload[:4], "big")
            stream.closed = True
            stream.error = stream.error or RpcError(RESET_STATUS.get(code, StatusCode.INTERNAL),
                                                    f"roard reset the call (HTTP/2 error {code})")
        elif kind == SETTINGS and not flags & ACK:
            self.peer_settings = True
            self._on_settings(payload)
        elif kind == PING and not flags & ACK:
            self._reply(self._frame(PING, ACK, 0, payload))
        elif kind == GOAWAY:
            last_stream_id = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            for sid, s in self.streams.items():
                if sid > last_stream_id and not s.closed:
                    s.closed = True
                    s.error = RpcError(StatusCode.UNAVAILABLE, SHUTTING_DOWN)
            self.dead = self.dead or SHUTTING_DOWN
            self.going_away = True
        elif kind == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream_id == 0:
                self.send_window += increment
            elif stream is not None:
                stream.send_window += increment
        elif kind == PUSH_PROMISE:
            self._die("roard sent a server push, which roarctl disabled")
        # PRIORITY, CONTINUATION outside a header block, unknown types: ignored as RFC 9113 asks.

    def _header_block(self, flags: int, payload: bytes, deadline: float | None) -> bytes:
        if flags & PADDED:
            payload = payload[1:len(payload) - payload[0]]
        if flags & PRIORITY_FLAG:
            payload = payload[5:]
        block = payload
        while not flags & END_HEADERS:
            try:
                kind, flags, _, more = self._next_frame(deadline)
            except TimeoutError:
                self._die("roard stopped inside a header block")
            if kind != CONTINUATION:
                self._die("roard broke a header block (HTTP/2 protocol error)")
            block += more
        return block

    def _on_data(self, stream: _Stream | None, stream_id: int, flags: int, payload: bytes) -> None:
        self.received += len(payload)
        updates = b""
        if self.received >= REFILL_AFTER:
            updates += self._frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", self.received))
            self.received = 0
        if stream is not None and not stream.closed:
            # Padding counts against the window too.
            stream.received += len(payload)
            if stream.received >= REFILL_AFTER and not flags & END_STREAM:
                updates += self._frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", stream.received))
                stream.received = 0
            if flags & PADDED:
                payload = payload[1:len(payload) - payload[0]]
            stream.data += payload
            if flags & END_STREAM:
                stream.closed = stream.ended = True
        if updates:
            self._reply(updates)

    def _on_headers(self, stream: _Stream | None, flags: int, block: bytes) -> None:
        # Every block is decoded, even for a stream we gave up on: the decoder's table must
        # follow the daemon's encoder.
        try:
            fields = {name.lower(): value for name, value in self.decoder.decode(block)}
        except HeaderError as exc:
            self._die(f"roard sent headers roarctl cannot read ({exc})")
        if stream is None or stream.closed:
            return
        if stream.headers is None:
            stream.headers = fields
        else:
            stream.trailers = fields
        if flags & END_STREAM:
            stream.closed = stream.ended = True

    def _on_settings(self, payload: bytes) -> None:
        for i in range(0, len(payload) - 5, 6):
            ident, value = struct.unpack(">HI", payload[i:i + 6])
            if ident == SETTINGS_INITIAL_WINDOW_SIZE:
                delta = value - self.peer_initial_window
                self.peer_initial_window = value
                for stream in self.streams.values():
                    stream.send_window += delta
            elif ident == SETTINGS_MAX_FRAME_SIZE:
                self.peer_max_frame = value
        self._reply(self._frame(SETTINGS, ACK, 0))

    # --- calls -------------------------------------------------------------------------------

    def start(self, path: str, message: bytes, timeout: float | None,
              metadata: tuple[tuple[str, str], ...]) -> tuple[_Stream, float | None]:
        """Open a stream, send the request's headers and its one message."""
        if self.dead:
            raise RpcError(StatusCode.UNAVAILABLE, self.dead)
        deadline = None if timeout is None else time.monotonic() + timeout
        stream = _Stream(self.next_id, self.peer_initial_window)
        self.next_id += 2
        self.streams[stream.id] = stream
        fields = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
                  ("te", "trailers"), ("content-type", "application/grpc"),
                  ("user-agent", f"roarctl/{VERSION}")]
        if timeout is not None:
            fields.append(("grpc-timeout", f"{min(max(1, int(timeout * 1000)), 99_999_999)}m"))
        fields.extend((k.lower(), v) for k, v in metadata)
        block = encode_headers(fields)
        first, rest = block[:self.peer_max_frame], block[self.peer_max_frame:]
        frames = [self._frame(HEADERS, END_HEADERS if not rest else 0, stream.id, first)]
        while rest:
            chunk, rest = rest[:self.peer_max_frame], rest[self.peer_max_frame:]
            frames.append(self._frame(CONTINUATION, END_HEADERS if not rest else 0, stream.id, chunk))
        payload = memoryview(b"\0" + len(message).to_bytes(4, "big") + message)
        try:
            self._send(b"".join(frames), deadline)
            stream.opened = True
            sent = 0
            while sent < len(payload) and not stream.closed:   # closed: answered (an error) early
                room = min(self.send_window, stream.send_window, self.peer_max_frame, len(payload) - sent)
                if room <= 0:
                    self.wait(stream, deadline)               # for the daemon's WINDOW_UPDATE
                    continue
                chunk = payload[sent:sent + room]
                sent += room
                self.send_window -= room
                stream.send_window -= room
                self._send(self._frame(DATA, END_STREAM if sent == len(payload) else 0, stream.id, chunk),
                           deadline)
        except TimeoutError:
            self._expired(stream)
        return stream, deadline

    def wait(self, stream: _Stream, deadline: float | None) -> None:
        """Read one frame for whichever stream it belongs to."""
        try:
            self._read_frame(deadline)
        except TimeoutError:
            self._expired(stream)

    def _expired(self, stream: _Stream) -> None:
        self.cancel(stream)
        stream.error = RpcError(StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")

    def release(self, stream: _Stream) -> None:
        """Forget a finished stream; with none left, hang up. A connection only lives while a
        call is in flight, because nothing reads it otherwise: a daemon shutting down would wait
        for the answer to its PING on an idle connection (grpcio's client has a thread for that)."""
        self.streams.pop(stream.id, None)
        if not self.streams:
            self.close()

    def cancel(self, stream: _Stream) -> None:
        """End the call here and tell roard (RST_STREAM), unless its side has ended already."""
        was_open = stream.opened and not stream.closed
        stream.closed = True
        stream.error = stream.error or RpcError(StatusCode.CANCELLED, "Cancelled")
        if was_open and not self.dead:
            try:
                self._reply(self._frame(RST_STREAM, 0, stream.id, struct.pack(">I", ERROR_CANCEL)))
            except RpcError:
                pass  # the connection is given up; the call is over either way

    def finish(self, stream: _Stream) -> None:
        """Raise the call's error, if it ended with one."""
        self.release(stream)
        if stream.error is not None:
            raise stream.error
        headers = stream.headers or {}
        status = headers.get(":status", "")
        if status != "200":
            raise RpcError(StatusCode.UNAVAILABLE if status in ("502", "503", "504") else StatusCode.UNKNOWN,
                           f"roard answered HTTP status {status or 'none'}")
        end = stream.trailers if stream.trailers is not None else headers
        code = end.get("grpc-status")
        if code is None:
            raise RpcError(StatusCode.UNKNOWN, "roard ended the call without a gRPC status")
        try:
            status_code = StatusCode(int(code))
        except ValueError:
            status_code = StatusCode.UNKNOWN
        if status_code == StatusCode.CANCELLED and self.going_away:
            # What grpc answers a call that reached it after its GOAWAY (the call was sent before
            # roarctl read that), or one still running when the shutdown's grace ran out.
            raise RpcError(StatusCode.UNAVAILABLE, SHUTTING_DOWN)
        if status_code != StatusCode.OK:
            raise RpcError(status_code, unquote(end.get("grpc-message", "")))
        if stream.data:
            raise RpcError(StatusCode.INTERNAL, "roard's answer ended inside a message")


class Call:
    """The responses of one call, in order; ``cancel()`` ends it early."""

    def __init__(self, conn: Connection, stream: _Stream, deadline: float | None, response: Any) -> None:
        self._conn, self._stream, self._deadline, self._response = conn, stream, deadline, response

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        stream = self._stream
        while True:
            try:
                message = stream.next_message()
            except RpcError:
                self.cancel()
                raise
            if message is not None:
                return self._response.FromString(message)
            if stream.closed:
                self._conn.finish(stream)
                raise StopIteration
            self._conn.wait(stream, self._deadline)

    def cancel(self) -> None:
        self._conn.cancel(self._stream)
        self._conn.release(self._stream)


class Channel:
    """Calls to the daemon at ``path``, over one connection while any call is in flight; the
    next call after that (or after the daemon went away) connects again, which on a Unix socket
    costs a fraction of a millisecond."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: Connection | None = None

    def connection(self, timeout: float | None) -> Connection:
        if self._conn is None or self._conn.dead:
            if self._conn is not None:
                self._conn.close()
            self._conn = Connection(self.path, timeout)
        return self._conn

    def call(self, path: str, request: Any, response: Any, timeout: float | None,
             metadata: tuple[tuple[str, str], ...]) -> Call:
        if timeout is not None and timeout <= 0:
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
        conn = self.connection(timeout)
        stream, deadline = conn.start(path, request.SerializeToString(), timeout, metadata)
        return Call(conn, stream, deadline, response)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _Method:
    def __init__(self, channel: Channel, path: str, response: Any, streaming: bool,
                 streaming_requests: bool = False) -> None:
        self._channel, self._path, self._response, self._streaming = channel, path, response, streaming
        self._streaming_requests = streaming_requests

    def __call__(self, request: Any, timeout: float | None = None,
                 metadata: tuple[tuple[str, str], ...] = ()) -> Any:
        if self._streaming_requests:
            raise RpcError(StatusCode.UNIMPLEMENTED,
                           f"{self._path} is a client-streaming call, and roarctl's gRPC client "
                           "makes unary and server-streaming calls only")
        call = self._channel.call(self._path, request, self._response, timeout, metadata)
        if self._streaming:
            return call
        replies = list(call)
        if len(replies) != 1:
            raise RpcError(StatusCode.INTERNAL, f"roard sent {len(replies)} answers to a unary call")
        return replies[0]


class ServiceStub:
    """``stub.Method(request, timeout=..., metadata=...)`` for each method of one service, as
    the descriptor in ``roar_api.v1.<name>_pb2`` declares it."""

    def __init__(self, channel: Channel, module: str, service: str) -> None:
        self._channel = channel
        self._service = importlib.import_module(module).DESCRIPTOR.services_by_name[service]

    def __getattr__(self, name: str) -> _Method:
        method = self._service.methods_by_name.get(name)
        if method is None:
            raise AttributeError(name)
        bound = _Method(self._channel, f"/{self._service.full_name}/{name}",
                        GetMessageClass(method.output_type), method.server_streaming,
                        method.client_streaming)
        setattr(self, name, bound)
        return bound


def service_stub(channel: Channel, name: str) -> ServiceStub:
    """The stub of roar's service called ``name`` in roar_api.services (``runs``, ``jobs``...)."""
    return ServiceStub(channel, f"roar_api.v1.{name}_pb2", SERVICES[name])
