"""Tracer backends as the daemon sees them: whether each is usable and how to launch under it."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

NATIVE_DIR = Path(__file__).resolve().parent.parent / "_native"
PRELOAD_LIB = NATIVE_DIR / "libroar_preload.so"


@dataclass
class LaunchPlan:
    tracer: str
    argv_prefix: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def choose_backend(requested: str, default: str) -> str:
    """The backend a run uses. Only preload exists so far; ``auto`` means preload."""
    name = requested or default or "auto"
    return "preload" if name == "auto" else name


def launch_plan(backend: str, spool_dir: Path, caller_env: dict[str, str], run_id: str) -> LaunchPlan:
    from roard.errors import FailedPrecondition, InvalidArgument

    if backend != "preload":
        raise InvalidArgument(f"tracer {backend!r} is not available in this version; use auto or preload")
    if not PRELOAD_LIB.exists():
        raise FailedPrecondition(
            f"the preload tracer is not built ({PRELOAD_LIB} is missing); reinstall roar with a C "
            "compiler present (pip install -e .)")
    existing = caller_env.get("LD_PRELOAD", "")
    preload = str(PRELOAD_LIB) + (f":{existing}" if existing else "")
    return LaunchPlan(tracer="preload", environment={
        "LD_PRELOAD": preload, "ROAR_SPOOL_DIR": str(spool_dir), "ROAR_RUN_ID": run_id})


def native_dir() -> Path:
    return NATIVE_DIR


def is_usable(path: Path) -> bool:
    return path.exists() and os.access(path, os.R_OK)
