"""EventService: WatchEvents streams daemon events to editors and tools."""
from __future__ import annotations

import contextlib

from roar_api.v1 import events_pb2_grpc
from roard.daemon import Daemon
from roard.handlers.convert import event_message
from roard.handlers.errors import map_errors


@map_errors
class EventHandler(events_pb2_grpc.EventServiceServicer):
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def WatchEvents(self, request, context):
        if request.workspace:
            self.daemon.watch.touch(request.workspace)   # stale/fresh events need it watched
        watch = self.daemon.bus.watch(tuple(request.topic_prefixes), request.workspace, tuple(request.kinds),
                                      request.announce)
        async with contextlib.aclosing(watch) as events:   # unsubscribes when the client goes
            async for event in events:
                yield event_message(event)
