"""The daemon's Unix socket: a safe directory, one daemon per socket, stale-socket recovery and
systemd socket activation.

Safety rules: the socket directory must be a real directory (not a symlink) owned by us and is
kept at 0700; the socket is 0600. A lock file beside the socket makes one daemon per socket.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import socket
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from roar_api.paths import MAX_SOCKET_PATH, lock_path
from roard.errors import DaemonStartupError

log = logging.getLogger(__name__)

SD_LISTEN_FDS_START = 3


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` 0700, or check that an existing one is ours and not a symlink."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise DaemonStartupError(f"refusing to use socket directory {path}: it is a symlink")
    if not stat.S_ISDIR(st.st_mode):
        raise DaemonStartupError(f"refusing to use socket directory {path}: it is not a directory")
    if st.st_uid != os.geteuid():
        raise DaemonStartupError(
            f"refusing to use socket directory {path}: it is owned by uid {st.st_uid}, not by you")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def connectable(sock_path: Path, timeout: float = 0.5) -> bool:
    """True when something accepts connections on ``sock_path``."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(sock_path))
        return True
    except OSError:
        return False
    finally:
        s.close()


@dataclass
class SocketLock:
    """An exclusive flock on ``<socket>.lock`` held for the daemon's lifetime."""

    path: Path
    fd: int

    @classmethod
    def acquire(cls, sock_path: Path) -> "SocketLock":
        path = lock_path(sock_path)
        fd = _open_lock_file(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise DaemonStartupError(
                    f"another roard (pid {other}) is already running on {sock_path}; "
                    "see `roarctl daemon status`, or stop it with `roarctl daemon stop`") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _open_lock_file(path: Path) -> int:
    """The lock file's descriptor: a regular file of ours, never through a symlink."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DaemonStartupError(f"refusing to use lock file {path}: it is a symlink; "
                                     "remove it and start roard again") from None
        raise DaemonStartupError(f"cannot open lock file {path} ({exc.strerror})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        os.close(fd)
        what = "not a regular file" if not stat.S_ISREG(st.st_mode) else f"owned by uid {st.st_uid}, not by you"
        raise DaemonStartupError(f"refusing to use lock file {path}: it is {what}")
    return fd


def prepare_socket(sock_path: Path) -> SocketLock:
    """Make ``sock_path`` ready to bind: safe directory, lock held, stale socket removed."""
    if len(os.fsencode(str(sock_path))) > MAX_SOCKET_PATH:
        raise DaemonStartupError(
            f"socket path {sock_path} is longer than {MAX_SOCKET_PATH} bytes; choose a shorter --socket")
    ensure_private_dir(sock_path.parent)
    lock = SocketLock.acquire(sock_path)
    try:
        st = os.lstat(sock_path)
    except FileNotFoundError:
        return lock
    if not stat.S_ISSOCK(st.st_mode):
        lock.release()
        raise DaemonStartupError(f"refusing to replace {sock_path}: it exists and is not a socket")
    if connectable(sock_path):
        lock.release()
        raise DaemonStartupError(
            f"another process is serving {sock_path} without holding its lock; stop it first")
    log.info("removing stale socket %s left by a daemon that did not exit cleanly", sock_path)
    os.unlink(sock_path)
    return lock


def systemd_listen_fd() -> int | None:
    """The listening socket systemd passed (``LISTEN_FDS``/``LISTEN_PID``), or None."""
    pid = os.environ.get("LISTEN_PID")
    count = os.environ.get("LISTEN_FDS")
    if not count or (pid and pid != str(os.getpid())):
        return None
    for var in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(var, None)
    if int(count) < 1:
        return None
    fd = SD_LISTEN_FDS_START
    st = os.fstat(fd)
    if not stat.S_ISSOCK(st.st_mode):
        raise DaemonStartupError(f"LISTEN_FDS was set but fd {fd} is not a socket")
    os.set_inheritable(fd, False)
    return fd


def peer_uid(sock: socket.socket | None) -> int | None:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED), None if unknown."""
    if sock is None:
        return None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    return struct.unpack("3i", creds)[1]


class ActivatedSocketProxy:
    """Serves a socket passed by systemd by relaying each connection to the gRPC server's own
    private socket. grpcio's Python API cannot adopt a listening descriptor, so the relay keeps
    socket activation working without rebinding the path systemd owns."""

    def __init__(self, listen_fd: int, backend_path: Path) -> None:
        self.listen_fd = listen_fd
        self.backend_path = backend_path
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> str:
        sock = socket.socket(fileno=self.listen_fd)
        sock.setblocking(False)
        self._server = await asyncio.start_unix_server(self._relay, sock=sock)
        return str(sock.getsockname())

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        uid = peer_uid(client_w.get_extra_info("socket"))
        if uid != os.geteuid():   # systemd's socket may be more open than our own 0600 one
            log.warning("refused a connection from uid %s: roard serves only uid %d", uid, os.geteuid())
            client_w.close()
            return
        try:
            backend_r, backend_w = await asyncio.open_unix_connection(str(self.backend_path))
        except OSError:
            client_w.close()
            return

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        await asyncio.gather(pump(client_r, backend_w), pump(backend_r, client_w))
