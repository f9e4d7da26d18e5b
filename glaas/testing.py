"""Real servers for tests and benchmarks: a glaas-server process on loopback, and a temporary
PostgreSQL from Debian's ``postgresql`` package (initdb/pg_ctl in a temporary directory, as an
unprivileged user when run as root). No pytest here; tests/glaas/conftest.py wraps these in
fixtures and bench/bench_glaas.py uses them directly.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_USER = "glaastest"  # the unprivileged user PostgreSQL runs as when the tests run as root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ PostgreSQL

def postgres_bin_dir() -> Path | None:
    """Where initdb/pg_ctl are (Debian keeps them under /usr/lib/postgresql/<version>/bin)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found and shutil.which("initdb") else None


@dataclass
class Postgres:
    """A PostgreSQL cluster in a temporary directory, listening on loopback."""

    bin_dir: Path
    base: Path
    port: int
    user: str
    _run_as: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._run_as, *args], capture_output=True, text=True, check=check, timeout=120,
                              cwd=self.base)

    @classmethod
    def start(cls, base: Path | None = None) -> "Postgres":
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL's initdb/pg_ctl are not installed (Debian package postgresql)")
        base = Path(base or tempfile.mkdtemp(prefix="glaas-pg-"))
        base.mkdir(parents=True, exist_ok=True)
        run_as: list[str] = []
        user = pwd.getpwuid(os.getuid()).pw_name
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            try:
                pwd.getpwnam(PG_USER)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                               check=True, capture_output=True)
            shutil.chown(base, PG_USER, PG_USER)
            os.chmod(base, 0o700)
            run_as = ["runuser", "-u", PG_USER, "--"]
            user = PG_USER
        pg = cls(bin_dir=bin_dir, base=base, port=free_port(), user=user, _run_as=run_as)
        pg._run(str(bin_dir / "initdb"), "-D", str(pg.data_dir), "-U", user, "--auth=trust", "--encoding=UTF8",
                "--locale=C", "--no-sync")
        opts = (f"-c listen_addresses=127.0.0.1 -p {pg.port} -k {base} -c fsync=off -c synchronous_commit=off "
                f"-c full_page_writes=off -c max_connections=200")
        pg._run(str(bin_dir / "pg_ctl"), "-D", str(pg.data_dir), "-l", str(base / "postgres.log"), "-o", opts,
                "-w", "-t", "60", "start")
        return pg

    def create_database(self, name: str) -> str:
        self._run(str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


# ------------------------------------------------------------------ the server

@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def error(self) -> Any:
        return self.body.get("error") if isinstance(self.body, dict) else None


@dataclass
class GlaasServer:
    """A ``glaas-server`` process on 127.0.0.1. ``request()`` speaks JSON to its API."""

    data_dir: Path
    database_url: str | None
    port: int
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def _cli_base(self) -> list[str]:
        args = [sys.executable, "-m", "glaas", "--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.pop("GLAAS_DATABASE_URL", None)
        return env

    def start(self, timeout: float = 60) -> "GlaasServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([*self._cli_base(), "--host", "127.0.0.1", "--port", str(self.port),
                                          "--log-level", "warning", *self.extra_args],
                                         stdout=log, stderr=subprocess.STDOUT, env=self._env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"glaas-server exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if self.request("GET", "/api/v1/health", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"glaas-server did not answer within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)

    def kill(self) -> None:
        """SIGKILL the server (and its workers), as a crash would."""
        self.stop(signal.SIGKILL)

    def cli(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``glaas-server [db options] ARGS`` against this server's database."""
        proc = subprocess.run([*self._cli_base(), *args], input=input, capture_output=True, text=True,
                              env=self._env(), timeout=120)
        if check and proc.returncode != 0:
            raise RuntimeError(f"glaas-server {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def add_user(self, name: str, password: str = "correct horse battery", admin: bool = False) -> None:
        self.cli("users", "add", name, "--password-stdin", *(["--admin"] if admin else []), input=password + "\n")

    def token(self, user: str, scope: str = "read write", expires_days: int = 30) -> str:
        return self.cli("tokens", "create", user, "--scope", scope, "--expires-days", str(expires_days)).stdout.strip()

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 60, raw: bytes | None = None) -> Response:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, text, hdrs = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            status, text, hdrs = exc.code, exc.read(), dict(exc.headers)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return Response(status=status, body=parsed, headers=hdrs)


def start_server(data_dir: Path, database_url: str | None = None, extra_args: list[str] | None = None,
                 env: dict[str, str] | None = None) -> GlaasServer:
    return GlaasServer(data_dir=Path(data_dir), database_url=database_url, port=free_port(),
                       extra_args=list(extra_args or []), env=dict(env or {})).start()
