"""roarctl's gRPC client (roarctl/wire.py) against a scripted HTTP/2 peer: frame orders and
encodings that grpcio sends only by chance of timing, or not at all: a reset right after the
trailers of a stream roarctl is not reading, a refused stream, a GOAWAY below a stream in
flight, padding, CONTINUATION, Huffman-coded headers, PINGs, a server push, a compressed
message, an HTTP error status.

A stand-in by necessity: grpc cannot be made to send these frames on demand. What a real grpcio
server does is tested in test_wire_conformance.py.
"""
from __future__ import annotations

import shutil
import socket
import struct
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

import hpack
import pytest

from roar_api.v1 import daemon_pb2, events_pb2
from roarctl import wire

TIMEOUT = 30.0
OK_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]


def trailers(code: int = 0, message: str = "") -> list[tuple[str, str]]:
    return [("grpc-status", str(code))] + ([("grpc-message", message)] if message else [])


def framed(message: bytes, compressed: bool = False) -> bytes:
    """A gRPC length-prefixed message."""
    return bytes((compressed,)) + len(message).to_bytes(4, "big") + message


class Peer:
    """One HTTP/2 server connection on a Unix socket, played by ``script(peer)`` in a thread."""

    def __init__(self, script: Callable[[Peer], None]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wire-", dir="/tmp"))
        self.path = self.dir / "p.sock"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(1)
        self.encoder = hpack.Encoder()
        self.received: list[tuple[int, int, int, bytes]] = []   # every frame the client sent
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._buf = b""
        self.thread = threading.Thread(target=self._play, args=(script,), daemon=True)
        self.thread.start()

    def _play(self, script: Callable[[Peer], None]) -> None:
        try:
            self.conn, _ = self.listener.accept()
            assert self._read(24) == wire.PREFACE
            self.send(wire.SETTINGS, 0, 0)
            script(self)
        except BaseException as exc:  # reported by close()
            self.error = exc
        finally:
            self.done.set()

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise EOFError("the client hung up")
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def frame(self) -> tuple[int, int, int, bytes]:
        head = self._read(9)
        length = int.from_bytes(head[:3], "big")
        frame = (head[3], head[4], int.from_bytes(head[5:9], "big"), self._read(length))
        self.received.append(frame)
        return frame

    def requests(self, n: int) -> list[int]:
        """Read until ``n`` requests are complete; their stream ids."""
        ended: list[int] = []
        while len(ended) < n:
            kind, flags, stream_id, _ = self.frame()
            if kind == wire.DATA and flags & wire.END_STREAM:
                ended.append(stream_id)
        return ended

    def drain(self) -> None:
        """Read what the client sends until it hangs up."""
        try:
            while True:
                self.frame()
        except (EOFError, ConnectionResetError):
            pass

    def send(self, kind: int, flags: int, stream_id: int, payload: bytes = b"") -> None:
        self.conn.sendall(wire.Connection._frame(kind, flags, stream_id, payload))

    def headers(self, stream_id: int, fields: list[tuple[str, str]], end_stream: bool = False) -> None:
        flags = wire.END_HEADERS | (wire.END_STREAM if end_stream else 0)
        self.send(wire.HEADERS, flags, stream_id, self.encoder.encode(fields))

    def answer(self, stream_id: int, *messages: bytes) -> None:
        """A whole successful answer: headers, the messages, trailers."""
        self.headers(stream_id, OK_HEADERS)
        for message in messages:
            self.send(wire.DATA, 0, stream_id, framed(message))
        self.headers(stream_id, trailers(), end_stream=True)

    def close(self) -> None:
        self.done.wait(TIMEOUT)
        if getattr(self, "conn", None) is not None:
            self.conn.close()
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.error is not None:
            raise AssertionError(f"the scripted peer failed: {self.error!r}")


@pytest.fixture
def peer() -> Iterator[Callable[[Callable[[Peer], None]], tuple[Peer, wire.Channel]]]:
    made: list[tuple[Peer, wire.Channel]] = []

    def make(script: Callable[[Peer], None]) -> tuple[Peer, wire.Channel]:
        p = Peer(script)
        made.append((p, wire.Channel(str(p.path))))
        return made[-1]

    yield make
    for p, channel in made:
        channel.close()
        p.close()


def event(topic: str) -> bytes:
    return events_pb2.Event(topic=topic).SerializeToString()


def hello(channel: wire.Channel) -> daemon_pb2.HelloResponse:
    return wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=TIMEOUT)


def watch(channel: wire.Channel) -> wire.Call:
    return wire.service_stub(channel, "events").WatchEvents(events_pb2.WatchEventsRequest(), timeout=TIMEOUT)


def test_a_reset_after_the_trailers_leaves_the_status(peer):
    """Stream 3's trailers-only error and then its RST_STREAM (grpc sends one when it answers
    before the request is whole) arrive while roarctl reads stream 1: stream 3 keeps its status."""
    def script(p: Peer) -> None:
        assert p.requests(2) == [1, 3]
        p.headers(3, OK_HEADERS + trailers(5, "no such job"), end_stream=True)
        p.send(wire.RST_STREAM, 0, 3, struct.pack(">I", 0))
        p.answer(1, event("first"))
    _, channel = peer(script)
    one, three = watch(channel), watch(channel)
    assert [e.topic for e in one] == ["first"]
    with pytest.raises(wire.RpcError) as err:
        next(three)
    assert (err.value.code(), err.value.details()) == (wire.StatusCode.NOT_FOUND, "no such job")


@pytest.mark.parametrize("code, status", [(0x7, wire.StatusCode.UNAVAILABLE), (0x8, wire.StatusCode.CANCELLED),
                                          (0xB, wire.StatusCode.RESOURCE_EXHAUSTED),
                                          (0x2, wire.StatusCode.INTERNAL)])
def test_a_reset_stream_maps_to_grpcs_status(peer, code, status):
    """REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM and the rest, as gRPC's HTTP/2 mapping says."""
    def script(p: Peer) -> None:
        p.requests(1)
        p.send(wire.RST_STREAM, 0, 1, struct.pack(">I", code))
    _, channel = peer(script)
    with pytest.raises(wire.RpcError) as err:
        hello(channel)
    assert err.value.code() == status
    assert f"HTTP/2 error {code}" in err.value.details()


def test_goaway_below_a_stream_in_flight(peer):
    """GOAWAY with last stream 1: stream 3 was never taken (UNAVAILABLE), stream 1 finishes, and
    the channel's next call goes to a new connection."""
    def script(p: Peer) -> None:
        p.requests(2)
        p.send(wire.GOAWAY, 0, 0, struct.pack(">II", 1, 0) + b"shutting down")
        p.answer(1, event("last"))
    _, channel = peer(script)
    one, three = watch(channel), watch(channel)
    with pytest.raises(wire.RpcError) as err:
        next(three)
    assert (err.value.code(), err.value.details()) == (wire.StatusCode.UNAVAILABLE, "roard is shutting down")
    assert [e.topic for e in one] == ["last"]
    with pytest.raises(wire.RpcError) as err:   # on a new connection, which the peer never accepts
        wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=0.5)
    assert err.value.code() == wire.StatusCode.DEADLINE_EXCEEDED


def test_padding_continuation_huffman_and_a_message_across_frames(peer):
    """Headers padded and with a priority, split over CONTINUATION frames and Huffman-coded;
    the message split (inside its length prefix, too) over padded DATA frames; a PING and
    SETTINGS in between, which roarctl acknowledges."""
    answer = daemon_pb2.HelloResponse(daemon_version="ü" * 3000, build_id="b").SerializeToString()

    def script(p: Peer) -> None:
        p.requests(1)
        block = p.encoder.encode(OK_HEADERS + [("x-long", "v" * 40_000)], huffman=True)
        head, rest = block[:100], block[100:]
        p.send(wire.HEADERS, wire.PADDED | wire.PRIORITY_FLAG, 1,
               bytes((7,)) + struct.pack(">IB", 0, 15) + head + bytes(7))
        pieces = [rest[i:i + wire.MAX_FRAME] for i in range(0, len(rest), wire.MAX_FRAME)]
        assert len(pieces) > 1
        for i, piece in enumerate(pieces):
            p.send(wire.CONTINUATION, wire.END_HEADERS if i == len(pieces) - 1 else 0, 1, piece)
        p.send(wire.PING, 0, 0, b"12345678")
        p.send(wire.SETTINGS, 0, 0, struct.pack(">HI", wire.SETTINGS_MAX_FRAME_SIZE, 32_768))
        data = framed(answer)
        for piece in (data[:3], data[3:1000], data[1000:]):
            p.send(wire.DATA, wire.PADDED, 1, bytes((200,)) + piece + bytes(200))
        p.send(wire.HEADERS, wire.END_HEADERS | wire.END_STREAM, 1,
               p.encoder.encode(trailers(0, "fine %25"), huffman=True))
        p.drain()
    p, channel = peer(script)
    assert hello(channel).SerializeToString() == answer
    channel.close()
    p.done.wait(TIMEOUT)
    acks = [(kind, payload) for kind, flags, _, payload in p.received
            if kind in (wire.PING, wire.SETTINGS) and flags & wire.ACK]
    assert acks.count((wire.PING, b"12345678")) == 1
    assert [k for k, _ in acks].count(wire.SETTINGS) == 2
    assert not [f for f in p.received if f[0] == wire.RST_STREAM]


@pytest.mark.parametrize("what, code, words", [
    ("push", wire.StatusCode.UNAVAILABLE, "server push"),
    ("compressed", wire.StatusCode.INTERNAL, "compressed"),
    ("http 503", wire.StatusCode.UNAVAILABLE, "HTTP status 503"),
    ("no status", wire.StatusCode.UNKNOWN, "without a gRPC status"),
    ("two answers", wire.StatusCode.INTERNAL, "2 answers to a unary call"),
    ("cut message", wire.StatusCode.INTERNAL, "ended inside a message"),
])
def test_what_it_refuses_in_one_sentence(peer, what, code, words):
    def script(p: Peer) -> None:
        p.requests(1)
        if what == "push":
            p.send(wire.PUSH_PROMISE, wire.END_HEADERS, 1, struct.pack(">I", 2) + p.encoder.encode(
                [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "x")]))
        elif what == "compressed":
            p.headers(1, OK_HEADERS)
            p.send(wire.DATA, 0, 1, framed(b"\x1f\x8b", compressed=True))
            p.headers(1, trailers(), end_stream=True)
        elif what == "http 503":
            p.headers(1, [(":status", "503")], end_stream=True)
        elif what == "no status":
            p.headers(1, OK_HEADERS, end_stream=True)
        elif what == "two answers":
            hello_answer = daemon_pb2.HelloResponse(daemon_version="x").SerializeToString()
            p.answer(1, hello_answer, hello_answer)
        else:
            p.headers(1, OK_HEADERS)
            p.send(wire.DATA, 0, 1, framed(b"12345")[:7])
            p.headers(1, trailers(), end_stream=True)
    _, channel = peer(script)
    with pytest.raises(wire.RpcError) as err:
        hello(channel)
    assert err.value.code() == code
    assert words in err.value.details()
    assert "\n" not in err.value.details()


def test_a_server_that_is_not_http2_is_refused_without_waiting(tmp_path):
    """An HTTP/1.1 server that answers and keeps the connection open: refused at once, in one
    sentence, not at the deadline."""
    path = Path(tempfile.mkdtemp(prefix="wire-", dir="/tmp")) / "h1.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    held: list[socket.socket] = []

    def answer() -> None:
        conn, _ = listener.accept()
        held.append(conn)
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        with pytest.raises(wire.RpcError) as err:
            wire.service_stub(wire.Channel(str(path)), "daemon").Hello(daemon_pb2.HelloRequest(), timeout=TIMEOUT)
        assert err.value.code() == wire.StatusCode.UNAVAILABLE
        assert "does not speak HTTP/2" in err.value.details()
    finally:
        thread.join(TIMEOUT)
        for conn in held:
            conn.close()
        listener.close()
        shutil.rmtree(path.parent, ignore_errors=True)


def test_a_peer_that_never_answers_meets_the_deadline(peer):
    def script(p: Peer) -> None:
        p.requests(1)
    _, channel = peer(script)
    with pytest.raises(wire.RpcError) as err:
        wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=0.5)
    assert err.value.code() == wire.StatusCode.DEADLINE_EXCEEDED
