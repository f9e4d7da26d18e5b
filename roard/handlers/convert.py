"""Domain records -> proto messages, in one place."""
from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from roar_api.v1 import files_pb2, jobs_pb2
from roard.lineage.model import FileEntry, JobRecord


def timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def file_record(entry: FileEntry) -> files_pb2.FileRecord:
    return files_pb2.FileRecord(path=entry.path, hash=entry.hash, size=entry.size,
                                abs_path=entry.abs_path, flags=entry.flags, target=entry.target)


def job_message(job: JobRecord, with_decisions: bool = False) -> jobs_pb2.Job:
    git = job.git or {}
    rt = job.runtime or {}
    msg = jobs_pb2.Job(
        uid=job.uid, session_id=job.session_id, step=job.step, kind=job.kind, argv=job.argv,
        cwd=job.cwd, started_at=timestamp(job.started_at), ended_at=timestamp(job.ended_at),
        duration_seconds=job.duration, exit_code=job.exit_code, status=job.status,
        git=jobs_pb2.GitInfo(commit=git.get("commit", ""), branch=git.get("branch", ""),
                             remote=git.get("remote", ""), dirty=bool(git.get("dirty")),
                             diff_path=git.get("diff_path", ""), repo_root=git.get("repo_root", "")),
        runtime=jobs_pb2.Runtime(
            hostname=rt.get("hostname", ""), os=rt.get("os", ""), cpu=rt.get("cpu", ""),
            gpu=rt.get("gpu", ""), python_executable=rt.get("python_executable", ""),
            python_version=rt.get("python_version", ""),
            packages_used=[jobs_pb2.Package(**p) for p in rt.get("packages_used", [])],
            packages_installed=[jobs_pb2.Package(**p) for p in rt.get("packages_installed", [])],
            system_packages=[jobs_pb2.Package(**p) for p in rt.get("system_packages", [])]),
        inputs=[file_record(f) for f in job.inputs], outputs=[file_record(f) for f in job.outputs],
        warnings=job.warnings, tracer=job.tracer, ref=job.ref, env=job.env)
    if with_decisions:
        msg.decisions.extend(files_pb2.FilterDecision(path=d.path, kept=d.kept, role=d.role, reason=d.reason)
                             for d in job.decisions)
    return msg
