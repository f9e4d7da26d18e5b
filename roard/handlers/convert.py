"""Domain records -> proto messages, in one place. Handlers call one domain method and pass the
result through one of these."""
from __future__ import annotations

from typing import Any, Iterable

import blake3
from google.protobuf.timestamp_pb2 import Timestamp

from roar_api.v1 import (artifacts_pb2, config_pb2, daemon_pb2, events_pb2, files_pb2, jobs_pb2, labels_pb2,
                         lineage_pb2, reproductions_pb2 as repro_pb2, tracers_pb2, transfers_pb2, workspaces_pb2)
from roard import config as cfg
from roard.capture.runtime import Package, Runtime
from roard.daemon import DaemonStatusInfo, HelloInfo
from roard.events import DaemonEvent
from roard.lineage.artifacts import ArtifactInfo
from roard.lineage.checklist import ChecklistResult
from roard.lineage.diff import LineageDiffResult
from roard.lineage.graph import DagNode
from roard.lineage.labels import LabelDoc
from roard.lineage.model import FileEntry, JobRecord
from roard.lineage.views import RerunPlan, SessionDag
from roard.reproduce.execute import Output, Progress
from roard.reproduce.plan import Plan, rel_cwd, step_ref
from roard.reproduce.verdict import Verdict
from roard.tracing.service import TracerReport
from roard.transfers.manager import TransferOutcome
from roard.transfers.progress import ProgressEvent
from roard.workspace.sessions import NewSession, WorkspaceView

# --- shared pieces -------------------------------------------------------------------------


def timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def file_record(entry: FileEntry) -> files_pb2.FileRecord:
    return files_pb2.FileRecord(path=entry.path, hash=entry.hash, size=entry.size,
                                abs_path=entry.abs_path, flags=entry.flags, target=entry.target)


def checklist_messages(items: Iterable[ChecklistResult]) -> list[files_pb2.ChecklistItem]:
    return [files_pb2.ChecklistItem(name=i.name, ok=i.ok, detail=i.detail) for i in items]


def _packages(items: Iterable[Package]) -> list[jobs_pb2.Package]:
    return [jobs_pb2.Package(name=p.name, version=p.version) for p in items]


# --- daemon, events, config, tracers --------------------------------------------------------


def hello_message(info: HelloInfo) -> daemon_pb2.HelloResponse:
    return daemon_pb2.HelloResponse(
        daemon_version=info.version, protocol_major=info.protocol_major,
        protocol_minor=info.protocol_minor, build_id=info.build_id, stale_reason=info.stale_reason)


def status_message(st: DaemonStatusInfo) -> daemon_pb2.DaemonStatus:
    return daemon_pb2.DaemonStatus(
        pid=st.pid, version=st.version, uptime_seconds=st.uptime_seconds,
        socket_path=st.socket_path, active_runs=st.active_runs, workspaces=st.workspaces,
        log_path=st.log_path, started_at=timestamp(st.started_at), protocol_major=st.protocol_major,
        protocol_minor=st.protocol_minor, listen_mode=st.listen_mode,
        idle_timeout_seconds=st.idle_timeout_seconds, watching=st.watching)


def event_message(event: DaemonEvent) -> events_pb2.Event:
    return events_pb2.Event(sequence=event.sequence, time=timestamp(event.time), topic=event.topic,
                            workspace=event.workspace, run_id=event.run_id, job_uid=event.job_uid,
                            message=event.message, step=event.step, paths=event.paths,
                            reasons=event.reasons, hash=event.hash, dropped=event.dropped,
                            state=event.state)


def config_entry(setting: cfg.Setting) -> config_pb2.ConfigEntry:
    key = setting.key
    return config_pb2.ConfigEntry(key=key.name, value=cfg.render(setting.value), default=cfg.render(key.default),
                                  description=key.description, choices=list(key.choices),
                                  is_set=setting.is_set)


def tracers_message(report: TracerReport) -> tracers_pb2.ListTracersResponse:
    return tracers_pb2.ListTracersResponse(
        default=report.default, auto_choice=report.auto_choice,
        tracers=[tracers_pb2.Tracer(name=t.name, usable=t.usable, reason=t.reason, path=t.path,
                                    description=t.description) for t in report.tracers])


# --- jobs, workspaces, labels ---------------------------------------------------------------


def _gpu_fields(rt: Runtime) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        gpus=[jobs_pb2.GpuDevice(index=d.index, name=d.name, uuid=d.uuid, memory_mib=d.memory_mib,
                                 compute_capability=d.compute_capability, pci_bus_id=d.pci_bus_id,
                                 minor=-1 if d.minor is None else d.minor) for d in rt.gpus],
        gpu_driver=rt.gpu_driver, cuda_version=rt.cuda_version, gpu_devices_opened=rt.gpu_devices_opened,
        gpu_uuids_opened=rt.gpu_uuids_opened, cuda_runtime=rt.cuda_runtime, cudnn=rt.cudnn,
        gpu_libraries=[jobs_pb2.GpuLibrary(component=lib.component, version=lib.version, path=lib.path)
                       for lib in rt.gpu_libraries])
    if rt.cuda_visible_devices is not None:
        fields["cuda_visible_devices"] = rt.cuda_visible_devices
    return fields


def job_message(job: JobRecord, with_decisions: bool = False) -> jobs_pb2.Job:
    git, rt = job.git, job.runtime
    msg = jobs_pb2.Job(
        uid=job.uid, session_id=job.session_id, step=job.step, kind=job.kind, argv=job.argv,
        cwd=job.cwd, started_at=timestamp(job.started_at), ended_at=timestamp(job.ended_at),
        duration_seconds=job.duration, exit_code=job.exit_code, status=job.status,
        git=jobs_pb2.GitInfo(commit=git.commit, branch=git.branch, remote=git.remote, dirty=git.dirty,
                             diff_path=git.diff_path, repo_root=git.repo_root),
        runtime=jobs_pb2.Runtime(
            hostname=rt.hostname, os=rt.os, cpu=rt.cpu, gpu=rt.gpu, python_executable=rt.python_executable,
            python_version=rt.python_version, packages_used=_packages(rt.packages_used),
            packages_installed=_packages(rt.packages_installed), system_packages=_packages(rt.system_packages),
            **_gpu_fields(rt)),
        inputs=[file_record(f) for f in job.inputs], outputs=[file_record(f) for f in job.outputs],
        warnings=job.warnings, tracer=job.tracer, ref=job.ref, env=job.env, rerun_of=job.rerun_of)
    if with_decisions:
        msg.decisions.extend(files_pb2.FilterDecision(path=d.path, kept=d.kept, role=d.role, reason=d.reason)
                             for d in job.decisions)
    return msg


def session_message(new: NewSession) -> workspaces_pb2.Session:
    return workspaces_pb2.Session(id=new.session_id, created_at=timestamp(new.created_at))


def workspace_message(view: WorkspaceView) -> workspaces_pb2.Workspace:
    s = view.session
    session = workspaces_pb2.Session(id=s.session_id, created_at=timestamp(s.created_at),
                                     job_count=len(s.jobs), lineage_hash=s.lineage_hash)
    jobs = [job_message(j) for j in s.jobs]
    return workspaces_pb2.Workspace(root=view.root, db_path=view.db_path, session=session, jobs=jobs,
                                    unsourced_inputs=[file_record(e) for e in s.unsourced],
                                    checklist=checklist_messages(s.checklist),
                                    untracked_output_dirs=s.untracked_output_dirs,
                                    superseded=[workspaces_pb2.SupersededStep(ref=ref, by=by)
                                                for ref, by in s.superseded.items()],
                                    package_sets=_share_package_sets(jobs))


def _share_package_sets(jobs: list[jobs_pb2.Job]) -> dict[str, workspaces_pb2.PackageSet]:
    """Move each job's installed packages into one entry per distinct set (named by the set's
    content, so the same set has the same name in every answer): a session of many Python jobs
    in one environment then carries its ~150 packages once, not once per job."""
    sets: dict[str, workspaces_pb2.PackageSet] = {}
    for job in jobs:
        installed = job.runtime.packages_installed
        if not installed:
            continue
        key = blake3.blake3("\n".join(f"{p.name}=={p.version}" for p in installed).encode()).hexdigest()[:16]
        if key not in sets:
            sets[key] = workspaces_pb2.PackageSet(packages=list(installed))
        job.runtime.packages_installed_set = key
        del job.runtime.packages_installed[:]
    return sets


def label_message(doc: LabelDoc) -> labels_pb2.LabelDocument:
    return labels_pb2.LabelDocument(kind=doc.kind, entity=doc.entity, version=doc.version,
                                    labels=doc.labels, created_at=timestamp(doc.created_at))


def artifact_message(art: ArtifactInfo) -> artifacts_pb2.Artifact:
    return artifacts_pb2.Artifact(hash=art.hash, size=art.size, paths=art.paths, produced_by=art.produced_by,
                                  consumed_by=art.consumed_by, checklist=checklist_messages(art.checklist),
                                  components=[file_record(c) for c in art.components],
                                  producers=[artifacts_pb2.Producer(ref=p.ref, session_id=p.session_id,
                                                                    job_uid=p.job_uid,
                                                                    active_session=p.active_session, name=p.name)
                                             for p in art.producers])


# --- lineage --------------------------------------------------------------------------------


def _dag_node(n: DagNode) -> lineage_pb2.DagNode:
    return lineage_pb2.DagNode(
        job_uid=n.job.uid, ref=n.job.ref, argv=n.job.argv, exit_code=n.job.exit_code,
        inputs=[file_record(e) for e in n.job.inputs], outputs=[file_record(e) for e in n.job.outputs],
        depends_on=n.depends_on, superseded=n.superseded, stale=n.stale, stale_reasons=n.stale_reasons,
        seq=n.job.seq, superseded_by=n.superseded_by)


def dag_message(dag: SessionDag) -> lineage_pb2.Dag:
    return lineage_pb2.Dag(session_id=dag.session_id, lineage_hash=dag.lineage_hash,
                           nodes=[_dag_node(n) for n in dag.nodes])


def diff_message(result: LineageDiffResult) -> lineage_pb2.LineageDiff:
    return lineage_pb2.LineageDiff(
        a=result.a.label, b=result.b.label,
        sections=[lineage_pb2.DiffSection(kind=k, lines=lines) for k, lines in result.sections],
        a_steps=[f"{j.ref} {' '.join(j.argv)}" for j in result.a.jobs],
        b_steps=[f"{j.ref} {' '.join(j.argv)}" for j in result.b.jobs])


def rerun_message(plan: RerunPlan) -> lineage_pb2.RerunPlan:
    return lineage_pb2.RerunPlan(
        steps=[lineage_pb2.RerunStep(ref=j.ref, kind=j.kind, argv=j.argv, cwd=j.cwd, job_uid=j.uid)
               for j in plan.steps],
        stale_upstream=plan.stale_upstream)


# --- transfers ------------------------------------------------------------------------------


def transfer_progress(e: ProgressEvent) -> transfers_pb2.TransferUpdate:
    return transfers_pb2.TransferUpdate(progress=transfers_pb2.TransferProgress(
        path=e.path, done=e.done, total=e.total, file_index=e.file_index, file_count=e.file_count,
        all_done=e.all_done, all_total=e.all_total, phase=e.phase))


def transfer_outcome(o: TransferOutcome) -> transfers_pb2.TransferUpdate:
    msg: Any = transfers_pb2.Transfer(
        direction=o.direction, url=o.url, dry_run=o.dry_run, warnings=o.warnings, git_tag=o.git_tag,
        files=[transfers_pb2.TransferFile(url=f.url, path=f.path, hash=f.hash, size=f.size) for f in o.files],
        directories=[transfers_pb2.DirectoryRecord(hash=c.hash, path=c.path, url=url,
                                                   file_count=len(c.components), size=c.size)
                     for c, url in o.directories],
        checklist=checklist_messages(o.checklist))
    if o.job is not None:
        msg.job.CopyFrom(job_message(o.job))
    return transfers_pb2.TransferUpdate(transfer=msg)


# --- reproductions --------------------------------------------------------------------------


def plan_message(plan: Plan) -> repro_pb2.ReproductionPlan:
    code = plan.code
    return repro_pb2.ReproductionPlan(
        target_hash=plan.target_hash, target_path=plan.target_path, lineage_hash=plan.lineage_hash,
        repo_root=plan.repo_root, remote=plan.remote, commit=plan.commit, branch=plan.branch,
        code_source=code.kind if code else "", code_dir=code.directory if code else "",
        code_reason=code.reason if code else "", python_version=plan.python_version,
        python_found=plan.python.path if plan.python else "",
        packages=[jobs_pb2.Package(name=n, version=v) for n, v in plan.packages],
        steps=[repro_pb2.PlannedStep(ref=step_ref(j), kind=j.kind, argv=j.argv, cwd=rel_cwd(j), job_uid=j.uid,
                                     commit=j.git.commit, diff_path=j.git.diff_path,
                                     outputs=[file_record(o) for o in j.outputs], env_names=sorted(j.env or {}))
               for j in plan.steps],
        inputs=[repro_pb2.PlannedInput(path=i.path, hash=i.hash, size=i.size, source=i.source, detail=i.detail,
                                       available=i.available) for i in plan.inputs],
        checklist=checklist_messages(plan.checklist), blockers=plan.blockers, notes=plan.notes)


def verdict_event(v: Verdict) -> repro_pb2.ReproductionEvent:
    return repro_pb2.ReproductionEvent(verdict=repro_pb2.ReproductionVerdict(
        identical=v.identical, first_diverged_step=v.first_diverged_step, causes=v.causes,
        artifacts=[repro_pb2.ArtifactVerdict(step=a.step, path=a.path, recorded_hash=a.recorded_hash,
                                             new_hashes=a.new_hashes, verdict=a.verdict, target=a.target)
                   for a in v.artifacts],
        directory=v.directory, session_id=v.session_id, notes=v.notes, rounds=v.rounds))


def reproduction_event(event: Progress | Output) -> repro_pb2.ReproductionEvent:
    if isinstance(event, Output):
        return repro_pb2.ReproductionEvent(output=repro_pb2.StepOutput(step=event.step, data=event.data))
    return repro_pb2.ReproductionEvent(progress=repro_pb2.ReproductionProgress(
        phase=event.phase, step=event.step, message=event.message, elapsed_seconds=event.elapsed,
        round=event.round))
