"""GPU facts in a job's record: stored and read back as typed fields, and used by diff and by
reproduce's likely causes."""
from __future__ import annotations

from roard.capture.gpu import GpuDevice, GpuLibrary, HostGpuProbe
from roard.capture.runtime import Runtime, gpu_runtime
from roard.lineage.diff import _hardware
from roard.reproduce.verdict import StepRun, judge
from tests.unit.test_reproduce_domain import replay, two_steps

H200 = GpuDevice(0, "NVIDIA H200", "GPU-00000000-1111-2222-3333-444444444444", 143771, "9.0",
                 "00000000:00:06.0", 0)


def test_runtime_round_trips_gpu_facts():
    rt = Runtime(gpu="NVIDIA H200, 580.159.04", gpus=[H200], gpu_driver="580.159.04", cuda_version="13.0",
                 gpu_devices_opened=[0], gpu_uuids_opened=[H200.uuid], cuda_runtime="13", cudnn="9.19.0",
                 gpu_libraries=[GpuLibrary("cudnn", "9.19.0", "/x/libcudnn.so.9")], cuda_visible_devices="0")
    assert Runtime.from_json(rt.to_json()) == rt
    assert Runtime.from_json({"gpu": "old record"}).gpus == []   # records from before these fields


def test_gpu_runtime_on_a_machine_without_gpus():
    probe = HostGpuProbe(proc_root="/nonexistent", which=lambda _: None)
    assert gpu_runtime(["/work/a.csv", "/dev/null"], None, probe) == {"cuda_visible_devices": None}


def test_a_different_cudnn_is_a_likely_cause():
    prep, train = two_steps()
    prep.runtime.cudnn = "9.19.0"
    runs = [StepRun("@1", prep, [replay(prep, {"clean.csv": "c2"},
                                        runtime={"python_version": "3.11.7", "cudnn": "8.9.7",
                                                 "packages_used": [{"name": "numpy", "version": "1"}]})]),
            StepRun("@2", train, [replay(train, {"model.bin": "m"})])]
    v = judge(runs, {"m"}, rounds=1)
    assert "different hardware or platform: recorded cuDNN 9.19.0, now 8.9.7" in v.causes


def test_diff_names_the_cuda_stack_a_job_loaded():
    prep, _ = two_steps()
    prep.runtime.cpu, prep.runtime.gpu = "Xeon", "NVIDIA H200, 580.159.04"
    prep.runtime.cuda_runtime, prep.runtime.cudnn = "13", "9.19.0"
    assert _hardware(prep) == "Xeon NVIDIA H200, 580.159.04 CUDA 13 cuDNN 9.19.0"
