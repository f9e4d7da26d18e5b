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
