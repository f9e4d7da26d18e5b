"""finalize_run: a run's spool and metadata in, a job's inputs, outputs and decisions out.

Blocking (reads files, hashes); the run manager calls it in a worker thread.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol

from roard.capture import system_packages
from roard.capture.git import GitState
from roard.capture.runtime import Runtime, gpu_runtime, host_info, package_roots, python_runtime
from roard.finalize.classify import Classification, Classifier, PathState, warning_text
from roard.finalize.filters import SYSTEM_PREFIXES, FilterRules
from roard.finalize.prior import PriorContent
from roard.hashing import HashBatch, HashCache, HashResult
from roard.lineage.model import Decision, FileEntry
from roard.tracing.backends import preload_blind
from roard.tracing.raw_syscalls import makes_raw_file_syscalls

if TYPE_CHECKING:
    from roard.tracing.spool import SpoolStats


class TracedRun(Protocol):
    """What finalizing needs of a run (``roard.runs.record.RunRecord`` is one)."""

    workspace: str
    tracer: str
    spool_dir: str
    git: GitState
    inherited: list[dict[str, Any]]
    started_at: float
    pythonpath: str
    cuda_visible_devices: str | None


@dataclass
class FinalizeResult:
    inputs: list[FileEntry]
    outputs: list[FileEntry]
    decisions: list[Decision]
    warnings: list[str]
    runtime: Runtime
    stats: dict[str, float] = field(default_factory=dict)


def storable(path: str) -> str:
    """A path as text that SQLite, protobuf and JSON accept: bytes that are not UTF-8 (kept by
    os.fsdecode as surrogates) are shown as ``\\xHH``."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def display_path(abs_path: str, repo_root: str, workspace_root: str) -> str:
    """Repo-relative inside the repository, workspace-relative inside the workspace, else absolute."""
    for root in (repo_root, workspace_root):
        if root and abs_path.startswith(root.rstrip("/") + "/"):
            return storable(abs_path[len(root.rstrip("/")) + 1:])
    return storable(abs_path)


def _role(st: PathState) -> tuple[str, str]:
    """(role, reason) from what the job did to a path, before filters."""
    if st.ftype == "o":
        return "", "not a regular file (FIFO, socket or device): never hashed"
    if st.ftype == "d":
        if "mkdir" in st.how:
            return "", "directory created by the job (its files are recorded one by one)"
        return "", "directory listing (the files read from it are recorded one by one)"
    if st.written and (st.deleted or not os.path.lexists(st.key)):
        gone = f"renamed to {st.renamed_to}" if st.renamed_to else "removed before the run ended"
        if st.read_first:
            return "input", f"read, then written and {gone}"
        return "", f"written during the run and {gone}"
    if st.written:
        return ("input+output", "read, then written") if st.read_first else ("output", "written")
    if st.read_first:
        return "input", "read" if not st.deleted else "read, then removed during the run"
    return "", "only removed or renamed by the job"


def _identity_matches(st: PathState, res: HashResult) -> bool:
    if st.read_identity is None or res.identity is None:
        return True
    dev, ino, size, mtime = st.read_identity
    i = res.identity
    return (i.dev, i.ino, i.size, i.mtime_ns) == (dev, ino, size, mtime)


#: The flag of an input changed in place whose content before the run nothing knew.
PRIOR_UNKNOWN = "prior-unknown"


def _name_flags(st: PathState) -> list[str]:
    """Flags that say how the job reached the file: through a symlink, or an inherited fd."""
    flags = []
    if st.name != st.key and not st.name.startswith("/proc/"):
        flags.append("symlink")
    if "inherited" in st.how:
        flags.append("inherited-fd")
    return flags


def _input_entry(st: PathState, batch: HashBatch, path: str, prior: PriorContent) -> FileEntry:
    flags = _name_flags(st)
    digest, size = "", 0
    if st.written or st.deleted:
        # The bytes that were there are gone (changed in place, rewritten or removed).
        size = st.read_identity[2] if st.read_identity else 0
        digest = prior.hash_before(st)
        if st.written:
            flags.append("appended" if "append" in st.how else "read-write")
        else:
            flags.append("deleted")
        if not digest:
            flags.append(PRIOR_UNKNOWN if st.written else "unavailable")
    else:
        res = batch.hash(st.key)
        size = res.size
        if _identity_matches(st, res):
            digest = res.hash
            flags += res.flags
        else:
            flags.append("changed-during-run")
            size = st.read_identity[2]  # type: ignore[index]
            digest = prior.hash_before(st)
            if not digest:
                flags.append("unavailable")
    return FileEntry(path=path, abs_path=storable(st.key), hash=digest, size=size, flags=flags,
                     target=storable(st.key) if "symlink" in flags else "")


def _output_entry(st: PathState, batch: HashBatch, path: str) -> FileEntry:
    flags = _name_flags(st)
    res = batch.hash(st.key)
    flags += res.flags
    return FileEntry(path=path, abs_path=storable(st.key), hash=res.hash, size=res.size, flags=flags,
                     target=storable(st.key) if "symlink" in flags else "")


def add_inherited(classifier: Classifier, record: TracedRun) -> None:
    """Files the user's shell opened for the command (``< in > out``), seen by roarctl."""
    for f in record.inherited:
        try:
            st = os.stat(f["path"])
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        key = os.path.realpath(f["path"])
        acc = f["flags"] & os.O_ACCMODE
        ident = tuple(f.get("identity") or (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
        if acc in (os.O_RDONLY, os.O_RDWR) and f["fd"] == 0:
            classifier.read(key, f["path"], ident, "inherited")  # type: ignore[arg-type]
        if acc in (os.O_WRONLY, os.O_RDWR) and f["fd"] in (1, 2):
            if f["flags"] & os.O_APPEND and f.get("identity") and ident[2] > 0:
                # `>> log`: the version it extends is an input (an empty one is the shell's new file)
                classifier.read(key, f["path"], ident, "append")  # type: ignore[arg-type]
            classifier.write(key, f["path"], "inherited")


def stamp_inherited(inherited: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At BeginRun, before the command runs: each inherited file's identity (dev, ino, size,
    mtime), what it held before the run for ``add_inherited``."""
    stamped = []
    for f in inherited:
        try:
            st = os.stat(f["path"])
        except OSError:
            stamped.append(f)
            continue
        stamped.append({**f, "identity": [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]})
    return stamped


def classify_run(record: TracedRun) -> tuple[Classification, "SpoolStats"]:
    from roard.tracing.spool import SpoolReader  # written by the tracer work, imported on use

    classifier = Classifier(started_ns=int(record.started_at * 1e9))
    add_inherited(classifier, record)
    if not Path(record.spool_dir).is_dir():
        classifier.warnings.append(f"the tracer's spool {record.spool_dir} is gone (the machine "
                                   "restarted during the run?); files the job touched are missing")
        Path(record.spool_dir).mkdir(parents=True, exist_ok=True)
    reader = SpoolReader(Path(record.spool_dir))
    result = classifier.feed(reader.events())
    return result, reader.stats


def raw_syscall_warnings(executables: list[str], rules: FilterRules) -> list[str]:
    """Programs of the job (not system or package files, which go through libc) whose own code
    makes file system calls: the preload shim could not see those. Static and Go programs are
    left out: the shim routes them through ptrace, or warns already."""
    return [warning_text("raw-syscalls", exe) for exe in executables
            if rules.drop_reason(exe, written_by_job=False) is None and makes_raw_file_syscalls(exe)
            and not preload_blind(exe)]


_gc_pauses = 0
_gc_lock = threading.Lock()


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic collector off while a run is finalized (and back on when the last of
    several concurrent finalizes ends). Finalizing 100,000 inputs allocates a few objects per
    path, none in cycles, and every 700 allocations set off a collection that walks the
    daemon's whole heap: with it on, an unchanged re-run of 100,000 inputs took 7-11 s, off 3.9 s."""
    global _gc_pauses
    with _gc_lock:
        _gc_pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if not _gc_pauses:
                gc.enable()


def finalize_run(record: TracedRun, rules: FilterRules, cache: HashCache) -> FinalizeResult:
    with cyclic_gc_paused():
        return _finalize_run(record, rules, cache)


def _finalize_run(record: TracedRun, rules: FilterRules, cache: HashCache) -> FinalizeResult:
    t0 = time.perf_counter()
    cls, spool_stats = classify_run(record)
    roots = package_roots(cls.executables, record.pythonpath, record.workspace)
    rules = dataclasses.replace(rules, package_roots=roots)
    t1 = time.perf_counter()
    repo_root = record.git.repo_root
    ws_root = record.workspace
    decisions: list[Decision] = []
    to_hash: list[tuple[str, PathState, str]] = []
    paths_read: list[str] = []
    for key in sorted(cls.states):
        st = cls.states[key]
        if st.read_first:
            paths_read.append(key)
        role, why = _role(st)
        name = st.name if rules.in_workspace(st.name) else key
        shown = display_path(name, repo_root, ws_root)
        if not role:
            decisions.append(Decision(shown, False, "", why))
            continue
        dropped = rules.drop_reason(name, written_by_job=st.written)
        if dropped:
            decisions.append(Decision(shown, False, "", dropped))
            continue
        decisions.append(Decision(shown, True, role, why))
        if role in ("input", "input+output"):
            to_hash.append(("in", st, shown))
        if role in ("output", "input+output"):
            to_hash.append(("out", st, shown))

    batch = HashBatch.prepare(cache, (st.key for _, st, _ in to_hash))
    tree_clean = bool(record.git.commit) and not record.git.dirty
    prior = PriorContent.prepare(batch, repo_root, tree_clean, [st for kind, st, _ in to_hash
                                                                if kind == "in" and (st.written or st.deleted)])

    def work(item: tuple[str, PathState, str]) -> tuple[str, FileEntry]:
        kind, st, shown = item
        if kind == "in":
            return kind, _input_entry(st, batch, shown, prior)
        return kind, _output_entry(st, batch, shown)

    workers = min(8, (os.cpu_count() or 2), max(1, len(to_hash)))
    if len(to_hash) - len(batch.known) > 4 and workers > 1:  # threads pay off only for real hashing
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(work, to_hash))
    else:
        results = [work(item) for item in to_hash]
    batch.commit()
    t2 = time.perf_counter()
    inputs = [e for k, e in results if k == "in"]
    outputs = [e for k, e in results if k == "out"]

    warnings = list(dict.fromkeys(cls.warnings))
    if record.tracer == "preload":
        warnings += raw_syscall_warnings(cls.executables, rules)
    changed = [e.path for e in inputs if "changed-during-run" in e.flags]
    if changed:
        warnings.append(f"{len(changed)} input(s) changed while the job ran: {', '.join(changed[:5])}")
    unknown = [e.path for e in inputs if PRIOR_UNKNOWN in e.flags]
    if unknown:
        warnings.append(f"{len(unknown)} file(s) changed in place whose content before the run is unknown "
                        "(not in the hash cache, not written by a recorded job, not a clean git file): "
                        f"{', '.join(unknown[:5])}")
    unhashed = [e.path for e in outputs if not e.hash]
    if unhashed:
        warnings.append(f"{len(unhashed)} output(s) could not be hashed: {', '.join(unhashed[:5])}")
    if spool_stats.torn or spool_stats.malformed:
        warnings.append(f"{spool_stats.torn + spool_stats.malformed} tracer event(s) were cut short or "
                        "unreadable (disk full or crash) and ignored")

    runtime = Runtime.from_json({
        **host_info(), **python_runtime(cls.executables, paths_read, roots),
        **gpu_runtime((p for st in cls.states.values() for p in {st.name, st.key}),
                      record.cuda_visible_devices),
        "system_packages": system_packages.packages_for(
            p for p in (*paths_read, *cls.executables) if p.startswith(SYSTEM_PREFIXES))})
    return FinalizeResult(inputs, outputs, decisions, warnings, runtime, stats={
        "classify_s": t1 - t0, "hash_s": t2 - t1, "paths": len(cls.states),
        "hashed": len(to_hash), "cache_hits": cache.hits, "processes": len(cls.pids)})
