"""What clients do to a workspace's sessions: look at the active one, start a new one, pop its
last job (deleting that job's outputs inside the workspace when asked)."""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from roard.errors import InvalidArgument
from roard.events import EventBus
from roard.lineage.model import JobRecord
from roard.lineage.views import SessionSummary, session_summary
from roard.workspace.registry import Workspace, WorkspaceRegistry


@dataclass
class WorkspaceView:
    root: str
    db_path: str
    session: SessionSummary
    created: bool = False             # InitWorkspace: the workspace is new
    gitignore_updated: bool = False   # InitWorkspace: .roar/ was added to .gitignore


async def view(ws: Workspace) -> WorkspaceView:
    return WorkspaceView(str(ws.root), str(ws.paths.db), await session_summary(ws.store))


async def init(registry: WorkspaceRegistry, path: str, add_to_gitignore: bool) -> WorkspaceView:
    """Create (or find) the workspace at ``path``, with an active session."""
    if not path:
        raise InvalidArgument("InitWorkspace needs the directory to initialize")
    ws, created, gitignore = registry.init(Path(path), add_to_gitignore)
    await ws.store.active_session()
    result = await view(ws)
    result.created, result.gitignore_updated = created, gitignore
    return result


@dataclass
class NewSession:
    session_id: str
    created_at: float


async def reset_session(ws: Workspace, bus: EventBus) -> NewSession:
    sid = await ws.store.reset_session()
    bus.publish("session.reset", workspace=str(ws.root), message=sid)
    return NewSession(sid, await ws.store.session_created(sid))


@dataclass
class PoppedJob:
    job: JobRecord
    deleted_paths: list[str] = field(default_factory=list)


async def pop_job(ws: Workspace, delete_outputs: bool, bus: EventBus) -> PoppedJob:
    """Remove the active session's most recent job; with ``delete_outputs`` also its output
    files that live inside the workspace."""
    job = await ws.store.pop_job()
    deleted: list[str] = []
    if delete_outputs:
        deleted = await asyncio.to_thread(_delete_inside, [o.abs_path for o in job.outputs], str(ws.root))
    bus.publish("job.popped", workspace=str(ws.root), job_uid=job.uid, message=job.ref)
    return PoppedJob(job, deleted)


def _delete_inside(paths: list[str], root: str) -> list[str]:
    """Delete the files among ``paths`` that live inside ``root`` (never anything else)."""
    deleted = []
    for path in paths:
        if path.startswith(root.rstrip("/") + "/") and os.path.isfile(path):
            os.unlink(path)
            deleted.append(path)
    return deleted
