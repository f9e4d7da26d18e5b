"""The reproduce service: plans and reproductions, each found in the workspace that recorded
the target. One per daemon, built in ``roard/daemon.py`` with its collaborators."""
from __future__ import annotations

from roard.hashing import HashCache
from roard.reproduce.execute import Emit, Options, Reproduction
from roard.reproduce.plan import Plan, make_plan, workspace_for
from roard.reproduce.verdict import Verdict
from roard.runs.manager import RunManager
from roard.workspace.registry import WorkspaceRegistry


class Reproductions:
    def __init__(self, registry: WorkspaceRegistry, runs: RunManager, hashes: HashCache) -> None:
        self.registry = registry
        self.runs = runs
        self.hashes = hashes

    async def plan(self, cwd: str, ref: str, lineage: bool, directory: str = "", python: str = "") -> Plan:
        """What reproducing ``ref`` takes; changes nothing."""
        ws = await workspace_for(self.registry, cwd, ref, lineage)
        return await make_plan(ws, self.registry, self.hashes, ref, lineage, cwd, directory, python)

    async def reproduce(self, options: Options, emit: Emit) -> Verdict:
        """Carry the plan out, emitting progress and step output; returns the verdict."""
        ws = await workspace_for(self.registry, options.cwd, options.ref, options.lineage)
        return await Reproduction(ws, self.registry, self.runs, self.hashes, options, emit).run()
