#!/usr/bin/env python3
"""Benchmark of the eBPF backend (roar-ebpf) against the untraced command and strace.

Each workload runs five ways per round, interleaved: untraced (no tracer loaded anywhere);
one-shot (`roar-ebpf --spool DIR -- CMD`: loads and verifies the BPF programs every time);
untraced again while a tracer server is loaded, attached and idle (what any process on the
machine pays while roard keeps the server); through that persistent server (`roar-ebpf --server
SOCK`, started before any timing, as roard keeps it: each timed run is what roard and the
launcher do around CMD for `roarctl run --tracer ebpf`, i.e. the RUN request, `roar-ebpf
--attach SOCK --run NAME -- CMD`, and the FLUSH request); and `strace -f --seccomp-bpf -e
trace=%file,%process -o /dev/null`. The server is started and stopped outside the timed region
in every round, so the first untraced run has no probe attached. Ratios are against the first
untraced run: the median of the per-round ratios. Lost events of all traced runs are summed: the
target is at most 1.1x with zero lost events. ROAR_EBPF_HOOK=raw|syscalls in the environment
chooses the hook of both tracers (default: raw for one-shot, per-call tracepoints for the server).
`--compare BIN` also runs the server mode of another roar-ebpf build (e.g. the previous one) in
the same interleaved rounds (column `cmp srv`), so that a change is judged under the same machine
state; `--no-oneshot`/`--no-strace` leave those columns out to spend the time on the server.

Workloads: open+close (20,000 different files), stat (200,000 calls), fork+exec (300 x
/bin/true), python imports (numpy when installed, else the standard library's email/json/
http), gcc build (8 small files + link), tar extract (3,000 files), sklearn (bench/sklearn_small.py
when scikit-learn is installed).

Usage: .venv/bin/python bench/bench_ebpf.py [--rounds N] [--only NAME,...] [--dir DIR] [--compare BIN]
       [--no-oneshot] [--no-strace]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import socket
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
    loop = compile_c(LOOP_C, base / "loop")
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


def request(sock: Path, line: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(sock))
        s.sendall(line.encode() + b"\n")
        answer = s.makefile("rb").readline().decode().strip()
    if not answer.startswith("OK"):
        raise SystemExit(f"the tracer server answered {answer!r} to {line!r}")
    return answer


def timed_server(sock: Path, name: str, spool: Path, argv: list[str], cwd: Path,
                 ebpf: Path = EBPF) -> tuple[float, int]:
    """What a `roarctl run --tracer ebpf` pays around CMD: RUN, the launcher, FLUSH."""
    t = time.perf_counter()
    request(sock, f"RUN {name} {spool}")
    subprocess.run([str(ebpf), "--attach", str(sock), "--run", name, "--", *argv], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lost = int(request(sock, f"FLUSH {name}").split()[1])
    return time.perf_counter() - t, lost


def gmean(xs: list[float]) -> float:
    xs = [x for x in xs if x == x]
    return math.exp(statistics.fmean(math.log(x) for x in xs)) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--dir", default="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    ap.add_argument("--compare", type=Path, help="another roar-ebpf build, measured in server mode too")
    ap.add_argument("--no-oneshot", action="store_true")
    ap.add_argument("--no-strace", action="store_true")
    a = ap.parse_args()
    if not EBPF.exists():
        sys.exit(f"{EBPF} is not built")
    other = a.compare.resolve() if a.compare else None
    strace = None if a.no_strace else shutil.which("strace")
    with tempfile.TemporaryDirectory(prefix="roar-bench-ebpf-", dir=a.dir) as tmp:
        base = Path(tmp)
        work = setup(base)
        if a.only:
            work = {k: v for k, v in work.items() if k in a.only.split(",")}
        sock = base / "ebpf.sock"
        lost = lost_server = lost_other = 0
        nan = float("nan")
        rows = []
        for name, (argv, cwd) in work.items():
            r_e, r_i, r_v, r_c, r_s, t_u = [], [], [], [], [], []
            for rnd in range(a.rounds):
                spool = base / f"spool-{len(rows)}-{rnd}"
                spool.mkdir()
                stats = base / f"stats-{len(rows)}-{rnd}.json"
                env = dict(os.environ, ROAR_EBPF_STATS=str(stats))
                u = timed(argv, cwd)
                if not a.no_oneshot:
                    e = timed([str(EBPF), "--spool", str(spool), "--", *argv], cwd, env)
                    lost += json.loads(stats.read_text())["lost"]
                    r_e.append(e / u)
                shutil.rmtree(spool)
                spool.mkdir()
                servers = [(EBPF, r_v, r_i)] + ([(other, r_c, None)] if other else [])
                if rnd % 2 and other:
                    servers.reverse()             # alternate which build runs first
                for binary, r_srv, r_idle in servers:
                    server = subprocess.Popen([str(binary), "--server", str(sock)], stdout=subprocess.PIPE)
                    try:
                        assert server.stdout is not None
                        if server.stdout.readline().strip() != b"ready":
                            sys.exit("the tracer server did not start")
                        if r_idle is not None:
                            r_idle.append(timed(argv, cwd) / u)
                        v, n_lost = timed_server(sock, f"r{len(rows)}-{rnd}", spool, argv, cwd, binary)
                    finally:
                        server.terminate()
                        server.wait()
                    if binary == EBPF:
                        lost_server += n_lost
                    else:
                        lost_other += n_lost
                    shutil.rmtree(spool)
                    spool.mkdir()
                    r_srv.append(v / u)
                shutil.rmtree(spool)
                t_u.append(u)
                if strace:
                    s = timed([strace, "-f", "--seccomp-bpf", "-e", "trace=%file,%process", "-o",
                               "/dev/null", *argv], cwd)
                    r_s.append(s / u)
            med = lambda xs: statistics.median(xs) if xs else nan  # noqa: E731
            rows.append((name, statistics.median(t_u), med(r_e), med(r_i), med(r_v), med(r_c), med(r_s)))
    print(f"{'workload':<16}{'untraced s':>11}{'one-shot':>10}{'idle srv':>10}{'server':>9}{'cmp srv':>9}"
          f"{'strace':>9}")
    for name, u, e, i, v, c, s in rows:
        print(f"{name:<16}{u:>11.3f}{e:>9.2f}x{i:>9.2f}x{v:>8.2f}x{c:>8.2f}x{s:>8.2f}x")
    print(f"{'geometric mean':<16}{'':>11}" + "".join(
        f"{gmean([r[k] for r in rows]):>{w}.2f}x" for k, w in ((2, 9), (3, 9), (4, 8), (5, 8), (6, 8))))
    print(f"lost events: one-shot runs {lost}, server runs {lost_server}"
          + (f", compared server runs {lost_other}" if other else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
