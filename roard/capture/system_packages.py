"""The system (dpkg) packages a job used: the owners of the system files it read or ran.

System paths are filtered out of a job's inputs (they are not data), but which packages they
came from is part of its runtime: `roarctl reproduce --package-sync` installs them. The index of
dpkg's file lists is built once per daemon (about 0.1 s for 700 packages) and rebuilt when dpkg
changes. Blocking; callers run it off the event loop. Empty on systems without dpkg.
"""
from __future__ import annotations

import functools
import glob
import os
from typing import Iterable

DPKG_DIR = "/var/lib/dpkg"


@functools.lru_cache(maxsize=1)
def _index(stamp: int) -> tuple[dict[str, str], dict[str, str]]:
    """(path -> package, package -> installed version), for one state of dpkg's database."""
    owners: dict[str, str] = {}
    for listing in glob.glob(f"{DPKG_DIR}/info/*.list"):
        name = os.path.basename(listing)[:-5].split(":", 1)[0]
        try:
            with open(listing, encoding="utf-8", errors="surrogateescape") as f:
                for line in f:
                    owners[line.rstrip("\n")] = name
        except OSError:
            continue
    return owners, installed_versions()


def installed_versions() -> dict[str, str]:
    """Installed packages and their versions, from dpkg's status file."""
    versions: dict[str, str] = {}
    name = version = ""
    installed = False
    try:
        with open(f"{DPKG_DIR}/status", encoding="utf-8", errors="replace") as f:
            for line in list(f) + [""]:
                if line.startswith("Package:"):
                    name = line[8:].strip()
                elif line.startswith("Version:"):
                    version = line[8:].strip()
                elif line.startswith("Status:"):
                    installed = line.split()[-1] == "installed"
                elif not line.strip():
                    if name and installed:
                        versions[name] = version
                    name = version = ""
                    installed = False
    except OSError:
        return {}
    return versions


def _stamp() -> int:
    try:
        return os.stat(f"{DPKG_DIR}/status").st_mtime_ns
    except OSError:
        return 0


def _aliases(path: str) -> Iterable[str]:
    """dpkg lists a file under the name it was packaged with; on merged-/usr systems the path
    read may be /lib/... for a file listed as /usr/lib/... or the other way round."""
    yield path
    if path.startswith("/usr/"):
        yield path[4:]
    else:
        yield "/usr" + path
    real = os.path.realpath(path)
    if real != path:
        yield real


def packages_for(paths: Iterable[str]) -> list[dict[str, str]]:
    """The installed packages that own ``paths``: [{"name", "version"}], sorted."""
    stamp = _stamp()
    if not stamp:
        return []
    owners, versions = _index(stamp)
    found: dict[str, str] = {}
    for path in paths:
        for alias in _aliases(path):
            name = owners.get(alias)
            if name:
                found[name] = versions.get(name, "")
                break
    return [{"name": n, "version": v} for n, v in sorted(found.items())]
