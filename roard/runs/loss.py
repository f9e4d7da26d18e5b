"""Did the tracer lose events? A tracer that cannot write an event (its spool's file system
full) has nowhere to say so, so roard looks for the traces such a loss leaves, for every backend
(they all write the same spool): a spool file system with (almost) no room left when the run
ends, and spool files whose last line was cut short. Either makes the job ``incomplete``: its
record may miss files the command touched, and the job and the terminal say so.

What this cannot give is the exact number of events lost: the tracer could not write them.
The processes named are those whose spool file was cut short (any process of the run may have
lost events once the file system was full)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Less free space than this on the spool's file system at the end of a run means a write may
#: have failed: the preload shim grows its mapped files in steps of up to 64 KiB.
FULL_BELOW = 64 * 1024
#: A run's spool goes to the fast (tmpfs) spool directory only when it has this much room; else
#: to the workspace's .roar/runs/<id>/spool, before anything can be lost.
SPOOL_MIN_FREE = 8 * 1024 * 1024


@dataclass
class SpoolLoss:
    spool_dir: str
    free_bytes: int
    cut_short: list[int] = field(default_factory=list)   # pids whose spool file ends mid-line

    @property
    def full(self) -> bool:
        return self.free_bytes < FULL_BELOW

    def sentence(self) -> str:
        parts = []
        if self.full:
            parts.append(f"the tracer's spool ({self.spool_dir}) ran out of space ({self.free_bytes:,} bytes "
                         "free at the end), so events of any of the run's processes may be missing")
        if self.cut_short:
            pids = ", ".join(map(str, self.cut_short[:10])) + (" ..." if len(self.cut_short) > 10 else "")
            parts.append(f"{len(self.cut_short)} process(es) had an event cut short (pid {pids})")
        return "incomplete record: " + "; ".join(parts) + "; files the command touched may be missing"


def spool_room_note(fast_root: Path | None) -> str:
    """A warning when the fast spool directory has too little room for a run ("" when it has
    enough, or when there is none)."""
    if fast_root is None:
        return ""
    probe = fast_root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        st = os.statvfs(probe)
    except OSError:
        return ""
    free = st.f_bavail * st.f_frsize
    if free >= SPOOL_MIN_FREE:
        return ""
    return (f"the tracer's spool directory {fast_root} has only {free:,} bytes free; this run spools "
            "into .roar/runs/<id>/spool instead (slower to create files on)")


def check_spool(spool_dir: str | Path) -> SpoolLoss | None:
    """The signs of lost events in a run's spool, or None when there are none."""
    try:
        st = os.statvfs(spool_dir)
        names = os.listdir(spool_dir)
    except OSError:
        return None
    loss = SpoolLoss(str(spool_dir), st.f_bavail * st.f_frsize)
    for name in names:
        head, _, rest = name.partition(".")
        if rest == "spool" and head.isdigit() and _ends_mid_line(Path(spool_dir) / name):
            loss.cut_short.append(int(head))
    loss.cut_short.sort()
    return loss if loss.full or loss.cut_short else None


def _ends_mid_line(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() == 0:
                return False
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"
    except OSError:
        return False
