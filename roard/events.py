"""EventBus: fan-out of daemon events to WatchEvents subscribers and in-daemon listeners.

A slow subscriber never blocks the daemon: each has a bounded queue, filtered when an event is
published (so a subscriber to one workspace does not fill up with another's events). When its
queue is full the oldest events go, and the next thing it receives is an ``events.dropped``
event saying how many it lost, telling it to resynchronise.
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

#: Events a subscriber may have waiting before the oldest are dropped.
QUEUE_SIZE = 1000
DROPPED = "events.dropped"
SUBSCRIBED = "events.subscribed"
#: Topics whose last part is a state (the Event's ``state`` field, unless the publisher set it).
STATE_TOPICS = ("registration.",)


@dataclass(frozen=True)
class DaemonEvent:
    topic: str
    workspace: str = ""
    run_id: str = ""
    job_uid: str = ""
    message: str = ""
    sequence: int = 0
    time: float = field(default_factory=time.time)
    step: str = ""                     # "@3": step.stale/step.fresh, artifact.recorded
    paths: tuple[str, ...] = ()        # absolute paths concerned
    reasons: tuple[str, ...] = ()      # step.stale: why
    hash: str = ""                     # artifact.recorded
    dropped: int = 0                   # events.dropped: how many this subscriber lost
    state: str = ""                    # registration.*, watch.*


@dataclass(frozen=True)
class EventFilter:
    """Which events a subscriber wants: topics starting with one of ``prefixes`` or equal to
    one of ``kinds`` (all when both are empty), of ``workspace`` (any when empty). Events
    without a workspace (daemon.stopping) reach every subscriber."""

    prefixes: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    workspace: str = ""

    def wants(self, event: DaemonEvent) -> bool:
        if self.prefixes or self.kinds:
            if not (event.topic in self.kinds or (self.prefixes and event.topic.startswith(self.prefixes))):
                return False
        return not (self.workspace and event.workspace and event.workspace != self.workspace)


class Subscription:
    """One subscriber's bounded queue. ``put`` never blocks; ``get`` waits."""

    def __init__(self, wanted: EventFilter, size: int) -> None:
        self.filter = wanted
        self._events: collections.deque[DaemonEvent] = collections.deque()
        self._size = size
        self._ready = asyncio.Event()
        self.dropped = 0          # lost since the last events.dropped was handed out
        self.dropped_total = 0

    def put(self, event: DaemonEvent) -> None:
        if len(self._events) >= self._size:
            self._events.popleft()
            self.dropped += 1
            self.dropped_total += 1
        self._events.append(event)
        self._ready.set()

    def pending(self) -> int:
        return len(self._events)

    async def get(self) -> DaemonEvent:
        while not self._events and not self.dropped:
            self._ready.clear()
            await self._ready.wait()
        return self.get_nowait()

    def get_nowait(self) -> DaemonEvent:
        """The next event (``events.dropped`` first when some were lost); IndexError when none."""
        if self.dropped:
            lost, self.dropped = self.dropped, 0
            return DaemonEvent(DROPPED, workspace=self.filter.workspace, dropped=lost,
                               message=f"{lost} event(s) dropped: this subscriber fell behind; resynchronise")
        return self._events.popleft()


class EventBus:
    """Publishes events to every subscriber whose filter wants them, and to listeners."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._subscribers: set[Subscription] = set()
        self._seq = itertools.count(1)
        self._queue_size = queue_size
        self._listeners: list[Callable[[DaemonEvent], None]] = []

    def publish(self, topic: str, **fields) -> DaemonEvent:
        if topic.startswith(STATE_TOPICS) and not fields.get("state"):
            fields["state"] = topic.partition(".")[2]   # registration.queued: state "queued"
        event = DaemonEvent(topic=topic, sequence=next(self._seq), **fields)
        for sub in list(self._subscribers):
            if sub.filter.wants(event):
                sub.put(event)
        for listener in self._listeners:
            listener(event)
        return event

    def publish_threadsafe(self, loop: asyncio.AbstractEventLoop, topic: str, **fields) -> None:
        """``publish`` from a worker thread (the watcher's re-checks)."""
        loop.call_soon_threadsafe(lambda: self.publish(topic, **fields))

    def listen(self, listener: Callable[[DaemonEvent], None]) -> None:
        """Call ``listener`` with every event, on the event loop, as it is published (a
        daemon service reacting to events; it must not block). Not a subscriber: it keeps
        no queue and does not count as a watcher for the idle timeout."""
        self._listeners.append(listener)

    def subscribe(self, wanted: EventFilter = EventFilter()) -> Subscription:
        sub = Subscription(wanted, self._queue_size)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    async def watch(self, topic_prefixes: tuple[str, ...] = (), workspace: str = "",
                    kinds: tuple[str, ...] = (), announce: bool = False) -> AsyncIterator[DaemonEvent]:
        """Events from now on that the filter wants (and ``events.dropped`` when this consumer
        fell behind), until the consumer stops; with ``announce``, ``events.subscribed`` first,
        once subscribed."""
        sub = self.subscribe(EventFilter(tuple(topic_prefixes), frozenset(kinds), workspace))
        try:
            if announce:
                yield DaemonEvent(SUBSCRIBED, workspace=workspace, message="subscribed")
            while True:
                yield await sub.get()
        finally:
            self.unsubscribe(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def subscribed_workspaces(self) -> set[str]:
        """Workspaces some subscriber asked for by name (the watcher keeps watching them)."""
        return {sub.filter.workspace for sub in self._subscribers if sub.filter.workspace}
