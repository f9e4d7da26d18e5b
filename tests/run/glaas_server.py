"""For the registration tests: the GLaaS tests' real server (``glaas.testing``: ``python -m
glaas`` on a free loopback port, its data in a temporary directory, SQLite or PostgreSQL),
small helpers over it, and a recording TCP proxy in front of it, so a test can read every byte
the server received.
"""
from __future__ import annotations

import json
import shutil
import socket
import socketserver
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from glaas.testing import GlaasServer, free_port


def new_server(data_dir: Path, database_url: str | None = None) -> GlaasServer:
    """A server (the GLaaS tests' ``glaas.testing.GlaasServer``) on a free port, not started."""
    return GlaasServer(data_dir=data_dir, database_url=database_url, port=free_port())


def http(base: str, method: str, path: str, body: Any = None, token: str = "") -> tuple[int, Any]:
    """One request; (status, unwrapped ``data`` or the error body)."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    payload = json.loads(raw) if raw else None
    if isinstance(payload, dict) and payload.get("success") is True:
        payload = payload.get("data")
    return status, payload


def get(server: GlaasServer, path: str, token: str = "") -> tuple[int, Any]:
    return http(server.url, "GET", path, token=token)


def add_user(server: GlaasServer, name: str) -> str:
    """Create a user; returns a read+write token for it."""
    server.add_user(name)
    return server.token(name)


def stored_bytes(server: GlaasServer) -> bytes:
    """Everything in the server's data directory (SQLite database, WAL, log)."""
    return b"".join(p.read_bytes() for p in sorted(server.data_dir.rglob("*")) if p.is_file())


class RecordingProxy:
    """Forwards loopback TCP connections to ``target_port`` and keeps every byte the clients
    sent: what the server received."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.received = bytearray()
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                upstream = socket.create_connection(("127.0.0.1", proxy.target_port), timeout=60)
                pump = threading.Thread(target=proxy._pipe, args=(upstream, self.request, False), daemon=True)
                pump.start()
                proxy._pipe(self.request, upstream, True)
                pump.join(60)
                upstream.close()

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _pipe(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                if record:
                    with self._lock:
                        self.received += chunk
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def requests(self) -> list[str]:
        """The request lines received ("POST /api/v1/lineage HTTP/1.1")."""
        text = bytes(self.received).decode("utf-8", "replace")
        return [line for line in text.split("\r\n") if line.split(" ")[0] in ("GET", "POST", "PUT", "DELETE")
                and line.endswith("HTTP/1.1")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def cleanup(server: GlaasServer) -> None:
    server.stop()
    shutil.rmtree(server.data_dir, ignore_errors=True)
