"""`reproduce --package-sync`: install the system (dpkg) packages the steps used, where the
platform allows (dpkg and apt present, and root or passwordless sudo). Blocking."""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Callable

from roard.capture.system_packages import installed_versions
from roard.errors import FailedPrecondition
from roard.lineage.model import JobRecord


def recorded(steps: list[JobRecord]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for job in steps:
        for pkg in job.runtime.system_packages:
            wanted.setdefault(pkg.name, pkg.version)
    return wanted


def _privilege() -> list[str] | None:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def sync(wanted: dict[str, str], log: Callable[[str], None]) -> list[str]:
    """Install what is missing; returns notes for the verdict (version differences included)."""
    if not wanted:
        return ["--package-sync: the steps recorded no system packages"]
    if not shutil.which("dpkg") or not shutil.which("apt-get"):
        return [f"--package-sync: this platform has no dpkg/apt; install these yourself: "
                f"{', '.join(f'{n}={v}' for n, v in sorted(wanted.items()))}"]
    have = installed_versions()
    missing = {n: v for n, v in wanted.items() if n not in have}
    notes = [f"system package {n}: recorded {v}, installed {have[n]}"
             for n, v in sorted(wanted.items()) if n in have and v and have[n] != v]
    if not missing:
        return notes + [f"--package-sync: all {len(wanted)} recorded system package(s) are installed"]
    prefix = _privilege()
    if prefix is None:
        raise FailedPrecondition("--package-sync needs root or passwordless sudo to install: "
                                 + ", ".join(sorted(missing)))
    specs = [f"{n}={v}" if v else n for n, v in sorted(missing.items())]
    log(f"installing system packages: {' '.join(specs)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run(prefix + ["apt-get", "install", "-y", "--no-install-recommends", *specs],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        last = [line for line in proc.stderr.splitlines() if line.strip()]
        raise FailedPrecondition(f"installing system packages failed: {last[-1] if last else 'apt-get failed'}")
    return notes + [f"--package-sync installed {len(specs)} system package(s): {', '.join(specs)}"]
