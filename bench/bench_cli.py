"""What a person waits for on each roarctl command, against a warm daemon: the CLI's own share
of the wall time, next to the baselines measured in the same run.

    .venv/bin/python bench/bench_cli.py [--runs N] [--as-is] [--json]

Every command runs as a real subprocess, the way a user runs it: the `roarctl` console script
from the same bin directory as the interpreter. The read commands run in a fresh git repository
whose workspace holds a 50-job session. The baselines are `true`, `python -c pass` and
`python -c "import click"` (the floor of any click CLI). All are interleaved, so load from other
processes hits them alike, and the medians are reported.

Issue 15's targets: the CLI's own share, its median minus the `import click` baseline (and, for
`roarctl run -q true`, minus `true` too), at most 25 ms for `run -q true` and at most 35 ms for
every read command. The import share is what `python -X importtime` counts for the command's
imports (one run each, after the measured rounds).

The daemon runs in throw-away XDG directories and is stopped at the end. By default the runs
get a private bytecode cache (PYTHONPYCACHEPREFIX in a temporary directory,
PYTHONDONTWRITEBYTECODE removed), as an installed roar has its .pyc files; `--as-is` keeps the
caller's environment untouched instead.
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

RUN_TARGET_MS = 25.0
READ_TARGET_MS = 35.0
SESSION_JOBS = 50
READ_COMMANDS = {
    "roarctl daemon status": ["daemon", "status"],
    "roarctl status": ["status"],
    "roarctl log": ["log"],
    "roarctl show @1": ["show", "@1"],
    "roarctl dag": ["dag"],
}


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode().strip()}")
    return elapsed * 1000


def import_ms(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Milliseconds of imports in one run of ``cmd`` (a Python console script), by -X importtime:
    the sum of the top-level entries' cumulative times."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *cmd], env=env, cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total = 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):
            total += int(cumulative)
    return total / 1000


def measure(runs: int, warmup: int = 3, as_is: bool = False) -> dict:
    """Run every command interleaved against a fresh warm daemon; medians and more."""
    bindir = Path(sys.executable).parent
    roarctl = bindir / "roarctl"
    if not roarctl.exists():
        raise SystemExit(f"no roarctl console script next to {sys.executable}; "
                         "run this with the Python of the environment roar is installed in")

    base = Path(tempfile.mkdtemp(prefix="roar-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROAR", "XDG_"))}
    env.update({"XDG_RUNTIME_DIR": str(base / "run"), "XDG_STATE_HOME": str(base / "state"),
                "XDG_CONFIG_HOME": str(base / "config"), "COLUMNS": "120"})
    (base / "run").mkdir(mode=0o700)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")

    workspace = base / "ws"
    workspace.mkdir()
    commands: dict[str, tuple[list[str], Path | None]] = {
        "true": (["true"], workspace),
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "python -c 'import click'": ([sys.executable, "-c", "import click"], None),
        "roarctl run -q true": ([str(roarctl), "run", "-q", "true"], workspace),
        **{name: ([str(roarctl), *args], workspace) for name, args in READ_COMMANDS.items()},
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    imports: dict[str, float] = {}
    try:
        subprocess.run([str(roarctl), "daemon", "start"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for git_args in (["init", "-q"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q",
                                          "--allow-empty", "-m", "bench"]):
            subprocess.run(["git", *git_args], cwd=workspace, env=env, check=True)
        subprocess.run([str(roarctl), "init", "-n"], cwd=workspace, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for i in range(SESSION_JOBS):   # 50 distinct steps, each writing a file the next one reads
            script = f"cat {i}.txt 2>/dev/null; echo {i} > {i + 1}.txt"
            subprocess.run([str(roarctl), "run", "-q", "sh", "-c", script], cwd=workspace, env=env,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for round_ in range(warmup + runs):
            for name, (cmd, cwd) in commands.items():
                elapsed = timed(cmd, env, cwd)
                if round_ >= warmup:
                    times[name].append(elapsed)
        for name, (cmd, cwd) in commands.items():
            if name.startswith("roarctl"):
                imports[name] = import_ms(cmd, env, workspace)
    finally:
        subprocess.run([str(roarctl), "--no-autostart", "daemon", "stop"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)

    med = {name: statistics.median(t) for name, t in times.items()}
    click_ms = med["python -c 'import click'"]
    share = {name: med[name] - click_ms - (med["true"] if name == "roarctl run -q true" else 0)
             for name in med if name.startswith("roarctl")}
    return {
        "runs": runs,
        "bytecode_cache": not as_is,
        "median_ms": {name: round(m, 1) for name, m in med.items()},
        "min_ms": {name: round(min(t), 1) for name, t in times.items()},
        "p90_ms": {name: round(sorted(t)[int(0.9 * (len(t) - 1))], 1) for name, t in times.items()},
        "cli_share_ms": {name: round(s, 1) for name, s in share.items()},
        "import_ms": {name: round(v, 1) for name, v in imports.items()},
        "targets_ms": {name: RUN_TARGET_MS if name == "roarctl run -q true" else READ_TARGET_MS
                       for name in share},
        "machine": machine(),
    }


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
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    med = result["median_ms"]
    print(f"machine: {result['machine']}")
    print(f"runs: {args.runs} each, interleaved; bytecode cache: "
          f"{'private (PYTHONPYCACHEPREFIX)' if not args.as_is else 'environment as is'}")
    print(f"{'command':<26} {'median':>8} {'min':>7} {'p90':>7} {'imports':>8} {'CLI share':>10}  target")
    for name in med:
        share = result["cli_share_ms"].get(name)
        row = (f"{name:<26} {med[name]:8.1f} {result['min_ms'][name]:7.1f} {result['p90_ms'][name]:7.1f} "
               f"{result['import_ms'].get(name, float('nan')):8.1f}")
        if share is not None:
            target = result["targets_ms"][name]
            row += f" {share:10.1f}  <= {target:.0f} ms: {'met' if share <= target else 'NOT met'}"
        print(row)
    print("CLI share = median - python -c 'import click' (run: also - true); all in ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
