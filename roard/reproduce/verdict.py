"""The verdict of a reproduction: for every recorded output of every step, did the bytes come
back the same; and for the first step that diverged, the likely cause, from what was recorded."""
from __future__ import annotations

from dataclasses import dataclass, field

from roard.lineage.model import JobRecord

NON_DETERMINISTIC = ("inputs, code, packages and interpreter were identical, so the step itself is "
                     "non-deterministic: unseeded randomness, timestamps or thread scheduling")


@dataclass
class ArtifactResult:
    step: str
    path: str
    recorded_hash: str
    new_hashes: list[str]
    verdict: str          # identical | diverged | missing | non-deterministic
    target: bool = False


@dataclass
class Verdict:
    identical: bool
    artifacts: list[ArtifactResult]
    first_diverged_step: str = ""
    causes: list[str] = field(default_factory=list)
    directory: str = ""
    session_id: str = ""
    notes: list[str] = field(default_factory=list)
    rounds: int = 1


@dataclass
class StepRun:
    """One recorded step and its executions in the reproduction (one per round)."""
    ref: str
    original: JobRecord
    replays: list[JobRecord]


def _verdict(recorded: str, new: list[str]) -> str:
    if len(set(new)) > 1:
        return "non-deterministic"
    if all(h == recorded for h in new):
        return "identical"
    if any(not h for h in new):
        return "missing"
    return "diverged"


def _outputs(job: JobRecord) -> dict[str, str]:
    return {o.path: o.hash for o in job.outputs}


def artifact_results(runs: list[StepRun], target_hashes: set[str]) -> list[ArtifactResult]:
    results = []
    for run in runs:
        written = [_outputs(r) for r in run.replays]
        for out in run.original.outputs:
            new = [w.get(out.path, "") for w in written]
            results.append(ArtifactResult(run.ref, out.path, out.hash, new, _verdict(out.hash, new),
                                          out.hash in target_hashes))
    return results


def _input_causes(original: JobRecord, replay: JobRecord) -> list[str]:
    now = {e.path: e.hash for e in replay.inputs}
    causes = []
    for entry in original.inputs:
        got = now.get(entry.path)
        if got is not None and entry.hash and got != entry.hash:
            causes.append(f"input {entry.path} differs: recorded {entry.hash[:12]}, reproduced {got[:12]}")
    return causes


def _package_causes(original: JobRecord, replay: JobRecord) -> list[str]:
    rec, new = original.runtime, replay.runtime
    causes = []
    if rec.python_version and new.python_version and rec.python_version != new.python_version:
        causes.append(f"different interpreter: recorded Python {rec.python_version}, "
                      f"reproduced with {new.python_version}")
    before = {p.name.lower(): p.version for p in rec.packages_used}
    after = {p.name.lower(): p.version for p in new.packages_used}
    for name in sorted(before.keys() | after.keys()):
        if before.get(name) != after.get(name):
            causes.append(f"package {name}: recorded {before.get(name) or 'not used'}, "
                          f"reproduced {after.get(name) or 'not used'}")
    return causes


def _hardware_causes(original: JobRecord, replay: JobRecord) -> list[str]:
    causes = []
    for key, label in (("cpu", "CPU"), ("gpu", "GPU"), ("gpu_driver", "NVIDIA driver"),
                       ("cuda_runtime", "CUDA runtime"), ("cudnn", "cuDNN"), ("os", "OS")):
        was, now = getattr(original.runtime, key), getattr(replay.runtime, key)
        if was != now:
            causes.append(f"different hardware or platform: recorded {label} {was or 'none'}, now {now or 'none'}")
    return causes


def likely_causes(run: StepRun, results: list[ArtifactResult]) -> list[str]:
    """Why the first diverged step diverged, most specific first."""
    failed = [r for r in run.replays if r.exit_code != 0]
    if failed:
        return [f"{run.ref} exited with {failed[0].exit_code} in the reproduction "
                f"(recorded: {run.original.exit_code}); see its output above"]
    if any(r.verdict == "non-deterministic" for r in results):
        return ["its outputs differ between rounds of the same reproduction, so the step is "
                "non-deterministic: unseeded randomness, timestamps or thread scheduling"]
    replay = run.replays[0]
    causes = _input_causes(run.original, replay) + _package_causes(run.original, replay)
    causes += _hardware_causes(run.original, replay)
    return causes or [NON_DETERMINISTIC]


def judge(runs: list[StepRun], target_hashes: set[str], rounds: int) -> Verdict:
    results = artifact_results(runs, target_hashes)
    targets = [r for r in results if r.target]
    verdict = Verdict(identical=bool(targets) and all(r.verdict == "identical" for r in targets),
                      artifacts=results, rounds=rounds)
    for run in runs:
        mine = [r for r in results if r.step == run.ref]
        if any(r.verdict != "identical" for r in mine) or any(j.exit_code != 0 for j in run.replays):
            verdict.first_diverged_step = run.ref
            verdict.causes = likely_causes(run, mine)
            break
    return verdict
