"""A finished run that could not be recorded (its disk full, or read-only) is kept with its end:
the command's exit code, signal and how it ended are written to ``.roar/runs/<id>/end.json``, and
the run is recorded with them once the disk takes writes again (``RunManager`` retries it at each
client-watch round, and a restarted daemon finds it on disk).

The file is reserved at BeginRun (``reserve``: written full of spaces, which JSON ignores), so
that writing the end later overwrites blocks the file already has: it needs no free space on a
disk that has since filled up.
"""
from __future__ import annotations

import errno
import json
import os
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

END_FILE = "end.json"
RESERVED = 1024   #: bytes reserved for the end record

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL, _SQLITE_READONLY = 13, 8


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


def storage_failure(exc: BaseException) -> str | None:
    """Why recording failed, in words, when the disk was the cause (full or read-only); None for
    any other failure."""
    if isinstance(exc, OSError):
        where = os.path.dirname(exc.filename) if isinstance(exc.filename, str) else "its files"
        if exc.errno in _FULL_ERRNOS:
            return f"the disk holding {where} is full"
        if exc.errno == errno.EROFS:
            return f"{where} is on a read-only file system"
        return None
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        text = str(exc)
        if code == _SQLITE_FULL or "disk is full" in text:
            return "the disk holding .roar/ is full"
        if code == _SQLITE_READONLY or "readonly database" in text:
            return ".roar/roar.db cannot be written (read-only)"
    return None
