"""Compile the native tracers with the system C compiler.

Used by ``setup.py`` (so ``pip install .`` builds them) and by ``python tracers/build.py`` for
a quick rebuild during development. Outputs go to ``roard/_native/`` (or ``out_dir``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TRACERS = Path(__file__).resolve().parent
DEFAULT_OUT = TRACERS.parent / "roard" / "_native"

#: (output name, sources, extra flags). Shared objects end in .so; the rest are executables.
TARGETS: list[tuple[str, list[str], list[str]]] = [
    ("libroar_preload.so", ["preload/roar_preload.c"],
     ["-shared", "-fPIC", "-ldl", "-pthread"]),
    ("roar-ptrace", ["ptrace/main.c", "ptrace/launch.c", "ptrace/loop.c", "ptrace/syscalls.c",
                     "ptrace/remote.c", "ptrace/spool.c", "ptrace/filter.c",
                     "ptrace/text.c", "ptrace/pool.c"], ["-pthread"]),
]

CFLAGS = ["-O2", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11",
          "-D_GNU_SOURCE", "-fno-strict-aliasing"]

#: The eBPF tracer (optional): a CO-RE BPF object built with clang against a vmlinux.h that
#: bpftool dumps from this machine's kernel BTF, embedded as a libbpf skeleton in the loader.
EBPF_NAME = "roar-ebpf"
EBPF_SKIPPED = EBPF_NAME + ".skipped"   #: beside the outputs: why the eBPF tracer was not built
KERNEL_BTF = Path("/sys/kernel/btf/vmlinux")


def compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise SystemExit("roar: no C compiler found (install gcc) to build the tracers")
    return cc


def ebpf_missing() -> str:
    """Why the eBPF tracer cannot be built here ("" when it can)."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return "the eBPF tracer is built for Linux on x86_64 only"
    missing = [name for name, ok in (
        ("clang", shutil.which(os.environ.get("CLANG", "clang"))),
        ("bpftool", shutil.which("bpftool")),
        ("libbpf-dev", Path("/usr/include/bpf/libbpf.h").exists()),
    ) if not ok]
    if missing:
        return (f"{', '.join(missing)} not installed (Debian: apt-get install clang libbpf-dev bpftool; "
                "scripts/setup.sh --ebpf does it)")
    if not KERNEL_BTF.exists():
        return f"{KERNEL_BTF} is missing: the kernel has no BTF (CONFIG_DEBUG_INFO_BTF) to build against"
    return ""


def _install_minimal_btf(bpf_object: Path, loader: Path) -> None:
    """Optional: just the kernel types the BPF program relocates against, beside the loader, with
    the kernel they were cut from (``roar-ebpf.btf``, ``roar-ebpf.btf.kernel``: uname's release
    and version). roar-ebpf loads with it on that kernel and with the full BTF elsewhere; a
    bpftool without ``gen min_core_btf`` only costs the faster load."""
    btf = loader.with_name(loader.name + ".btf")
    stamp = loader.with_name(loader.name + ".btf.kernel")
    for stale in (btf, stamp):
        stale.unlink(missing_ok=True)
    tmp = btf.with_suffix(".btf.tmp")
    proc = subprocess.run(["bpftool", "gen", "min_core_btf", str(KERNEL_BTF), str(tmp), str(bpf_object)],
                          capture_output=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        return
    os.replace(tmp, btf)
    u = os.uname()
    stamp.write_text(f"{u.release} {u.version}\n")


def build_ebpf(out_dir: Path = DEFAULT_OUT, verbose: bool = False) -> tuple[Path | None, str]:
    """Build roar-ebpf into out_dir: (path, "") or (None, the reason it was skipped). Never raises
    for a missing toolchain or a failed step: the other tracers do not depend on this one."""
    import tempfile

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / EBPF_NAME
    reason = ebpf_missing()
    if not reason:
        src = TRACERS / "ebpf"
        with tempfile.TemporaryDirectory(prefix="roar-ebpf-") as tmp:
            t = Path(tmp)
            steps = [
                (["bpftool", "btf", "dump", "file", str(KERNEL_BTF), "format", "c"], t / "vmlinux.h"),
                ([os.environ.get("CLANG", "clang"), "-g", "-O2", "-Wall", "-target", "bpf",
                  "-D__TARGET_ARCH_x86", "-I", str(t), "-c", str(src / "roar_ebpf.bpf.c"),
                  "-o", str(t / "roar_ebpf.bpf.o")], None),
                (["bpftool", "gen", "skeleton", str(t / "roar_ebpf.bpf.o"), "name", "roar_ebpf"],
                 t / "roar_ebpf.skel.h"),
                ([compiler(), *CFLAGS, "-I", str(t), "-o", str(out.with_suffix(".tmp")),
                  str(src / "main.c"), "-lbpf"], None),
            ]
            for cmd, stdout_to in steps:
                if verbose:
                    print(" ".join(cmd) + (f" > {stdout_to}" if stdout_to else ""), file=sys.stderr)
                proc = subprocess.run(cmd, capture_output=True)
                if stdout_to is not None and proc.returncode == 0:
                    stdout_to.write_bytes(proc.stdout)
                if proc.returncode != 0:
                    err = proc.stderr.decode(errors="replace").strip().splitlines()
                    reason = f"`{Path(cmd[0]).name}` failed: {err[-1] if err else 'exit ' + str(proc.returncode)}"
                    print("\n".join(err[-20:]), file=sys.stderr)
                    break
            else:
                os.replace(out.with_suffix(".tmp"), out)
                _install_minimal_btf(t / "roar_ebpf.bpf.o", out)
    skipped = out_dir / EBPF_SKIPPED
    if reason:
        print(f"roar: the eBPF tracer was not built: {reason}", file=sys.stderr)
        skipped.write_text(reason + "\n")
        if out.exists():
            out.unlink()
        return None, reason
    if skipped.exists():
        skipped.unlink()
    return out, ""


def build(out_dir: Path = DEFAULT_OUT, verbose: bool = False) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for name, sources, flags in TARGETS:
        srcs = [str(TRACERS / s) for s in sources]
        if not all(Path(s).exists() for s in srcs):
            continue
        out = out_dir / name
        tmp = out.with_suffix(out.suffix + ".tmp")
        cmd = [compiler(), *CFLAGS, "-o", str(tmp), *srcs, *flags]
        if verbose:
            print(" ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
        os.replace(tmp, out)
        built.append(out)
    ebpf, _ = build_ebpf(out_dir, verbose)   # optional: skipped with its reason when it cannot be built
    if ebpf:
        built.append(ebpf)
    return built


if __name__ == "__main__":
    for p in build(verbose=True):
        print(p)
