"""What a recorded job is, independent of storage and of the wire format."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from roar_api.refs import step_ref


@dataclass
class FileEntry:
    """A file a job read or wrote."""

    path: str          # repo-relative inside the workspace's repository, else absolute
    abs_path: str
    hash: str          # 64 hex chars, "" when it could not be hashed (see flags)
    size: int
    flags: list[str] = field(default_factory=list)
    target: str = ""   # symlink target that was actually read/written


@dataclass
class Decision:
    """Why a path the tracer saw was kept or dropped."""

    path: str
    kept: bool
    role: str
    reason: str


@dataclass
class JobRecord:
    uid: str
    session_id: str
    kind: str                      # run | build | get | put
    argv: list[str]
    cwd: str
    started_at: float
    ended_at: float
    exit_code: int
    status: str                    # ok | failed | interrupted | recovered
    tracer: str = "preload"
    step: int = 0
    seq: int = 0
    git: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)
    inputs: list[FileEntry] = field(default_factory=list)
    outputs: list[FileEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)   # injected by `roarctl env`

    @property
    def ref(self) -> str:
        return step_ref(self.kind, self.step)

    @property
    def duration(self) -> float:
        return max(0.0, self.ended_at - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def relative_cwd(cwd: str, root: str) -> str:
    """``cwd`` relative to ``root`` ("." for the root itself), or ``cwd`` itself when it lies
    outside (``/a/bc`` is outside ``/a/b``)."""
    inside = cwd == root or cwd.startswith(root.rstrip("/") + "/")
    return os.path.relpath(cwd, root) if inside else cwd


def cwd_relative_to(job: JobRecord, root: str) -> str:
    """The job's working directory relative to ``root``: see ``relative_cwd``."""
    return relative_cwd(job.cwd, root)
