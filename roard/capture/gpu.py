"""GPU facts: what a person needs to judge whether a GPU run will come back.

Two halves:

* the machine (``GpuHost``): each GPU's name, memory, compute capability, UUID and PCI bus, the
  driver version and the CUDA version the driver supports. Asking ``nvidia-smi`` costs ~100 ms
  or more, so ``HostGpuProbe`` asks once and asks again only when the loaded driver changed
  (``/proc/driver/nvidia/version``, a cheap read, is the key).
* the job (``JobGpuFacts``): which GPU devices its processes actually opened (``/dev/nvidia<N>``
  events from the tracer, N being the device minor), the CUDA runtime and cuDNN its framework
  actually loaded (versions from the libraries' sonames, or their real file names when those
  carry the full version), and ``CUDA_VISIBLE_DEVICES``.

Parsing is pure and tested against real output captured on an H200 (tests/data/gpu-h200/).
Blocking; callers run it off the event loop.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

PROC_DRIVER = "/proc/driver/nvidia"
QUERY_FIELDS = "index,name,uuid,memory.total,compute_cap,driver_version,pci.bus_id"

_DEVICE = re.compile(r"^/dev/nvidia(\d+)$")
#: Library file name -> the component it is. Only what decides whether numbers come back.
_LIBRARIES = {
    "libcudart": "cuda_runtime",
    "libcudnn": "cudnn",
    "libcublas": "cublas",
    "libnccl": "nccl",
    "libcuda": "cuda_driver",
}
_LIB_NAME = re.compile(r"^(lib[A-Za-z_]+?)\.so(?:\.(\d+(?:\.\d+)*))?$")
_SMI_HEADER = re.compile(r"Driver Version:\s*(\S+)\s+CUDA Version:\s*(\S+)")
_NVRM = re.compile(r"NVRM version:.*?\s(\d+\.\d+(?:\.\d+)?)\s")


@dataclass(frozen=True)
class GpuDevice:
    index: int
    name: str
    uuid: str
    memory_mib: int
    compute_capability: str
    pci_bus_id: str
    minor: int | None = None   #: N of /dev/nvidiaN, from /proc/driver/nvidia/gpus/*/information


@dataclass(frozen=True)
class GpuHost:
    driver_version: str
    cuda_version: str          #: the newest CUDA the driver supports (nvidia-smi's header)
    devices: tuple[GpuDevice, ...] = ()

    def device_by_minor(self, minor: int) -> GpuDevice | None:
        for dev in self.devices:
            if (dev.minor if dev.minor is not None else dev.index) == minor:
                return dev
        return None


@dataclass(frozen=True)
class GpuLibrary:
    component: str             #: cuda_runtime, cudnn, cublas, nccl, cuda_driver
    version: str               #: as precise as the file name tells ("13", "9.19.0")
    path: str


@dataclass(frozen=True)
class JobGpuFacts:
    devices_opened: tuple[GpuDevice, ...] = ()
    device_minors_opened: tuple[int, ...] = ()
    libraries: tuple[GpuLibrary, ...] = ()
    cuda_visible_devices: str | None = None
    host: GpuHost | None = None

    @property
    def cuda_runtime(self) -> str:
        return _version_of(self.libraries, "cuda_runtime")

    @property
    def cudnn(self) -> str:
        return _version_of(self.libraries, "cudnn")

    def summary(self) -> str:
        """One line for a person: the GPUs the job used and the CUDA/cuDNN it loaded."""
        used = ", ".join(f"{d.name} #{d.index}" for d in self.devices_opened) or (
            ", ".join(f"/dev/nvidia{m}" for m in self.device_minors_opened))
        parts = [used or "no GPU opened"]
        if self.cuda_runtime:
            parts.append(f"CUDA runtime {self.cuda_runtime}")
        if self.cudnn:
            parts.append(f"cuDNN {self.cudnn}")
        if self.host:
            parts.append(f"driver {self.host.driver_version}")
        return "; ".join(parts)


def _version_of(libraries: Iterable[GpuLibrary], component: str) -> str:
    versions = sorted({lib.version for lib in libraries if lib.component == component},
                      key=lambda v: [int(p) for p in v.split(".") if p.isdigit()], reverse=True)
    return versions[0] if versions else ""


# --- parsing (pure) -----------------------------------------------------------------------------

def parse_query_gpu(text: str) -> list[GpuDevice]:
    """``nvidia-smi --query-gpu=QUERY_FIELDS --format=csv[,noheader[,nounits]]`` output."""
    devices = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 7 or not cells[0].isdigit():   # the header, or a line we don't know
            continue
        index, name, uuid, memory, cc, _driver, bus = cells
        mem = memory.split()[0] if memory else "0"
        devices.append(GpuDevice(index=int(index), name=name, uuid=uuid,
                                 memory_mib=int(mem) if mem.isdigit() else 0,
                                 compute_capability=cc, pci_bus_id=bus))
    return devices


def parse_driver_of_query(text: str) -> str:
    for line in text.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) == 7 and cells[0].isdigit():
            return cells[5]
    return ""


def parse_smi_header(text: str) -> tuple[str, str]:
    """(driver version, CUDA version) from plain ``nvidia-smi``'s banner."""
    m = _SMI_HEADER.search(text)
    return (m.group(1), m.group(2)) if m else ("", "")


def parse_proc_version(text: str) -> str:
    """The driver version from ``/proc/driver/nvidia/version``."""
    m = _NVRM.search(text)
    return m.group(1) if m else ""


def parse_gpu_information(text: str) -> tuple[str, int | None, str]:
    """(UUID, device minor, bus location) from ``/proc/driver/nvidia/gpus/*/information``."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    minor = fields.get("Device Minor", "")
    return fields.get("GPU UUID", ""), int(minor) if minor.isdigit() else None, fields.get("Bus Location", "")


def library_of(path: str, real_path: str | None = None) -> GpuLibrary | None:
    """The GPU component a loaded library is, with the most precise version its names tell:
    ``libcudart.so.13`` says 13; its real file ``libcudart.so.13.0.96`` says 13.0.96."""
    best: GpuLibrary | None = None
    for candidate in (path, real_path):
        if not candidate:
            continue
        m = _LIB_NAME.match(os.path.basename(candidate))
        if not m or m.group(1) not in _LIBRARIES:
            continue
        version = m.group(2) or ""
        if best is None or len(version.split(".")) > len(best.version.split(".")) or not best.version:
            best = GpuLibrary(_LIBRARIES[m.group(1)], version, path)
    return best


def device_minor(path: str) -> int | None:
    """N for ``/dev/nvidiaN`` (a GPU); None for anything else, ``/dev/nvidiactl`` included."""
    m = _DEVICE.match(path)
    return int(m.group(1)) if m else None


def job_facts(opened: Iterable[str], libraries: Iterable[str], env: Mapping[str, str],
              host: GpuHost | None, real_path: Callable[[str], str] = os.path.realpath) -> JobGpuFacts | None:
    """What one job did with GPUs, from the paths its processes opened, the libraries they
    loaded and its environment. None when it touched no GPU device or library."""
    minors = sorted({m for m in (device_minor(p) for p in opened) if m is not None})
    libs: dict[tuple[str, str], GpuLibrary] = {}
    for path in libraries:   # one entry per file: a soname and its real name are the same file
        if not _LIB_NAME.match(os.path.basename(path)):
            continue   # not a shared library's name: no realpath (a job may read 1,000,000 data files)
        real = _safe(real_path, path)
        lib = library_of(path, real)
        if lib and (lib.component, real or path) not in libs:
            libs[(lib.component, real or path)] = lib
    if not minors and not libs:
        return None
    devices = tuple(d for d in (host.device_by_minor(m) if host else None for m in minors) if d)
    return JobGpuFacts(devices_opened=devices, device_minors_opened=tuple(minors),
                       libraries=tuple(sorted(libs.values(), key=lambda l: (l.component, l.path))),
                       cuda_visible_devices=env.get("CUDA_VISIBLE_DEVICES"), host=host)


def _safe(fn: Callable[[str], str], path: str) -> str | None:
    try:
        return fn(path)
    except OSError:
        return None


# --- probing the machine ------------------------------------------------------------------------

Runner = Callable[[list[str]], str]


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


@dataclass
class HostGpuProbe:
    """The machine's GPUs, asked of ``nvidia-smi`` at most once per loaded driver.

    ``/proc/driver/nvidia/version`` is read on every call (microseconds); while it is unchanged
    the cached answer stands. A machine with neither the driver nor ``nvidia-smi`` is never
    probed at all."""

    proc_root: str = PROC_DRIVER
    run: Runner = _run
    which: Callable[[str], str | None] = shutil.which
    calls: int = 0             #: how many times nvidia-smi was asked (for tests and logs)
    _key: str | None = None
    _host: GpuHost | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def host(self) -> GpuHost | None:
        key = _read(os.path.join(self.proc_root, "version"))
        with self._lock:
            if self._key is not None and key == self._key:
                return self._host
            self._key = key
            self._host = self._probe(key)
            return self._host

    def _probe(self, proc_version: str) -> GpuHost | None:
        if not proc_version and not self.which("nvidia-smi"):
            return None
        devices: list[GpuDevice] = []
        driver, cuda = parse_proc_version(proc_version), ""
        if self.which("nvidia-smi"):
            self.calls += 1
            try:
                banner = self.run(["nvidia-smi"])
                query = self.run(["nvidia-smi", f"--query-gpu={QUERY_FIELDS}", "--format=csv,noheader,nounits"])
            except (OSError, subprocess.SubprocessError):
                banner = query = ""
            driver = parse_driver_of_query(query) or parse_smi_header(banner)[0] or driver
            cuda = parse_smi_header(banner)[1]
            devices = parse_query_gpu(query)
        minors = self._minors_by_bus()
        devices = [_with_minor(d, minors) for d in devices]
        if not driver and not devices:
            return None
        return GpuHost(driver_version=driver, cuda_version=cuda, devices=tuple(devices))

    def _minors_by_bus(self) -> dict[str, int]:
        out: dict[str, int] = {}
        gpus = os.path.join(self.proc_root, "gpus")
        try:
            entries = os.listdir(gpus)
        except OSError:
            return out
        for entry in entries:
            _uuid, minor, bus = parse_gpu_information(_read(os.path.join(gpus, entry, "information")))
            if minor is not None:
                out[_bus_key(bus or entry)] = minor
        return out


def _with_minor(dev: GpuDevice, minors: Mapping[str, int]) -> GpuDevice:
    minor = minors.get(_bus_key(dev.pci_bus_id))
    if minor is None:
        return dev
    return GpuDevice(dev.index, dev.name, dev.uuid, dev.memory_mib, dev.compute_capability,
                     dev.pci_bus_id, minor)


def _bus_key(bus: str) -> str:
    """nvidia-smi says 00000000:00:06.0, /proc says 0000:00:06.0: compare bus:device.function."""
    return ":".join(bus.lower().split(":")[-2:])


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""
