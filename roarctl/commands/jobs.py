"""roarctl show / log / pop."""
from __future__ import annotations

import os
import re

import click

from roar_api.refs import is_step_ref
from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option, yes_option
from roarctl.errors import EXIT_NOT_FOUND, ClientError
from roarctl.render import (checklist, command_line, emit_json, exit_text, fit, human_duration, human_size,
                            message_dict, short_hash, stdout_columns, table)

_HEX = re.compile(r"^[0-9a-fA-F]{4,64}$")


def _local_time(ts) -> str:
    return ts.ToDatetime().astimezone().strftime("%Y-%m-%d %H:%M:%S") if ts.seconds else "-"


def _gpu_line(rt) -> str:
    """The GPUs the job opened (else the machine's), the CUDA stack it loaded, the driver."""
    by_minor = {(d.minor if d.minor >= 0 else d.index): d for d in rt.gpus}
    opened = [f"{by_minor[m].name} #{by_minor[m].index}" if m in by_minor else f"/dev/nvidia{m}"
              for m in rt.gpu_devices_opened]
    parts = [f"used {', '.join(opened)}" if opened else (f"{len(rt.gpus)} on the machine, none opened"
                                                          if rt.gpus else "")]
    parts += [f"{name} {v}" for name, v in (("CUDA runtime", rt.cuda_runtime), ("cuDNN", rt.cudnn),
                                             ("driver", rt.gpu_driver)) if v]
    if rt.HasField("cuda_visible_devices"):
        parts.append(f"CUDA_VISIBLE_DEVICES={rt.cuda_visible_devices}")
    return "; ".join(p for p in parts if p)


def print_job(job) -> None:
    click.echo(f"{job.ref}  job {job.uid}  ({job.kind}, {job.status}, exit {exit_text(job)})")
    click.echo(f"  command   {command_line(job.argv)}")
    click.echo(f"  cwd       {job.cwd}")
    click.echo(f"  started   {_local_time(job.started_at)}   duration {human_duration(job.duration_seconds)}"
               f"   tracer {job.tracer}")
    g = job.git
    if g.commit:
        dirty = f"  dirty (diff: {g.diff_path})" if g.dirty else ""
        click.echo(f"  git       {g.commit[:12]} on {g.branch or '(detached)'}"
                   f"{'  ' + g.remote if g.remote else ''}{dirty}")
    rt = job.runtime
    click.echo(f"  host      {rt.hostname}  {rt.os}")
    if rt.python_version:
        used = ", ".join(f"{p.name}=={p.version}" for p in rt.packages_used) or "none"
        click.echo(f"  python    {rt.python_version} ({rt.python_executable}); packages used: {used}")
    gpu_line = _gpu_line(rt)
    if gpu_line:
        click.echo(f"  gpu       {gpu_line}")
    if rt.system_packages:
        shown = ", ".join(p.name for p in rt.system_packages[:8])
        more = f" and {len(rt.system_packages) - 8} more" if len(rt.system_packages) > 8 else ""
        click.echo(f"  system    {len(rt.system_packages)} package(s): {shown}{more}")
    for title, files in (("inputs", job.inputs), ("outputs", job.outputs)):
        click.echo(f"  {title} ({len(files)})")
        for f in files:
            flags = f"  [{', '.join(f.flags)}]" if f.flags else ""
            click.echo(f"    {short_hash(f.hash)}  {human_size(f.size):>10}  {f.path}{flags}")
    for w in job.warnings:
        click.echo(click.style("  warning: ", fg="yellow") + w)
    if job.decisions:
        click.echo("  decisions")
        for d in job.decisions:
            mark = f"kept ({d.role})" if d.kept else "dropped"
            click.echo(f"    {mark:<20} {d.path}: {d.reason}")


def _show_artifact(opts: Options, stubs, ref: str, as_json: bool) -> None:
    from roar_api.v1 import artifacts_pb2

    art = client.call(stubs.artifacts.GetArtifact, artifacts_pb2.GetArtifactRequest(
        workspace=os.getcwd(), ref=ref))
    if as_json:
        emit_json(message_dict(art))
        return
    kind = f"directory of {len(art.components)} files, " if art.components else ""
    click.echo(f"artifact {art.hash}  ({kind}{human_size(art.size)})")
    click.echo(f"  paths        {', '.join(art.paths)}")
    first = art.producers[0] if art.producers else None
    session = f" (the active session, {first.session_id[:12]})" if first is not None and first.active_session else ""
    click.echo(f"  produced by  {art.produced_by or '- (not produced by a recorded job)'}{session}")
    if len(art.producers) > 1:
        click.echo(f"  also by      {', '.join(p.name for p in art.producers[1:])}")
    click.echo(f"  consumed by  {', '.join(art.consumed_by) or '-'}")
    if art.components:
        click.echo("  components")
        for c in art.components:
            click.echo(f"    {short_hash(c.hash)}  {human_size(c.size):>10}  {c.path}")
    if art.checklist:
        click.echo()
        checklist(art.checklist)


@click.command()
@click.argument("ref", required=False)
@click.option("--explain", is_flag=True, help="Also show why each path was kept or dropped.")
@json_option
@click.pass_obj
def show(opts: Options, ref: str | None, explain: bool, as_json: bool) -> None:
    """Show the session, a job (@N, @BN, uid prefix) or an artifact (path or hash prefix)."""
    from roar_api.v1 import jobs_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    if not ref:
        from roarctl.commands.workspace import status

        click.get_current_context().invoke(status, as_json=as_json)
        return
    looks_like_path = "/" in ref or os.path.exists(ref)
    if is_step_ref(ref) or (_HEX.match(ref) and not looks_like_path):
        try:
            job = client.call(stubs.jobs.GetJob, jobs_pb2.GetJobRequest(
                workspace=os.getcwd(), ref=ref, explain=explain))
        except ClientError as exc:
            if is_step_ref(ref) or exc.exit_code != EXIT_NOT_FOUND:
                raise
        else:
            if as_json:
                emit_json(message_dict(job))
            else:
                print_job(job)
            return
    _show_artifact(opts, stubs, ref, as_json)


@click.command()
@click.option("--all", "all_sessions", is_flag=True, help="Every session, not only the active one.")
@click.option("-n", "--limit", type=int, default=0, help="Only the last N jobs.")
@json_option
@click.pass_obj
def log(opts: Options, all_sessions: bool, limit: int, as_json: bool) -> None:
    """Recent jobs, oldest first."""
    from roar_api.v1 import jobs_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    resp = client.call(stubs.jobs.ListJobs, jobs_pb2.ListJobsRequest(
        workspace=os.getcwd(), session_id="*" if all_sessions else "", limit=max(0, limit)))
    if as_json:
        emit_json([message_dict(j) for j in resp.jobs])
        return
    if not resp.jobs:
        click.echo("no jobs yet: record one with `roarctl run COMMAND`")
        return
    headers = ["step", "job", "started", "status", "exit", "took", "in", "out", "command"]
    rows = [[j.ref, j.uid[:8], _local_time(j.started_at), j.status, exit_text(j),
             human_duration(j.duration_seconds), len(j.inputs), len(j.outputs), command_line(j.argv)]
            for j in resp.jobs]
    columns = stdout_columns()
    if columns is not None:   # on a terminal the command column takes what the others leave
        others = sum(max(len(str(r[i])) for r in [headers, *rows]) + 2 for i in range(len(headers) - 1))
        for r in rows:
            r[-1] = fit(r[-1], max(20, columns - others))
    click.echo(table(rows, headers))


@click.command()
@yes_option
@click.option("--delete-outputs", is_flag=True, help="Also delete the job's output files (inside the workspace).")
@json_option
@click.pass_obj
def pop(opts: Options, yes: bool, delete_outputs: bool, as_json: bool) -> None:
    """Remove the most recent job from the active session."""
    from roar_api.v1 import jobs_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    if not yes:
        last = client.call(stubs.jobs.ListJobs, jobs_pb2.ListJobsRequest(workspace=os.getcwd(), limit=1))
        if not last.jobs:
            raise ClientError("the active session has no jobs to pop", EXIT_NOT_FOUND)
        j = last.jobs[-1]
        what = " and delete its outputs" if delete_outputs else ""
        click.confirm(f"Remove {j.ref} ({command_line(j.argv)}){what}?", abort=True)
    resp = client.call(stubs.jobs.PopJob, jobs_pb2.PopJobRequest(workspace=os.getcwd(),
                                                                 delete_outputs=delete_outputs))
    if as_json:
        emit_json(message_dict(resp))
        return
    click.echo(f"removed {resp.job.ref} ({command_line(resp.job.argv)}) from the session")
    for p in resp.deleted_paths:
        click.echo(f"  deleted {p}")


def _fix_for(path: str) -> str:
    if path.startswith("/"):
        return "move it into the repository and commit it, or bring it in with `roarctl get URL`"
    return f"commit it: git add {path!r} && git commit"


@click.command()
@click.argument("ref", required=False)
@click.option("--unsourced", is_flag=True, help="Only inputs no job produced and git does not track.")
@json_option
@click.pass_obj
def inputs(opts: Options, ref: str | None, unsourced: bool, as_json: bool) -> None:
    """A job's inputs (REF: @N, @BN, uid prefix), or the whole session's; with the fix for each
    unsourced one."""
    from roar_api.v1 import jobs_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    if ref:
        jobs = [client.call(stubs.jobs.GetJob, jobs_pb2.GetJobRequest(workspace=os.getcwd(), ref=ref))]
    else:
        jobs = list(client.call(stubs.jobs.ListJobs, jobs_pb2.ListJobsRequest(workspace=os.getcwd())).jobs)
    rows = {}
    for job in jobs:
        for f in job.inputs:
            if unsourced and "unsourced" not in f.flags:
                continue
            rows.setdefault(f.abs_path, (job.ref, f))
    if as_json:
        emit_json([{**message_dict(f), "job": r, "fix": _fix_for(f.path) if "unsourced" in f.flags else ""}
                   for r, f in rows.values()])
        return
    if not rows:
        click.echo("no unsourced inputs" if unsourced else "no inputs")
        return
    for r, f in rows.values():
        click.echo(f"{r:>5}  {short_hash(f.hash)}  {f.path}")
        if "unsourced" in f.flags:
            click.echo(f"       fix: {_fix_for(f.path)}")
