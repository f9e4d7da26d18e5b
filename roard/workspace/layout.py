"""Where things live inside a workspace, and how to find and create one."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from roard.config import DEFAULT_CONFIG_TOML
from roard.errors import FailedPrecondition, InvalidArgument

ROAR_DIR = ".roar"


@dataclass(frozen=True)
class WorkspacePaths:
    root: Path

    @property
    def roar_dir(self) -> Path:
        return self.root / ROAR_DIR

    @property
    def db(self) -> Path:
        return self.roar_dir / "roar.db"

    @property
    def config(self) -> Path:
        return self.roar_dir / "config.toml"

    @property
    def runs(self) -> Path:
        return self.roar_dir / "runs"

    @property
    def env(self) -> Path:
        return self.roar_dir / "env.json"

    @property
    def diffs(self) -> Path:
        return self.roar_dir / "diffs"


def find_root(start: str | os.PathLike[str]) -> Path | None:
    """The nearest directory at or above ``start`` that holds ``.roar/config.toml``."""
    path = Path(start).absolute()
    for candidate in (path, *path.parents):
        if (candidate / ROAR_DIR / "config.toml").is_file():
            return candidate
    return None


def require_root(start: str | os.PathLike[str]) -> WorkspacePaths:
    if not start or not os.path.isabs(start):
        raise InvalidArgument("a workspace path must be absolute")
    root = find_root(start)
    if root is None:
        raise FailedPrecondition(
            f"{start} is not inside a roar workspace; run `roarctl init` there first (or pass --init)")
    return WorkspacePaths(root)


def create(path: Path) -> tuple[WorkspacePaths, bool]:
    """Create ``.roar/`` with its config and folders; returns (paths, created)."""
    if not path.is_absolute():
        raise InvalidArgument("a workspace path must be absolute")
    if not path.is_dir():
        raise InvalidArgument(f"{path} is not a directory")
    ws = WorkspacePaths(path)
    created = not ws.config.exists()
    ws.roar_dir.mkdir(exist_ok=True)
    ws.runs.mkdir(exist_ok=True)
    ws.diffs.mkdir(exist_ok=True)
    if created:
        tmp = ws.config.with_suffix(".tmp")
        tmp.write_text(DEFAULT_CONFIG_TOML, encoding="utf-8")
        os.replace(tmp, ws.config)
    return ws, created


def add_to_gitignore(root: Path) -> bool:
    """Add ``.roar/`` to the workspace's .gitignore; False when it is already ignored there."""
    gi = root / ".gitignore"
    lines = gi.read_text(encoding="utf-8").splitlines() if gi.exists() else []
    if any(line.strip() in (".roar", ".roar/", "/.roar", "/.roar/") for line in lines):
        return False
    text = "\n".join(lines)
    if text and not text.endswith("\n"):
        text += "\n"
    gi.write_text(text + ".roar/\n", encoding="utf-8")
    return True
