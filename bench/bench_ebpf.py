#!/usr/bin/env python3
"""Benchmark of the eBPF backend (roar-ebpf) against the untraced command and strace.

Each workload runs three ways per round, interleaved (untraced, `roar-ebpf --spool DIR --`,
`strace -f --seccomp-bpf -e trace=%file,%process -o /dev/null`); the ratio reported is the median
of the per-round ratios. Every roar-ebpf run writes its counters (ROAR_EBPF_STATS) and the lost
events of all runs are summed: the target is at most 1.1x with zero lost events.

Workloads: open+close (20,000 different files), stat (200,000 calls), fork+exec (300 x
/bin/true), python imports (numpy when installed, else the standard library's email/json/
http), gcc build (8 small files + link), tar extract (3,000 files), sklearn (bench/sklearn_small.py
when scikit-learn is installed).

Usage: .venv/bin/python bench/bench_ebpf.py [--rounds N] [--only NAME,...] [--dir DIR]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EBPF = REPO / "roard" / "_native" / "roar-ebpf"

LOOP_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *what = argv[1], *dir = argv[2];
    int n = atoi(argv[3]);
    char p[4096];
    struct stat st;
    for (int i = 0; i < n; i++) {
        if (!strcmp(what, "open")) {
            snprintf(p, sizeof p, "%s/f%d", dir, i % 20000);
            int fd = open(p, O_RDONLY); if (fd >= 0) close(fd);
        } else if (!strcmp(what, "stat")) {
            stat(dir, &st);
        } else {
            pid_t c = fork();
            if (c == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
            waitpid(c, NULL, 0);
        }
    }
    return 0;
}
"""


def setup(base: Path) -> dict[str, tuple[list[str], Path]]:
    src = base / "loop.c"
    src.write_text(LOOP_C)
    loop = base / "loop"
    subprocess.run(["cc", "-O2", "-o", str(loop), str(src)], check=True)
    files = base / "files"
    files.mkdir()
    for i in range(20000):
        (files / f"f{i}").write_bytes(b"x")
    cdir = base / "csrc"
    cdir.mkdir()
    for i in range(8):
        (cdir / f"m{i}.c").write_text(f"#include <stdio.h>\nint f{i}(int x) {{ return x * {i}; }}\n")
    (cdir / "main.c").write_text("int main(void) { return 0; }\n")
    objs = " ".join(f"m{i}.o" for i in range(8))
    gcc = " && ".join([f"gcc -O1 -c m{i}.c -o m{i}.o" for i in range(8)] + [f"gcc -o prog main.c {objs}"])
    tree = base / "tree"
    for d in range(30):
        (tree / f"d{d}").mkdir(parents=True)
        for i in range(100):
            (tree / f"d{d}" / f"f{i}.txt").write_text(f"{d} {i}\n")
    tarball = base / "tree.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(tree, arcname="tree")
    shutil.rmtree(tree)
    py = sys.executable
    mod = "numpy" if importlib.util.find_spec("numpy") else "email.mime.text, json, http.client, decimal"
    work = {
        "open+close": ([str(loop), "open", str(files), "20000"], base),
        "stat": ([str(loop), "stat", str(base), "200000"], base),
        "fork+exec": ([str(loop), "fork", str(base), "300"], base),
        "python import": ([py, "-c", f"import {mod}"], base),
        "gcc build": (["sh", "-c", gcc], cdir),
        "tar extract": (["sh", "-c", f"rm -rf out && mkdir out && tar -xf {tarball} -C out"], base),
    }
    if importlib.util.find_spec("sklearn"):
        work["sklearn"] = ([py, str(REPO / "bench" / "sklearn_small.py")], base)
    return work


def timed(argv: list[str], cwd: Path, env: dict | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--dir", default="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    a = ap.parse_args()
    if not EBPF.exists():
        sys.exit(f"{EBPF} is not built")
    strace = shutil.which("strace")
    with tempfile.TemporaryDirectory(prefix="roar-bench-ebpf-", dir=a.dir) as tmp:
        base = Path(tmp)
        work = setup(base)
        if a.only:
            work = {k: v for k, v in work.items() if k in a.only.split(",")}
        lost = 0
        rows = []
        for name, (argv, cwd) in work.items():
            r_e, r_s, t_u = [], [], []
            for rnd in range(a.rounds):
                spool = base / f"spool-{len(rows)}-{rnd}"
                spool.mkdir()
                stats = base / f"stats-{len(rows)}-{rnd}.json"
                env = dict(os.environ, ROAR_EBPF_STATS=str(stats))
                u = timed(argv, cwd)
                e = timed([str(EBPF), "--spool", str(spool), "--", *argv], cwd, env)
                lost += json.loads(stats.read_text())["lost"]
                shutil.rmtree(spool)
                r_e.append(e / u)
                t_u.append(u)
                if strace:
                    s = timed([strace, "-f", "--seccomp-bpf", "-e", "trace=%file,%process", "-o",
                               "/dev/null", *argv], cwd)
                    r_s.append(s / u)
            rows.append((name, statistics.median(t_u), statistics.median(r_e),
                         statistics.median(r_s) if r_s else float("nan")))
    print(f"{'workload':<16}{'untraced s':>11}{'roar-ebpf':>11}{'strace':>9}")
    for name, u, e, s in rows:
        print(f"{name:<16}{u:>11.3f}{e:>10.2f}x{s:>8.2f}x")
    g = math.exp(statistics.fmean(math.log(r[2]) for r in rows))
    gs = math.exp(statistics.fmean(math.log(r[3]) for r in rows)) if strace else float("nan")
    print(f"{'geometric mean':<16}{'':>11}{g:>10.2f}x{gs:>8.2f}x")
    print(f"lost events over all roar-ebpf runs: {lost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
