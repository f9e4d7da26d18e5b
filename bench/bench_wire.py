"""What roarctl's own gRPC client (roarctl/wire.py) saves: `roarctl daemon status` against a warm
daemon with wire, and with grpcio in its place.

    .venv/bin/python bench/bench_wire.py [--runs N] [--json]

Both variants run as real subprocesses through the same launcher, this file with
``--roarctl wire|grpcio ARGS...``: the grpcio one first puts an adapter in
``sys.modules["roarctl.wire"]`` (a grpcio channel as roarctl made it before wire, stubs built
from the same descriptors, grpc's RpcError and StatusCode), so roarctl's code is the same in
both and only the client differs. `python -c pass`, `python -c "import grpc"` and the
`roarctl` console script run alongside; every command is interleaved with the others, so load
from other processes hits them alike, and medians are reported. The runs get a private
bytecode cache, as in bench/bench_cli.py.

The launcher's imports are kept to what both variants need, so that it adds the same to each.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
VARIANTS = ("wire", "grpcio")


def install_grpcio() -> None:
    """Make ``from roarctl import wire`` give grpcio-backed equivalents of wire's names."""
    import importlib
    import types

    import grpc
    from google.protobuf.message_factory import GetMessageClass

    import roarctl
    from roar_api.services import SERVICES

    class ServiceStub:
        def __init__(self, channel: grpc.Channel, module: str, service: str) -> None:
            descriptor = importlib.import_module(module).DESCRIPTOR.services_by_name[service]
            for method in descriptor.methods:
                make = channel.unary_stream if method.server_streaming else channel.unary_unary
                setattr(self, method.name, make(
                    f"/{descriptor.full_name}/{method.name}",
                    request_serializer=GetMessageClass(method.input_type).SerializeToString,
                    response_deserializer=GetMessageClass(method.output_type).FromString))

    adapter = types.ModuleType("roarctl.wire")
    adapter.RpcError = grpc.RpcError
    adapter.StatusCode = grpc.StatusCode
    adapter.ServiceStub = ServiceStub
    # As roarctl/client.py made its channel before wire (commit 6a8294c^).
    adapter.Channel = lambda path: grpc.insecure_channel(f"unix://{path}", options=[("grpc.enable_retries", 0)])
    adapter.service_stub = lambda channel, name: ServiceStub(channel, f"roar_api.v1.{name}_pb2", SERVICES[name])
    sys.modules["roarctl.wire"] = adapter
    roarctl.wire = adapter


def launch(variant: str, args: list[str]) -> None:
    """Run roarctl with ``args`` in this process, its gRPC client being ``variant``."""
    if variant == "grpcio":
        install_grpcio()
    from roarctl.cli import main

    sys.argv = ["roarctl", *args]
    main()


def measure(runs: int, warmup: int) -> dict:
    import resource
    import statistics
    import subprocess
    import time

    from bench.common import VENV_BIN, RoarSandbox, machine

    sandbox = RoarSandbox()
    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import grpc'": [python, "-c", "import grpc"],
        "roarctl daemon status (console script)": [str(VENV_BIN / "roarctl"), "daemon", "status"],
        **{f"daemon status, {v}": [python, __file__, "--roarctl", v, "daemon", "status"] for v in VARIANTS},
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (usage.ru_utime + usage.ru_stime) * 1000

    def run(cmd: list[str]) -> tuple[float, float, str]:
        """Wall and CPU (user + system, all threads) milliseconds, and the output."""
        cpu_before, start = children_cpu(), time.perf_counter()
        proc = subprocess.run(cmd, env=sandbox.env, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1000
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return elapsed, children_cpu() - cpu_before, proc.stdout

    try:
        outputs = {v: run(commands[f"daemon status, {v}"])[2] for v in VARIANTS}
        first_lines = {v: out.splitlines()[0].split(" (pid")[0] for v, out in outputs.items()}
        if len(set(first_lines.values())) != 1 or not first_lines["wire"].startswith("roard "):
            raise SystemExit(f"the variants answer differently: {outputs}")
        for round_ in range(warmup + runs):
            for name, cmd in commands.items():
                elapsed, cpu_ms, _ = run(cmd)
                if round_ >= warmup:
                    times[name].append(elapsed)
                    cpu[name].append(cpu_ms)
    finally:
        sandbox.close()

    med = {name: statistics.median(t) for name, t in times.items()}
    med_cpu = {name: statistics.median(t) for name, t in cpu.items()}
    wire, grpcio = med["daemon status, wire"], med["daemon status, grpcio"]
    return {
        "runs": runs,
        "median_ms": {name: round(m, 1) for name, m in med.items()},
        "min_ms": {name: round(min(t), 1) for name, t in times.items()},
        "median_cpu_ms": {name: round(m, 1) for name, m in med_cpu.items()},
        "grpcio_minus_wire_ms": round(grpcio - wire, 1),
        "grpcio_over_wire": round(grpcio / wire, 2),
        "grpcio_minus_wire_cpu_ms": round(med_cpu["daemon status, grpcio"] - med_cpu["daemon status, wire"], 1),
        "import_grpc_ms": round(med["python -c 'import grpc'"] - med["python -c pass"], 1),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="measured runs of each command (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first (default 3)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    result = measure(args.runs, args.warmup)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"machine: {result['machine']}")
    print(f"runs: {args.runs} each, interleaved (wall: median, min in brackets; CPU: median)")
    for name, value in result["median_ms"].items():
        print(f"{name:<42} wall {value:6.1f} ms ({result['min_ms'][name]:5.1f})  "
              f"CPU {result['median_cpu_ms'][name]:6.1f} ms")
    print(f"grpcio minus wire: wall {result['grpcio_minus_wire_ms']:.1f} ms "
          f"(grpcio / wire = {result['grpcio_over_wire']:.2f}), CPU {result['grpcio_minus_wire_cpu_ms']:.1f} ms; "
          f"import grpc alone: {result['import_grpc_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--roarctl" and sys.argv[2] in VARIANTS:
        launch(sys.argv[2], sys.argv[3:])
    sys.exit(main())
