"""WorkspaceRegistry: the workspaces this daemon has open, and the ones it has ever served.

The list of known workspaces is kept in the user's state directory so a restarted daemon can
find runs that were in flight when its predecessor died.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roard.config import Config
from roard.errors import FailedPrecondition, storage_failure
from roard.lineage.store import JobStore
from roard.workspace import layout
from roard.workspace.layout import WorkspacePaths

log = logging.getLogger(__name__)


@dataclass
class Workspace:
    paths: WorkspacePaths
    store: JobStore

    @property
    def root(self) -> Path:
        return self.paths.root

    def config(self) -> Config:
        """Read fresh on each use: the user may edit config.toml at any time."""
        return Config.load(self.paths.config)


class WorkspaceRegistry:
    def __init__(self, state_dir: Path) -> None:
        self._open: dict[Path, Workspace] = {}
        self._known_file = state_dir / "workspaces.json"

    def open_roots(self) -> list[str]:
        return sorted(str(p) for p in self._open)

    def get(self, path: str) -> Workspace:
        """The workspace containing ``path`` (FailedPrecondition when there is none)."""
        ws_paths = layout.require_root(path)
        return self._open_paths(ws_paths)

    def _open_paths(self, ws_paths: WorkspacePaths) -> Workspace:
        ws = self._open.get(ws_paths.root)
        if ws is None:
            ws = Workspace(ws_paths, JobStore(ws_paths.db, ws_paths.root))
            self._open[ws_paths.root] = ws
            self._remember(ws_paths.root)
        return ws

    def setting(self, path: str, key: str) -> Any:
        """Config ``key`` of the workspace containing ``path``; "" when ``path`` is empty or not
        inside a workspace."""
        if not path:
            return ""
        try:
            return self.get(path).config()[key]
        except FailedPrecondition:
            return ""

    def init(self, path: Path, add_gitignore: bool) -> tuple[Workspace, bool, bool]:
        ws_paths, created = layout.create(path)
        gitignore = layout.add_to_gitignore(path) if add_gitignore else False
        return self._open_paths(ws_paths), created, gitignore

    def known_roots(self) -> list[Path]:
        try:
            roots = json.loads(self._known_file.read_text())
        except (OSError, ValueError):
            return []
        return [Path(r) for r in roots if isinstance(r, str)]

    def _remember(self, root: Path) -> None:
        known = {str(p) for p in self.known_roots()}
        if str(root) in known:
            return
        known.add(str(root))
        tmp = self._known_file.with_suffix(f".{os.getpid()}.tmp")
        try:
            self._known_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp.write_text(json.dumps(sorted(known), indent=1))
            os.replace(tmp, self._known_file)
        except OSError as exc:
            # Best effort: the list only lets a restarted daemon find unfinished runs sooner.
            reason = storage_failure(exc)
            if reason is None:
                raise
            tmp.unlink(missing_ok=True)
            log.warning("cannot remember workspace %s in %s (%s)", root, self._known_file, reason)

    async def close(self) -> None:
        for ws in self._open.values():
            await ws.store.close()
        self._open.clear()
