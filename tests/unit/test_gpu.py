"""GPU facts parsed from real output captured on an NVIDIA H200 (tests/data/gpu-h200/), and
the probe's promise to ask nvidia-smi once per loaded driver. This machine has no GPU: the
nvidia-smi runs are replaced by that captured output, and /proc/driver/nvidia by a directory
rebuilt from it."""
from __future__ import annotations

from pathlib import Path

import pytest

from roard.capture import gpu

DATA = Path(__file__).resolve().parent.parent / "data" / "gpu-h200"


def read(name: str) -> str:
    return (DATA / name).read_text()


def proc_tree(root: Path, version_text: str | None = None) -> Path:
    """/proc/driver/nvidia as the H200 machine had it."""
    text = read("proc-driver-nvidia.txt")
    version, _, info = text.partition("== /proc/driver/nvidia/gpus/0000:00:06.0/information\n")
    (root / "gpus" / "0000:00:06.0").mkdir(parents=True)
    (root / "version").write_text(version_text or version)
    (root / "gpus" / "0000:00:06.0" / "information").write_text(info)
    return root


def test_query_gpu_with_and_without_units():
    for name in ("query-gpu.csv", "query-gpu-noheader.csv"):
        [dev] = gpu.parse_query_gpu(read(name))
        assert dev == gpu.GpuDevice(0, "NVIDIA H200", "GPU-00000000-1111-2222-3333-444444444444",
                                    143771, "9.0", "00000000:00:06.0")
        assert gpu.parse_driver_of_query(read(name)) == "580.159.04"


def test_smi_banner_and_proc_files():
    assert gpu.parse_smi_header(read("nvidia-smi.txt")) == ("580.159.04", "13.0")
    version, _, info = read("proc-driver-nvidia.txt").partition("== /proc/driver/nvidia/gpus/")
    assert gpu.parse_proc_version(version) == "580.159.04"
    assert gpu.parse_gpu_information(info) == ("GPU-00000000-1111-2222-3333-444444444444", 0,
                                               "0000:00:06.0")


def test_nothing_gpu_like_parses_to_nothing():
    assert gpu.parse_query_gpu("") == []
    assert gpu.parse_query_gpu("index, name\nnot, a, gpu\n") == []
    assert gpu.parse_smi_header("NVIDIA-SMI has failed") == ("", "")


def fake_smi(calls: list[list[str]]):
    def run(argv: list[str]) -> str:
        calls.append(argv)
        return read("nvidia-smi.txt") if argv == ["nvidia-smi"] else read("query-gpu-noheader.csv")
    return run


def test_probe_reads_the_machine_and_joins_the_device_minor(tmp_path):
    calls: list[list[str]] = []
    probe = gpu.HostGpuProbe(proc_root=str(proc_tree(tmp_path)), run=fake_smi(calls),
                             which=lambda _: "/usr/bin/nvidia-smi")
    host = probe.host()
    assert host.driver_version == "580.159.04" and host.cuda_version == "13.0"
    [dev] = host.devices
    assert (dev.name, dev.memory_mib, dev.compute_capability, dev.minor) == ("NVIDIA H200", 143771, "9.0", 0)
    assert host.device_by_minor(0) == dev and host.device_by_minor(1) is None


def test_probe_asks_nvidia_smi_once_per_loaded_driver(tmp_path):
    calls: list[list[str]] = []
    root = proc_tree(tmp_path)
    probe = gpu.HostGpuProbe(proc_root=str(root), run=fake_smi(calls), which=lambda _: "/usr/bin/nvidia-smi")
    first = probe.host()
    for _ in range(5):
        assert probe.host() is first
    assert probe.calls == 1 and len(calls) == 2   # the banner and the query, once
    (root / "version").write_text((root / "version").read_text().replace("580.159.04", "590.1.2"))
    probe.host()
    assert probe.calls == 2


def test_a_machine_without_nvidia_is_never_probed(tmp_path):
    calls: list[list[str]] = []
    probe = gpu.HostGpuProbe(proc_root=str(tmp_path / "absent"), run=fake_smi(calls), which=lambda _: None)
    assert probe.host() is None and probe.host() is None
    assert calls == [] and probe.calls == 0


def torch_paths() -> tuple[list[str], list[str]]:
    """The /dev nodes and the libraries the PyTorch process on the H200 held."""
    text = read("torch-facts.txt")
    mapped = text.split("mapped:\n")[1].split("open fds:\n")[0].split()
    fds = text.split("open fds:\n")[1].split()
    return fds, [p for p in mapped if not p.startswith("/dev/")]


def test_job_facts_of_a_pytorch_process_on_the_h200(tmp_path):
    host = gpu.HostGpuProbe(proc_root=str(proc_tree(tmp_path)), run=fake_smi([]),
                            which=lambda _: "/usr/bin/nvidia-smi").host()
    fds, libraries = torch_paths()
    real = {"/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9":
            "/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9.19.0"}
    facts = gpu.job_facts(fds, libraries, {"CUDA_VISIBLE_DEVICES": "0"}, host,
                          real_path=lambda p: real.get(p, p))
    assert facts.device_minors_opened == (0,)
    assert [d.uuid for d in facts.devices_opened] == ["GPU-00000000-1111-2222-3333-444444444444"]
    assert facts.cuda_runtime == "13" and facts.cudnn == "9.19.0"   # torch says cudnn 91900
    assert {lib.component for lib in facts.libraries} == {"cuda_runtime", "cudnn", "cublas", "nccl",
                                                          "cuda_driver"}
    assert facts.cuda_visible_devices == "0"
    assert facts.summary() == "NVIDIA H200 #0; CUDA runtime 13; cuDNN 9.19.0; driver 580.159.04"


@pytest.mark.parametrize("path", ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-caps/nvidia-cap1",
                                  "/dev/null", "/data/nvidia0"])
def test_only_gpu_device_nodes_count_as_gpus(path):
    assert gpu.device_minor(path) is None


def test_a_job_without_gpu_use_has_no_gpu_facts():
    assert gpu.job_facts(["/dev/null", "/work/a.csv"], ["/lib/x86_64-linux-gnu/libc.so.6"], {}, None) is None
