"""roarctl get / put: move data through fsspec and record it as a Get or Put job."""
from __future__ import annotations

import os
from typing import Any, Iterable

import click

from roarctl import client
from roarctl.client import Options
from roarctl.commands import json_option
from roarctl.errors import ClientError
from roarctl.render import StatusLine, checklist, emit_json, human_size, message_dict, short_hash

#: Client variables the daemon may use for a transfer (credentials, endpoints, fsspec options);
#: it never records them (roard/transfers/remote.py reads FSSPEC_*, the AWS ones, Hugging Face's
#: and Google's).
FORWARDED_PREFIXES = ("FSSPEC_", "AWS_")
FORWARDED_NAMES = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT",
                   "STORAGE_EMULATOR_HOST", "HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
EXIT_INTERRUPTED = 130


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_PREFIXES) or k in FORWARDED_NAMES}


class ProgressLine:
    """Transfer progress on one status line; only on a terminal and when not quiet."""

    def __init__(self, verb: str, enabled: bool) -> None:
        self.verb = verb
        self.line = StatusLine(enabled)

    def show(self, p: Any) -> None:
        if not self.line.enabled:
            return
        files = f"  file {p.file_index}/{p.file_count}" if p.file_count > 1 else ""
        if p.phase == "hash":
            text = f"hashing {p.path}  {human_size(p.total)}{files}"
        else:
            total = f" / {human_size(p.total)}" if p.total else ""
            text = f"{self.verb} {p.path}  {human_size(p.done)}{total}{files}"
        if p.all_total and p.file_count > 1:
            text += f"  ({100 * p.all_done // p.all_total}% of {human_size(p.all_total)})"
        self.line.show(text)

    def clear(self) -> None:
        self.line.clear()


def _run(call: Any, request: Any, line: ProgressLine) -> Any:
    """Consume the stream: progress to ``line``, then the Transfer. Ctrl-C cancels the transfer,
    which the daemon cleans up."""
    from roarctl import wire

    responses = call(request)
    try:
        for update in responses:
            if update.WhichOneof("update") == "progress":
                line.show(update.progress)
            else:
                return update.transfer
    except wire.RpcError as exc:
        raise client.translate(exc) from None
    except KeyboardInterrupt:
        responses.cancel()
        raise ClientError("interrupted: the transfer was cancelled and nothing was recorded",
                          EXIT_INTERRUPTED) from None
    finally:
        line.clear()
    raise ClientError("roard ended the transfer without a result; see the daemon log")


def _file_rows(files: Iterable[Any], arrow: str) -> None:
    for f in files:
        click.echo(f"  {short_hash(f.hash) if f.hash else '-':<12}  {human_size(f.size):>10}  "
                   f"{f.path} {arrow} {f.url}")


def _directories(transfer: Any) -> None:
    for d in transfer.directories:
        click.echo(f"  directory {d.path}  {d.hash}  ({d.file_count} files, {human_size(d.size)})")


def _warnings(transfer: Any) -> None:
    for w in transfer.warnings:
        click.echo(click.style("warning: ", fg="yellow") + w, err=True)


@click.command()
@click.argument("url")
@click.argument("dest", required=False, default="")
@click.option("--hash", "expected_hash", metavar="H", default="",
              help="Expected BLAKE3 hash (full or prefix; a directory's composite hash); a mismatch writes nothing.")
@click.option("--force", is_flag=True, help="Replace DEST when it exists.")
@click.option("--dry-run", is_flag=True, help="Say what would be downloaded; touch nothing.")
@click.option("-m", "--message", default="", help="A note recorded with the job.")
@click.option("--tag", is_flag=True, help="Tag the current git commit (roar/<commit>) once recorded.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@json_option
@click.pass_obj
def get(opts: Options, url: str, dest: str, expected_hash: str, force: bool, dry_run: bool,
        message: str, tag: bool, quiet: bool, as_json: bool) -> None:
    """Download URL (a file, or a directory/prefix) to DEST and record it as a Get job.

    URL is anything fsspec opens: s3://, gs://, http(s)://, file://, ... Credentials come from the
    usual places (AWS_* variables, ~/.aws, FSSPEC_<SCHEME>_<OPTION> variables) and are never
    recorded. A single file goes inside DEST when DEST is an existing directory or ends with /.
    """
    from roar_api.v1 import transfers_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    request = transfers_pb2.DownloadRequest(
        workspace=os.getcwd(), url=url, dest=dest, expected_hash=expected_hash, force=force,
        dry_run=dry_run, message=message, tag=tag, environment=_environment())
    transfer = _run(stubs.transfers.Download, request, ProgressLine("receiving", not (quiet or as_json)))
    if as_json:
        emit_json(message_dict(transfer))
        return
    _warnings(transfer)
    if transfer.dry_run:
        click.echo(f"dry run: would download {len(transfer.files)} file(s) "
                   f"({human_size(sum(f.size for f in transfer.files))}) from {transfer.url}")
        for f in transfer.files:
            click.echo(f"  {human_size(f.size):>10}  {f.url} -> {f.path}")
        return
    click.echo(f"{transfer.job.ref} get: {len(transfer.files)} file(s) from {transfer.url}")
    _file_rows(transfer.files, "<-")
    _directories(transfer)
    if transfer.git_tag:
        click.echo(f"  git tag {transfer.git_tag}")


@click.command()
@click.argument("args", nargs=-1, required=True, metavar="[SRC...] DST")
@click.option("-m", "--message", required=True, help="What is being put (recorded with the job).")
@click.option("--dry-run", is_flag=True, help="Say what would be uploaded; touch nothing.")
@click.option("--no-tag", is_flag=True, help="Do not tag the current git commit (roar/<commit>).")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@json_option
@click.pass_obj
def put(opts: Options, args: tuple[str, ...], message: str, dry_run: bool, no_tag: bool,
        quiet: bool, as_json: bool) -> None:
    """Upload to DST and record it as a Put job.

    SRC: files, directories, @N (a step's outputs); none: every output of the active session.
    One file goes to DST itself (inside it when DST ends with /); one directory's files go under
    DST; several sources go under DST by their repository paths.
    """
    from roar_api.v1 import transfers_pb2

    opts.json = as_json
    stubs = client.connect(opts)
    request = transfers_pb2.UploadRequest(
        workspace=os.getcwd(), sources=list(args[:-1]), url=args[-1], message=message,
        dry_run=dry_run, no_tag=no_tag, environment=_environment())
    transfer = _run(stubs.transfers.Upload, request, ProgressLine("sending", not (quiet or as_json)))
    if as_json:
        emit_json(message_dict(transfer))
        return
    _warnings(transfer)
    if transfer.dry_run:
        click.echo(f"dry run: would upload {len(transfer.files)} file(s) "
                   f"({human_size(sum(f.size for f in transfer.files))}) to {transfer.url}")
        _file_rows(transfer.files, "->")
        _directories(transfer)
        return
    click.echo(f"{transfer.job.ref} put: {len(transfer.files)} file(s) to {transfer.url}")
    _file_rows(transfer.files, "->")
    _directories(transfer)
    if transfer.git_tag:
        click.echo(f"  git tag {transfer.git_tag} (push it to make the commit reachable: "
                   f"git push origin {transfer.git_tag})")
    if transfer.checklist:
        click.echo()
        checklist(transfer.checklist)
