"""What roarctl agrees to exec for a run: roard's launch plan may only name roar's own installed
tracers (a launch prefix of roar-ptrace or roar-ebpf, LD_PRELOAD of libroar_preload.so), found
beside the roard package this roarctl belongs to, without importing it."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Mapping, Sequence

from roarctl.errors import ClientError

PREFIX_PROGRAMS = ("roar-ptrace", "roar-ebpf")
PRELOAD_LIBRARY = "libroar_preload.so"


def native_dir() -> Path | None:
    """roard/_native of the installation roarctl runs from, or None without one."""
    spec = importlib.util.find_spec("roard")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "_native"


def _ours(path: str, names: Sequence[str], native: Path | None) -> bool:
    if native is None or not path:
        return False
    real = Path(os.path.realpath(path))
    return real.parent == native and real.name in names


def check_launch(argv_prefix: Sequence[str], environment: Mapping[str, str],
                 own_environment: Mapping[str, str]) -> None:
    """Raise ClientError unless everything roard asks roarctl to run is one of roar's tracers
    (or, in LD_PRELOAD, what the user's own environment preloads already)."""
    native = native_dir()
    where = f"roar's tracers in {native}" if native else "roar's tracers (roard's package is not installed here)"
    if argv_prefix and not _ours(argv_prefix[0], PREFIX_PROGRAMS, native):
        raise ClientError(f"refusing to run the launch prefix {argv_prefix[0]!r} roard sent: it is not one of {where}")
    own = set(own_environment.get("LD_PRELOAD", "").replace(" ", ":").split(":"))
    for entry in environment.get("LD_PRELOAD", "").replace(" ", ":").split(":"):
        if entry and entry not in own and not _ours(entry, (PRELOAD_LIBRARY,), native):
            raise ClientError(f"refusing to preload {entry!r} as roard asked: it is not one of {where}")
    ptrace = environment.get("ROAR_PTRACE")
    if ptrace is not None and not _ours(ptrace, ("roar-ptrace",), native):
        raise ClientError(f"refusing ROAR_PTRACE={ptrace!r} from roard: it is not one of {where}")
