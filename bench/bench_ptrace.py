#!/usr/bin/env python3
"""Benchmark of the seccomp + ptrace backend (roar-ptrace) against strace.

Every workload runs three ways in the same invocation, interleaved round by round so machine
noise hits all three alike. Times are medians of whole-run wall times; ratios are medians of
the per-round ratios (robust when a busy VM host changes the machine's speed between rounds):

  untraced   the command as it is
  roar       roar-ptrace --spool DIR -- command (a fresh spool per run, counted in the time)
  strace     strace -f --seccomp-bpf -e trace=%file,%process -o /dev/null command
             (the same seccomp-filtered ptrace design; it stops on more calls, since %file
             includes the stat family, but formats nothing anyone reads)
  preload    (with --preload) the command with LD_PRELOAD=roard/_native/libroar_preload.so and
             a fresh ROAR_SPOOL_DIR: the preload tracer on the same workloads (issue 4's
             targets for it: geometric mean <= 1.05, no workload above 1.4)

Workloads:
  open+close   a C loop: open+close of 20,000 different existing files (each one an event)
  stat         a C loop: 200,000 stat() calls (untraced by roar's filter, traced by strace's)
  fork+exec    a C loop: 300 x fork, execve("/bin/true"), waitpid
  import numpy python -c "import numpy"
  gcc build    gcc -O1 of 8 small C files into objects, then a link (make-like, sequential)
  tar extract  tar -xf of 3,000 small files in 30 directories
  sklearn      python bench/sklearn_small.py

Targets: roar faster than strace on every workload; geometric mean of roar/untraced <= 1.45.

Files (inputs, extracted trees, spools, gcc's temporaries via TMPDIR) live under /dev/shm when
it is a writable tmpfs (--dir to choose): on ext4 without a journal, creating a file within a
minute or more of deleting thousands scans past every recently freed inode, and that cost,
which depends on what else ran on the machine, would swamp what is measured here.

Usage: .venv/bin/python bench/bench_ptrace.py [--rounds N] [--only NAME,...] [--dir DIR]
                                             [--compare OTHER-ROAR-PTRACE-BINARY] [--preload]
"""
from __future__ import annotations

import argparse
import importlib.util
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import compile_c  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

LOOP_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    int n = atoi(argv[2]);
    char name[64];
    if (strcmp(argv[1], "open") == 0) {
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "f%d", i);
            int fd = open(name, O_RDONLY);
            if (fd < 0) { perror(name); return 1; }
            close(fd);
        }
    } else if (strcmp(argv[1], "stat") == 0) {
        struct stat st;
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "f%d", i % 1000);
            if (stat(name, &st) != 0) { perror(name); return 1; }
        }
    } else {
        char *args[] = {"true", NULL};
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == 0) { execve("/bin/true", args, environ); _exit(127); }
            int st;
            if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) return 1;
        }
    }
    return 0;
}
"""

GCC_UNIT = r"""
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
int unit%d(int x) { char b[64]; snprintf(b, sizeof b, "%%d", x); return (int)strlen(b) + (int)sqrt(x) + %d; }
"""


def build_ptrace(out_dir: Path) -> Path:
    spec = importlib.util.spec_from_file_location("roar_tracer_build", REPO / "tracers" / "build.py")
    tb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tb)
    built = tb.build(out_dir)
    return next(p for p in built if p.name == "roar-ptrace")


class Workloads:
    """Builds the inputs of every workload in a temporary directory; each workload is
    (name, command, cwd) where cwd() gives the directory of each run."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.loop = compile_c(LOOP_C, tmp / "loop")
        self.data = tmp / "data"
        self.data.mkdir()
        for i in range(20000):
            (self.data / f"f{i}").write_bytes(b"x")
        self.gcc_dir = tmp / "gcc"
        self.gcc_dir.mkdir()
        units = []
        for i in range(8):
            (self.gcc_dir / f"u{i}.c").write_text(GCC_UNIT % (i, i))
            units.append(f"u{i}.c")
        calls = " + ".join(f"unit{i}(argc)" for i in range(8))
        decls = "".join(f"int unit{i}(int);\n" for i in range(8))
        (self.gcc_dir / "main.c").write_text(f"{decls}int main(int argc, char **argv) "
                                             f"{{ return ({calls}) > 0 ? 0 : 1; }}\n")
        objs = " ".join(f"u{i}.o" for i in range(8))
        self.gcc_cmd = ("set -e; for f in u0 u1 u2 u3 u4 u5 u6 u7 main; do "
                        "gcc -O1 -c $f.c -o $f.o; done; "
                        f"gcc -o prog main.o {objs} -lm")
        self.tarball = tmp / "files.tar"
        tree = tmp / "tree"
        for d in range(30):
            (tree / f"d{d:02}").mkdir(parents=True)
            for f in range(100):
                (tree / f"d{d:02}" / f"file{f:03}.txt").write_text(f"{d} {f}\n" * 4)
        with tarfile.open(self.tarball, "w") as tar:
            tar.add(tree, arcname="tree")
        self.extract = tmp / "extract"
        self.extract.mkdir()
        self.runs = 0

    def fresh_extract_dir(self) -> Path:
        """A new empty directory per tar run. Nothing is deleted between runs: on some file
        systems (ext4 without a journal) creating files right after deleting thousands is
        several times slower, which would make the run order decide the result."""
        self.runs += 1
        d = self.extract / f"run{self.runs}"
        d.mkdir()
        return d

    def all(self):
        """(name, command, cwd() -> directory to run in)."""
        return [
            ("open+close 20k", [str(self.loop), "open", "20000"], lambda: self.data),
            ("stat 200k", [str(self.loop), "stat", "200000"], lambda: self.data),
            ("fork+exec 300", [str(self.loop), "forkexec", "300"], lambda: self.data),
            ("import numpy", [PYTHON, "-c", "import numpy"], lambda: self.tmp),
            ("gcc build", ["sh", "-c", self.gcc_cmd], lambda: self.gcc_dir),
            ("tar extract 3000", ["tar", "-xf", str(self.tarball)], self.fresh_extract_dir),
            ("sklearn_small", [PYTHON, str(REPO / "bench" / "sklearn_small.py")],
             lambda: self.tmp),
        ]


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} CPUs, Linux {os.uname().release}"


def run_once(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def preload_env(env: dict[str, str], spools: Path) -> dict[str, str]:
    """The environment `roarctl run --tracer preload` gives a command, with a fresh spool."""
    from roard.tracing.backends import PRELOAD_LIB

    spool = spools / f"p{time.monotonic_ns()}"
    spool.mkdir()
    return {**env, "LD_PRELOAD": str(PRELOAD_LIB), "ROAR_SPOOL_DIR": str(spool)}


def measure(workload, ptrace: Path, strace: str | None, spools: Path, rounds: int,
            env: dict[str, str], compare: Path | None = None,
            preload: bool = False) -> dict[str, list[float]]:
    """Seconds of each way in each round. Every roar run gets a new spool directory, kept
    until the end (see fresh_extract_dir for why nothing is deleted in between)."""
    name, cmd, cwd = workload
    ways = {"untraced": lambda: cmd}
    ways["roar"] = lambda: [str(ptrace), "--spool", str(spools / f"s{time.monotonic_ns()}"), "--",
                            *cmd]
    if compare:
        ways["other"] = lambda: [str(compare), "--spool",
                                 str(spools / f"o{time.monotonic_ns()}"), "--", *cmd]
    if strace:
        ways["strace"] = lambda: [strace, "-f", "--seccomp-bpf", "-e", "trace=%file,%process",
                                  "-o", "/dev/null", *cmd]
    if preload:
        ways["preload"] = lambda: cmd
    times: dict[str, list[float]] = {k: [] for k in ways}
    for r in range(rounds + 1):  # round 0 warms the page cache and is not counted
        for way, make in ways.items():
            t = run_once(make(), cwd(), preload_env(env, spools) if way == "preload" else env)
            if r:
                times[way].append(t)
    return times


def ratio(times: dict[str, list[float]], way: str, base: str) -> float:
    """Median over rounds of way/base measured in the same round: the three ways of a round
    run back to back, so a machine that changes speed between rounds (a busy VM host) moves
    both sides of each ratio alike."""
    return statistics.median(a / b for a, b in zip(times[way], times[base]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated workload name prefixes")
    ap.add_argument("--dir", default=None, help="where the files live (default: /dev/shm)")
    ap.add_argument("--compare", default=None, metavar="BIN",
                    help="another roar-ptrace binary (e.g. an older build) measured in the same "
                         "rounds, as the column 'other'")
    ap.add_argument("--preload", action="store_true",
                    help="also measure the preload tracer in the same rounds (column 'preload')")
    opts = ap.parse_args()
    base = opts.dir
    if base is None and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        base = "/dev/shm"
    strace = shutil.which("strace")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "LD_PRELOAD"))}
    env["OMP_NUM_THREADS"] = env.get("OMP_NUM_THREADS", "1")  # steadier sklearn timings
    rows = []
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory(prefix="roar-bench-ptrace-", dir=base) as t:
        tmp = Path(t)
        env["TMPDIR"] = str(tmp)
        ptrace = build_ptrace(tmp / "native")
        wl = Workloads(tmp)
        spools = tmp / "spools"
        spools.mkdir()
        for w in wl.all():
            if opts.only and not any(w[0].startswith(p) for p in opts.only.split(",")):
                continue
            m = measure(w, ptrace, strace, spools, opts.rounds, env,
                        Path(opts.compare).resolve() if opts.compare else None, opts.preload)
            rows.append((w[0], m))
            print(f"  measured {w[0]}: " + ", ".join(
                f"{k} {' '.join(f'{x:.3f}' for x in v)}" for k, v in m.items()), file=sys.stderr)
    print(f"### roar-ptrace vs strace ({opts.rounds} rounds: median times, median per-round "
          "ratios)\n")
    print(f"{machine()}; files under {base or tempfile.gettempdir()}; "
          f"load average before: {load_before}\n")
    other = bool(opts.compare)
    print("| workload | untraced | roar-ptrace | ratio | strace | ratio | roar/strace |"
          + (" other | ratio |" if other else "") + (" preload | ratio |" if opts.preload else ""))
    print("|---|---|---|---|---|---|---|" + ("---|---|" if other else "") + ("---|---|" if opts.preload else ""))
    ratios, other_ratios, preload_ratios, ok = [], [], [], True
    for name, m in rows:
        med = {k: statistics.median(v) for k, v in m.items()}
        r = ratio(m, "roar", "untraced")
        ratios.append(r)
        if "strace" in m:
            vs = ratio(m, "roar", "strace")
            ok &= vs < 1
            strace_cols = (f"{med['strace']:.3f}s | {ratio(m, 'strace', 'untraced'):.2f}x | "
                           f"{vs:.2f} {'faster' if vs < 1 else 'SLOWER'}")
        else:
            strace_cols = "n/a | n/a | n/a"
        other_cols = ""
        if other:
            other_ratios.append(ratio(m, "other", "untraced"))
            other_cols = f" {med['other']:.3f}s | {other_ratios[-1]:.2f}x |"
        if opts.preload:
            preload_ratios.append(ratio(m, "preload", "untraced"))
            other_cols += f" {med['preload']:.3f}s | {preload_ratios[-1]:.2f}x |"
        print(f"| {name} | {med['untraced']:.3f}s | {med['roar']:.3f}s | {r:.2f}x | "
              f"{strace_cols} |{other_cols}")
    geo = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else float("nan")
    print(f"\ngeometric mean roar/untraced: {geo:.2f}x (target <= 1.45); "
          f"faster than strace on every workload: {'yes' if ok else 'NO'}")
    if other_ratios:
        og = math.exp(sum(map(math.log, other_ratios)) / len(other_ratios))
        print(f"geometric mean other ({opts.compare})/untraced: {og:.2f}x")
    if preload_ratios:
        pg = math.exp(sum(map(math.log, preload_ratios)) / len(preload_ratios))
        print(f"geometric mean preload/untraced: {pg:.2f}x (target <= 1.05), highest "
              f"{max(preload_ratios):.2f}x (target <= 1.4)")
    return 0 if ok and geo <= 1.45 else 1


if __name__ == "__main__":
    sys.exit(main())
