"""WatchEvents: filters, and a subscriber that never reads cannot hold the daemon up."""
from __future__ import annotations

import sys
from pathlib import Path

import grpc

from roar_api.v1 import events_pb2, events_pb2_grpc


def test_filter_by_kinds_and_workspace(roar, roard, ws: Path, tmp_path: Path) -> None:
    stream = roar.watch_events(workspace=str(ws), kinds=["artifact.recorded", "run.finished"])
    run = roar.start_run(["sh", "-c", "echo a > a.txt; echo b > b.txt"], cwd=ws)
    job = run.wait().job
    got = []
    for event in stream:
        got.append(event)
        if len([e for e in got if e.topic == "artifact.recorded"]) == 2:
            break
    stream.cancel()
    assert {e.topic for e in got} <= {"artifact.recorded", "run.finished"}
    artifacts = {Path(e.paths[0]).name: e for e in got if e.topic == "artifact.recorded"}
    assert set(artifacts) == {"a.txt", "b.txt"}
    assert artifacts["a.txt"].hash == next(f.hash for f in job.outputs if f.path == "a.txt")
    assert artifacts["a.txt"].step == job.ref and artifacts["a.txt"].workspace == str(ws)


def test_a_subscriber_that_never_reads_does_not_block_the_daemon(roar, roard, ws: Path) -> None:
    # A raw stream nobody reads: gRPC flow control stops its sends; the bus drops its oldest events.
    channel = grpc.insecure_channel(f"unix://{roard.socket}")
    stuck = events_pb2_grpc.EventServiceStub(channel).WatchEvents(events_pb2.WatchEventsRequest())
    # Thousands of events: one per output of a run writing 3,000 files, and runs meanwhile.
    script = "import os\nos.makedirs('many', exist_ok=True)\n" \
             "for i in range(3000):\n    open(f'many/{i}.txt', 'w').write(str(i) * 200)\n"
    for _ in range(3):
        run = roar.start_run([sys.executable, "-c", script], cwd=ws)
        assert run.wait().exit_code == 0
    assert roar.hello().daemon_version
    again = roar.start_run(["echo", "still here"], cwd=ws)
    assert b"".join(c.data for c in again) == b"still here\n"
    # When it finally reads, it is told that it fell behind.
    topics = []
    for event in stuck:
        topics.append(event.topic)
        if event.topic == "events.dropped":
            assert event.dropped > 0
            break
    stuck.cancel()
    channel.close()
    assert "events.dropped" in topics


def test_registration_state_changes_arrive_with_their_state(roar, roard, ws: Path) -> None:
    # A GLaaS URL nothing listens on: the finished job is queued, then its delivery fails.
    roard.roarctl("config", "set", "glaas.url", "http://127.0.0.1:9", cwd=ws, check=True)
    roard.roarctl("config", "set", "registration.auto", "true", cwd=ws, check=True)
    stream = roar.watch_events(topic_prefixes=["registration."])
    roar.start_run(["sh", "-c", "echo x > x.txt"], cwd=ws).wait()
    first = next(iter(stream))
    stream.cancel()
    assert first.topic == "registration.queued" and first.state == "queued" and first.workspace == str(ws)
