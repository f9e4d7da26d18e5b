"""Statically linked programs under the `auto` tracer: run directly, or called by a script, they
go through the ptrace backend, so their I/O is recorded and no blindness warning is needed."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.run.helpers import paths, run_json

STATIC_C = r"""
#include <stdio.h>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r"); char buf[64] = {0};
    fread(buf, 1, sizeof buf - 1, in); fclose(in);
    FILE *out = fopen(argv[2], "w"); fprintf(out, "static saw: %s", buf); fclose(out);
    return 0;
}
"""


@pytest.fixture
def static_prog(workspace: Path, tmp_path: Path) -> Path:
    src = tmp_path / "s.c"
    src.write_text(STATIC_C)
    out = workspace / "static-tool"
    proc = subprocess.run(["cc", "-static", "-O1", "-o", str(out), str(src)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"no static libc to link a test program with: {proc.stderr.strip()[:200]}")
    (workspace / "in.txt").write_text("hello")
    return out


def test_static_program_run_directly(roard, workspace: Path, static_prog: Path) -> None:
    job = run_json(roard, workspace, "./static-tool", "in.txt", "out.txt")
    assert job["tracer"] == "ptrace"
    assert "in.txt" in paths(job["inputs"]) and "static-tool" in paths(job["inputs"])
    assert paths(job["outputs"]) == {"out.txt"}
    assert not any("statically linked" in w for w in job["warnings"])


def test_static_program_under_explicit_preload_is_warned(roard, workspace: Path, static_prog: Path) -> None:
    """--tracer preload on a static program: the shim never loads, so roard itself says so."""
    job = run_json(roard, workspace, "--tracer", "preload", "./static-tool", "in.txt", "out.txt")
    assert job["tracer"] == "preload"
    assert any("statically linked and ran under the preload tracer" in w for w in job["warnings"]), job["warnings"]


def test_static_program_called_from_a_script(roard, workspace: Path, static_prog: Path) -> None:
    job = run_json(roard, workspace, "sh", "-c", "./static-tool in.txt mid.txt && cat mid.txt > final.txt")
    assert job["tracer"] == "preload"
    assert {"mid.txt", "final.txt"} <= paths(job["outputs"])
    assert "in.txt" in paths(job["inputs"])
    assert not any("statically linked" in w for w in job["warnings"])


def test_busybox_static_under_auto(roard, workspace: Path) -> None:
    busybox = shutil.which("busybox")
    if busybox is None or not Path("/bin/busybox").exists():
        pytest.skip("busybox-static is not installed")
    (workspace / "in.txt").write_text("bb")
    job = run_json(roard, workspace, "busybox", "cp", "in.txt", "copy.txt")
    assert "in.txt" in paths(job["inputs"]) and paths(job["outputs"]) == {"copy.txt"}


GO_PROG = """package main

/*
int roar_answer(void) { return 42; }
*/
import "C"

import "os"

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil || C.roar_answer() != 42 {
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[2], append([]byte("go saw: "), data...), 0o644); err != nil {
		os.Exit(3)
	}
}
"""


@pytest.fixture(scope="module")
def go_prog(tmp_path_factory) -> Path:
    """A tiny dynamically linked Go program (cgo, external linker): it has PT_INTERP, so the
    loader applies LD_PRELOAD, yet Go's runtime reads and writes files with its own system calls."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed (apt-get install golang-go)")
    d = tmp_path_factory.mktemp("goprog")
    (d / "main.go").write_text(GO_PROG)
    (d / "go.mod").write_text("module roartest\n\ngo 1.18\n")
    env = {**__import__("os").environ, "GOCACHE": str(d / "cache"), "GOPATH": str(d / "gopath"),
           "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod"}
    proc = subprocess.run([go, "build", "-ldflags=-linkmode=external", "-o", str(d / "go-tool"), "."],
                          cwd=d, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot build a cgo program here: {proc.stderr.strip()[:300]}")
    from roard.tracing.backends import is_go_executable, is_static_executable

    assert is_go_executable(str(d / "go-tool")) and not is_static_executable(str(d / "go-tool"))
    return d / "go-tool"


def test_dynamic_go_program_run_directly(roard, workspace: Path, go_prog: Path) -> None:
    shutil.copy(go_prog, workspace / "go-tool")
    (workspace / "in.txt").write_text("gopher")
    job = run_json(roard, workspace, "./go-tool", "in.txt", "out.txt")
    assert job["tracer"] == "ptrace"
    assert "in.txt" in paths(job["inputs"]) and "go-tool" in paths(job["inputs"])
    assert paths(job["outputs"]) == {"out.txt"}
    assert (workspace / "out.txt").read_text() == "go saw: gopher"


def test_go_program_under_explicit_preload_is_warned(roard, workspace: Path, go_prog: Path) -> None:
    shutil.copy(go_prog, workspace / "go-tool")
    (workspace / "in.txt").write_text("gopher")
    job = run_json(roard, workspace, "--tracer", "preload", "./go-tool", "in.txt", "out.txt")
    assert any("is a Go program" in w and "preload tracer" in w for w in job["warnings"]), job["warnings"]


def test_dynamic_go_program_called_from_a_script(roard, workspace: Path, go_prog: Path) -> None:
    """Under preload the shim sees the exec of a Go program and routes it through roar-ptrace,
    as it does for a static one: the Go program's own reads and writes are recorded."""
    shutil.copy(go_prog, workspace / "go-tool")
    (workspace / "in.txt").write_text("gopher")
    job = run_json(roard, workspace, "sh", "-c", "./go-tool in.txt mid.txt && cat mid.txt > final.txt")
    assert job["tracer"] == "preload"
    assert {"mid.txt", "final.txt"} <= paths(job["outputs"])
    assert "in.txt" in paths(job["inputs"])
    assert not any("go-exec" in w or "statically linked" in w for w in job["warnings"])


def test_go_detection_on_crafted_elf(tmp_path: Path) -> None:
    """The detection without a Go toolchain: a copy of a dynamic ELF whose section-name table
    gains a `.go.buildinfo` entry (the fallback for Go programs linked without a build id)."""
    import struct

    from roard.tracing.backends import _elf_program_kind

    data = bytearray(Path("/bin/true").read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        pytest.skip("needs a little-endian 64-bit /bin/true")
    assert _elf_program_kind("/bin/true") == "dynamic"
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
    sh = shoff + shstrndx * shentsize
    off, size = struct.unpack_from("<QQ", data, sh + 24)
    # Append a new name table at the end of the file and point the section header at it.
    names = bytes(data[off:off + size]) + b".go.buildinfo\0"
    new_off = len(data)
    data += names
    struct.pack_into("<QQ", data, sh + 24, new_off, len(names))
    crafted = tmp_path / "crafted"
    crafted.write_bytes(bytes(data))
    assert _elf_program_kind(str(crafted)) == "go"
