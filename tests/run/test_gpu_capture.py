"""A job records which GPUs its processes really opened, the CUDA libraries they loaded and
CUDA_VISIBLE_DEVICES. This machine has no NVIDIA GPU or driver, so the test provides what it
lacks and says so: /dev/nvidia0 is a character device with /dev/null's numbers, made on a
tmpfs over /dev in a private mount namespace (`unshare -m`; skipped where not permitted), and
libcudart.so.13 is an empty shared library compiled here. The machine-level facts (nvidia-smi)
are tested against output captured on an H200 in tests/unit/test_gpu.py."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run.helpers import write_script
from tests.tracers.test_gpu_devices import FAKE_DEV, private_dev_permitted

GPU_STEP = """import ctypes, os, sys
ctypes.CDLL(sys.argv[1])                      # the CUDA runtime, as a framework loads it
for name in ('/dev/nvidiactl', '/dev/nvidia0'):
    os.close(os.open(name, os.O_RDWR))
open('model.bin', 'w').write('weights')
"""


def test_a_job_records_the_gpu_it_opened_and_the_cuda_it_loaded(roard, workspace: Path, tmp_path: Path,
                                                                 tracer: str):
    why = private_dev_permitted()
    if why:
        pytest.skip(why)
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler to build a stand-in libcudart")
    lib_dir = tmp_path / "cuda"
    lib_dir.mkdir()
    (lib_dir / "empty.c").write_text("int roar_test_cudart;\n")
    real = lib_dir / "libcudart.so.13.0.96"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(real), str(lib_dir / "empty.c")], check=True)
    (lib_dir / "libcudart.so.13").symlink_to(real.name)
    write_script(workspace, "train.py", GPU_STEP)

    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", FAKE_DEV, "sh", sys.executable, "-m", "roarctl", "run", "--json",
         "--tracer", tracer, sys.executable, "train.py", str(lib_dir / "libcudart.so.13")],
        cwd=workspace, env={**roard.env, "CUDA_VISIBLE_DEVICES": "0"}, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr, roard.read_log())
    job = json.loads(proc.stdout[proc.stdout.find("{\n"):])
    rt = job["runtime"]
    assert rt["gpu_devices_opened"] == [0]
    assert rt["cuda_visible_devices"] == "0"
    assert rt["cuda_runtime"] == "13.0.96"   # the real file's name is more precise than the soname
    assert [lib["component"] for lib in rt["gpu_libraries"]] == ["cuda_runtime"]
    assert [o["path"] for o in job["outputs"]] == ["model.bin"]
    assert not any(i["path"].startswith("/dev/") for i in job["inputs"])


def test_a_job_without_gpus_records_none(roard, workspace: Path):
    proc = roard.roarctl("run", "--json", "true", cwd=workspace, env={"CUDA_VISIBLE_DEVICES": ""},
                         check=True)
    rt = json.loads(proc.stdout[proc.stdout.find("{\n"):])["runtime"]
    assert rt["gpu_devices_opened"] == [] and rt["gpu_libraries"] == [] and rt["cuda_runtime"] == ""
    assert rt["cuda_visible_devices"] == ""   # set, but empty: no GPU visible, which differs from unset


def test_show_prints_the_gpu_line(roard, workspace: Path):
    roard.roarctl("run", "-q", "true", cwd=workspace, env={"CUDA_VISIBLE_DEVICES": "1"}, check=True)
    out = roard.roarctl("show", "@1", cwd=workspace, check=True).stdout
    assert "  gpu       CUDA_VISIBLE_DEVICES=1\n" in out
