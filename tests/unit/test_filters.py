"""The filter list: every decision has a reason; the workspace is never dropped as /tmp."""
from __future__ import annotations

from pathlib import Path

import pytest

from roard.config import Config, KEYS
from roard.errors import InvalidArgument
from roard.finalize.filters import FilterRules


def rules(root: str = "/tmp/ws", **over) -> FilterRules:
    cfg = Config({k.name: k.default for k in KEYS.values()} | over)
    return FilterRules.from_config(cfg, Path(root), Path("/opt/roar/_native"))


@pytest.mark.parametrize("path,reason", [
    ("/usr/lib/x86_64-linux-gnu/libc.so.6", "system path"),
    ("/etc/ld.so.cache", "system path"),
    ("/proc/self/status", "system path"),
    ("/home/u/.venv/lib/python3.11/site-packages/numpy/__init__.py", "installed package"),
    ("/root/.pyenv/versions/3.11.7/lib/python3.11/os.py", "installed package"),
    ("/root/.cache/huggingface/hub/model.bin", "library cache"),
    ("/tmp/ws/.roar/roar.db", "roar's own files"),
    ("/tmp/ws/.git/HEAD", "git internals"),
    ("/tmp/ws/pkg/__pycache__/m.cpython-311.pyc", "bytecode cache"),
    ("/opt/roar/_native/libroar_preload.so", "roar's own files"),
])
def test_dropped_with_reason(path: str, reason: str) -> None:
    r = rules()
    r.home = "/root/" if path.startswith("/root") else r.home
    why = r.drop_reason(path, written_by_job=False)
    assert why and reason in why


def test_tmp_written_by_job_dropped_but_workspace_under_tmp_kept() -> None:
    r = rules("/tmp/ws")
    assert "temporary file" in r.drop_reason("/tmp/scratch.bin", written_by_job=True)
    assert r.drop_reason("/tmp/input-from-elsewhere.csv", written_by_job=False) is None
    assert r.drop_reason("/tmp/ws/out/model.bin", written_by_job=True) is None


def test_switches_and_extra_patterns() -> None:
    r = rules(**{"filters.ignore_tmp_files": False, "filters.ignore_paths": ["*.log", "/data/cache"]})
    assert r.drop_reason("/tmp/scratch.bin", written_by_job=True) is None
    assert "filters.ignore_paths" in r.drop_reason("/tmp/ws/train.log", written_by_job=True)
    assert "filters.ignore_paths" in r.drop_reason("/data/cache/x", written_by_job=False)
    r2 = rules(**{"filters.ignore_system_reads": False})
    assert r2.drop_reason("/etc/hosts", written_by_job=False) is None


def test_config_validation(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[filters]\nignore_tmp_files = false\n")
    assert Config.load(cfg)["filters.ignore_tmp_files"] is False
    cfg.write_text("[filters]\nno_such_key = 1\n")
    with pytest.raises(InvalidArgument, match="unknown key 'filters.no_such_key'"):
        Config.load(cfg)
    cfg.write_text("[tracer]\ndefault = 'magic'\n")
    with pytest.raises(InvalidArgument, match="tracer.default takes one of"):
        Config.load(cfg)
    cfg.write_text("not toml = = =")
    with pytest.raises(InvalidArgument, match="not valid TOML"):
        Config.load(cfg)
