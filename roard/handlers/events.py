"""EventService: WatchEvents streams daemon events to editors and tools."""
from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from roar_api.v1 import events_pb2, events_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.errors import map_errors


@map_errors
class EventHandler(events_pb2_grpc.EventServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def WatchEvents(self, request, context):
        prefixes = tuple(request.topic_prefixes)
        queue = self.daemon.bus.subscribe()
        try:
            while True:
                event = await queue.get()
                if prefixes and not event.topic.startswith(prefixes):
                    continue
                if request.workspace and event.workspace != request.workspace:
                    continue
                ts = Timestamp()
                ts.FromNanoseconds(int(event.time * 1e9))
                yield events_pb2.Event(
                    sequence=event.sequence, time=ts, topic=event.topic,
                    workspace=event.workspace, run_id=event.run_id, job_uid=event.job_uid,
                    message=event.message)
        finally:
            self.daemon.bus.unsubscribe(queue)
