"""The ptrace backend never changes where the traced program may run: its CPU affinity (and so
what `nproc`, `os.cpu_count`-style sizing and parallel builds see) is the caller's, in the root,
in its threads and in the processes it starts, also after a burst of stops (the tracer may
move itself between CPUs, never the program)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .cases_ptrace.harness import clean_env, ptrace_bin  # noqa: F401

# Opens enough files for the tracer to see dense stops, then reports the affinity of the main
# thread, of a second thread, of a forked child and what nproc prints.
SCRIPT = r"""
import os, subprocess, sys, threading
for i in range(400):
    with open(sys.executable, "rb"):
        pass
seen = {}
th = threading.Thread(target=lambda: seen.update(thread=sorted(os.sched_getaffinity(0))))
th.start(); th.join()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, repr(sorted(os.sched_getaffinity(0))).encode()); os._exit(0)
os.close(w); child = os.read(r, 4096).decode(); os.waitpid(pid, 0)
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
print(sorted(os.sched_getaffinity(0)), seen["thread"], child, nproc)
"""


def _untraced(prefix: list[str]) -> str:
    return subprocess.run([*prefix, sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True, env=clean_env()).stdout


def _traced(ptrace_bin, tmp_path, prefix: list[str], name: str) -> str:
    return subprocess.run([*prefix, str(ptrace_bin), "--spool", str(tmp_path / name), "--",
                           sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True, env=clean_env()).stdout


@pytest.mark.skipif(not shutil.which("nproc"), reason="nproc is not installed")
def test_traced_program_keeps_the_callers_cpu_affinity(ptrace_bin, tmp_path):
    plain = _untraced([])
    assert plain.strip() and _traced(ptrace_bin, tmp_path, [], "s1") == plain
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1 and shutil.which("taskset"):
        # A restricted mask is passed on as it is, neither widened nor narrowed further.
        prefix = ["taskset", "-c", str(cpus[-1])]
        plain = _untraced(prefix)
        assert plain.startswith(f"[{cpus[-1]}]") and plain.rstrip().endswith(" 1")
        assert _traced(ptrace_bin, tmp_path, prefix, "s2") == plain
