"""``roard``: the per-user roar daemon.

    roard [--socket PATH] [--foreground] [--idle-timeout SECONDS] [--log-level LEVEL]

It always runs in the calling process (``roarctl daemon start`` detaches it); ``--foreground``
also logs to stderr, which is what systemd and launchd want.
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
from pathlib import Path

# roard forks to run programs (git, reproduced steps, pip). gRPC's fork handlers are meant for
# processes that go on using gRPC after fork; ours exec at once, and with the handlers on, a
# child forked while gRPC threads were busy crashed (SIGSEGV in cygrpc) about one time in ten.
# Set before grpc is first imported anywhere in the daemon.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from roar_api import paths  # noqa: E402 (after the environment above)
from roar_api.version import VERSION  # noqa: E402
from roard.errors import DaemonStartupError  # noqa: E402

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="roard", description="The roar daemon.")
    p.add_argument("--socket", help="Unix socket path (default: $ROARD_SOCKET, else "
                   "$XDG_RUNTIME_DIR/roar/roard.sock, else $XDG_STATE_HOME/roar/roard.sock)")
    p.add_argument("--foreground", action="store_true", help="also log to stderr")
    p.add_argument("--idle-timeout", type=float, default=0.0, metavar="SECONDS",
                   help="exit after this many idle seconds (default: never)")
    p.add_argument("--log-level", default=os.environ.get("ROARD_LOG_LEVEL", "info"),
                   choices=["debug", "info", "warning", "error"])
    p.add_argument("--version", action="version", version=f"roard {VERSION}")
    return p.parse_args(argv)


def setup_logging(log_path: Path, foreground: bool, level: str) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    root = logging.getLogger()
    root.setLevel(level.upper())
    fmt = logging.Formatter(LOG_FORMAT)
    file_handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8")
    file_handler.setFormatter(fmt)
    root.addHandler(file_handler)
    if foreground:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        root.addHandler(stream)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.idle_timeout < 0:
        print("roard: --idle-timeout must be 0 (off) or a positive number of seconds", file=sys.stderr)
        return 2
    sock = paths.socket_path(args.socket)
    log_path = paths.log_path()
    setup_logging(log_path, args.foreground, args.log_level)

    import uvloop

    from roard.daemon import Daemon, DaemonConfig
    from roard.server import serve

    config = DaemonConfig(socket_path=sock, log_path=log_path, state_dir=paths.state_dir(),
                          idle_timeout=args.idle_timeout)

    async def run() -> int:
        return await serve(Daemon(config))

    try:
        return uvloop.run(run())
    except DaemonStartupError as exc:
        logging.getLogger("roard").error("%s", exc)
        print(f"roard: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
