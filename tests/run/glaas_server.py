"""A real GLaaS server (``python -m glaas``) on a free loopback port with its data in a
temporary directory, for the registration tests; and a recording TCP proxy in front of it, so a
test can read every byte the server received.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@dataclass
class GlaasServer:
    data_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _cli(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run([PYTHON, "-m", "glaas", "--data-dir", str(self.data_dir), *args], input=stdin, capture_output=True, text=True, timeout=60, env={**os.environ, **self.env})
        assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out.stdout

    def start(self) -> "GlaasServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen([PYTHON, "-m", "glaas", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--data-dir", str(self.data_dir), "--log-level", "warning"],
                                     stdout=log, stderr=log, env={**os.environ, **self.env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("glaas server exited:\n" + (self.data_dir / "server.log").read_text())
            try:
                if http(self.url, "GET", "/api/v1/health")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("glaas server did not answer:\n" + (self.data_dir / "server.log").read_text())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def add_user(self, name: str, password: str = "correct horse battery") -> str:
        """Create a user; returns a read+write token for it."""
        self._cli("users", "add", name, "--password-stdin", stdin=password + "\n")
        return self._cli("tokens", "create", name).strip().splitlines()[0]

    def get(self, path: str, token: str = "") -> tuple[int, Any]:
        return http(self.url, "GET", path, token=token)

    def stored_bytes(self) -> bytes:
        """Everything in the server's data directory (database, WAL, logs)."""
        out = b""
        for path in sorted(self.data_dir.rglob("*")):
            if path.is_file():
                out += path.read_bytes()
        return out


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
