"""Kernel release strings as `roarctl tracer status` reads them for the eBPF backend's minimum."""
from __future__ import annotations

import pytest

from roard.tracing.backends import EBPF_MIN_KERNEL, kernel_version


@pytest.mark.parametrize("release, version", [
    ("6.1.0-18-amd64", (6, 1)),                  # Debian 12: below the eBPF backend's minimum
    ("6.18.44-fc-v669", (6, 18)),
    ("5.15.0-91-generic", (5, 15)),
    ("6.8.0-rc3", (6, 8)),
    ("garbage", (0, 0)),
])
def test_kernel_version(release, version):
    assert kernel_version(release) == version


def test_minimum_is_between_debian_12_and_this_machine():
    assert kernel_version("6.1.0-18-amd64") < EBPF_MIN_KERNEL <= kernel_version("6.18.44")
