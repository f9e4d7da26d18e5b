"""roarctl reproduce: show the plan to rebuild an artifact, and with --run, rebuild it and say
whether the bytes came back the same."""
from __future__ import annotations

import os
import sys

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option, yes_option
from roarctl.errors import EXIT_DIVERGED, ClientError
from roarctl.render import (StatusLine, checklist, command_line, emit_json, message_dict,
                            short_hash, table)

#: Packages shown in the plan before "and N more" (--list-requirements shows all).
PACKAGES_SHOWN = 12


def _print_plan(plan, list_requirements: bool) -> None:
    if plan.target_path or not plan.lineage_hash or plan.target_hash != plan.lineage_hash:
        click.echo(f"Target: {plan.target_hash}" + (f"  ({plan.target_path})" if plan.target_path else ""))
    else:
        click.echo(f"Target: session with lineage hash {plan.lineage_hash}")
    click.echo(f"Repository: {plan.remote or plan.repo_root or '(none recorded)'}")
    click.echo(f"Commit: {plan.commit or '(none)'}" + (f" on {plan.branch}" if plan.branch else ""))
    if plan.code_source:
        click.echo(f"Code: {plan.code_source} -> {plan.code_dir}  ({plan.code_reason})")
    click.echo(f"\nSteps ({len(plan.steps)}):")
    for step in plan.steps:
        where = f"  [in {step.cwd}]" if step.cwd else ""
        dirty = "  [+ recorded diff]" if step.diff_path else ""
        env = f"  [env: {', '.join(step.env_names)}]" if step.env_names else ""
        click.echo(f"  {step.ref:<10} {command_line(step.argv)}{where}{dirty}{env}")
    if plan.python_version or plan.python_found:
        click.echo(f"\nPython: {plan.python_version or '?'}"
                   + (f"  (using {plan.python_found})" if plan.python_found else ""))
    if plan.packages:
        shown = plan.packages if list_requirements else plan.packages[:PACKAGES_SHOWN]
        click.echo(f"Packages to install ({len(plan.packages)}): "
                   + ", ".join(f"{p.name}=={p.version}" for p in shown)
                   + (f", and {len(plan.packages) - len(shown)} more (--list-requirements)"
                      if len(shown) < len(plan.packages) else ""))
    outside = [i for i in plan.inputs if i.source in ("unsourced", "external", "get")]
    if outside:
        click.echo("\nInputs from outside the repository's history:")
        click.echo(table([[i.path, short_hash(i.hash), i.source, ("ok: " if i.available else "MISSING: ") + i.detail]
                          for i in outside], ["path", "hash", "source", "status"]))
    click.echo("")
    checklist(plan.checklist)
    for note in plan.notes:
        click.echo(f"note: {note}")
    for blocker in plan.blockers:
        click.echo(click.style("blocker: ", fg="red") + blocker)


def _print_requirements(plan) -> None:
    for p in plan.packages:
        click.echo(f"{p.name}=={p.version}")


class _ProgressView:
    """Renders the event stream: step headers, the steps' own output, a ticking line on a TTY."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.line = StatusLine(not quiet)

    def clear(self) -> None:
        self.line.clear()

    def progress(self, p) -> None:
        if self.quiet:
            return
        if p.message == "running":
            self.line.show(f"{p.step} running {p.elapsed_seconds:.0f}s")
            return
        self.clear()
        rnd = f"[round {p.round}] " if p.round > 1 else ""
        label = f"{p.step} " if p.step else ""
        click.echo(click.style(f"==> {rnd}{p.phase}: {label}{p.message}", bold=True), err=True)

    def output(self, o) -> None:
        if self.quiet:
            return
        self.clear()
        sys.stdout.buffer.write(o.data)
        sys.stdout.flush()


def _print_verdict(v) -> None:
    click.echo("")
    rows = []
    for a in v.artifacts:
        new = ", ".join(short_hash(h) if h else "-" for h in a.new_hashes)
        rows.append([a.step, a.path + (" *" if a.target else ""), short_hash(a.recorded_hash), new, a.verdict])
    if rows:
        click.echo(table(rows, ["step", "artifact", "recorded", "reproduced", "verdict"]))
    if v.first_diverged_step:
        click.echo(f"\nFirst divergence: {v.first_diverged_step}")
        for cause in v.causes:
            click.echo(f"  likely cause: {cause}")
    for note in v.notes:
        click.echo(f"note: {note}")
    click.echo(f"\nReplayed in {v.directory} (session {v.session_id[:12]})")
    word = "IDENTICAL" if v.identical else "DIVERGED"
    colour = "green" if v.identical else "red"
    click.echo(click.style(f"Verdict: {word}", fg=colour, bold=True)
               + ("" if v.identical else " (the target did not come back byte-identical)"))


@click.command()
@click.argument("ref")
@click.option("--run", "execute", is_flag=True, help="Execute the plan (asks first unless -y).")
@click.option("--lineage", is_flag=True, help="REF is a session's lineage hash: reproduce the whole session.")
@click.option("--dir", "directory", default="", help="Where to put the code (a new directory, or a checkout).")
@click.option("--python", default="", help="Interpreter to use instead of the recorded version.")
@click.option("--pip-any-version", is_flag=True,
              help="When a pinned version cannot be installed, take the nearest available one.")
@click.option("--package-sync", is_flag=True, help="Also install the recorded system packages.")
@click.option("--rounds", type=click.IntRange(1, 20), default=1,
              help="Run the steps N times and report outputs that differ between rounds.")
@click.option("--list-requirements", is_flag=True, help="Print every package the plan installs, and stop.")
@click.option("-q", "--quiet", is_flag=True, help="Only the verdict: no progress and no step output.")
@yes_option
@json_option
@click.pass_obj
def reproduce(opts: Options, ref: str, execute: bool, lineage: bool, directory: str, python: str,
              pip_any_version: bool, package_sync: bool, rounds: int, list_requirements: bool,
              quiet: bool, yes: bool, as_json: bool) -> None:
    """Rebuild an artifact from its hash and say whether it came back the same.

    Without --run, prints the plan and changes nothing. Exit codes with --run: 0 when the target
    came back byte-identical, 5 when it ran but diverged."""
    from roar_api.v1 import reproductions_pb2 as pb

    opts.json = as_json
    stubs = client.connect(opts)
    directory = os.path.abspath(directory) if directory else ""
    plan = client.call(stubs.reproductions.PlanReproduction, pb.PlanReproductionRequest(
        workspace=os.getcwd(), ref=ref, lineage=lineage, dir=directory, python=python))
    if list_requirements:
        emit_json([message_dict(p) for p in plan.packages]) if as_json else _print_requirements(plan)
        return
    if not execute:
        emit_json(message_dict(plan)) if as_json else _print_plan(plan, False)
        return
    if not as_json:
        _print_plan(plan, False)
    if plan.blockers:
        raise ClientError(f"cannot reproduce: {plan.blockers[0]}")
    if not yes and not click.confirm("\nRun this plan?", default=True, err=True):
        raise ClientError("nothing was run", 1)
    request = pb.ReproduceRequest(workspace=os.getcwd(), ref=ref, lineage=lineage, dir=directory, python=python,
                                  pip_any_version=pip_any_version, package_sync=package_sync, rounds=rounds,
                                  environment=dict(os.environ))
    verdict = _stream(stubs, request, _ProgressView(quiet or as_json))
    if as_json:
        emit_json(message_dict(verdict))
    else:
        _print_verdict(verdict)
    if not verdict.identical:
        sys.exit(EXIT_DIVERGED)


def _stream(stubs, request, view: _ProgressView):
    from roarctl import wire

    verdict = None
    try:
        for event in stubs.reproductions.Reproduce(request):
            kind = event.WhichOneof("event")
            if kind == "progress":
                view.progress(event.progress)
            elif kind == "output":
                view.output(event.output)
            else:
                verdict = event.verdict
    except wire.RpcError as exc:
        view.clear()
        raise client.translate(exc) from None
    except KeyboardInterrupt:
        raise ClientError("interrupted; the running step was stopped", 130) from None
    if verdict is None:
        raise ClientError("roard ended the reproduction without a verdict; see its log")
    return verdict
