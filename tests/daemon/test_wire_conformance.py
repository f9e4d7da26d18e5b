"""Conformance of roarctl's own gRPC client (roarctl/wire.py) with a real grpcio server.

roarctl keeps its own HTTP/2 client only because ``import grpc`` costs more than the rest of a
`roarctl run`; this suite is what a gRPC client must survive, run against grpc.aio as roard runs
it (uvloop, the same server options), so the client is kept only while it passes:

* messages from 0 B to grpc's 4 MiB receive limit, both ways (split across DATA frames, the
  server's window exhausted and refilled while sending), one byte over it refused;
* a server stream of 100,000 messages, more bytes than roarctl's receive window (refilled);
* trailers-only answers (errors before any message, unknown methods and services), an error
  after messages, an error detail long enough to need CONTINUATION frames;
* deadlines on a unary call, a stream and a daemon that is stopped (SIGSTOP), the server
  seeing them; cancellation mid-stream, with more of it still in flight on the connection;
* GOAWAY when the server shuts down with calls in flight, and a server killed mid-call;
* what it does not do (client-streaming calls) refused in one sentence, and compression,
  which it never asks for, not sent to it.

The server is a test-only service (``PROTO`` below, compiled here with grpc_tools) served by
this module run as a script in its own process, so it can be stopped and killed; roard's own
shutdown and death are tested against the real daemon at the end. The client side is
``wire.ServiceStub`` over ``wire.Channel``, exactly as roarctl builds its stubs. No test bounds
a duration: "does not hang" is the call's own deadline, with pytest-timeout as the backstop.
"""
from __future__ import annotations

import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from roar_api.v1 import daemon_pb2, events_pb2
from roarctl import wire
from tests.daemon.daemon_helpers import REPO, wait_for

PROTO = """
syntax = "proto3";
package wiretest;

message Blob { uint64 seq = 1; bytes data = 2; }
message StreamRequest {
  uint32 count = 1;   // messages to send
  uint32 size = 2;    // bytes of data in each
  bool hold = 3;      // then wait until the server shuts down, and send one last message
}
message Failure { uint32 code = 1; string message = 2; uint32 after = 3; }
message Seen { repeated string events = 1; }

service Conformance {
  rpc Echo(Blob) returns (Blob);
  rpc Stream(StreamRequest) returns (stream Blob);
  rpc Fail(Failure) returns (stream Blob);          // `after` messages, then the error
  rpc Hang(Blob) returns (Blob);                    // answers only once the server shuts down
  rpc Events(Blob) returns (Seen);                  // what the server saw: "hang.entered", ...
  rpc Gzip(Blob) returns (Blob);                    // echo, asking for a gzip-compressed answer
  rpc Upload(stream Blob) returns (Blob);           // client streaming
  rpc Missing(Blob) returns (Blob);                 // not implemented by the server
}
service Unserved { rpc Echo(Blob) returns (Blob); }
"""

#: grpc's default limit on a received message (roard keeps it), in bytes.
MAX_MESSAGE = 4 * 1024 * 1024
TIMEOUT = 60.0


# --- the server (this module run as a script) -------------------------------------------------

def serve(sock: str, generated: str) -> None:
    """Serve the Conformance service on ``sock`` the way roard serves its own (grpc.aio under
    uvloop, roard's server options); SIGTERM shuts it down as roard does: no new calls (GOAWAY),
    then in-flight calls get their answers."""
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    sys.path.insert(0, generated)
    import asyncio

    import grpc
    import uvloop
    import wiretest_pb2 as pb
    import wiretest_pb2_grpc as pb_grpc

    codes = {code.value[0]: code for code in grpc.StatusCode}

    class Conformance(pb_grpc.ConformanceServicer):
        def __init__(self) -> None:
            self.events: list[str] = []
            self.shutdown = asyncio.Event()

        async def Echo(self, request, context):
            return request

        async def Stream(self, request, context):
            self.events.append("stream.entered")
            data = bytes(request.size)
            try:
                for seq in range(request.count):
                    yield pb.Blob(seq=seq, data=data)
                if request.hold:
                    await self.shutdown.wait()
                    yield pb.Blob(seq=request.count, data=b"bye")
            except asyncio.CancelledError:      # how grpc.aio tells a handler the call ended
                self.events.append("stream.cancelled")
                raise

        async def Fail(self, request, context):
            for seq in range(request.after):
                yield pb.Blob(seq=seq)
            await context.abort(codes[request.code], request.message)

        async def Hang(self, request, context):
            self.events.append("hang.entered")
            try:
                await self.shutdown.wait()
            except asyncio.CancelledError:
                self.events.append("hang.cancelled")
                raise
            return pb.Blob(data=b"answered while shutting down")

        async def Events(self, request, context):
            return pb.Seen(events=self.events)

        async def Gzip(self, request, context):
            context.set_compression(grpc.Compression.Gzip)
            return request

        async def Upload(self, request_iterator, context):
            return pb.Blob(seq=len([b async for b in request_iterator]))

    async def main() -> None:
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])   # as roard/server.py
        servicer = Conformance()
        pb_grpc.add_ConformanceServicer_to_server(servicer, server)
        server.add_insecure_port(f"unix:{sock}")
        await server.start()
        stopped = asyncio.Event()

        async def shut_down() -> None:
            stopping = asyncio.ensure_future(server.stop(10))        # GOAWAY: no new calls
            await asyncio.sleep(0.2)
            servicer.shutdown.set()                                  # in-flight calls answer
            await stopping
            stopped.set()

        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, lambda: asyncio.ensure_future(shut_down()))
        print("ready", flush=True)
        await stopped.wait()

    uvloop.run(main())


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Iterator[Path]:
    """The test service's modules, compiled from PROTO with grpc_tools."""
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("wiretest")
    (out / "wiretest.proto").write_text(PROTO)
    assert protoc.main(["protoc", f"-I{out}", f"--python_out={out}", f"--grpc_python_out={out}",
                        "wiretest.proto"]) == 0
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))


class Server:
    """The test server in its own process, and roarctl-style stubs to it."""

    def __init__(self, generated: Path) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wire-", dir="/tmp"))   # sun_path is short
        self.socket = self.dir / "s.sock"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.daemon.test_wire_conformance", str(self.socket), str(generated)],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.wait()
            raise AssertionError(f"the test server did not start:\n{self.proc.stderr.read()}")
        self.channels: list[wire.Channel] = []

    def stub(self, service: str = "Conformance") -> wire.ServiceStub:
        """A stub on a new channel (its own connection), as roarctl's ``Stubs`` makes them."""
        channel = wire.Channel(str(self.socket))
        self.channels.append(channel)
        return wire.ServiceStub(channel, "wiretest_pb2", service)

    def events(self) -> list[str]:
        return list(self.stub().Events(blob(0), timeout=TIMEOUT).events)

    def wait_event(self, event: str) -> None:
        wait_for(lambda: event in self.events(), TIMEOUT, f"the test server to see {event}")

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def shared(generated) -> Iterator[Server]:
    """One server for the tests that leave it running."""
    server = Server(generated)
    yield server
    server.close()


@pytest.fixture
def server(generated) -> Iterator[Server]:
    """A server of the test's own, to stop or kill."""
    server = Server(generated)
    yield server
    server.close()


@dataclass
class Flow:
    """What roarctl's flow control did during a test."""

    send_window_exhausted: bool = False      # a request waited for roard's WINDOW_UPDATE
    window_updates_sent: int = 0             # roarctl credited roard's DATA back


@pytest.fixture
def flow(monkeypatch) -> Flow:
    """Watches wire.Connection (white box): the claims about windows are checked, not assumed."""
    seen = Flow()
    wait, reply = wire.Connection.wait, wire.Connection._reply

    def watched_wait(conn: wire.Connection, stream: Any, deadline: Any) -> None:
        if not stream.closed and min(conn.send_window, stream.send_window) <= 0:
            seen.send_window_exhausted = True
        wait(conn, stream, deadline)

    def watched_reply(conn: wire.Connection, frames: bytes) -> None:
        seen.window_updates_sent += frames[3] == wire.WINDOW_UPDATE
        reply(conn, frames)

    monkeypatch.setattr(wire.Connection, "wait", watched_wait)
    monkeypatch.setattr(wire.Connection, "_reply", watched_reply)
    return seen


def blob(size: int) -> Any:
    """A Blob whose serialized form is exactly ``size`` bytes of random data (0, or from 3)."""
    import wiretest_pb2 as pb

    if size == 0:
        return pb.Blob()
    data_len = next(d for d in range(size - 2, size - 7, -1) if d + 1 + len(_varint(d)) == size)
    message = pb.Blob(data=random.Random(size).randbytes(data_len))
    assert message.ByteSize() == size
    return message


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def kill_when(server: Server, event: str, sig: int = signal.SIGKILL) -> threading.Thread:
    """Send ``sig`` to the server once it has seen ``event`` (in a thread: the test's own
    thread is blocked in the call)."""
    def run() -> None:
        server.wait_event(event)
        server.proc.send_signal(sig)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# --- message sizes and flow control -----------------------------------------------------------

@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", [0, 3, 100, 16_379, 16_384, 16_390, 65_535, 65_536, 70_000,
                                  1024 * 1024, MAX_MESSAGE - 1, MAX_MESSAGE])
def test_message_sizes_up_to_the_limit_both_ways(shared, flow, size):
    """The request crosses DATA frames (16 KiB each); beyond 64 KiB it exhausts the server's
    window and waits for its WINDOW_UPDATEs. The echo comes back the same way, and beyond half
    roarctl's window it is credited back. Exactly 4 MiB is allowed."""
    request = blob(size)
    assert shared.stub().Echo(request, timeout=TIMEOUT) == request
    assert flow.send_window_exhausted == (size + 5 > 65_535)
    assert bool(flow.window_updates_sent) == (size + 5 >= wire.REFILL_AFTER)


@pytest.mark.timeout(120)
def test_one_byte_over_the_limit_is_refused_with_the_servers_status(shared):
    stub = shared.stub()
    with pytest.raises(wire.RpcError) as err:
        stub.Echo(blob(MAX_MESSAGE + 1), timeout=TIMEOUT)
    assert err.value.code() == wire.StatusCode.RESOURCE_EXHAUSTED
    assert str(MAX_MESSAGE + 1) in err.value.details()
    assert stub.Echo(blob(100), timeout=TIMEOUT) == blob(100)      # the channel carries on


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_stream_of_100000_messages_beyond_the_receive_window(shared, flow):
    """100,000 messages, in order, more bytes in all than the window roarctl grants: the
    stream only finishes if roarctl opens its windows again as it reads."""
    import wiretest_pb2 as pb

    count, size = 100_000, 200
    assert count * size > 2 * wire.RECEIVE_WINDOW
    stream = shared.stub().Stream(pb.StreamRequest(count=count, size=size), timeout=240)
    seqs = [m.seq for m in stream if len(m.data) == size]
    assert seqs == list(range(count))
    assert flow.window_updates_sent >= count * size // wire.RECEIVE_WINDOW


@pytest.mark.timeout(120)
def test_large_messages_on_two_streams_read_in_turn(shared):
    """Two streams of 1 MiB messages on one connection, more than the receive window together,
    read alternately: frames for the one not being read are kept and still counted."""
    import wiretest_pb2 as pb

    stub = shared.stub()
    count = 3 * wire.RECEIVE_WINDOW // (1024 * 1024) // 2 + 1
    a = stub.Stream(pb.StreamRequest(count=count, size=1024 * 1024), timeout=TIMEOUT)
    b = stub.Stream(pb.StreamRequest(count=count, size=1024 * 1024), timeout=TIMEOUT)
    got = [(next(a).seq, next(b).seq) for _ in range(count)]
    assert got == [(i, i) for i in range(count)]
    assert list(a) == [] and list(b) == []


# --- statuses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code, message", [
    (wire.StatusCode.NOT_FOUND, "no step @9 ü in the active session"),
    (wire.StatusCode.INVALID_ARGUMENT, "100%: a detail with % and \n a newline"),
    (wire.StatusCode.FAILED_PRECONDITION, "long detail " + "x" * 40_000),
])
def test_trailers_only_errors_with_their_details(shared, code, message):
    """An error before any message is a single HEADERS frame (trailers-only); a long detail
    arrives in CONTINUATION frames. Code and detail come through as sent."""
    import wiretest_pb2 as pb

    stub = shared.stub()
    for method in (stub.Fail, lambda req, timeout: list(stub.Fail(req, timeout=timeout))):
        with pytest.raises(wire.RpcError) as err:
            next(iter(method(pb.Failure(code=code, message=message), timeout=TIMEOUT)))
        assert err.value.code() == code
        assert err.value.details() == message


def test_an_error_after_messages(shared):
    import wiretest_pb2 as pb

    stream = shared.stub().Fail(pb.Failure(code=wire.StatusCode.ABORTED, message="midway", after=3),
                                timeout=TIMEOUT)
    assert [next(stream).seq for _ in range(3)] == [0, 1, 2]
    with pytest.raises(wire.RpcError) as err:
        next(stream)
    assert (err.value.code(), err.value.details()) == (wire.StatusCode.ABORTED, "midway")


def test_unknown_methods_and_services_are_unimplemented(shared):
    with pytest.raises(wire.RpcError) as err:
        shared.stub().Missing(blob(3), timeout=TIMEOUT)
    assert err.value.code() == wire.StatusCode.UNIMPLEMENTED
    with pytest.raises(wire.RpcError) as err:
        shared.stub("Unserved").Echo(blob(3), timeout=TIMEOUT)
    assert err.value.code() == wire.StatusCode.UNIMPLEMENTED


# --- deadlines and cancellation ---------------------------------------------------------------

def test_deadline_on_a_unary_call_reaches_the_server(shared):
    stub = shared.stub()
    with pytest.raises(wire.RpcError) as err:
        stub.Hang(blob(3), timeout=0.5)
    assert err.value.code() == wire.StatusCode.DEADLINE_EXCEEDED
    shared.wait_event("hang.cancelled")
    assert stub.Echo(blob(3), timeout=TIMEOUT) == blob(3)


def test_deadline_mid_stream_after_the_messages_it_got(shared):
    import wiretest_pb2 as pb

    stream = shared.stub().Stream(pb.StreamRequest(count=5, size=10, hold=True), timeout=1)
    assert [next(stream).seq for _ in range(5)] == list(range(5))
    with pytest.raises(wire.RpcError) as err:
        next(stream)
    assert err.value.code() == wire.StatusCode.DEADLINE_EXCEEDED


def test_cancel_mid_stream_with_more_in_flight(shared):
    """A 100,000-message stream cancelled after its first message while another stream on the
    same connection goes on: the cancelled one's frames still arriving are dropped (their
    flow-control credit returned), the other one and a new call are unaffected, and the server
    sees the cancellation."""
    import wiretest_pb2 as pb

    stub = shared.stub()
    held = stub.Stream(pb.StreamRequest(count=3, size=10, hold=True), timeout=TIMEOUT)
    big = stub.Stream(pb.StreamRequest(count=100_000, size=1000), timeout=TIMEOUT)
    assert next(big).seq == 0
    big.cancel()
    with pytest.raises(wire.RpcError) as err:
        next(big)
    assert err.value.code() == wire.StatusCode.CANCELLED
    assert [next(held).seq for _ in range(3)] == [0, 1, 2]
    assert stub.Echo(blob(200_000), timeout=TIMEOUT) == blob(200_000)
    held.cancel()
    wait_for(lambda: shared.events().count("stream.cancelled") >= 2, TIMEOUT,
             "the server to see both streams cancelled")


@pytest.mark.timeout(120)
def test_a_stopped_server_meets_the_deadline_while_sending_and_receiving(server):
    """SIGSTOP: the server reads nothing and answers nothing; the call ends at its deadline
    whether it is stuck sending a 4 MiB request or waiting for the answer."""
    server.proc.send_signal(signal.SIGSTOP)
    try:
        for size in (3, MAX_MESSAGE):
            with pytest.raises(wire.RpcError) as err:
                server.stub().Echo(blob(size), timeout=1)
            assert err.value.code() == wire.StatusCode.DEADLINE_EXCEEDED
    finally:
        server.proc.send_signal(signal.SIGCONT)


# --- shutdown (GOAWAY) and death --------------------------------------------------------------

def test_goaway_in_flight_calls_finish_and_new_ones_are_refused(server):
    """SIGTERM: the server sends GOAWAY; a unary call and a stream already in flight get their
    answers, and the next call on the same channel is refused as UNAVAILABLE."""
    import wiretest_pb2 as pb

    stub = server.stub()
    held = stub.Stream(pb.StreamRequest(count=2, size=10, hold=True), timeout=TIMEOUT)
    assert [next(held).seq for _ in range(2)] == [0, 1]
    killer = kill_when(server, "hang.entered", signal.SIGTERM)
    assert server.stub().Hang(blob(3), timeout=TIMEOUT).data == b"answered while shutting down"
    killer.join()
    assert [(m.seq, m.data) for m in held] == [(2, b"bye")]
    with pytest.raises(wire.RpcError) as err:
        stub.Echo(blob(3), timeout=TIMEOUT)
    assert err.value.code() == wire.StatusCode.UNAVAILABLE
    assert server.proc.wait(timeout=TIMEOUT) == 0


def test_a_call_sent_after_the_goaway_it_has_not_read_is_unavailable(server):
    """roarctl reads a connection only while waiting for an answer, so a call can go out on a
    connection whose GOAWAY is already waiting to be read; grpc answers it CANCELLED, which
    roarctl reports as what it is: UNAVAILABLE, roard is shutting down."""
    import wiretest_pb2 as pb

    stub = server.stub()
    held = stub.Stream(pb.StreamRequest(count=1, size=10, hold=True), timeout=TIMEOUT)
    assert next(held).seq == 0
    server.proc.send_signal(signal.SIGTERM)
    connection = stub._channel._conn          # white box: wait until the GOAWAY is there to read
    assert select.select([connection.sock], [], [], TIMEOUT)[0]
    with pytest.raises(wire.RpcError) as err:
        stub.Echo(blob(3), timeout=TIMEOUT)
    assert (err.value.code(), err.value.details()) == (wire.StatusCode.UNAVAILABLE, "roard is shutting down")
    assert [m.data for m in held] == [b"bye"]


def test_server_killed_mid_unary_call(server):
    killer = kill_when(server, "hang.entered")
    with pytest.raises(wire.RpcError) as err:
        server.stub().Hang(blob(3), timeout=TIMEOUT)
    killer.join()
    assert err.value.code() == wire.StatusCode.UNAVAILABLE
    assert "closed the connection" in err.value.details()


def test_server_killed_mid_stream(server):
    """The messages that arrived before the kill are delivered, then UNAVAILABLE."""
    import wiretest_pb2 as pb

    stream = server.stub().Stream(pb.StreamRequest(count=1_000_000, size=100), timeout=TIMEOUT)
    assert next(stream).seq == 0
    server.proc.kill()
    with pytest.raises(wire.RpcError) as err:
        for _ in stream:
            pass
    assert err.value.code() == wire.StatusCode.UNAVAILABLE


@pytest.mark.timeout(120)
def test_server_killed_while_the_request_is_being_sent(server):
    """Killed (after being stopped, so it has read little of it) while a 4 MiB request is on
    its way: UNAVAILABLE, whichever side of the send the kill lands."""
    server.proc.send_signal(signal.SIGSTOP)
    timer = threading.Timer(0.3, server.proc.kill)
    timer.start()
    try:
        with pytest.raises(wire.RpcError) as err:
            server.stub().Echo(blob(MAX_MESSAGE), timeout=TIMEOUT)
        assert err.value.code() == wire.StatusCode.UNAVAILABLE
    finally:
        timer.join()


# --- what it refuses --------------------------------------------------------------------------

def test_client_streaming_is_refused_in_one_sentence(shared):
    with pytest.raises(wire.RpcError) as err:
        shared.stub().Upload(iter([blob(3)]), timeout=TIMEOUT)
    assert err.value.code() == wire.StatusCode.UNIMPLEMENTED
    assert "client-streaming" in err.value.details() and "Upload" in err.value.details()


def test_a_handler_asking_for_compression_still_answers_plainly(shared):
    """roarctl announces no compression (no grpc-accept-encoding), so grpc sends the answer
    uncompressed even when the handler asks for gzip. (A compressed message arriving anyway is
    refused in one sentence: test_wire_frames.py.)"""
    assert shared.stub().Gzip(blob(5000), timeout=TIMEOUT) == blob(5000)


# --- the real roard: shutdown and death -------------------------------------------------------

def test_roard_killed_mid_stream(roard, workspace):
    """roard SIGKILLed while an event stream has delivered its first event: UNAVAILABLE once
    what arrived is read, and for the next call."""
    channel = wire.Channel(str(roard.socket))
    try:
        stream = wire.service_stub(channel, "events").WatchEvents(
            events_pb2.WatchEventsRequest(topic_prefixes=["run."]), timeout=TIMEOUT)
        first = threading.Event()

        def runs() -> None:  # until the stream has one (it may subscribe after the first run)
            while not first.is_set():
                roard.roarctl("run", "-q", "true", cwd=workspace, check=True)
        runner = threading.Thread(target=runs)
        runner.start()
        try:
            assert next(stream).topic.startswith("run.")
        finally:
            first.set()
            runner.join()
        os.kill(roard.daemon_pid(), signal.SIGKILL)
        with pytest.raises(wire.RpcError) as err:
            for _ in stream:
                pass
        assert err.value.code() == wire.StatusCode.UNAVAILABLE
        with pytest.raises(wire.RpcError) as err:
            wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=TIMEOUT)
        # Refused, or reset when the kernel is still closing the dead daemon's listening socket.
        assert err.value.code() == wire.StatusCode.UNAVAILABLE
    finally:
        channel.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
