"""The one table of configuration keys: defaults, descriptions and validation.

A workspace's ``.roar/config.toml`` holds only the keys the user changed; everything else comes
from here. Keys are dotted (``filters.ignore_tmp_files``) and map to TOML tables.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from roard.capture import omission
from roard.errors import InvalidArgument


@dataclass(frozen=True)
class ConfigKey:
    name: str
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    parse: Callable[[Any], Any] | None = None   # the key's own conversion; ValueError if bad

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to the key's type, or raise InvalidArgument."""
        if self.parse is not None:
            try:
                return self.parse(value)
            except ValueError as exc:
                raise InvalidArgument(f"{self.name}: {exc}") from None
        kind = type(self.default)
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            raise InvalidArgument(f"{self.name} takes true or false, not {value!r}")
        if kind is list:
            if isinstance(value, list):
                return [str(v) for v in value]
            return [v.strip() for v in str(value).split(",") if v.strip()]
        text = str(value)
        if self.choices and text not in self.choices:
            raise InvalidArgument(f"{self.name} takes one of {', '.join(self.choices)}, not {text!r}")
        return text

    @property
    def expected_type(self) -> str:
        """What a config file must give this key, in words."""
        kind = type(self.default)
        if kind is bool:
            return "true or false (a TOML boolean)"
        if kind is list:
            return "a list" if self.parse is not None else "a list of strings"
        if kind is float:
            return "a number"
        return "a string"

    def validate_stored(self, value: Any, source: Path) -> Any:
        """``value`` as read from a TOML file: it must have the key's type already (a file says
        ``quiet = true``, not ``"yes"``), then it is validated as a typed-in value is."""
        kind = type(self.default)
        if kind is bool:
            typed = isinstance(value, bool)
        elif kind is list:
            typed = isinstance(value, list) and (self.parse is not None or all(isinstance(v, str) for v in value))
        elif kind is float:
            typed = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            typed = isinstance(value, str)
        if not typed:
            raise InvalidArgument(f"{source}: {self.name} must be {self.expected_type}, "
                                  f"not {_toml_type(value)} {bounded(render(value))}")
        return self.validate(value)


def _toml_type(value: Any) -> str:
    names = {bool: "the boolean", int: "the integer", float: "the number", str: "the string",
             list: "the list", dict: "the table"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), "the value")


def bounded(text: str, limit: int = 80) -> str:
    """``text`` cut short: error messages quote the user's input, not all of it."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def bounded_repr(value: Any) -> str:
    return bounded(repr(value))


KEYS: dict[str, ConfigKey] = {k.name: k for k in [
    ConfigKey("output.quiet", False, "Suppress the summary printed after each run."),
    ConfigKey("run.allow_incomplete", False, "`roarctl run` exits with the command's code even when the "
              "record is incomplete (the tracer may have lost events); by default it then exits 6."),
    ConfigKey("filters.ignore_system_reads", True, "Ignore reads under /usr, /lib, /etc, /proc, /sys, /dev and similar."),
    ConfigKey("filters.ignore_package_reads", True,
              "Ignore reads of installed packages and the interpreter's own files (they are recorded as packages)."),
    ConfigKey("filters.ignore_torch_cache", True, "Ignore torch, triton and Hugging Face caches."),
    ConfigKey("filters.ignore_tmp_files", True,
              "Ignore /tmp files the job itself wrote (never files inside the workspace)."),
    ConfigKey("filters.ignore_paths", [], "Extra paths or glob patterns to ignore (comma-separated)."),
    ConfigKey("tracer.default", "auto", "Tracer backend for runs.", ("auto", "preload", "ptrace", "ebpf")),
    ConfigKey("glaas.url", "", "GLaaS server URL (API)."),
    ConfigKey("glaas.web_url", "", "GLaaS web UI URL (default: glaas.url)."),
    ConfigKey("registration.auto", False,
              "Queue each finished job's lineage for registration with glaas.url, sent in the background."),
    ConfigKey("registration.scope", "", "Scope of registrations: anonymous, public or private "
              "(unset: anonymous, private once `roarctl login` ran).", ("anonymous", "public", "private")),
    ConfigKey("registration.omit.enabled", True, "Omit secrets (tokens, keys, passwords) from registered lineage."),
    ConfigKey("registration.omit.secrets.values", [], "Literal secrets redacted wherever they appear "
              "(JSON list or comma-separated).", parse=omission.parse_secret_values),
    ConfigKey("registration.omit.env_vars.names", list(omission.DEFAULT_ENV_NAMES),
              "Environment variables whose values are redacted wherever they appear.", parse=omission.parse_env_names),
    ConfigKey("registration.omit.patterns", [], "Own redaction rules, [{id, pattern, replacement}]: a regex "
              "(a group named secret replaces only that part).", parse=omission.parse_patterns),
    ConfigKey("registration.omit.allowlist.patterns", [], "Regexes whose matches are never redacted.",
              parse=omission.parse_regexes),
    ConfigKey("watch.enabled", True, "roard watches the files this workspace's steps read and wrote, for "
              "stale/fresh events and file status."),
    ConfigKey("watch.mode", "auto", "How: file system notifications (notify), polling the tracked files "
              "(poll), or notify falling back to poll when the watch limit is reached (auto).",
              ("auto", "notify", "poll")),
    ConfigKey("watch.idle_minutes", 60.0, "Stop watching this workspace after this many minutes "
              "without a client asking about it or a run in it.", parse=lambda v: _positive_number(v)),
]}


def _positive_number(value: Any) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"takes a positive number, not {value!r}")
    return number


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


@dataclass(frozen=True)
class Config:
    values: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @classmethod
    def load(cls, path: Path) -> "Config":
        """Defaults overlaid with the file; unknown keys and bad values are refused."""
        values = {k.name: k.default for k in KEYS.values()}
        for name, value in _read(path).items():
            key = KEYS.get(name)
            if key is None:
                raise InvalidArgument(f"{path}: unknown key {bounded_repr(name)}; valid keys: {', '.join(KEYS)}")
            values[name] = key.validate_stored(value, path)
        return cls(values)


def _read(path: Path) -> dict[str, Any]:
    """The keys a config file sets (flattened), or {} when there is no file. A file that is not
    UTF-8 or not TOML is refused with one sentence."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidArgument(f"cannot read {path} ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"{path} is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}); "
                              f"TOML files are UTF-8: fix or delete it") from None
    try:
        return _flatten(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(f"{path} is not valid TOML ({exc}); fix or delete it") from None


DEFAULT_CONFIG_TOML = """\
# roar workspace configuration. Only keys you change need to be here; run
# `roarctl config list` to see every key with its default and description.

[output]
quiet = false

[filters]
ignore_system_reads = true
ignore_package_reads = true
ignore_torch_cache = true
ignore_tmp_files = true
ignore_paths = []
"""


def render(value: Any) -> str:
    """A value as TOML shows it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):   # an inline table
        return "{ " + ", ".join(f"{json.dumps(k)} = {render(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _toml_document(values: dict[str, Any]) -> str:
    tables: dict[str, dict[str, Any]] = {}
    for name, value in sorted(values.items()):
        table, _, leaf = name.rpartition(".")
        tables.setdefault(table, {})[leaf] = value
    parts = ["# roar workspace configuration; `roarctl config list` shows every key.\n"]
    for table, entries in tables.items():
        parts.append(f"\n[{table}]\n" + "".join(f"{k} = {render(v)}\n" for k, v in entries.items()))
    return "".join(parts)


def key_named(name: str) -> ConfigKey:
    key = KEYS.get(name)
    if key is None:
        raise InvalidArgument(f"unknown config key {name!r}; valid keys: {', '.join(KEYS)}")
    return key


def set_value(path: Path, name: str, raw: str) -> Any:
    """Validate and store one key in ``path``; returns the stored value. The file is rewritten
    atomically, keeping the other keys it sets."""
    key = key_named(name)
    value = key.validate(raw)
    Config.load(path)  # refuses a broken file before we rewrite it
    current = _read(path)
    current[name] = value
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_toml_document(current), encoding="utf-8")
    os.replace(tmp, path)
    return value


def explicitly_set(path: Path) -> set[str]:
    return set(_read(path))


@dataclass(frozen=True)
class Setting:
    """A key as a workspace has it: its value there, and whether the workspace sets it."""

    key: ConfigKey
    value: Any
    is_set: bool


def describe(path: Path, names: list[str] | None = None) -> list[Setting]:
    """The settings of ``names`` (every key by default) in the config file ``path``."""
    keys = [key_named(n) for n in names] if names is not None else list(KEYS.values())
    values, chosen = Config.load(path), explicitly_set(path)
    return [Setting(k, values[k.name], k.name in chosen) for k in keys]


def describe_one(path: Path, name: str) -> Setting:
    return describe(path, [name])[0]


def set_and_describe(path: Path, name: str, raw: str) -> Setting:
    set_value(path, name, raw)
    return describe_one(path, name)
