"""The one list of path filters, and the reason behind every keep-or-drop decision.

Each rule is (switch, description, matcher). ``FilterRules.drop_reason`` returns the first rule
that drops a path, or None to keep it. Inside the workspace only roar's own files, git
internals, bytecode caches and the user's extra patterns are dropped: a workspace may itself
live under /tmp, so nothing in it is ever dropped as a temporary file.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from roard.config import Config

SYSTEM_PREFIXES = ("/usr/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/", "/etc/",
                   "/proc/", "/sys/", "/dev/", "/run/", "/var/lib/", "/var/cache/", "/var/run/",
                   "/snap/", "/nix/store/")
TMP_PREFIXES = ("/tmp/", "/var/tmp/", "/dev/shm/")
#: Library caches under the home directory (relative to $HOME).
HOME_CACHES = (".cache/huggingface/", ".cache/torch/", ".cache/triton/", ".triton/", ".nv/",
               ".cache/pip/", ".cache/matplotlib/", ".config/matplotlib/", ".keras/",
               ".cache/fontconfig/", ".cache/uv/")
#: Per-user configuration that tools read on every start, not data.
HOME_TOOL_CONFIG = (".gitconfig", ".config/git/", ".config/pip/", ".pip/", ".python_history",
                    ".pyenv/", ".local/share/jupyter/")
_PACKAGE = re.compile(r"/(site|dist)-packages/|/lib(64)?/python\d+(\.\d+)?t?/|/lib/libpython[\d.]+\.so|"
                      r"/\.pyenv/versions/|/conda/pkgs/|/\.venv/bin/|/node_modules/|/pyvenv\.cfg$")
_INTERPRETER = re.compile(r"/bin/python\d*(\.\d+)?$")
#: Installed packages' metadata, wherever it is (importlib.metadata reads every dist's files), and
#: site-packages dirs and pyvenv.cfg, a virtual environment's inside the workspace too.
_PACKAGE_METADATA = re.compile(r"[^/]\.(dist|egg)-info(/|$)|/(site|dist)-packages/|/pyvenv\.cfg$")

PACKAGE_REASON = "installed package or interpreter file (filters.ignore_package_reads)"


@dataclass
class FilterRules:
    workspace_root: str
    home: str
    native_dir: str
    ignore_system: bool = True
    ignore_packages: bool = True
    ignore_caches: bool = True
    ignore_tmp: bool = True
    extra_patterns: list[str] = field(default_factory=list)
    tmp_prefixes: tuple[str, ...] = TMP_PREFIXES
    #: The traced interpreters' sys.path and PYTHONPATH dirs (``runtime.package_roots``), per run.
    package_roots: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config, workspace_root: Path, native_dir: Path) -> "FilterRules":
        tmpdir = os.environ.get("TMPDIR", "")
        extra_tmp = (tmpdir.rstrip("/") + "/",) if tmpdir.startswith("/") and tmpdir != "/" else ()
        return cls(workspace_root=str(workspace_root).rstrip("/") + "/",
                   home=os.path.expanduser("~").rstrip("/") + "/",
                   native_dir=str(native_dir).rstrip("/") + "/",
                   ignore_system=config["filters.ignore_system_reads"],
                   ignore_packages=config["filters.ignore_package_reads"],
                   ignore_caches=config["filters.ignore_torch_cache"],
                   ignore_tmp=config["filters.ignore_tmp_files"],
                   extra_patterns=list(config["filters.ignore_paths"]),
                   tmp_prefixes=TMP_PREFIXES + extra_tmp)

    def in_workspace(self, path: str) -> bool:
        return path.startswith(self.workspace_root)

    def _extra(self, path: str) -> str | None:
        rel = path[len(self.workspace_root):] if self.in_workspace(path) else path
        for pat in self.extra_patterns:
            if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(rel, pat) or path.startswith(pat.rstrip("/") + "/"):
                return f"matches filters.ignore_paths pattern {pat!r}"
        return None

    def is_package_path(self, path: str) -> bool:
        return bool(_PACKAGE.search(path) or _INTERPRETER.search(path) or self.is_installed_package(path))

    def is_installed_package(self, path: str) -> bool:
        """Package metadata, or a file under one of the run's package roots (even one that pip put
        inside the workspace)."""
        return bool(_PACKAGE_METADATA.search(path)) or path.startswith(self._root_prefixes)

    @functools.cached_property
    def _root_prefixes(self) -> tuple[str, ...]:
        """``package_roots`` as directory prefixes, for one ``startswith`` per path (finalize asks
        for every path a run touched). Rules with other roots are new objects (``dataclasses.replace``)."""
        return tuple(r + "/" for r in self.package_roots)

    def drop_reason(self, path: str, written_by_job: bool) -> str | None:
        """Why ``path`` is not an input/output of the job, or None to keep it."""
        if path.startswith(self.workspace_root + ".roar/") or path.startswith(self.native_dir):
            return "roar's own files"
        if "/.git/" in path or path.endswith("/.git"):
            return "git internals"
        if "/__pycache__/" in path:
            return "Python bytecode cache"
        extra = self._extra(path)
        if extra:
            return extra
        if self.ignore_packages and self.is_installed_package(path):
            return PACKAGE_REASON
        if self.in_workspace(path):
            return None
        if self.ignore_system and path.startswith(SYSTEM_PREFIXES):
            return "system path (filters.ignore_system_reads)"
        if self.ignore_packages and self.is_package_path(path):
            return PACKAGE_REASON
        if path.startswith(self.home):
            rel = path[len(self.home):]
            if self.ignore_caches and rel.startswith(HOME_CACHES):
                return "library cache (filters.ignore_torch_cache)"
            if rel.startswith(HOME_TOOL_CONFIG):
                return "per-user tool configuration"
        if self.ignore_tmp and written_by_job and path.startswith(self.tmp_prefixes):
            return "temporary file written by the job (filters.ignore_tmp_files)"
        return None
