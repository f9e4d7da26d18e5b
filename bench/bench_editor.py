"""Issue 18's editor-facing figures, against a real roard in throw-away XDG directories:

    .venv/bin/python bench/bench_editor.py [--files 10000] [--edits 40] [--json]

- edit -> stale: a step read N tracked files; one is edited (then edited back), and the time
  until the step.stale (step.fresh) event reaches a WatchEvents subscriber. Target p95 <= 250 ms.
- GetFileStatus of 100 files (tracked, unchanged): p95 of the call. Target <= 20 ms.
- StartRun `true` until the recorded job arrives, vs `roarctl run true` (a subprocess, the way a
  person runs it). Target <= 1.0x. Both interleaved.
- 200 MB of stdout through StartRun (read by the client) vs the same command to /dev/null.
  Target <= 1.3x.
- Watcher idle cost: the daemon's CPU time over a quiet interval with 3 watched workspaces of N
  tracked files each, as a share of one core. Target < 1 %.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import VENV_BIN, RoarSandbox, machine  # noqa: E402

READER = ("import sys, pathlib\n"
          "for p in sorted(pathlib.Path('files').iterdir()):\n"
          "    p.read_bytes()\n")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def make_workspace(box: RoarSandbox, root: Path, files: int) -> None:
    """A workspace whose one step read ``files`` files."""
    if root != box.ws:
        root.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run([str(VENV_BIN / "roarctl"), "init", "-n"], cwd=root, env=box.env, check=True,
                       stdout=subprocess.DEVNULL)
    (root / "files").mkdir()
    for i in range(files):
        (root / "files" / f"{i:05d}.txt").write_text(f"file {i}\n")
    (root / "read_all.py").write_text(READER)
    subprocess.run([str(VENV_BIN / "roarctl"), "run", "-q", sys.executable, "read_all.py"], cwd=root, env=box.env,
                   check=True, stdout=subprocess.DEVNULL)


def daemon_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def bench_edit_to_event(roar, ws: Path, edits: int, files: int) -> dict[str, float]:
    stream = roar.watch_events(workspace=str(ws), kinds=["step.stale", "step.fresh"])
    arrivals: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            for event in stream:
                arrivals.put((time.perf_counter(), event.topic))
        except Exception:
            pass

    threading.Thread(target=read, daemon=True).start()
    roar.file_status(["read_all.py"], cwd=ws)     # watching from here on
    stale, fresh = [], []
    for i in range(edits):
        path = ws / "files" / f"{(i * 997) % files:05d}.txt"
        original = path.read_text()
        for text, want, into in ((original + "edit\n", "step.stale", stale), (original, "step.fresh", fresh)):
            t0 = time.perf_counter()
            path.write_text(text)
            while True:
                arrived, topic = arrivals.get(timeout=30)
                if topic == want:
                    break
            into.append((arrived - t0) * 1000)
    stream.cancel()
    return {"stale_p50_ms": statistics.median(stale), "stale_p95_ms": pct(stale, 0.95),
            "fresh_p50_ms": statistics.median(fresh), "fresh_p95_ms": pct(fresh, 0.95)}


def bench_file_status(roar, ws: Path, files: int, rounds: int = 50) -> dict[str, float]:
    paths = [f"files/{i:05d}.txt" for i in range(0, files, max(1, files // 100))][:100]
    roar.file_status(paths, cwd=ws)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        statuses = roar.file_status(paths, cwd=ws)
        times.append((time.perf_counter() - t0) * 1000)
        assert len(statuses) == len(paths) and all(s.hash for s in statuses)
    return {"file_status_100_p50_ms": statistics.median(times), "file_status_100_p95_ms": pct(times, 0.95)}


def bench_start_run_true(roar, box: RoarSandbox, rounds: int = 15) -> dict[str, float]:
    ours, cli = [], []
    for _ in range(rounds + 1):
        t0 = time.perf_counter()
        run = roar.start_run(["true"], cwd=box.ws)
        run.wait()
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([str(VENV_BIN / "roarctl"), "run", "-q", "true"], cwd=box.ws, env=box.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cli.append(time.perf_counter() - t0)
    ours, cli = ours[1:], cli[1:]
    return {"start_run_true_ms": statistics.median(ours) * 1000, "roarctl_run_true_ms": statistics.median(cli) * 1000,
            "start_run_true_ratio": statistics.median(ours) / statistics.median(cli)}


def bench_stream(roar, box: RoarSandbox, megabytes: int = 200, rounds: int = 3) -> dict[str, float]:
    command = ["head", "-c", str(megabytes * 1024 * 1024), "/dev/zero"]
    ours, direct = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with open(os.devnull, "wb") as null:
            subprocess.run(command, stdout=null, check=True)
        direct.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run = roar.start_run(command, cwd=box.ws)
        total = sum(len(c.data) for c in run)
        ours.append(time.perf_counter() - t0)
        if total != megabytes * 1024 * 1024 or run.finished.exit_code != 0:
            raise SystemExit(f"StartRun streamed {total} bytes (skipped {run.skipped_bytes}), exit "
                             f"{run.finished.exit_code}: expected {megabytes * 1024 * 1024}, 0")
    return {"stream_200mb_s": statistics.median(ours), "devnull_200mb_s": statistics.median(direct),
            "stream_ratio": statistics.median(ours) / statistics.median(direct),
            "stream_mb_per_s": megabytes / statistics.median(ours)}


def bench_idle(roar, box: RoarSandbox, roots: list[Path], seconds: float = 20.0) -> dict[str, float]:
    for root in roots:
        roar.file_status(["read_all.py"], cwd=root)
    time.sleep(2.0)
    pid = int(box.env.get("ROARD_PID") or (Path(box.env["XDG_RUNTIME_DIR"]) / "roar" / "roard.sock.lock")
              .read_text().strip())
    before = daemon_cpu_seconds(pid)
    time.sleep(seconds)
    used = daemon_cpu_seconds(pid) - before
    return {"idle_cpu_percent": used / seconds * 100, "idle_seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    box = RoarSandbox()
    os.environ.update({k: box.env[k] for k in ("XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME")})
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from roar_api.client import connect

    try:
        make_workspace(box, box.ws, args.files)
        roar = connect()
        results: dict[str, float] = {}
        results.update(bench_file_status(roar, box.ws, args.files))
        results.update(bench_edit_to_event(roar, box.ws, args.edits, args.files))
        results.update(bench_start_run_true(roar, box))
        results.update(bench_stream(roar, box))
        others = [box.base / "ws2", box.base / "ws3"]
        for root in others:
            make_workspace(box, root, args.files)
        results.update(bench_idle(roar, box, [box.ws, *others]))
        roar.close()
    finally:
        box.close()
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"machine: {machine()}")
    print(f"tracked files per workspace: {args.files:,}; edits: {args.edits}")
    rows = [
        ("edit -> step.stale p50 / p95", f"{results['stale_p50_ms']:.0f} / {results['stale_p95_ms']:.0f} ms", "p95 <= 250 ms"),
        ("edit back -> step.fresh p50 / p95", f"{results['fresh_p50_ms']:.0f} / {results['fresh_p95_ms']:.0f} ms", ""),
        ("GetFileStatus of 100 files p50 / p95", f"{results['file_status_100_p50_ms']:.1f} / "
                                                 f"{results['file_status_100_p95_ms']:.1f} ms", "p95 <= 20 ms"),
        ("StartRun true vs roarctl run true", f"{results['start_run_true_ms']:.0f} vs {results['roarctl_run_true_ms']:.0f} ms "
                                              f"= {results['start_run_true_ratio']:.2f}x", "<= 1.0x"),
        ("200 MB stdout via StartRun vs to /dev/null", f"{results['stream_200mb_s']:.2f} vs {results['devnull_200mb_s']:.2f} s "
                                                       f"= {results['stream_ratio']:.1f}x ({results['stream_mb_per_s']:.0f} MB/s)",
         "<= 1.3x"),
        ("daemon CPU, 3 idle watched workspaces", f"{results['idle_cpu_percent']:.2f} % of a core", "< 1 %"),
    ]
    for what, got, target in rows:
        print(f"{what:<45} {got:<40} {target}")


if __name__ == "__main__":
    main()
