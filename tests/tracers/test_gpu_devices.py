"""A traced process that opens a GPU device is recorded, so a job can say which GPUs it really
used. This machine has no NVIDIA GPU: the test makes /dev/nvidia0 itself, as a character device
with /dev/null's numbers on a tmpfs over /dev in a private mount namespace (`unshare -m`), and
skips with the reason where that is not permitted."""
from __future__ import annotations

import subprocess
import sys

import pytest

from roard.capture import gpu
from roard.tracing.spool import Open

FAKE_DEV = ("mount -t tmpfs roar-test-dev /dev && mknod -m 666 /dev/null c 1 3 && "
            "mknod -m 666 /dev/nvidiactl c 1 3 && mknod -m 666 /dev/nvidia0 c 1 3 && exec \"$@\"")
OPEN_GPU = ("import os\n"
            "for name in ('/dev/nvidiactl', '/dev/nvidia0'):\n"
            "    os.close(os.open(name, os.O_RDWR))\n")


def private_dev_permitted() -> str:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs x /dev"],
                           capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"cannot mount a private /dev here: {probe.stderr.strip()}"


def test_opening_dev_nvidia0_is_recorded(run):
    why = private_dev_permitted()
    if why:
        pytest.skip(why)
    traced = run(["unshare", "-m", "sh", "-c", FAKE_DEV, "sh", sys.executable, "-I", "-c", OPEN_GPU])
    opened = [e.path for e in traced.events if isinstance(e, Open)]
    assert "/dev/nvidia0" in opened and "/dev/nvidiactl" in opened
    facts = gpu.job_facts(opened, [], {"CUDA_VISIBLE_DEVICES": "0"}, None)
    assert facts is not None and facts.device_minors_opened == (0,)
    assert facts.summary().startswith("/dev/nvidia0")
