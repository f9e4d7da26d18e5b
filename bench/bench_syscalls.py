#!/usr/bin/env python3
"""What each system call the preload shim could make per event costs on this machine.

An open+close of a distinct file is the baseline (what the traced program itself does); each
row adds one call per iteration, and the difference is that call's cost here. The loop is in C
and times itself; best of --rounds. Used to decide what the shim may afford per event (see
docs/performance.md): on a VM a system call's entry and exit alone cost ~0.3 us.

Usage: python3 bench/bench_syscalls.py [--rounds N] [--files N] [--dir DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import compile_c, machine  # noqa: E402

EXTRAS = ["none", "fstat", "getpid", "readlink /proc/self/fd/N", "write 160 B (O_APPEND)",
          "memcpy 160 B into a shared mapping", "getcwd"]

LOOP_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *dir = argv[1];
    int n = atoi(argv[2]), extra = atoi(argv[3]);
    char p[512], buf[4096], line[160], link[40];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    snprintf(p, sizeof p, "%s/spool", dir);
    int sfd = open(p, O_CREAT | O_WRONLY | O_APPEND | O_TRUNC, 0600);
    snprintf(p, sizeof p, "%s/map", dir);
    int mfd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0600);
    size_t span = (size_t)n * sizeof line;
    if (sfd < 0 || mfd < 0 || ftruncate(mfd, (off_t)span) != 0) return 2;
    char *map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (map == MAP_FAILED) return 2;
    struct stat st;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/f%d", dir, i);
        int fd = open(p, O_RDONLY);
        if (fd < 0) return 1;
        switch (extra) {
        case 1: fstat(fd, &st); break;
        case 2: syscall(SYS_getpid); break;
        case 3: snprintf(link, sizeof link, "/proc/self/fd/%d", fd); readlink(link, buf, sizeof buf); break;
        case 4: if (write(sfd, line, sizeof line) != (ssize_t)sizeof line) return 3; break;
        case 5: memcpy(map + (size_t)i * sizeof line, line, sizeof line); break;
        case 6: syscall(SYS_getcwd, buf, sizeof buf); break;
        }
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
    return 0;
}
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--dir", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="roar-bench-sys-") as t, \
            tempfile.TemporaryDirectory(prefix="roar-bench-sys-", dir=opts.dir) as d:
        exe = compile_c(LOOP_C, Path(t) / "loop")
        for i in range(opts.files):
            (Path(d) / f"f{i}").write_bytes(b"x")
        best = [float("inf")] * len(EXTRAS)
        for _ in range(opts.rounds):
            for k in range(len(EXTRAS)):
                out = subprocess.run([str(exe), d, str(opts.files), str(k)], check=True,
                                     capture_output=True, text=True).stdout
                best[k] = min(best[k], int(out) / opts.files / 1000)
    print(f"files on {opts.dir or tempfile.gettempdir()}; best of {opts.rounds} rounds; {machine()}")
    print("| per open+close of a new file, plus | us | added |\n|---|---|---|")
    for name, us in zip(EXTRAS, best):
        print(f"| {name} | {us:.2f} | {us - best[0]:+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
