"""A spawned run's output log: order, bounded disk, replay, and what a late follower missed."""
from __future__ import annotations

from pathlib import Path

from roard.runs.output import Chunk, OutputLog, Skipped


async def _collect(log: OutputLog, offset: int = 0) -> list:
    return [item async for item in log.follow(offset)]


async def test_a_follower_gets_everything_in_order_and_joined_per_stream(tmp_path: Path) -> None:
    log = OutputLog(tmp_path, "r")
    for i in range(3):
        log.append("stdout", f"o{i}\n".encode())
    log.append("stderr", b"e\n")
    log.close()
    items = await _collect(log)
    assert items == [Chunk("stdout", b"o0\no1\no2\n", 0), Chunk("stderr", b"e\n", 9)]
    assert await _collect(log, offset=4) == [Chunk("stdout", b"1\no2\n", 4), Chunk("stderr", b"e\n", 9)]


async def test_disk_is_bounded_and_a_late_follower_is_told_what_is_gone(tmp_path: Path) -> None:
    log = OutputLog(tmp_path, "r", disk_limit=1000, memory_limit=100)
    everything = b"".join(bytes([65 + i % 26]) * 50 for i in range(100))
    for i in range(100):
        log.append("stdout", bytes([65 + i % 26]) * 50)   # 5,000 bytes through a 1,000-byte log
    log.close()
    items = await _collect(log)
    skipped = sum(i.bytes for i in items if isinstance(i, Skipped))
    data = b"".join(i.data for i in items if isinstance(i, Chunk))
    assert skipped > 0 and skipped + len(data) == 5000 and data == everything[skipped:]
    await log.flushed()
    kept = sum(p.stat().st_size for p in tmp_path.glob("r.*"))
    assert 0 < kept <= 1000 + 2 * 63
    reopened = OutputLog.reopen(tmp_path, "r")
    assert reopened.total == 5000
    again = await _collect(reopened)
    replayed = b"".join(i.data for i in again if isinstance(i, Chunk))
    assert replayed and everything.endswith(replayed)
    assert sum(i.bytes for i in again if isinstance(i, Skipped)) + len(replayed) == 5000
