"""The reproduce service: plans and reproductions, each found in the workspace that recorded
the target. One per daemon, built in ``roard/daemon.py`` with its collaborators."""
from __future__ import annotations

from typing import Awaitable, Callable

from roard.errors import NotFound
from roard.hashing import HashCache
from roard.lineage.artifacts import is_hash_prefix
from roard.reproduce.execute import Emit, Options, Reproduction
from roard.reproduce.plan import Plan, make_plan, workspace_for
from roard.reproduce.verdict import Verdict
from roard.runs.spawned import SpawnedRuns
from roard.workspace.registry import Workspace, WorkspaceRegistry

#: (cwd, hash) -> the workspace the lineage was imported into, and from where: lineage that only
#: the configured GLaaS server knows (roard/registration/remote.py).
RemoteLineage = Callable[[str, str], Awaitable[tuple[Workspace, str]]]


class Reproductions:
    def __init__(self, registry: WorkspaceRegistry, runs: SpawnedRuns, hashes: HashCache) -> None:
        self.registry = registry
        self.runs = runs
        self.hashes = hashes
        self.remote: RemoteLineage | None = None

    async def _workspace(self, cwd: str, ref: str, lineage: bool) -> tuple[Workspace, str]:
        """The workspace that recorded ``ref``; else, for an artifact hash, the current one
        with the lineage fetched from the server (returned second; "" when local)."""
        try:
            ws = await workspace_for(self.registry, cwd, ref, lineage)
            if lineage or self.remote is None or not is_hash_prefix(ref.strip()) \
                    or await ws.store.find_hashes(ref.strip().lower()):
                return ws, ""
        except NotFound:
            if lineage or self.remote is None or not is_hash_prefix(ref.strip()):
                raise
        return await self.remote(cwd, ref)

    async def plan(self, cwd: str, ref: str, lineage: bool, directory: str = "", python: str = "") -> Plan:
        """What reproducing ``ref`` takes; changes nothing."""
        ws, server = await self._workspace(cwd, ref, lineage)
        plan = await make_plan(ws, self.registry, self.hashes, ref, lineage, cwd, directory, python)
        if server:
            plan.notes.insert(0, f"no workspace of yours recorded it; the lineage came from {server}")
        return plan

    async def reproduce(self, options: Options, emit: Emit) -> Verdict:
        """Carry the plan out, emitting progress and step output; returns the verdict."""
        ws, _ = await self._workspace(options.cwd, options.ref, options.lineage)
        return await Reproduction(ws, self.registry, self.runs, self.hashes, options, emit).run()
