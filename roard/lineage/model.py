"""What a recorded job is, independent of storage and of the wire format."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from roar_api.refs import step_ref
from roard import records
from roard.capture.git import GitState
from roard.capture.runtime import Runtime


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
class TransferredFile:
    url: str
    path: str          # where it lies locally (repo-relative inside the repository, else absolute)
    hash: str
    size: int = 0


@dataclass
class TransferredDirectory:
    url: str
    path: str
    hash: str          # the directory's composite (Merkle) hash


@dataclass
class TransferInfo:
    """What a get or put moved, and between where: what reproduce fetches again. Stored as
    versioned JSON (``roard/records.py``)."""

    VERSION = 1

    direction: str                    # get | put
    url: str                          # credentials stripped
    files: list[TransferredFile] = field(default_factory=list)
    directories: list[TransferredDirectory] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return records.dump(self, self.VERSION)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TransferInfo":
        fields = records.known_fields(cls, data, cls.VERSION)
        fields["files"] = [TransferredFile(**records.known_fields(TransferredFile, f, cls.VERSION))
                           for f in fields.get("files") or []]
        fields["directories"] = [TransferredDirectory(**records.known_fields(TransferredDirectory, d, cls.VERSION))
                                 for d in fields.get("directories") or []]
        return cls(**fields)


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
    git: GitState = field(default_factory=GitState)
    runtime: Runtime = field(default_factory=Runtime)
    inputs: list[FileEntry] = field(default_factory=list)
    outputs: list[FileEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)   # injected by `roarctl env`
    transfer: TransferInfo | None = None                # get and put jobs
    #: The uid of the job this run re-ran (``roarctl run @N``, perhaps with parameters
    #: overridden): the store records it as the new version of that job's step. "" otherwise.
    rerun_of: str = ""

    @property
    def ref(self) -> str:
        return step_ref(self.kind, self.step)

    @property
    def duration(self) -> float:
        return max(0.0, self.ended_at - self.started_at)


def relative_cwd(cwd: str, root: str) -> str:
    """``cwd`` relative to ``root`` ("." for the root itself), or ``cwd`` itself when it lies
    outside (``/a/bc`` is outside ``/a/b``)."""
    inside = cwd == root or cwd.startswith(root.rstrip("/") + "/")
    return os.path.relpath(cwd, root) if inside else cwd


def cwd_relative_to(job: JobRecord, root: str) -> str:
    """The job's working directory relative to ``root``: see ``relative_cwd``."""
    return relative_cwd(job.cwd, root)
