"""Tracer backends as the daemon sees them: whether each is usable here, and how to launch a
command under it. The tracers themselves are native code in ``tracers/`` built into ``_native/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from roard.errors import FailedPrecondition, InvalidArgument

NATIVE_DIR = Path(__file__).resolve().parent.parent / "_native"
PRELOAD_LIB = NATIVE_DIR / "libroar_preload.so"
PTRACE_BIN = NATIVE_DIR / "roar-ptrace"
BACKENDS = ("preload", "ptrace", "ebpf")
DESCRIPTIONS = {
    "preload": "LD_PRELOAD shim: fastest; blind to static binaries, raw syscalls and set-uid programs",
    "ptrace": "seccomp + ptrace: sees every syscall of every process, including static binaries",
    "ebpf": "kernel probes: needs root or CAP_BPF+CAP_PERFMON, BTF and tracefs",
}


@dataclass
class LaunchPlan:
    tracer: str
    argv_prefix: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackendStatus:
    name: str
    usable: bool
    reason: str
    path: str
    description: str


def _ptrace_scope() -> int:
    try:
        return int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip())
    except (OSError, ValueError):
        return 0


def _seccomp_available() -> bool:
    try:
        return "Seccomp:" in Path("/proc/self/status").read_text()
    except OSError:
        return False


def backend_status(name: str) -> BackendStatus:
    """Whether ``name`` can trace on this machine, and if not exactly why."""
    desc = DESCRIPTIONS[name]
    if name == "preload":
        if not PRELOAD_LIB.exists():
            return BackendStatus(name, False, f"{PRELOAD_LIB} is missing: reinstall roar with a C compiler "
                                 "present (pip install -e .)", str(PRELOAD_LIB), desc)
        return BackendStatus(name, True, "", str(PRELOAD_LIB), desc)
    if name == "ptrace":
        if not PTRACE_BIN.exists():
            return BackendStatus(name, False, f"{PTRACE_BIN} is missing: reinstall roar with a C compiler "
                                 "present (pip install -e .)", str(PTRACE_BIN), desc)
        if _ptrace_scope() >= 3:
            return BackendStatus(name, False, "ptrace is disabled (kernel.yama.ptrace_scope = 3)",
                                 str(PTRACE_BIN), desc)
        if not _seccomp_available():
            return BackendStatus(name, False, "the kernel has no seccomp support", str(PTRACE_BIN), desc)
        return BackendStatus(name, True, "", str(PTRACE_BIN), desc)
    return BackendStatus(name, False, "the eBPF backend is not part of this version of roar", "", desc)


def auto_choice() -> str:
    return "preload" if backend_status("preload").usable else "ptrace"


def is_static_executable(path: str) -> bool:
    """An ELF program without an interpreter (PT_INTERP): LD_PRELOAD cannot see inside it."""
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit ELF only
                return False
            e_phoff, = struct.unpack_from("<Q", head, 32)
            e_phentsize, e_phnum = struct.unpack_from("<HH", head, 54)
            f.seek(e_phoff)
            table = f.read(e_phentsize * e_phnum)
    except OSError:
        return False
    PT_INTERP = 3
    return not any(struct.unpack_from("<I", table, i * e_phentsize)[0] == PT_INTERP
                   for i in range(e_phnum) if (i + 1) * e_phentsize <= len(table))


def choose_backend(requested: str, default: str, program: str | None = None) -> str:
    """The backend for a run. ``auto`` is preload, except that a statically linked program goes
    to ptrace when ptrace is usable (its static children are routed there by the shim)."""
    name = requested or default or "auto"
    if name == "auto":
        choice = auto_choice()
        if choice == "preload" and program and is_static_executable(program) \
                and backend_status("ptrace").usable:
            return "ptrace"
        return choice
    if name not in BACKENDS:
        raise InvalidArgument(f"unknown tracer {name!r}; choose auto, {', '.join(BACKENDS)}")
    return name


def launch_plan(backend: str, spool_dir: Path, caller_env: dict[str, str], run_id: str) -> LaunchPlan:
    status = backend_status(backend)
    if not status.usable:
        raise FailedPrecondition(f"the {backend} tracer cannot run here: {status.reason}")
    env = {"ROAR_SPOOL_DIR": str(spool_dir), "ROAR_RUN_ID": run_id}
    if backend == "ptrace":
        return LaunchPlan(tracer="ptrace", argv_prefix=[str(PTRACE_BIN), "--spool", str(spool_dir), "--"],
                          environment=env)
    existing = caller_env.get("LD_PRELOAD", "")
    env["LD_PRELOAD"] = str(PRELOAD_LIB) + (f":{existing}" if existing else "")
    if backend_status("ptrace").usable:
        env["ROAR_PTRACE"] = str(PTRACE_BIN)  # the shim routes static programs through it
    return LaunchPlan(tracer="preload", environment=env)


def native_dir() -> Path:
    return NATIVE_DIR


