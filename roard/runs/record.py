"""RunRecord: what the daemon knows about a run in flight, kept on disk as
``.roar/runs/<id>/run.json`` so a restarted daemon can finish it."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from roard.capture.git import GitState


@dataclass
class RunRecord:
    run_id: str
    workspace: str
    kind: str
    argv: list[str]
    cwd: str
    started_at: float
    tracer: str
    spool_dir: str
    run_dir: str = ""             # .roar/runs/<id>: run.json (the spool may live on tmpfs instead)
    client_pid: int = 0
    client_start: str = ""        # /proc/<pid>/stat start time, guards against pid reuse
    git: GitState = field(default_factory=GitState)
    inherited: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quiet: bool = False
    env: dict[str, str] = field(default_factory=dict)   # injected by `roarctl env`
    pythonpath: str = ""          # the command's PYTHONPATH: its dirs hold packages, not data
    cuda_visible_devices: str | None = None   # the command's CUDA_VISIBLE_DEVICES (None: unset)
    rerun_of: str = ""            # the job uid this run re-runs (`roarctl run @N`): JobRecord.rerun_of

    def save(self) -> None:
        path = Path(self.run_dir) / "run.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**asdict(self), "git": self.git.to_json()}, indent=1))
        os.replace(tmp, path)

    @classmethod
    def load(cls, run_dir: Path) -> "RunRecord":
        data = json.loads((run_dir / "run.json").read_text())
        data["run_dir"] = str(run_dir)
        data["git"] = GitState.from_json(data.get("git"))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def process_start_time(pid: int) -> str:
    """The start time field of /proc/<pid>/stat, or "" when the process does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return ""
    fields = data.rsplit(b")", 1)[-1].split()
    return fields[19].decode() if len(fields) > 19 else ""


def process_alive(pid: int, start: str) -> bool:
    if pid <= 0:
        return False
    now = process_start_time(pid)
    return bool(now) and (not start or now == start)
