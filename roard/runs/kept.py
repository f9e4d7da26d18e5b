"""A finished run that could not be recorded (its disk full, or read-only) is kept with its end:
the command's exit code, signal and how it ended are written to ``.roar/runs/<id>/end.json``, and
the run is recorded with them once the disk takes writes again (``RunManager`` retries it at each
client-watch round, and a restarted daemon finds it on disk).

The file is reserved at BeginRun (``reserve``: written full of spaces, which JSON ignores), so
that writing the end later overwrites blocks the file already has: it needs no free space on a
disk that has since filled up.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from roard.errors import storage_failure  # noqa: F401 - where RunManager finds it

END_FILE = "end.json"
RESERVED = 1024   #: bytes reserved for the end record


def reserve(run_dir: Path) -> None:
    with open(run_dir / END_FILE, "wb") as f:
        f.write(b" " * RESERVED)
        f.flush()
        os.fsync(f.fileno())


def save(run_dir: Path, end: Any) -> None:
    """Write ``end`` (a dataclass) into the reserved file, in place."""
    data = json.dumps(asdict(end)).encode()
    if len(data) > RESERVED:
        raise ValueError("the end record is larger than its reserved space")
    fd = os.open(run_dir / END_FILE, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.pwrite(fd, data + b" " * (RESERVED - len(data)), 0)
        os.fsync(fd)
    finally:
        os.close(fd)


def load(run_dir: Path) -> dict[str, Any] | None:
    """The saved end of a kept run, or None (no file, or only the reservation)."""
    try:
        text = (run_dir / END_FILE).read_text().strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
