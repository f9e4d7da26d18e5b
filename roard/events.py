"""EventBus: fan-out of daemon events to WatchEvents subscribers."""
from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable


@dataclass(frozen=True)
class DaemonEvent:
    topic: str
    workspace: str = ""
    run_id: str = ""
    job_uid: str = ""
    message: str = ""
    sequence: int = 0
    time: float = field(default_factory=time.time)


class EventBus:
    """Publishes events to every subscriber's queue; a slow subscriber loses its oldest events
    rather than slowing the daemon down."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: set[asyncio.Queue[DaemonEvent]] = set()
        self._seq = itertools.count(1)
        self._queue_size = queue_size
        self._listeners: list[Callable[[DaemonEvent], None]] = []

    def publish(self, topic: str, **fields: str) -> DaemonEvent:
        event = DaemonEvent(topic=topic, sequence=next(self._seq), **fields)
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)
        for listener in self._listeners:
            listener(event)
        return event

    def listen(self, listener: Callable[[DaemonEvent], None]) -> None:
        """Call ``listener`` with every event, on the event loop, as it is published (a
        daemon service reacting to events; it must not block). Not a subscriber: it keeps
        no queue and does not count as a watcher for the idle timeout."""
        self._listeners.append(listener)

    def subscribe(self) -> asyncio.Queue[DaemonEvent]:
        queue: asyncio.Queue[DaemonEvent] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[DaemonEvent]) -> None:
        self._subscribers.discard(queue)

    async def watch(self, topic_prefixes: tuple[str, ...] = (), workspace: str = "") -> AsyncIterator[DaemonEvent]:
        """Events from now on whose topic starts with one of ``topic_prefixes`` (any, when
        empty) and that concern ``workspace`` (any, when empty), until the consumer stops."""
        queue = self.subscribe()
        try:
            while True:
                event = await queue.get()
                if topic_prefixes and not event.topic.startswith(topic_prefixes):
                    continue
                if workspace and event.workspace != workspace:
                    continue
                yield event
        finally:
            self.unsubscribe(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
