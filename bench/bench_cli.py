"""Wall time of `roarctl run -q true` and `roarctl daemon status` against a warm daemon, next to
`true` and `python -c pass`.

    .venv/bin/python bench/bench_cli.py [--runs N] [--as-is] [--json]

All four commands run as real subprocesses, the way a user runs them: the `roarctl` console
script from the same bin directory as the interpreter (`run` inside a fresh git repository with
an initialized workspace), `/bin/true`, and that interpreter with `-c pass`. They are
interleaved, so load from other processes hits them alike; the medians are reported. Issue 3's
target is on `roarctl run true` minus `true`.

The daemon runs in throw-away XDG directories and is stopped at the end.

By default the runs get a private bytecode cache (PYTHONPYCACHEPREFIX in a temporary directory,
PYTHONDONTWRITEBYTECODE removed), because an installed roar has its .pyc files while a source
checkout run with PYTHONDONTWRITEBYTECODE=1 recompiles roarctl on every call. `--as-is` keeps
the caller's environment untouched instead.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine  # noqa: E402

TARGET_MS = 100.0


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode().strip()}")
    return elapsed * 1000


def measure(runs: int, warmup: int = 3, as_is: bool = False) -> dict:
    """Run the four commands interleaved against a fresh warm daemon; medians and more."""
    bindir = Path(sys.executable).parent
    roarctl = bindir / "roarctl"
    if not roarctl.exists():
        raise SystemExit(f"no roarctl console script next to {sys.executable}; "
                         "run this with the Python of the environment roar is installed in")

    base = Path(tempfile.mkdtemp(prefix="roar-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "XDG_"))}
    env.update({"XDG_RUNTIME_DIR": str(base / "run"), "XDG_STATE_HOME": str(base / "state"),
                "XDG_CONFIG_HOME": str(base / "config")})
    (base / "run").mkdir(mode=0o700)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")

    workspace = base / "ws"
    workspace.mkdir()
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "true": (["true"], workspace),
        "roarctl daemon status": ([str(roarctl), "daemon", "status"], None),
        "roarctl run -q true": ([str(roarctl), "run", "-q", "true"], workspace),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        subprocess.run([str(roarctl), "daemon", "start"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for git_args in (["init", "-q"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q",
                                          "--allow-empty", "-m", "bench"]):
            subprocess.run(["git", *git_args], cwd=workspace, env=env, check=True)
        subprocess.run([str(roarctl), "init", "-n"], cwd=workspace, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for round_ in range(warmup + runs):
            for name, (cmd, cwd) in commands.items():
                elapsed = timed(cmd, env, cwd)
                if round_ >= warmup:
                    times[name].append(elapsed)
    finally:
        subprocess.run([str(roarctl), "--no-autostart", "daemon", "stop"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)

    med = {name: statistics.median(t) for name, t in times.items()}
    run_minus_true = med["roarctl run -q true"] - med["true"]
    result = {
        "runs": runs,
        "bytecode_cache": not as_is,
        "median_ms": {name: round(m, 1) for name, m in med.items()},
        "min_ms": {name: round(min(t), 1) for name, t in times.items()},
        "p90_ms": {name: round(sorted(t)[int(0.9 * (len(t) - 1))], 1) for name, t in times.items()},
        "run_minus_true_ms": round(run_minus_true, 1),
        "status_minus_python_ms": round(med["roarctl daemon status"] - med["python -c pass"], 1),
        "target_ms": TARGET_MS,
        "machine": machine(),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="measured runs of each command (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured runs first (default 3)")
    ap.add_argument("--as-is", action="store_true",
                    help="do not give the runs a bytecode cache; keep the environment as it is")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    result = measure(args.runs, args.warmup, args.as_is)
    med = result["median_ms"]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"machine: {result['machine']}")
        print(f"runs: {args.runs} each, interleaved; bytecode cache: "
              f"{'private (PYTHONPYCACHEPREFIX)' if not args.as_is else 'environment as is'}")
        for name in med:
            print(f"{name:<24} median {med[name]:6.1f} ms  (min {result['min_ms'][name]:.1f}, "
                  f"p90 {result['p90_ms'][name]:.1f})")
        print(f"status minus python:     {result['status_minus_python_ms']:6.1f} ms")
        print(f"run minus true:          {result['run_minus_true_ms']:6.1f} ms  target <= {TARGET_MS:.0f} ms: "
              f"{'met' if result['run_minus_true_ms'] <= TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
