"""roarctl run / build: trace a command and record it as a job."""
from __future__ import annotations

import fcntl
import os
import stat
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from roar_api.refs import is_step_ref
from roar_api.launch import RUN_ENVIRONMENT
from roarctl import client
from roarctl.client import Options
from roarctl.errors import EXIT_INCOMPLETE, ClientError
from roarctl.launch import check_launch
from roarctl.render import (command_line, emit_json, exit_text, human_duration, human_size, message_dict,
                            short_hash)
from roarctl.spawn import Outcome, run_command, signals_held

if TYPE_CHECKING:   # imported where `run @N` needs it: most runs never do
    from roarctl.rerun_args import RerunArgs

#: How long EndRun keeps retrying while the daemon restarts (its spool is safe on disk).
END_RETRY_SECONDS = 60.0


def _text(arg: str) -> str:
    """An argument as valid UTF-8 for the record (the command itself gets the original bytes)."""
    try:
        arg.encode("utf-8")
        return arg
    except UnicodeEncodeError:
        return os.fsencode(arg).decode("utf-8", "backslashreplace")


def inherited_files() -> list[dict]:
    """fds 0-2 when they are regular files the user's shell opened (``< in > out >> log``)."""
    found = []
    for fd in (0, 1, 2):
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                continue
            path = os.readlink(f"/proc/self/fd/{fd}")
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if path.startswith("/") and not path.endswith(" (deleted)"):
            found.append({"fd": fd, "path": path, "flags": flags & (os.O_ACCMODE | os.O_APPEND)})
    return found


def _end_run(opts: Options, stubs: client.Stubs, run_id: str, outcome: Outcome, explain: bool):
    """EndRun, retrying through a daemon restart: the run's spool and record are on disk, so a
    new daemon picks the run up and finishes it."""
    from roarctl import wire

    from roar_api.v1 import runs_pb2

    request = runs_pb2.EndRunRequest(run_id=run_id, exit_code=outcome.exit_code, signal=outcome.signal,
                                     interrupted=outcome.interrupted, spawn_error=outcome.spawn_error,
                                     explain=explain)
    deadline = time.monotonic() + END_RETRY_SECONDS
    while True:
        try:
            return stubs.runs.EndRun(request, timeout=None).job
        except wire.RpcError as exc:
            if exc.code() != wire.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise client.translate(exc) from None
        time.sleep(0.5)
        try:
            stubs = client.connect(opts)
        except ClientError:
            if time.monotonic() > deadline:
                raise


SUMMARY_OUTPUTS = 10   #: outputs listed after a run; the rest are counted (all with --explain)


def print_summary(job, explain: bool) -> None:
    out = sys.stderr
    status = job.status if job.status != "ok" else "recorded"
    click.echo(f"roar: {job.ref} {status} in {human_duration(job.duration_seconds)} "
               f"(exit {exit_text(job)}): {len(job.outputs)} output(s), {len(job.inputs)} input(s)",
               file=out)
    shown = job.outputs if explain else job.outputs[:SUMMARY_OUTPUTS]
    for f in shown:
        click.echo(f"  wrote {f.path}  {short_hash(f.hash)}  {human_size(f.size)}", file=out)
    if len(shown) < len(job.outputs):
        click.echo(f"  … and {len(job.outputs) - len(shown):,} more (roarctl show {job.ref})", file=out)
    for w in job.warnings:
        click.echo(click.style("  warning: ", fg="yellow") + w, file=out)
    if explain:
        click.echo("  why each path was kept or dropped:", file=out)
        for d in job.decisions:
            mark = f"kept ({d.role})" if d.kept else "dropped"
            click.echo(f"    {mark:<20} {d.path}: {d.reason}", file=out)


def override_params(argv: list[str], overrides: list[str]) -> list[str]:
    """``--key value`` / ``--key=value`` in ``overrides`` replace the same option in ``argv``
    (in whichever of the two forms it was recorded); options not in ``argv`` are appended."""
    out = list(argv)
    i = 0
    while i < len(overrides):
        tok = overrides[i]
        if tok.startswith("--") and "=" in tok:
            key, value = tok.split("=", 1)
            i += 1
        elif tok.startswith("--") and i + 1 < len(overrides) and not overrides[i + 1].startswith("--"):
            key, value = tok, overrides[i + 1]
            i += 2
        else:
            out.append(tok)
            i += 1
            continue
        for j, arg in enumerate(out):
            if arg.startswith(key + "="):
                out[j] = f"{key}={value}"
                break
            if arg == key and j + 1 < len(out):
                out[j + 1] = value
                break
        else:
            out += [key, value]
    return out


def _trace_one(opts: Options, stubs: client.Stubs, step: PlannedStep,
               tracer: str | None, explain: bool, quiet: bool) -> tuple[object, Outcome, bool]:
    """BeginRun, spawn, EndRun for one command. Call inside ``signals_held()``."""
    from roarctl import wire

    from roar_api.v1 import runs_pb2

    kind, argv, cwd = step.kind, step.argv, step.cwd
    request = runs_pb2.BeginRunRequest(
        workspace=_text(cwd), argv=[_text(a) for a in argv], cwd=_text(cwd), kind=kind, tracer=tracer or "",
        rerun_of=step.rerun_of,
        inherited_files=[runs_pb2.InheritedFile(**f) for f in inherited_files()],
        environment={k: v for k, v in os.environ.items() if k in RUN_ENVIRONMENT})
    try:
        begun = stubs.runs.BeginRun(request, timeout=60, metadata=(("roar-client-pid", str(os.getpid())),))
    except wire.RpcError as exc:
        raise client.translate(exc) from None
    for warning in begun.warnings:
        if not quiet:
            click.echo(click.style("roar: warning: ", fg="yellow") + warning, err=True)
    check_launch(begun.launch.argv_prefix, begun.launch.environment, os.environ)
    env = dict(os.environ)
    env.update(begun.launch.environment)
    if cwd != os.getcwd():
        os.chdir(cwd)
    outcome = run_command([*begun.launch.argv_prefix, *argv], env)
    if outcome.spawn_error:
        click.echo(f"roarctl: {outcome.spawn_error}", err=True)
    try:
        job = _end_run(opts, stubs, begun.run_id, outcome, explain)
    except ClientError as exc:
        # The command ran: its exit code is what roarctl leaves with, whatever befell the record.
        click.echo(f"roarctl: not recorded: {exc.format_message()}", err=True)
        return None, outcome, begun.quiet
    return job, outcome, begun.quiet


@dataclass
class PlannedStep:
    kind: str
    argv: list[str]
    cwd: str
    ref: str = ""        # "@N" when it re-runs a recorded step
    rerun_of: str = ""   # the uid of the job it re-runs: roard records it as that step's next version


def _rerun_plan(stubs: client.Stubs, ref: str, args: RerunArgs, upstream: bool, quiet: bool) -> list[PlannedStep]:
    """The steps of ``roarctl run @N [--param=value ...] [-- ARGS]``, as roard plans them:
    stale upstream steps first when ``upstream``, else a warning about them."""
    from roar_api.v1 import lineage_pb2
    from roarctl.rerun_args import check_overrides

    plan = client.call(stubs.lineage.PlanRerun,
                       lineage_pb2.PlanRerunRequest(workspace=os.getcwd(), ref=ref, upstream=upstream))
    target = plan.steps[-1]
    overrides = check_overrides(ref, target.argv, args)
    if not os.path.isdir(target.cwd):
        raise ClientError(f"{target.ref} ran in {target.cwd}, which no longer exists")
    if plan.stale_upstream and not upstream and not quiet:
        click.echo(click.style("roar: warning: ", fg="yellow") +
                   f"upstream step(s) {', '.join(plan.stale_upstream)} are stale; pass --upstream to re-run "
                   "them first", err=True)
    steps = [PlannedStep(s.kind, list(s.argv), s.cwd, s.ref, s.job_uid) for s in plan.steps]
    steps[-1].argv = override_params(override_params(list(target.argv), overrides), args.script)
    return steps


def _run(opts: Options, kind: str, command: tuple[str, ...], quiet: bool, explain: bool,
         tracer: str | None, init: bool, as_json: bool, upstream: bool = False,
         rerun: RerunArgs | None = None) -> None:
    if not command:
        raise click.UsageError(f"no command given: usage is `roarctl {kind} COMMAND [ARGS...]`")
    cwd = os.getcwd()
    opts.json = as_json
    with signals_held():
        stubs = client.connect(opts)
        if init:
            from roar_api.v1 import workspaces_pb2

            client.call(stubs.workspaces.InitWorkspace,
                        workspaces_pb2.InitWorkspaceRequest(path=cwd, add_to_gitignore=False))
        if rerun is not None:
            plan = _rerun_plan(stubs, command[0], rerun, upstream, quiet or as_json)
        else:
            plan = [PlannedStep(kind, list(command), cwd)]
        for step in plan:
            if step.ref and not (quiet or as_json):
                click.echo(f"roar: re-running {step.ref}: {command_line(step.argv)}", err=True)
            job, outcome, quiet_ws = _trace_one(opts, stubs, step, tracer, explain, quiet)
            if job is None:
                pass
            elif as_json:
                emit_json(message_dict(job))
            elif not (quiet or quiet_ws) or explain:
                print_summary(job, explain)
            if outcome.exit_code != 0:
                break
            if job is not None and job.status == "incomplete" and not _allows_incomplete(stubs, step.cwd):
                click.echo(f"roarctl: the record of {job.ref} is incomplete (see its warning); exiting "
                           f"{EXIT_INCOMPLETE} (`roarctl config set run.allow_incomplete true` to accept it)",
                           err=True)
                sys.exit(EXIT_INCOMPLETE)
    sys.exit(outcome.exit_code)


def _allows_incomplete(stubs: client.Stubs, cwd: str) -> bool:
    from roar_api.v1 import config_pb2

    entry = client.call(stubs.config.GetConfig, config_pb2.GetConfigRequest(workspace=cwd, key="run.allow_incomplete"))
    return entry.value == "true"


def _command(kind: str, doc: str):
    @click.command(kind, help=doc, context_settings={"ignore_unknown_options": True,
                                                      "allow_interspersed_args": False})
    @click.option("-q", "--quiet", is_flag=True, help="No summary after the run.")
    @click.option("--explain", is_flag=True, help="Say why each path the command touched was kept or dropped.")
    @click.option("--tracer", type=click.Choice(["auto", "preload", "ptrace", "ebpf"]),
                  help="Tracer backend (default: the workspace's tracer.default).")
    @click.option("--init", "init", is_flag=True, help="Initialize a workspace here first if there is none.")
    @click.option("--json", "as_json", is_flag=True, help="Print the recorded job as JSON.")
    @click.option("--upstream", is_flag=True, help="With @N: re-run stale upstream steps first, in order.")
    @click.argument("command", nargs=-1, type=click.UNPROCESSED)
    @click.pass_obj
    def cmd(opts: Options, quiet: bool, explain: bool, tracer: str | None, init: bool, as_json: bool,
            upstream: bool, command: tuple[str, ...]) -> None:
        given = dict(quiet=quiet, explain=explain, tracer=tracer, init=init, as_json=as_json, upstream=upstream)
        rerun = None
        if command and is_step_ref(command[0]):   # after @N: roarctl's options, overrides, `--` ARGS
            from roarctl.rerun_args import option_specs, split_rerun_args

            ctx = click.get_current_context()
            rerun = split_rerun_args(command[0], command[1:], option_specs(ctx.command.get_params(ctx)))
            if rerun.options.pop("help", False):
                click.echo(ctx.get_help())
                ctx.exit(0)
            given.update(rerun.options)
        _run(opts, kind, command, rerun=rerun, **given)

    return cmd


run = _command("run", """Run COMMAND, recording the files it reads and writes as a job.

\b
  roarctl run python train.py --epochs 10
  roarctl run ./prepare.sh < raw.csv > clean.csv
  roarctl run @2                 re-run step 2 as recorded
  roarctl run @2 --epochs=20     re-run step 2 with a parameter changed
  roarctl run @4 --upstream -q   options after @N are roarctl's ...
  roarctl run @2 -- --verbose    ... and what follows `--` goes to the script

After @N, an option of roarctl's is roarctl's; --name=value overrides a parameter
(--name value too, when step N was recorded with --name); anything else before `--`
is an error. The re-run is recorded as the next version of step N.
""")
build = _command("build", """Run a build step (compile, install) recorded as @BN; build steps run
first when reproducing.""")
