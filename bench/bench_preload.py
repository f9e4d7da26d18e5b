#!/usr/bin/env python3
"""Micro benchmark of the LD_PRELOAD shim: the cost it adds to opens and to fork+exec.

Runs each loop untraced and traced (LD_PRELOAD + ROAR_SPOOL_DIR) in the same invocation and
prints traced/untraced. The loops are in C (a Python loop would hide the shim's cost behind the
interpreter's) and time themselves, so process start-up is not counted:

  open-distinct  open+close of 20,000 different existing files: every open is a new event
                 (fstat, getcwd for the relative name, a copy into the mapped spool)
  open-repeat    20,000 open+close of 200 files: after the first round the de-dup table answers
                 and the shim adds one fstat
  fork+exec      fork, execve("/bin/true"), waitpid: the child's shim writes H and D lines

  py-open-*      the same two open loops written in Python (os.open/os.close), for scale: a
                 real program does more than open between two opens

Targets: open loops <= 1.15, fork+exec <= 1.3.

Where the spool lives matters: every traced process creates its own <pid>.spool, so fork+exec
pays one file creation. On tmpfs that is a few microseconds; on some ext4 set-ups (this
project's CI VM) it is hundreds. --spool-root chooses (default: $XDG_RUNTIME_DIR or /dev/shm,
else the temporary directory).

--compare OTHER.so also runs every loop under another build of the shim (for example the one
built from the previous commit), interleaved with the others in the same rounds, and prints its
ratio beside the working tree's: before/after figures from one run on one machine state.

Usage: python3 bench/bench_preload.py [--rounds N] [--spool-root DIR] [--compare OTHER.so]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

LOOP_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *mode = argv[1];
    int n = atoi(argv[2]), distinct = atoi(argv[3]);
    char name[64];
    long long t0 = now();
    if (strcmp(mode, "open") == 0) {
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "f%d", i % distinct);
            int fd = open(name, O_RDONLY);
            if (fd < 0) { perror(name); return 1; }
            close(fd);
        }
    } else {
        char *args[] = {"true", NULL};
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == 0) { execve("/bin/true", args, __environ); _exit(127); }
            int st;
            waitpid(pid, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st)) return 1;
        }
    }
    printf("%lld\n", now() - t0);
    return 0;
}
"""


PY_LOOP = """
import os, sys, time
n, distinct = int(sys.argv[1]), int(sys.argv[2])
names = [f"f{i % distinct}" for i in range(n)]
t0 = time.perf_counter_ns()
for name in names:
    os.close(os.open(name, os.O_RDONLY))
print(time.perf_counter_ns() - t0)
"""


def default_spool_root() -> Path:
    for cand in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if cand and os.path.isdir(cand) and os.access(cand, os.W_OK):
            return Path(cand)
    return Path(tempfile.gettempdir())


def build(tmp: Path) -> tuple[Path, Path]:
    spec = importlib.util.spec_from_file_location("roar_tracer_build", REPO / "tracers" / "build.py")
    tb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tb)
    _, sources, flags = next(t for t in tb.TARGETS if t[0] == "libroar_preload.so")
    shim = tmp / "libroar_preload.so"
    subprocess.run([tb.compiler(), *tb.CFLAGS, "-o", str(shim),
                    *(str(tb.TRACERS / s) for s in sources), *flags], check=True)
    src = tmp / "loop.c"
    src.write_text(LOOP_C)
    loop = tmp / "loop"
    subprocess.run([tb.compiler(), "-O2", "-o", str(loop), str(src)], check=True)
    return shim, loop


def run_loop(loop: list[str], args: list[str], cwd: Path, env: dict[str, str]) -> float:
    out = subprocess.run([*loop, *args], cwd=cwd, env=env, check=True, capture_output=True,
                         text=True).stdout
    return int(out) / 1e9


def measure(loop: list[str], args: list[str], cwd: Path, shims: list[Path], spool_root: Path,
            rounds: int) -> list[float]:
    """Best-of-rounds seconds: untraced, then traced under each shim, alternating within every
    round to share any machine noise."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    times: list[list[float]] = [[] for _ in range(len(shims) + 1)]
    for r in range(rounds):
        times[0].append(run_loop(loop, args, cwd, base_env))
        for i, shim in enumerate(shims, 1):
            spool = spool_root / f"s{r}-{i}"
            spool.mkdir()
            env = {**base_env, "LD_PRELOAD": str(shim), "ROAR_SPOOL_DIR": str(spool)}
            times[i].append(run_loop(loop, args, cwd, env))
            shutil.rmtree(spool)
    return [min(t) for t in times]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--forks", type=int, default=300)
    ap.add_argument("--spool-root", type=Path, default=None)
    ap.add_argument("--compare", type=Path, default=None,
                    help="another libroar_preload.so measured in the same rounds")
    opts = ap.parse_args()
    spool_base = opts.spool_root or default_spool_root()
    with tempfile.TemporaryDirectory(prefix="roar-bench-") as t, \
            tempfile.TemporaryDirectory(prefix="roar-bench-spool-", dir=spool_base) as sp:
        tmp = Path(t)
        shim, c_loop = build(tmp)
        loop = [str(c_loop)]
        py_loop = [sys.executable, "-I", "-c", PY_LOOP]
        data = tmp / "data"
        data.mkdir()
        for i in range(opts.files):
            (data / f"f{i}").write_bytes(b"x")
        spools = Path(sp)
        files = str(opts.files)
        cases = [
            ("open-distinct", loop, ["open", files, files], opts.files, 1.15),
            ("open-repeat", loop, ["open", files, "200"], opts.files, 1.15),
            ("fork+exec", loop, ["forkexec", str(opts.forks), "1"], opts.forks, 1.3),
            ("py-open-dist.", py_loop, [files, files], opts.files, None),
            ("py-open-repeat", py_loop, [files, "200"], opts.files, None),
        ]
        shims = [shim] + ([opts.compare.resolve()] if opts.compare else [])
        print(f"spool directory on {spool_base}; best of {opts.rounds} rounds")
        if opts.compare:
            print(f"compared with {opts.compare} (columns 'other')")
        print(f"{'loop':14} {'untraced':>12} {'traced':>12} {'ratio':>7}  target"
              + (f"{'other':>18} {'ratio':>7}" if opts.compare else ""))
        worst = 0.0
        for name, cmd, args, n, target in cases:
            plain, traced, *other = measure(cmd, args, data, shims, spools, opts.rounds)
            ratio = traced / plain
            verdict = ""
            if target is not None:
                worst = max(worst, ratio / target)
                verdict = f"<= {target} {'ok' if ratio <= target else 'OVER'}"
            extra = "".join(f"  {o / n * 1e6:9.2f} us {o / plain:7.3f}" for o in other)
            print(f"{name:14} {plain / n * 1e6:9.2f} us {traced / n * 1e6:9.2f} us {ratio:7.3f}"
                  f"  {verdict:9}{extra}")
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
