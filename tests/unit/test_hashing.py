"""HashCache and hashing: correctness against blake3, cache hits, special files."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import blake3

from roard.hashing import PARALLEL_THRESHOLD, HashCache


def test_hashes_match_blake3_for_edge_sizes(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "cache.db")
    for size in (0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, PARALLEL_THRESHOLD + 5):
        p = tmp_path / f"f{size}"
        data = os.urandom(size)
        p.write_bytes(data)
        res = cache.hash_file(str(p))
        assert res.hash == blake3.blake3(data).hexdigest(), size
        assert res.size == size and not res.flags


def test_sparse_file(tmp_path: Path) -> None:
    p = tmp_path / "sparse"
    with open(p, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    res = HashCache(tmp_path / "c.db").hash_file(str(p))
    assert res.hash == blake3.blake3(b"\0" * (64 * 1024 * 1024)).hexdigest()


def test_cache_hit_and_invalidation(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "cache.db")
    p = tmp_path / "data"
    p.write_bytes(b"one")
    first = cache.hash_file(str(p))
    second = cache.hash_file(str(p))
    assert not first.cached and second.cached and first.hash == second.hash
    time.sleep(0.01)
    p.write_bytes(b"two")
    third = cache.hash_file(str(p))
    assert not third.cached and third.hash == blake3.blake3(b"two").hexdigest()
    # a cache survives reopening
    assert HashCache(tmp_path / "cache.db").hash_file(str(p)).cached


def test_never_hashes_non_regular(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "c.db")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert cache.hash_file(str(fifo)).flags == ["not-regular"]
    assert cache.hash_file("/dev/null").flags == ["not-regular"]
    assert cache.hash_file(str(tmp_path / "missing")).flags == ["unavailable"]


def test_file_changing_while_hashed_is_flagged(tmp_path: Path) -> None:
    p = tmp_path / "moving"
    p.write_bytes(os.urandom(PARALLEL_THRESHOLD * 4))
    stop = threading.Event()

    def scribble() -> None:
        i = 0
        while not stop.is_set():
            with open(p, "r+b") as f:
                f.write(i.to_bytes(8, "little"))
            i += 1

    t = threading.Thread(target=scribble)
    t.start()
    try:
        res = HashCache(tmp_path / "c.db").hash_file(str(p))
    finally:
        stop.set()
        t.join()
    # either it caught a still moment (then the hash is of a consistent state) or it says so
    assert res.flags == ["changed-while-hashing"] or len(res.hash) == 64
