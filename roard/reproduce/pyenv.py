"""The Python environment of a reproduction: find the recorded interpreter version on this
machine, and build a virtual environment with the recorded packages pinned (uv when it is
installed, else venv and pip).

Environments are cached under ``roar_api.paths.environments_dir()``, one per (interpreter,
pins, constraints), so reproducing twice does not install twice. Blocking; callers run it off
the event loop.
"""
from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import blake3

from roar_api.paths import environments_dir
from roard.capture.runtime import python_probe
from roard.errors import FailedPrecondition

_DONE = ".roar-env.json"
_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement ([A-Za-z0-9_.\-\[\]]+)==(\S+) "
                         r"\(from versions: ([^)]*)\)")
_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9_.\-\[\]]+)==(\S+)")


class InterpreterNotFound(FailedPrecondition):
    pass


@dataclass
class Interpreter:
    path: str
    version: str
    note: str = ""


@dataclass
class Environment:
    directory: Path
    python: Path
    installed: list[tuple[str, str]]
    substitutions: list[str] = field(default_factory=list)

    @property
    def bin_dir(self) -> Path:
        return self.python.parent


def _candidates(recorded_executables: list[str]) -> list[str]:
    found = [p for p in recorded_executables if p]
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep) + ["/usr/local/bin", "/usr/bin"]:
        found += sorted(glob.glob(os.path.join(directory, "python3*")))
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")))
    found.append(sys.executable)
    return [p for p in dict.fromkeys(found) if re.search(r"python3(\.\d+)?$", p) and os.access(p, os.X_OK)]


def find_interpreter(version: str, override: str, recorded_executables: list[str]) -> Interpreter:
    """The interpreter for ``version`` ("3.11.7"): the exact version if the machine has it, else
    the same major.minor (with a note). ``override`` (--python) wins, with a note if it differs."""
    if override:
        found, _ = python_probe(override)
        if not found:
            raise InterpreterNotFound(f"--python {override} is not a Python interpreter that runs here")
        note = (f"--python {override} is Python {found}; the steps were recorded with {version}"
                if version and found != version else "")
        return Interpreter(override, found, note)
    minor = ".".join(version.split(".")[:2])
    same_minor: Interpreter | None = None
    for exe in _candidates(recorded_executables):
        found, _ = python_probe(exe)
        if found == version:
            return Interpreter(exe, found)
        if same_minor is None and found.startswith(minor + "."):
            same_minor = Interpreter(exe, found, f"Python {version} is not on this machine; using {found} "
                                                 f"({exe}), the same minor version")
    if same_minor is not None:
        return same_minor
    raise InterpreterNotFound(f"Python {version} (the recorded interpreter) is not on this machine; install "
                              f"Python {minor} or pass --python with an interpreter to use")


def _key(python: Interpreter, pins: list[tuple[str, str]], constraints: list[tuple[str, str]],
         any_version: bool) -> str:
    data = json.dumps([os.path.realpath(python.path), python.version, pins, constraints, any_version])
    return blake3.blake3(data.encode()).hexdigest()[:20]


def _run(argv: list[str], log: Callable[[str], None]) -> subprocess.CompletedProcess[str]:
    log(" ".join(argv))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def _nearest(wanted: str, available: list[str]) -> str:
    """The available version closest to ``wanted``: the newest not above it, else the oldest above."""
    def release(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v)[:4])
    below = [v for v in available if release(v) <= release(wanted)]
    if below:
        return max(below, key=release)
    return min(available, key=release) if available else ""


def _write_pins(path: Path, pins: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{n}=={v}\n" for n, v in pins))


def _install(env_python: Path, pins: list[tuple[str, str]], constraints: list[tuple[str, str]],
             any_version: bool, log: Callable[[str], None]) -> list[str]:
    """pip/uv install the pins; with ``any_version`` swap unavailable pins for the nearest version."""
    substitutions: list[str] = []
    pins = list(pins)
    work = env_python.parent.parent
    cons_file = work / "roar-constraints.txt"
    _write_pins(cons_file, constraints)
    uv = shutil.which("uv")
    for _attempt in range(len(pins) + 1):
        req_file = work / "roar-requirements.txt"
        _write_pins(req_file, pins)
        if uv:
            argv = [uv, "pip", "install", "--python", str(env_python), "-r", str(req_file), "-c", str(cons_file)]
        else:
            argv = [str(env_python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                    "-r", str(req_file), "-c", str(cons_file)]
        proc = _run(argv, log)
        if proc.returncode == 0:
            return substitutions
        output = proc.stdout + proc.stderr
        missing = _NO_VERSION.search(output) or _NO_MATCH.search(output)
        if missing is None:
            last = [line for line in output.splitlines() if line.strip()]
            raise FailedPrecondition(f"installing the recorded packages failed: {last[-1] if last else 'no output'}")
        name, version = missing.group(1), missing.group(2)
        listed = missing.group(3) if missing.re is _NO_VERSION else ""
        available = [v.strip() for v in listed.split(",") if v.strip() and v.strip() != "none"]
        if not any_version or not available:
            hint = f" (available: {', '.join(available[-5:])}); pass --pip-any-version to take the nearest" \
                if available else " (no version of it is available from the configured indexes)"
            raise FailedPrecondition(f"package {name}=={version} cannot be installed{hint}")
        nearest = _nearest(version, available)
        substitutions.append(f"{name} {version} is not available; installed {nearest} instead (--pip-any-version)")
        pins = [(n, nearest if n.lower() == name.lower() else v) for n, v in pins]
        constraints = [(n, v) for n, v in constraints if n.lower() != name.lower()]
        _write_pins(cons_file, constraints)
    raise FailedPrecondition("installing the recorded packages kept failing; see the daemon log")


def _freeze(env_python: Path) -> list[tuple[str, str]]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps(sorted({(d.metadata['Name'], d.version) for d in m.distributions()})))")
    out = subprocess.run([str(env_python), "-I", "-c", code], capture_output=True, text=True)
    try:
        return [tuple(x) for x in json.loads(out.stdout)]  # type: ignore[misc]
    except ValueError:
        return []


def ensure_environment(python: Interpreter, pins: list[tuple[str, str]], constraints: list[tuple[str, str]],
                       any_version: bool, log: Callable[[str], None]) -> tuple[Environment, bool]:
    """The cached environment for these pins, built when missing. Returns (env, reused).
    A lock file serializes two reproductions that want the same environment."""
    directory = environments_dir() / _key(python, pins, constraints, any_version)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(directory, python, pins, constraints, any_version, log)


def _ensure_locked(directory: Path, python: Interpreter, pins: list[tuple[str, str]],
                   constraints: list[tuple[str, str]], any_version: bool,
                   log: Callable[[str], None]) -> tuple[Environment, bool]:
    env_python = directory / "bin" / "python"
    done = directory / _DONE
    if done.is_file() and env_python.exists():
        data = json.loads(done.read_text())
        return Environment(directory, env_python, [tuple(x) for x in data["installed"]],
                           data.get("substitutions", [])), True
    shutil.rmtree(directory, ignore_errors=True)
    uv = shutil.which("uv")
    if uv:
        argv = [uv, "venv", "--quiet", "--python", python.path, str(directory)]
    else:
        argv = [python.path, "-m", "venv"] + ([] if pins else ["--without-pip"]) + [str(directory)]
    proc = _run(argv, log)
    if proc.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise FailedPrecondition(f"cannot create a virtual environment with {python.path}: "
                                 f"{(proc.stderr.strip().splitlines() or ['failed'])[-1]}")
    try:
        substitutions = _install(env_python, pins, constraints, any_version, log) if pins else []
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    installed = _freeze(env_python)
    done.write_text(json.dumps({"installed": installed, "substitutions": substitutions,
                                "python": python.path, "version": python.version}))
    return Environment(directory, env_python, installed, substitutions), False
