"""roarctl's gRPC client (roarctl/wire.py) against a real roard: statuses, flow control in both
directions, deadlines, streams that interleave or are cancelled, and a daemon that goes away."""
from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest

from roar_api.v1 import daemon_pb2, env_pb2, events_pb2, jobs_pb2
from roarctl import wire


@pytest.fixture
def daemon(roar_env, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=ws, check=True)
    roar_env.roarctl("init", "-n", cwd=ws, check=True)
    channel = wire.Channel(str(roar_env.socket))
    yield roar_env, ws, channel
    channel.close()


def test_unary_call_and_error_status_with_its_message(daemon):
    roar_env, ws, channel = daemon
    hello = wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(client_name="t"), timeout=5)
    assert hello.protocol_major >= 1 and hello.daemon_version
    with pytest.raises(wire.RpcError) as err:
        wire.service_stub(channel, "jobs").GetJob(jobs_pb2.GetJobRequest(workspace=str(ws), ref="@7 ü"))
    assert err.value.code() == wire.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("'@7 ü' is not a job reference")
    # The connection is still in step after an error.
    assert wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest()).daemon_version


def test_messages_larger_than_the_flow_control_windows(daemon):
    """400 KB each way: the request waits for the daemon's WINDOW_UPDATEs (its window starts at
    64 KB), the answer spans many DATA frames."""
    roar_env, ws, channel = daemon
    env = wire.service_stub(channel, "env")
    value = "".join(chr(0x41 + i % 26) for i in range(400_000))
    env.SetEnv(env_pb2.SetEnvRequest(workspace=str(ws), name="BIG", value=value), timeout=30)
    listed = env.ListEnv(env_pb2.ListEnvRequest(workspace=str(ws)), timeout=30)
    assert {v.name: v.value for v in listed.vars}["BIG"] == value


def test_deadline_exceeded_and_the_connection_carries_on(daemon):
    roar_env, ws, channel = daemon
    stream = wire.service_stub(channel, "events").WatchEvents(events_pb2.WatchEventsRequest(), timeout=0.5)
    with pytest.raises(wire.RpcError) as err:
        next(stream)
    assert err.value.code() == wire.StatusCode.DEADLINE_EXCEEDED
    assert wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=5).daemon_version


def test_two_streams_interleave_and_one_is_cancelled(daemon):
    roar_env, ws, channel = daemon
    events = wire.service_stub(channel, "events")
    a = events.WatchEvents(events_pb2.WatchEventsRequest(topic_prefixes=["job."]), timeout=60)
    b = events.WatchEvents(events_pb2.WatchEventsRequest(topic_prefixes=["run."]), timeout=60)
    time.sleep(0.3)  # both subscribed before the run starts
    roar_env.roarctl("run", "-q", "true", cwd=ws, check=True)
    assert next(b).topic == "run.started"      # read while a's frames are kept aside
    assert next(a).topic == "job.recorded"
    assert next(b).topic == "run.finished"
    a.cancel()
    with pytest.raises(wire.RpcError) as err:
        next(a)
    assert err.value.code() == wire.StatusCode.CANCELLED
    b.cancel()
    assert wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=5).daemon_version


def test_daemon_stopping_ends_an_open_stream(daemon):
    """A stream being read when the daemon stops gets the stopping event and a clean end (the
    stop is not held up by it: `daemon stop` waits for the daemon to exit)."""
    roar_env, ws, channel = daemon
    stream = wire.service_stub(channel, "events").WatchEvents(events_pb2.WatchEventsRequest(), timeout=60)
    topics: list[str] = []
    reader = threading.Thread(target=lambda: topics.extend(e.topic for e in stream))
    reader.start()
    time.sleep(0.3)
    roar_env.roarctl("daemon", "stop", check=True)
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert topics == ["daemon.stopping"]
    with pytest.raises(wire.RpcError) as err:
        wire.service_stub(channel, "daemon").Hello(daemon_pb2.HelloRequest(), timeout=5)
    assert err.value.code() == wire.StatusCode.UNAVAILABLE


def test_no_daemon_and_a_socket_that_is_not_one(tmp_path):
    with pytest.raises(wire.RpcError) as err:
        wire.service_stub(wire.Channel(str(tmp_path / "none.sock")), "daemon").Hello(daemon_pb2.HelloRequest())
    assert err.value.code() == wire.StatusCode.UNAVAILABLE
    assert "cannot connect" in err.value.details()

    path = tmp_path / "mute.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def hang_up() -> None:
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")   # not HTTP/2 at all
        conn.close()

    t = threading.Thread(target=hang_up)
    t.start()
    try:
        with pytest.raises(wire.RpcError) as err:
            wire.service_stub(wire.Channel(str(path)), "daemon").Hello(daemon_pb2.HelloRequest(), timeout=5)
        assert err.value.code() == wire.StatusCode.UNAVAILABLE
    finally:
        t.join(timeout=5)
        server.close()
