"""The event bus: per-subscriber filters, bounded queues, and the events.dropped notice."""
from __future__ import annotations

import asyncio

from roard.events import DROPPED, EventBus, EventFilter


async def test_a_subscriber_gets_only_what_its_filter_wants() -> None:
    bus = EventBus()
    stale_here = bus.subscribe(EventFilter(kinds=frozenset({"step.stale"}), workspace="/ws"))
    runs = bus.subscribe(EventFilter(prefixes=("run.",)))
    here = bus.subscribe(EventFilter(workspace="/ws"))
    bus.publish("step.stale", workspace="/ws", step="@1", reasons=("a changed",))
    bus.publish("step.stale", workspace="/other", step="@2")
    bus.publish("run.started", workspace="/ws", run_id="r")
    bus.publish("daemon.stopping", message="bye")   # no workspace: reaches a workspace subscriber
    first = stale_here.get_nowait()
    assert (first.topic, first.step, first.reasons) == ("step.stale", "@1", ("a changed",))
    assert stale_here.pending() == 0
    assert [here.get_nowait().topic for _ in range(here.pending())] == ["step.stale", "run.started", "daemon.stopping"]
    assert runs.get_nowait().run_id == "r" and runs.pending() == 0, "daemon.stopping is not a run. event"


async def test_a_full_queue_drops_the_oldest_and_says_how_many() -> None:
    bus = EventBus(queue_size=10)
    slow = bus.subscribe()
    for i in range(25):
        bus.publish("file.changed", message=str(i))
    notice = await slow.get()
    assert notice.topic == DROPPED and notice.dropped == 15
    assert [(await slow.get()).message for _ in range(10)] == [str(i) for i in range(15, 25)]
    assert slow.dropped_total == 15


async def test_watch_unsubscribes_when_the_consumer_stops() -> None:
    bus = EventBus()
    watch = bus.watch(kinds=("x",))
    bus_events = []

    async def first():
        async for event in watch:
            bus_events.append(event)
            return

    task = asyncio.ensure_future(first())
    await asyncio.sleep(0)
    assert bus.subscriber_count == 1
    bus.publish("x")
    await task
    await watch.aclose()
    assert bus.subscriber_count == 0 and bus_events[0].topic == "x"
