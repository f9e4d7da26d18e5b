"""Which processes of a run are still alive, for a run whose client is gone.

roarctl spawns the command itself, so when roarctl is killed the command (and what it started)
goes on, reparented elsewhere; roard is no parent of it and cannot wait for it. Its pids are in
the spool, one file per traced process (``<pid>.spool``, ``<pid>.<ns>.spoolmap``), and each of
them carries the run in its environment (``ROAR_RUN_ID`` from the launch plan, and
``ROAR_SPOOL_DIR``, which the preload shim re-injects across an exec that dropped it), which
tells it from an unrelated process that got the same pid since.
"""
from __future__ import annotations

import os
from pathlib import Path


def spool_pids(spool_dir: str | Path) -> set[int]:
    """The pids that wrote (or are writing) into the run's spool."""
    try:
        names = os.listdir(spool_dir)
    except OSError:
        return set()
    return {int(head) for head in (name.split(".", 1)[0] for name in names) if head.isdigit()}


def belongs_to_run(pid: int, markers: set[bytes]) -> bool:
    """True while ``pid`` is a live (not zombie: its environ reads empty) process whose
    environment holds one of ``markers``."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            environ = f.read()
    except OSError:          # gone (or not ours to read)
        return False
    return not markers.isdisjoint(environ.split(b"\0"))


def live_processes(spool_dir: str | Path, run_id: str) -> list[int]:
    """The run's processes still alive, lowest pid first."""
    markers = {f"ROAR_RUN_ID={run_id}".encode(), b"ROAR_SPOOL_DIR=" + os.fsencode(str(spool_dir))}
    return sorted(pid for pid in spool_pids(spool_dir) if belongs_to_run(pid, markers))
