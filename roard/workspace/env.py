"""A workspace's injected environment (``.roar/env.json``): variables set with `roarctl env`
and added to every run and build of the workspace."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from roard.errors import InvalidArgument, NotFound

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Set by roar itself for the tracer; a workspace cannot override them.
RESERVED = ("LD_PRELOAD", "ROAR_SPOOL_DIR", "ROAR_RUN_ID")


def load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise InvalidArgument(f"{path} is not valid JSON ({exc}); fix or delete it") from None
    return {str(k): str(v) for k, v in data.items()}


def _save(path: Path, env: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(env.items())), indent=1), encoding="utf-8")
    os.replace(tmp, path)


def set_var(path: Path, name: str, value: str) -> None:
    if not _NAME.match(name):
        raise InvalidArgument(f"{name!r} is not a valid environment variable name")
    if name in RESERVED:
        raise InvalidArgument(f"{name} is set by roar's tracer and cannot be overridden")
    env = load(path)
    env[name] = value
    _save(path, env)


def unset_var(path: Path, name: str) -> str:
    env = load(path)
    if name not in env:
        raise NotFound(f"{name} is not set in this workspace (see `roarctl env list`)")
    value = env.pop(name)
    _save(path, env)
    return value
