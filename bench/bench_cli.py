"""Wall time of `roarctl daemon status` against a warm daemon, next to `python -c pass`.

    .venv/bin/python bench/bench_cli.py [--runs N] [--as-is] [--json]

Both commands run as real subprocesses, the way a user runs them: the `roarctl` console script
from the same bin directory as the interpreter, and that interpreter with `-c pass`. They are
interleaved, so load from other processes hits both alike; the medians are reported.

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
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 100.0


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "unknown"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode().strip()}")
    return elapsed * 1000


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
    if not args.as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")

    status_cmd = [str(roarctl), "daemon", "status"]
    pass_cmd = [sys.executable, "-c", "pass"]
    try:
        subprocess.run([str(roarctl), "daemon", "start"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for _ in range(args.warmup):
            timed(pass_cmd, env)
            timed(status_cmd, env)
        t_pass, t_status = [], []
        for _ in range(args.runs):
            t_pass.append(timed(pass_cmd, env))
            t_status.append(timed(status_cmd, env))
    finally:
        subprocess.run([str(roarctl), "--no-autostart", "daemon", "stop"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)

    m_pass, m_status = statistics.median(t_pass), statistics.median(t_status)
    result = {
        "command": " ".join(["roarctl", "daemon", "status"]),
        "runs": args.runs,
        "bytecode_cache": not args.as_is,
        "python_c_pass_ms": round(m_pass, 1),
        "roarctl_daemon_status_ms": round(m_status, 1),
        "roarctl_daemon_status_min_ms": round(min(t_status), 1),
        "roarctl_daemon_status_p90_ms": round(sorted(t_status)[int(0.9 * (len(t_status) - 1))], 1),
        "difference_ms": round(m_status - m_pass, 1),
        "ratio": round(m_status / m_pass, 2),
        "target_ms": TARGET_MS,
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        mc = result["machine"]
        print(f"machine: {mc['nproc']} CPUs, {mc['cpu']}, Python {mc['python']}")
        print(f"runs: {args.runs} each, interleaved; bytecode cache: "
              f"{'private (PYTHONPYCACHEPREFIX)' if not args.as_is else 'environment as is'}")
        print(f"python -c pass:          median {m_pass:6.1f} ms")
        print(f"roarctl daemon status:   median {m_status:6.1f} ms  (min {min(t_status):.1f}, "
              f"p90 {result['roarctl_daemon_status_p90_ms']:.1f})")
        print(f"difference:              {m_status - m_pass:6.1f} ms  (ratio {m_status / m_pass:.2f}x)")
        print(f"target:                  < {TARGET_MS:.0f} ms: "
              f"{'met' if m_status < TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
