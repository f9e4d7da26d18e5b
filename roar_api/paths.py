"""Where roar keeps per-user things: the daemon socket, state (log, hash cache) and config.

One place for these rules, used by roard, roarctl and the tests.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

SOCKET_NAME = "roard.sock"
#: Linux's sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value and os.path.isabs(value) else Path.home() / default


def state_dir() -> Path:
    """``$XDG_STATE_HOME/roar``: daemon log, hash cache, registration queue."""
    return _xdg("XDG_STATE_HOME", ".local/state") / "roar"


def reproductions_dir() -> Path:
    """``$XDG_DATA_HOME/roar/reproductions``: fresh checkouts made by `roarctl reproduce`."""
    return _xdg("XDG_DATA_HOME", ".local/share") / "roar" / "reproductions"


def environments_dir() -> Path:
    """``$XDG_CACHE_HOME/roar/envs``: virtual environments built for reproductions, one per
    (interpreter, pinned packages); rebuilt on demand, safe to delete."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "roar" / "envs"


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/roar``: user config and credentials."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "roar"


def default_socket_path() -> Path:
    """``$XDG_RUNTIME_DIR/roar/roard.sock``, else ``$XDG_STATE_HOME/roar/roard.sock``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "roar" / SOCKET_NAME
    return state_dir() / SOCKET_NAME


def socket_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The socket to use: an explicit override, then ``ROARD_SOCKET``, then the default."""
    if override:
        return Path(override).absolute()
    env = os.environ.get("ROARD_SOCKET")
    if env:
        return Path(env).absolute()
    return default_socket_path()


def runtime_spool_dir() -> Path | None:
    """Where tracer spools go: on tmpfs, where creating one file per traced process is cheap.
    ``$XDG_RUNTIME_DIR/roar/spool``; without a runtime directory (containers, cron, su), a
    private ``/dev/shm/roar-<uid>`` we own; else None (spools then stay in .roar/runs/)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "roar" / "spool"
    shm = Path("/dev/shm") / f"roar-{os.getuid()}"
    return shm / "spool" if _private_dir(shm) else None


def _private_dir(path: Path) -> bool:
    """Create ``path`` 0700, or accept it when it already is ours, a real directory and private:
    in a world-writable /dev/shm another user could have made it first."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    return is_private_dir(path)


def is_private_dir(path: Path) -> bool:
    """A real directory (not a symlink), ours, and closed to everyone else."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def log_path() -> Path:
    return state_dir() / "roard.log"


def lock_path(sock: Path) -> Path:
    """The lock file that makes one daemon per socket."""
    return sock.with_name(sock.name + ".lock")


def grpc_target(sock: Path) -> str:
    return f"unix://{sock}"
