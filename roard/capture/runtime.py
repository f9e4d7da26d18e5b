"""The runtime a job ran on: host, and for Python jobs the interpreter and its packages.

Packages are derived from what the job read: a file under ``.../site-packages/<top>/`` belongs
to the distribution whose RECORD lists it. Blocking; callers run it off the event loop.
"""
from __future__ import annotations

import csv
import functools
import json
import os
import platform
import re
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from roard import records
from roard.capture import gpu as gpu_facts
from roard.capture.gpu import GpuDevice, GpuLibrary


@dataclass(frozen=True)
class Package:
    name: str
    version: str


def _packages(items: Iterable[Any]) -> list[Package]:
    return [p if isinstance(p, Package) else Package(str(p["name"]), str(p.get("version", ""))) for p in items]


@dataclass
class Runtime(records.DictView):
    """What a job ran on: the host (name, OS, CPU, GPUs), the interpreter and the packages
    (Python distributions it imported and those installed; dpkg packages it read). Stored as
    versioned JSON (``roard/records.py``)."""

    VERSION = 1

    hostname: str = ""
    os: str = ""
    cpu: str = ""
    gpu: str = ""                     # each GPU's name and driver, "; "-separated
    # The machine's GPUs and driver (one nvidia-smi per loaded driver: gpu.HostGpuProbe).
    gpus: list[GpuDevice] = field(default_factory=list)
    gpu_driver: str = ""
    cuda_version: str = ""            # the newest CUDA the driver supports
    # What the job itself did with them: the /dev/nvidia<N> it opened (N, and those GPUs'
    # UUIDs), the CUDA runtime and cuDNN its processes loaded, and CUDA_VISIBLE_DEVICES.
    gpu_devices_opened: list[int] = field(default_factory=list)
    gpu_uuids_opened: list[str] = field(default_factory=list)
    cuda_runtime: str = ""
    cudnn: str = ""
    gpu_libraries: list[GpuLibrary] = field(default_factory=list)
    cuda_visible_devices: str | None = None
    python_executable: str = ""
    python_version: str = ""
    packages_used: list[Package] = field(default_factory=list)
    packages_installed: list[Package] = field(default_factory=list)
    system_packages: list[Package] = field(default_factory=list)

    @property
    def captured(self) -> bool:
        """The host was recorded (jobs recorded before runtimes were, or by hand, have none)."""
        return bool(self.os)

    def to_json(self) -> dict[str, Any]:
        return records.dump(self, self.VERSION)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Runtime":
        fields = records.known_fields(cls, data, cls.VERSION)
        for name in ("packages_used", "packages_installed", "system_packages"):
            fields[name] = _packages(fields.get(name) or [])
        fields["gpus"] = [d if isinstance(d, GpuDevice) else GpuDevice(**d) for d in fields.get("gpus") or []]
        fields["gpu_libraries"] = [lib if isinstance(lib, GpuLibrary) else GpuLibrary(**lib)
                                   for lib in fields.get("gpu_libraries") or []]
        return cls(**fields)


_SITE = re.compile(r"^(.*/(?:site|dist)-packages)/([^/]+)")
#: Modules that .pth files make every interpreter import at start-up.
_STARTUP_HOOKS = ("_distutils_hack", "__editable__", "_virtualenv")
_PY_EXE = re.compile(r"^python(\d+(\.\d+)?)?$")


@functools.lru_cache(maxsize=1)
def host_info() -> dict[str, str]:
    """Hostname, OS and CPU; computed once per daemon. GPUs: ``gpu_runtime``."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"hostname": socket.gethostname(), "os": platform.platform(),
            "cpu": f"{cpu} ({os.cpu_count()} cores)"}


#: The machine's GPUs, asked of nvidia-smi once per daemon and loaded driver.
GPU_PROBE = gpu_facts.HostGpuProbe()


def gpu_runtime(paths: Iterable[str], cuda_visible_devices: str | None,
                probe: gpu_facts.HostGpuProbe = GPU_PROBE) -> dict[str, Any]:
    """The GPU fields of a job's ``Runtime``: the machine's GPUs, and what the job did with
    them, from every path its processes opened or loaded (``/dev/nvidia<N>``, CUDA libraries)."""
    host = probe.host()
    out: dict[str, Any] = {"cuda_visible_devices": cuda_visible_devices}
    if host:
        out.update(gpu="; ".join(f"{d.name}, {host.driver_version}" for d in host.devices),
                   gpus=list(host.devices), gpu_driver=host.driver_version, cuda_version=host.cuda_version)
    paths = list(paths)
    used = gpu_facts.job_facts(paths, paths, {}, host)
    if used:
        out.update(gpu_devices_opened=list(used.device_minors_opened),
                   gpu_uuids_opened=[d.uuid for d in used.devices_opened],
                   cuda_runtime=used.cuda_runtime, cudnn=used.cudnn, gpu_libraries=list(used.libraries))
    return out


def is_python_executable(path: str) -> bool:
    return bool(_PY_EXE.match(os.path.basename(path)))


_PROBE = ("import json, site, sys, sysconfig; p = sysconfig.get_paths(); "
          "print(json.dumps(['%d.%d.%d' % sys.version_info[:3], "
          "sorted({p['purelib'], p['platlib'], *site.getsitepackages()}), sys.path]))")


@functools.lru_cache(maxsize=32)
def _python_probe(exe: str, mtime_ns: int) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    try:
        out = subprocess.run([exe, "-I", "-c", _PROBE], capture_output=True, text=True, timeout=20,
                             env={"PATH": "/usr/bin:/bin"})
        version, sites, sys_path = json.loads(out.stdout)
        return version, tuple(sites), tuple(p for p in sys_path if p)
    except (OSError, subprocess.SubprocessError, ValueError):
        return "", (), ()


def _probe(exe: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    try:
        return _python_probe(exe, os.stat(exe).st_mtime_ns)
    except OSError:
        return "", (), ()


def python_probe(exe: str) -> tuple[str, tuple[str, ...]]:
    """(version, site-packages dirs) of an interpreter; cached while the executable is unchanged."""
    version, sites, _ = _probe(exe)
    return version, sites


def package_roots(executables: Iterable[str], pythonpath: str, workspace: str) -> tuple[str, ...]:
    """Directories whose files are the traced interpreters' packages, not data: each one's
    ``sys.path`` (probed isolated) and the job's ``PYTHONPATH`` entries (``pip install --target``
    dirs), as physical paths. The workspace's own code is not a package: an entry that is the
    workspace or holds it is left out, and one inside it counts only when pip installed into it
    (it holds ``*.dist-info``)."""
    entries = [p for exe in dict.fromkeys(executables) if is_python_executable(exe) for p in _probe(exe)[2]]
    entries += [p for p in pythonpath.split(os.pathsep) if os.path.isabs(p)]
    ws = workspace.rstrip("/")
    roots: list[str] = []
    for entry in dict.fromkeys(entries):
        root = os.path.realpath(entry).rstrip("/")
        if not root or ws == root or ws.startswith(root + "/") or not os.path.isdir(root):
            continue
        if root.startswith(ws + "/") and not _holds_dist_info(root):
            continue
        roots.append(root)
    return tuple(roots)


def _holds_dist_info(directory: str) -> bool:
    try:
        return any(e.name.endswith((".dist-info", ".egg-info")) for e in os.scandir(directory))
    except OSError:
        return False


def _package_root(path: str, roots: tuple[str, ...]) -> tuple[str, str] | None:
    """(root, top-level entry) of a package file: under site-packages, or a ``package_roots`` dir."""
    m = _SITE.match(path)
    if m:
        return m.group(1), m.group(2)
    best = max((r for r in roots if path.startswith(r + "/")), key=len, default="")
    if not best:
        return None
    return best, path[len(best) + 1:].split("/", 1)[0]


def _dist_name_version(dist_info: Path) -> tuple[str, str] | None:
    name = version = ""
    try:
        with open(dist_info / "METADATA", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("Name:"):
                    name = line[5:].strip()
                elif line.startswith("Version:"):
                    version = line[8:].strip()
                elif not line.strip():
                    break
    except OSError:
        stem = dist_info.name.rsplit(".", 1)[0]
        if "-" in stem:
            name, version = stem.split("-", 1)
    return (name, version) if name else None


@functools.lru_cache(maxsize=64)
def _site_index(site: str, mtime_ns: int) -> tuple[dict[str, tuple[str, str]], tuple[tuple[str, str], ...]]:
    """For one site-packages dir: top-level entry -> (dist, version), and every installed dist."""
    owners: dict[str, tuple[str, str]] = {}
    installed: list[tuple[str, str]] = []
    try:
        entries = list(os.scandir(site))
    except OSError:
        return owners, ()
    for entry in entries:
        if not entry.name.endswith(".dist-info"):
            continue
        nv = _dist_name_version(Path(entry.path))
        if nv is None:
            continue
        installed.append(nv)
        try:
            with open(os.path.join(entry.path, "RECORD"), encoding="utf-8", errors="replace", newline="") as f:
                for row in csv.reader(f):
                    if row:
                        top = row[0].split("/", 1)[0]
                        if not top.endswith(".dist-info") and not top.startswith(".."):
                            owners.setdefault(top, nv)
        except OSError:
            continue
    return owners, tuple(sorted(installed, key=lambda nv: nv[0].lower()))


def site_index(site: str) -> tuple[dict[str, tuple[str, str]], tuple[tuple[str, str], ...]]:
    try:
        return _site_index(site, os.stat(site).st_mtime_ns)
    except OSError:
        return {}, ()


def python_runtime(executables: Iterable[str], paths_read: Iterable[str],
                   roots: tuple[str, ...] = ()) -> dict[str, object]:
    """Interpreter and packages of a Python job, or {} when no Python ran. ``roots``: more
    package directories than site-packages (``package_roots``)."""
    pythons = [e for e in executables if is_python_executable(e)]
    used: dict[str, str] = {}
    sites: set[str] = set()
    for path in paths_read:
        found = _package_root(path, roots)
        if not found or path.endswith(".pth") or found[1].startswith(_STARTUP_HOOKS):
            continue  # read by every interpreter start (.pth hooks), not imported by the job
        site, top = found
        sites.add(site)
        owners, _ = site_index(site)
        nv = owners.get(top)
        if nv is None:
            base = top.split(".", 1)[0]
            nv = owners.get(base)
        if nv:
            used[nv[0]] = nv[1]
    if not pythons and not used:
        return {}
    exe = pythons[0] if pythons else ""
    py_version, probed_sites = python_probe(exe) if exe else ("", ())
    installed: dict[str, str] = {}
    for site in sorted(sites | set(probed_sites)):
        for name, dist_version in site_index(site)[1]:
            installed.setdefault(name, dist_version)
    return {
        "python_executable": exe,
        "python_version": py_version,
        "packages_used": [{"name": n, "version": v} for n, v in sorted(used.items(), key=lambda x: x[0].lower())],
        "packages_installed": [{"name": n, "version": v}
                               for n, v in sorted(installed.items(), key=lambda x: x[0].lower())],
    }
