"""Where registration goes and as whom: the effective ``glaas.*`` and ``registration.*`` keys
(a workspace's config.toml over the user's ``$XDG_CONFIG_HOME/roar/config.toml`` over the
defaults in ``roard/config.py``) and the stored login, one per server, in
``$XDG_CONFIG_HOME/roar/credentials.json`` (mode 0600).

Blocking (reads small files); callers run it off the event loop or accept a few microseconds.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from roar_api.paths import config_dir
from roard.config import KEYS, Config, explicitly_set
from roard.errors import FailedPrecondition

ANONYMOUS, PUBLIC, PRIVATE = "anonymous", "public", "private"


def user_config_path() -> Path:
    return config_dir() / "config.toml"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def effective_config(workspace_config: Path | None) -> Config:
    """Every key: the workspace's value where it sets one, else the user's, else the default."""
    user_path = user_config_path()
    values = dict(Config.load(user_path).values)
    if workspace_config is not None and workspace_config.exists():
        ws = Config.load(workspace_config)
        for name in explicitly_set(workspace_config):
            if name in KEYS:
                values[name] = ws[name]
    return Config(values)


@dataclass(frozen=True)
class Login:
    """A token the server issued to this user, for one server."""

    server: str
    token: str
    user: str = ""
    scopes: list[str] = field(default_factory=list)
    expires_at: float = 0.0     # 0: does not expire

    @property
    def expired(self) -> bool:
        return bool(self.expires_at) and self.expires_at <= time.time()


def normalize_url(url: str) -> str:
    return url.strip().rstrip("/")


def load_logins() -> dict[str, Login]:
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, Login] = {}
    for server, entry in (data.get("servers") or {}).items():
        if isinstance(entry, dict) and entry.get("token"):
            out[server] = Login(server=server, token=str(entry["token"]), user=str(entry.get("user", "")),
                                scopes=[str(s) for s in entry.get("scopes", [])],
                                expires_at=float(entry.get("expires_at") or 0.0))
    return out


def login_for(server: str) -> Login | None:
    """The stored, unexpired login for ``server``."""
    login = load_logins().get(normalize_url(server))
    return login if login is not None and not login.expired else None


def _write_logins(logins: dict[str, Login]) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"servers": {k: {n: v for n, v in asdict(x).items() if n != "server"}
                                   for k, x in sorted(logins.items())}}, indent=1)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(body)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def save_login(login: Login) -> None:
    logins = load_logins()
    logins[normalize_url(login.server)] = login
    _write_logins(logins)


def forget_login(server: str) -> bool:
    logins = load_logins()
    found = logins.pop(normalize_url(server), None) is not None
    if found:
        _write_logins(logins)
    return found


@dataclass(frozen=True)
class Target:
    """A GLaaS server as this user reaches it: where, its web pages, with which login, and
    under which scope registrations go."""

    url: str
    web_url: str
    login: Login | None
    scope: str
    scope_is_default: bool
    web_url_is_default: bool = True     # glaas.web_url unset: the server's own links are used

    def artifact_page(self, digest: str) -> str:
        return f"{self.web_url}/artifact/{digest}"

    def session_page(self, lineage_hash: str) -> str:
        return f"{self.web_url}/dag/{lineage_hash}"


def server_target(config: Config, url_override: str = "") -> Target:
    """The configured server; FailedPrecondition when none is set. The scope left at its
    default is anonymous while logged out and private once logged in (the original's flip)."""
    url = normalize_url(url_override or config["glaas.url"])
    if not url:
        raise FailedPrecondition("no GLaaS server is set: `roarctl config set glaas.url URL` "
                                 "(or put glaas.url in ~/.config/roar/config.toml)")
    if not url.startswith(("http://", "https://")):
        raise FailedPrecondition(f"glaas.url must start with http:// or https://, not {url!r}")
    web = normalize_url(config["glaas.web_url"])
    login = login_for(url)
    scope = config["registration.scope"]
    if scope:
        return Target(url, web or url, login, scope, False, not web)
    return Target(url, web or url, login, PRIVATE if login else ANONYMOUS, True, not web)

