"""Built records for the domain unit tests: jobs with files by (path, hash), no daemon, no
tracer. ``Session`` numbers steps and sequences the way the store does."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from roard.capture.git import GitState
from roard.capture.runtime import Runtime
from roard.lineage.model import FileEntry, JobRecord
from roard.lineage.store import JobStore, step_key

ROOT = "/w"


def entry(path: str, digest: str, flags: list[str] | None = None, size: int = 1) -> FileEntry:
    abs_path = path if path.startswith("/") else f"{ROOT}/{path}"
    return FileEntry(path, abs_path, digest, size, list(flags or []))


@dataclass
class Session:
    """Jobs of one session in record order: ``run`` allocates step and seq like JobStore."""

    id: str = "s1"
    start: float = 0.0
    jobs: list[JobRecord] = field(default_factory=list)
    _steps: dict[str, int] = field(default_factory=dict)

    def run(self, argv: str, reads: dict[str, str] | None = None, writes: dict[str, str] | None = None,
            kind: str = "run", rerun_of: JobRecord | None = None, **fields) -> JobRecord:
        """``rerun_of``: a ``roarctl run @N`` re-run of that job, numbered as its step (as the store does)."""
        key = step_key(kind, argv.split(), ROOT, ROOT)
        if rerun_of is not None:
            self._steps[key] = rerun_of.step
            fields["rerun_of"] = rerun_of.uid
        if key not in self._steps:
            self._steps[key] = 1 + sum(1 for k in self._steps if json.loads(k)[0] == "build") \
                if kind == "build" else 1 + sum(1 for k in self._steps if json.loads(k)[0] != "build")
        seq = len(self.jobs) + 1
        # git and runtime given as their JSON form
        fields["git"] = GitState.from_json(fields.get("git"))
        fields["runtime"] = Runtime.from_json(fields.get("runtime"))
        uid = f"{self.id.encode().hex()}{seq:04d}".ljust(32, "0")
        job = JobRecord(uid=uid, session_id=self.id, kind=kind, argv=argv.split(),
                        cwd=ROOT, started_at=self.start + seq - 0.5, ended_at=self.start + seq, exit_code=0,
                        status="ok", step=self._steps[key], seq=seq,
                        inputs=[entry(p, h) for p, h in (reads or {}).items()],
                        outputs=[entry(p, h) for p, h in (writes or {}).items()], **fields)
        self.jobs.append(job)
        return job


async def store_with(tmp: Path, *sessions: Session) -> JobStore:
    """A real JobStore (SQLite in ``tmp``) holding the sessions' jobs, each session active in
    turn, as recorded; the last one stays active."""
    store = JobStore(tmp / "roar.db", Path(ROOT))
    for session in sessions:
        await store.reset_session()
        for job in session.jobs:
            stored = JobRecord(**{**job.__dict__, "inputs": list(job.inputs), "outputs": list(job.outputs)})
            await store.add_job(stored)
    return store
