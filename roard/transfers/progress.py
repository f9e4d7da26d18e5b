"""Progress of a transfer, reported from the worker thread that moves the bytes.

``Tracker`` throttles reports (at most one per ``interval`` per file, plus the end of each file)
and stops the transfer when its ``cancel`` event is set (the client went away).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from roard.transfers.remote import TransferCancelled


@dataclass(frozen=True)
class ProgressEvent:
    path: str
    done: int
    total: int            # 0 when unknown
    file_index: int       # 1-based
    file_count: int
    all_done: int
    all_total: int
    phase: str = "transfer"


Report = Callable[[ProgressEvent], None]
#: Files at least this large get a "hash" progress event before they are hashed.
HASH_REPORT_SIZE = 8 * 1024 * 1024


class Tracker:
    def __init__(self, sizes: list[int | None], report: Report | None = None,
                 cancel: threading.Event | None = None, interval: float = 0.1) -> None:
        self.sizes = [s or 0 for s in sizes]
        self.report = report
        self.cancel = cancel
        self.interval = interval
        self.index = 0
        self.path = ""
        self.done = 0
        self.total = 0
        self.finished_bytes = 0
        self._last = 0.0

    def start(self, index: int, path: str) -> None:
        self.check()
        self.index, self.path, self.done = index, path, 0
        self.total = self.sizes[index] if index < len(self.sizes) else 0
        self._emit(force=True)

    def update(self, done: int, total: int | None = None) -> None:
        self.check()
        self.done = done
        if total:
            self.total = total
        self._emit()

    def finish(self, size: int) -> None:
        self.done = self.total = size
        self._emit(force=True)
        self.finished_bytes += size

    def hashing(self, index: int, path: str, size: int) -> None:
        """Hashing a large file takes a while too: say so (phase "hash")."""
        self.check()
        if self.report is not None and size >= HASH_REPORT_SIZE:
            self.report(ProgressEvent(path, 0, size, index + 1, len(self.sizes),
                                      self.finished_bytes, sum(self.sizes), "hash"))

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise TransferCancelled("the transfer was cancelled")

    def callback(self) -> Any:
        """An fsspec Callback feeding this tracker."""
        from fsspec.callbacks import Callback

        tracker = self

        class _Feed(Callback):
            def call(self, *args: Any, **kwargs: Any) -> None:
                tracker.update(int(self.value or 0), int(self.size or 0))

        return _Feed()

    def _emit(self, force: bool = False) -> None:
        if self.report is None:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.report(ProgressEvent(self.path, self.done, self.total, self.index + 1, len(self.sizes),
                                  self.finished_bytes + self.done, sum(self.sizes)))


def simple_report(progress: Callable[[int, int], None] | None) -> Report | None:
    """Adapt a ``progress(done, total)`` over the whole transfer to a Report."""
    if progress is None:
        return None
    return lambda event: progress(event.all_done, event.all_total)
