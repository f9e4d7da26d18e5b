"""Relaying a long domain operation as a server stream: the events it emits (from the event loop
or from worker threads) as they come, then its result. Shared by the streaming handlers."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Generic, TypeVar

R = TypeVar("R")
Emit = Callable[[Any], None]


@dataclass
class Done(Generic[R]):
    """The last item of a relay: what the operation returned."""
    result: R


async def relay(start: Callable[[Emit], Awaitable[R]],
                stop: Callable[["asyncio.Future[R]"], None]) -> AsyncIterator[Any]:
    """Run ``start(emit)``; yield each emitted event, then ``Done(result)``. Errors of the
    operation propagate. When the consumer goes away first (the client cancelled), ``stop(task)``
    is called and the operation is awaited until it has cleaned up."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    task = asyncio.ensure_future(start(lambda event: loop.call_soon_threadsafe(queue.put_nowait, event)))
    try:
        while not task.done():
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
            else:
                getter.cancel()
        await asyncio.sleep(0)  # events posted from threads just before the end
        while not queue.empty():
            yield queue.get_nowait()
        yield Done(task.result())
    finally:
        if not task.done():
            stop(task)
            with contextlib.suppress(BaseException):
                await asyncio.shield(task)
