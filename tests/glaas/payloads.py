"""Small lineages to register in tests: a pipeline of jobs, each reading the previous output."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.glaas.conftest import fresh_hash, fresh_uid


@dataclass
class Pipeline:
    """``steps`` jobs in one session: job i reads artifact i and writes artifact i+1."""

    steps: int = 2
    session: str = field(default_factory=fresh_hash)
    uids: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    word: str = field(default_factory=lambda: "w" + fresh_uid()[:10])  # a unique word in commands and paths

    def __post_init__(self) -> None:
        self.uids = [fresh_uid() for _ in range(self.steps)]
        self.hashes = [fresh_hash() for _ in range(self.steps + 1)]

    def path(self, k: int) -> str:
        """Where artifact k lives: the raw input is a CSV, every later one a model file."""
        return f"/work/project/data/{self.word}_0.csv" if k == 0 else f"/work/project/out/{self.word}_{k}.pt"

    @property
    def final(self) -> str:
        return self.hashes[-1]

    def native(self, **extra: Any) -> dict[str, Any]:
        """The POST /api/v1/lineage body for the whole pipeline."""
        jobs = []
        for i, uid in enumerate(self.uids):
            jobs.append({
                "uid": uid, "session_hash": self.session, "command": f"python step{i}.py --{self.word}",
                "argv": ["python", f"step{i}.py", f"--{self.word}"], "cwd": "/work/project",
                "timestamp": 1_700_000_000 + i, "duration_seconds": 1.5, "exit_code": 0, "step_number": i + 1,
                "git": {"repo": "https://example.org/team/project.git", "commit": "a" * 40, "branch": "main"},
                "runtime": {"os": "Linux", "gpus": [{"name": "NVIDIA A100-SXM4-80GB"}]},
                "packages": {"torch": "2.3.0", "numpy": "1.26.4"},
                "inputs": [{"hash": self.hashes[i], "path": self.path(i), "size": 10 + i}],
                "outputs": [{"hash": self.hashes[i + 1], "path": self.path(i + 1), "size": 11 + i}],
            })
        return {"sessions": [{"hash": self.session, "git_repo": "https://example.org/team/project.git",
                              "git_commit": "a" * 40, "git_branch": "main"}],
                "jobs": jobs, "artifacts": [{"hash": self.final, "size": 10 + self.steps}], **extra}


def compat_job(uid: str, step: int, command: str) -> dict[str, Any]:
    """A job as roar-cli 0.4.7 sends it (metadata a JSON-encoded string)."""
    meta = {"packages": {"pip": {"torch": "2.3.0"}}, "runtime": {"os": {"system": "Linux"}, "cuda": {"cuda_version": "12.4"},
                                                                  "cpu": {"count": 2}, "memory": {"total_mb": 1024}},
            "git": {"commit": "b" * 40, "branch": "main", "remote_url": "https://example.org/x.git"}, "cwd": "/w"}
    return {"command": command, "timestamp": 1_700_000_100 + step, "job_uid": uid, "git_commit": "b" * 40,
            "git_branch": "main", "duration_seconds": 0.5, "exit_code": 0, "job_type": "run", "step_number": step,
            "metadata": json.dumps(meta)}


def compat_artifact(digest: str, size: int, session: str) -> dict[str, Any]:
    return {"hashes": [{"algorithm": "blake3", "digest": digest}], "size": size, "source_type": "output",
            "session_hash": session}
