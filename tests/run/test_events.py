"""WatchEvents: an editor sees run.started, run.finished and job.recorded as they happen."""
from __future__ import annotations

import threading
from pathlib import Path

import grpc

from roar_api import paths
from roar_api.v1 import events_pb2, events_pb2_grpc


def test_watch_events_sees_a_run(roard, workspace: Path) -> None:
    channel = grpc.insecure_channel(paths.grpc_target(roard.socket))
    stream = events_pb2_grpc.EventServiceStub(channel).WatchEvents(
        events_pb2.WatchEventsRequest(topic_prefixes=["run.", "job."]), timeout=60)
    seen: list[events_pb2.Event] = []

    def collect() -> None:
        try:
            for ev in stream:
                seen.append(ev)
                if ev.topic == "job.recorded":
                    return
        except grpc.RpcError:
            pass

    t = threading.Thread(target=collect)
    t.start()
    import time
    time.sleep(0.5)  # let the subscription register
    roard.roarctl("run", "-q", "sh", "-c", "echo e > e.txt", cwd=workspace, check=True)
    t.join(timeout=30)
    stream.cancel()
    channel.close()
    topics = [e.topic for e in seen]
    assert topics[:3] == ["run.started", "run.finished", "job.recorded"], topics
    assert seen[0].workspace == str(workspace)
    assert seen[1].run_id == seen[0].run_id and seen[2].job_uid
    assert [e.sequence for e in seen] == sorted(e.sequence for e in seen)
