"""Tracer backends as the daemon sees them: whether each is usable here, and how to launch a
command under it. The tracers themselves are native code in ``tracers/`` built into ``_native/``.
"""
from __future__ import annotations

import functools
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from roard.errors import FailedPrecondition, InvalidArgument
from roard.tracing import elf

NATIVE_DIR = Path(__file__).resolve().parent.parent / "_native"
PRELOAD_LIB = NATIVE_DIR / "libroar_preload.so"
PTRACE_BIN = NATIVE_DIR / "roar-ptrace"
EBPF_BIN = NATIVE_DIR / "roar-ebpf"
EBPF_SKIPPED = NATIVE_DIR / "roar-ebpf.skipped"   # written by tracers/build.py: why it was not built
KERNEL_BTF = Path("/sys/kernel/btf/vmlinux")
#: The oldest kernel roar-ebpf's programs load on (tracers/SPOOL.md, eBPF "Platform").
EBPF_MIN_KERNEL = (6, 2)
TRACEFS = (Path("/sys/kernel/tracing"), Path("/sys/kernel/debug/tracing"))
CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF = 21, 38, 39
BACKENDS = ("preload", "ptrace", "ebpf")
DESCRIPTIONS = {
    "preload": "LD_PRELOAD shim: fastest; blind to static binaries, Go programs, inline raw syscalls and set-uid programs",
    "ptrace": "seccomp + ptrace: sees every syscall of every process, including static binaries",
    "ebpf": "kernel probes: needs Linux 6.2+, root or CAP_BPF+CAP_PERFMON, BTF and tracefs",
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


def _effective_caps() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return 0


def _tracefs_mounted() -> bool:
    try:
        mounts = Path("/proc/self/mounts").read_text().split("\n")
    except OSError:
        return False
    return any(len(f := m.split()) > 2 and f[2] == "tracefs" for m in mounts)


def kernel_version(release: str) -> tuple[int, int]:
    """(major, minor) of a kernel release string such as ``6.1.0-18-amd64``; (0, 0) if unreadable."""
    parts = release.split(".")
    try:
        return int(parts[0]), int("".join(c for c in parts[1][:3] if c.isdigit()) or 0)
    except (IndexError, ValueError):
        return 0, 0


def _ebpf_status(desc: str) -> BackendStatus:
    path = str(EBPF_BIN)
    if not EBPF_BIN.exists():
        why = ""
        try:
            why = EBPF_SKIPPED.read_text().strip()
        except OSError:
            pass
        return BackendStatus("ebpf", False, f"{EBPF_BIN} was not built: " + (
            why or "reinstall roar with clang, libbpf-dev and bpftool present (scripts/setup.sh --ebpf)"),
            path, desc)
    caps = _effective_caps()
    has = lambda bit: bool(caps >> bit & 1)  # noqa: E731
    if not (has(CAP_BPF) or has(CAP_SYS_ADMIN)) or not (has(CAP_PERFMON) or has(CAP_SYS_ADMIN)):
        lacking = [n for n, b in (("CAP_BPF", CAP_BPF), ("CAP_PERFMON", CAP_PERFMON)) if not has(b)]
        return BackendStatus("ebpf", False, "not root and without " + " and ".join(lacking) +
                             " (run as root, or give roard CAP_BPF and CAP_PERFMON)", path, desc)
    release = os.uname().release
    if kernel_version(release) < EBPF_MIN_KERNEL:
        return BackendStatus("ebpf", False, "the eBPF tracer needs Linux {}.{} or later (bpf_rdonly_cast); "
                             "this kernel is {}".format(*EBPF_MIN_KERNEL, release), path, desc)
    if not KERNEL_BTF.exists():
        return BackendStatus("ebpf", False, f"the kernel has no BTF ({KERNEL_BTF} is missing; "
                             "CONFIG_DEBUG_INFO_BTF)", path, desc)
    if not _tracefs_mounted():
        return BackendStatus("ebpf", False, "tracefs is not mounted (mount -t tracefs nodev "
                             "/sys/kernel/tracing)", path, desc)
    return BackendStatus("ebpf", True, "", path, desc)


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
    return _ebpf_status(desc)


def auto_choice() -> str:
    return "preload" if backend_status("preload").usable else "ptrace"


def _elf_program_kind(path: str) -> str:
    """``static`` (an ELF program without PT_INTERP), ``go`` (a dynamically linked program made
    by Go's linker: its runtime makes system calls itself), ``dynamic``, or ``other``. The same
    checks as the preload shim's classify_program: Go's build-id note (name ``Go``, type 4) in a
    PT_NOTE segment, else a ``.go.buildinfo`` section name. Asked at every BeginRun and for
    every program of a finished run, so the answer is kept per file version (one stat)."""
    try:
        st = os.stat(path)
    except OSError:
        return "other"
    return _read_elf_program_kind(path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=512)
def _read_elf_program_kind(path: str, dev: int, ino: int, size: int, mtime_ns: int) -> str:
    try:
        with open(path, "rb") as f:
            image = elf.ElfFile(f)
            segments = image.segments()
            if not any(s.type == elf.PT_INTERP for s in segments):
                return "static"
            for s in segments:
                if s.type == elf.PT_NOTE and any(
                        name == b"Go" and ntype == 4 for name, ntype in
                        elf.notes(image.read(s.offset, min(s.filesz, 1024)), image.order, 8 if s.align == 8 else 4)):
                    return "go"
            return "go" if b".go.buildinfo\0" in image.section_names() else "dynamic"
    except (OSError, elf.NotElf, struct.error):
        return "other"


def is_static_executable(path: str) -> bool:
    """An ELF program without an interpreter (PT_INTERP): LD_PRELOAD cannot see inside it."""
    return _elf_program_kind(path) == "static"


def is_go_executable(path: str) -> bool:
    """A dynamically linked Go program (cgo, or -linkmode=external): LD_PRELOAD is applied, but
    Go's runtime makes its file system calls without libc, so the shim would see almost nothing."""
    return _elf_program_kind(path) == "go"


def preload_blind(path: str) -> bool:
    """A program the preload shim cannot follow: statically linked, or a Go program."""
    return _elf_program_kind(path) in ("static", "go")


def choose_backend(requested: str, default: str, program: str | None = None) -> str:
    """The backend for a run. ``auto`` is preload, except that a statically linked program or a
    Go program (dynamically linked ones too: Go makes its system calls itself) goes to ptrace
    when ptrace is usable (such children are routed there by the shim at exec)."""
    name = requested or default or "auto"
    if name == "auto":
        choice = auto_choice()
        if choice == "preload" and program and preload_blind(program) \
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
    if backend == "ebpf":
        # The launcher asks roard's tracer server (roard/tracing/ebpf_server.py: started, and
        # the run registered with it, by RunManager.begin) to follow its own pid, then execs.
        from roard.tracing.ebpf_server import launcher_argv

        return LaunchPlan(tracer="ebpf", argv_prefix=launcher_argv(EBPF_BIN, run_id), environment=env)
    existing = caller_env.get("LD_PRELOAD", "")
    env["LD_PRELOAD"] = str(PRELOAD_LIB) + (f":{existing}" if existing else "")
    if backend_status("ptrace").usable:
        env["ROAR_PTRACE"] = str(PTRACE_BIN)  # the shim routes static and Go programs through it
    return LaunchPlan(tracer="preload", environment=env)


def native_dir() -> Path:
    return NATIVE_DIR


