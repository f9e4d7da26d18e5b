"""A daemon-spawned run's output: appended in order as it is read from the command, kept in
memory (the recent part) and on disk (bounded, per run), and followed by any number of clients.

Followers never slow the command down, except the run's owner (the StartRun client, while it is
connected), who reads everything, the way a terminal would: the reader stops reading the
command's pipes while the owner lags by more than the memory window. A follower that falls
behind what is kept gets an ``OutputSkipped`` with the number of bytes it missed.

A worker thread writes it to disk (never the event loop); output arriving faster than the disk
takes it skips the disk for what would be rotated away anyway. On disk the output is two segments (``<run>.0`` older, ``<run>.1`` current) of frames
``stream:u8 offset:u64 length:u32 data``; when the current one reaches half the limit it becomes
the older one and the previous older one is deleted, so between half the limit and the limit
is kept.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Union

#: Output kept on disk per run (two segments of half this size).
DISK_LIMIT = 16 * 1024 * 1024
#: Output kept in memory per run for followers that keep up.
MEMORY_LIMIT = 4 * 1024 * 1024
#: The most output one message to a follower carries.
COALESCE = 1024 * 1024
STREAMS = ("stdout", "stderr", "pty")
_FRAME = struct.Struct(">BQI")


@dataclass(frozen=True)
class Chunk:
    stream: str
    data: bytes
    offset: int           # where it starts in the run's output, all streams together

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


@dataclass(frozen=True)
class Skipped:
    """Output no longer kept: ``bytes`` of it are missing before what follows."""
    bytes: int


OutputItem = Union[Chunk, Skipped]


class _Cursor:
    def __init__(self, position: int) -> None:
        self.position = position


class OutputLog:
    def __init__(self, directory: Path, name: str, disk_limit: int = DISK_LIMIT,
                 memory_limit: int = MEMORY_LIMIT) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.older = directory / f"{name}.0"
        self.current = directory / f"{name}.1"
        self._disk_limit = disk_limit
        self._segment_limit = max(disk_limit // 2, 1)
        self._memory_limit = memory_limit
        self._fd = os.open(self.current, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        self._segment_size = 0
        self._memory: collections.deque[Chunk] = collections.deque()
        self._memory_bytes = 0
        self._pending: collections.deque[Chunk] = collections.deque()   # not yet on disk
        self._pending_bytes = 0
        self._writer: asyncio.Future[None] | None = None
        self._writing: list[Chunk] = []     # the batch the worker thread is writing now
        self._disk_lock = threading.Lock()
        self.total = 0
        self.closed = False
        self._changed = asyncio.Event()
        self._owner: _Cursor | None = None
        self._room = asyncio.Event()

    @classmethod
    def reopen(cls, directory: Path, name: str) -> "OutputLog":
        """A finished run's log, read from disk only (after the daemon forgot the run)."""
        log = cls.__new__(cls)
        log.older, log.current = directory / f"{name}.0", directory / f"{name}.1"
        log._memory, log._memory_bytes, log.closed = collections.deque(), 0, True
        log._pending, log._pending_bytes, log._writer, log._writing = collections.deque(), 0, None, []
        log._disk_lock = threading.Lock()
        log._fd, log._owner, log._changed, log._room = -1, None, asyncio.Event(), asyncio.Event()
        frames = _read_frames(log.older) + _read_frames(log.current)
        log.total = frames[-1].end if frames else 0
        return log

    # --- writing: appended on the event loop, written to disk by a worker thread --------------

    def append(self, stream: str, data: bytes) -> Chunk:
        chunk = Chunk(stream, data, self.total)
        self.total += len(data)
        self._memory.append(chunk)
        self._memory_bytes += len(data)
        owner_at = self._owner.position if self._owner is not None else self.total
        while self._memory_bytes > self._memory_limit and len(self._memory) > 1 \
                and self._memory[0].end <= owner_at:   # the owner is always served from memory
            self._memory_bytes -= len(self._memory.popleft().data)
        self._pending.append(chunk)
        self._pending_bytes += len(data)
        while self._pending_bytes > self._disk_limit and len(self._pending) > 1:
            # Faster than the disk: what would be rotated away anyway is never written.
            self._pending_bytes -= len(self._pending.popleft().data)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_pending())
        self._wake()
        return chunk

    async def _write_pending(self) -> None:
        while self._pending:
            self._writing = list(self._pending)
            self._pending.clear()
            self._pending_bytes = 0
            try:
                await asyncio.to_thread(self._write_frames, self._writing)
            finally:
                self._writing = []
        if self.closed:
            self._close_fd()

    def _write_frames(self, batch: list[Chunk]) -> None:
        """Blocking: append frames, rotating segments at half the limit (under the disk lock, so
        that a reader never sees a rotation half done)."""
        with self._disk_lock:
            self._write_frames_locked(batch)

    def _write_frames_locked(self, batch: list[Chunk]) -> None:
        parts: list[bytes] = []
        size = 0
        for chunk in batch:
            frame_size = _FRAME.size + len(chunk.data)
            if self._segment_size + size + frame_size > self._segment_limit and self._segment_size + size:
                os.write(self._fd, b"".join(parts))
                parts, size = [], 0
                self._rotate()
            parts += [_FRAME.pack(STREAMS.index(chunk.stream), chunk.offset, len(chunk.data)), chunk.data]
            size += frame_size
        if parts:
            os.write(self._fd, b"".join(parts))
            self._segment_size += size

    def _rotate(self) -> None:
        os.close(self._fd)
        os.replace(self.current, self.older)
        self._fd = os.open(self.current, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        self._segment_size = 0

    def close(self) -> None:
        """No more output; the writer closes the file once what is pending is written."""
        self.closed = True
        if self._writer is None or self._writer.done():
            self._close_fd()
        self._wake()

    async def flushed(self) -> None:
        """Wait until everything appended is on disk."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    def _close_fd(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def owner_lagging(self) -> bool:
        """The owner is more than the memory window behind (the reader is waiting for it)."""
        return self._owner is not None and self.total - self._owner.position > self._memory_limit

    async def wait_for_owner(self) -> None:
        """Wait while the owner (if following) lags more than the memory window behind."""
        while self.owner_lagging():
            self._room.clear()
            await self._room.wait()

    # --- reading ---------------------------------------------------------------------------

    def _in_memory(self, position: int) -> tuple[int, list[Chunk]]:
        """Where what is held in memory (recent output, and output not yet on disk) starts, and
        the chunks of it that end after ``position``, in order."""
        by_offset = {c.offset: c for c in self._writing}
        by_offset.update((c.offset, c) for c in self._pending)
        by_offset.update((c.offset, c) for c in self._memory)
        chunks = [by_offset[o] for o in sorted(by_offset)]
        start = chunks[0].offset if chunks else self.total
        # Only the unbroken run up to the end counts (pending may have gaps it dropped).
        for i in range(len(chunks) - 1, 0, -1):
            if chunks[i - 1].end != chunks[i].offset:
                chunks, start = chunks[i:], chunks[i].offset
                break
        return start, [c for c in chunks if c.end > position]

    async def follow(self, offset: int = 0, owner: bool = False) -> AsyncIterator[OutputItem]:
        """Everything from ``offset`` on, live, until the log is closed."""
        cursor = _Cursor(offset)
        if owner:
            self._owner = cursor
        try:
            while True:
                changed = self._changed
                first, held = self._in_memory(cursor.position)
                if cursor.position < first:
                    items = await asyncio.to_thread(self._read_disk, cursor.position, first)
                else:
                    items = _coalesce(held)
                for item in items:
                    if isinstance(item, Skipped):
                        cursor.position += item.bytes
                        yield item
                        continue
                    if item.offset < cursor.position:   # resuming inside a chunk
                        item = Chunk(item.stream, item.data[cursor.position - item.offset:], cursor.position)
                    cursor.position = item.end
                    yield item
                    if owner:
                        self._room.set()
                if cursor.position >= self.total:
                    if self.closed:
                        return
                    await changed.wait()
        finally:
            if self._owner is cursor:
                self._owner = None
                self._room.set()

    def _read_disk(self, start: int, stop: int) -> list[OutputItem]:
        """Frames covering [start, stop) from disk (blocking); a Skipped for what is gone."""
        with self._disk_lock:
            frames = [f for f in _read_frames(self.older) + _read_frames(self.current) if f.end > start]
        items: list[OutputItem] = []
        position = start
        for frame in frames:
            if frame.offset >= stop:
                break
            if frame.offset > position:
                items.append(Skipped(frame.offset - position))
            items.append(frame)
            position = frame.end
        if position < stop:
            items.append(Skipped(stop - position))
        return items


def _coalesce(chunks: list[Chunk]) -> list[OutputItem]:
    """Consecutive chunks of one stream joined (up to COALESCE bytes): a follower that is
    behind gets fewer, larger messages."""
    out: list[OutputItem] = []
    run: list[Chunk] = []
    for chunk in chunks:
        if run and (chunk.stream != run[0].stream or sum(len(c.data) for c in run) + len(chunk.data) > COALESCE):
            out.append(_joined(run))
            run = []
        run.append(chunk)
    if run:
        out.append(_joined(run))
    return out


def _joined(run: list[Chunk]) -> Chunk:
    return run[0] if len(run) == 1 else Chunk(run[0].stream, b"".join(c.data for c in run), run[0].offset)


def _read_frames(path: Path) -> list[Chunk]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    frames = []
    pos = 0
    while pos + _FRAME.size <= len(data):
        stream, offset, length = _FRAME.unpack_from(data, pos)
        pos += _FRAME.size
        if pos + length > len(data):   # being written as we read
            break
        frames.append(Chunk(STREAMS[stream], data[pos:pos + length], offset))
        pos += length
    return frames


def prune_logs(directory: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently written runs' logs (blocking)."""
    with contextlib.suppress(OSError):
        runs: dict[str, float] = {}
        for path in directory.iterdir():
            name = path.name.rsplit(".", 1)[0]
            runs[name] = max(runs.get(name, 0.0), path.stat().st_mtime)
        for name in sorted(runs, key=runs.__getitem__)[:-keep or None]:
            for suffix in (".0", ".1"):
                with contextlib.suppress(OSError):
                    (directory / f"{name}{suffix}").unlink()
