"""Server settings: one dataclass, filled from the command line and GLAAS_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "glaas"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Settings:
    """Everything the server is configured with. Nothing here changes while it runs."""

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None
    # Requests with bodies larger than this are refused with 413.
    max_body_bytes: int = 64 * 1024 * 1024
    # Registration without a token (attributed to nobody, public).
    anonymous_writes: bool = True
    # The original client's usage telemetry (POST /api/v1/telemetry/roar) is answered 204 and
    # stored only when this is on.
    telemetry_enabled: bool = False
    # Rate limits, per client address and minute, kept in the database.
    login_attempts_per_minute: int = 10
    anonymous_writes_per_minute: int = 3000  # roar-cli sends about two requests per job
    # Public base URL of the web UI, used in links the API returns (default: the request's).
    public_url: str | None = None
    # Secret for signed cookies (web UI); generated once and kept in the data dir when unset.
    secret_key: str | None = None
    device_code_lifetime_s: int = 900
    device_poll_interval_s: int = 5

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from GLAAS_* variables, then explicit overrides (None means 'not given')."""
        s = cls()
        if os.environ.get("GLAAS_DATA_DIR"):
            s.data_dir = Path(os.environ["GLAAS_DATA_DIR"])
        s.database_url = os.environ.get("GLAAS_DATABASE_URL") or None
        s.max_body_bytes = _env_int("GLAAS_MAX_BODY_BYTES", s.max_body_bytes)
        s.anonymous_writes = _env_bool("GLAAS_ANONYMOUS_WRITES", s.anonymous_writes)
        s.telemetry_enabled = _env_bool("GLAAS_TELEMETRY", s.telemetry_enabled)
        s.login_attempts_per_minute = _env_int("GLAAS_LOGIN_PER_MINUTE", s.login_attempts_per_minute)
        s.anonymous_writes_per_minute = _env_int("GLAAS_ANON_WRITES_PER_MINUTE", s.anonymous_writes_per_minute)
        s.public_url = os.environ.get("GLAAS_PUBLIC_URL") or None
        s.secret_key = os.environ.get("GLAAS_SECRET_KEY") or None
        for key, value in overrides.items():
            if value is not None:
                setattr(s, key, Path(value) if key == "data_dir" else value)
        return s

    @property
    def url(self) -> str:
        """The SQLAlchemy URL: the given one, else SQLite in the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.data_dir / 'glaas.db'}"

    def cookie_secret(self) -> str:
        """The web UI's cookie signing key: configured (GLAAS_SECRET_KEY), else the one kept in
        the database (made once by whichever process starts first; see ``shared_secret``)."""
        if not self.secret_key:
            raise RuntimeError("the server's secret key is not loaded (create_app loads it)")
        return self.secret_key
