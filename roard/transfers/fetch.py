"""Downloading: list what a URL holds, receive it under a temporary name next to DEST, hash it,
verify it against the expected hash, then rename it into place. Nothing is left at DEST when
anything fails. Blocking; callers run it in a worker thread."""
from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from roard.errors import FailedPrecondition, InvalidArgument, NotFound, RoarError
from roard.hashing import HashCache, Identity, hash_bytes_of
from roard.lineage.composite import merkle_hash
from roard.transfers.progress import Tracker, simple_report
from roard.transfers.remote import Remote, TransferBroken, open_remote, refuse_html_listing, transfer_error

_HEX = re.compile(r"^[0-9a-f]{4,64}$")


class HashMismatch(FailedPrecondition):
    """The bytes received are not the ones asked for."""


@dataclass(frozen=True)
class RemoteFile:
    url: str            # without credentials
    path: str           # the backend's path
    rel: str            # relative to the directory downloaded; "" for a single file
    size: int | None    # None when the server does not say


@dataclass
class Listing:
    remote: Remote
    is_dir: bool
    files: list[RemoteFile]


def check_expected(expected_hash: str | None) -> str:
    """A full BLAKE3 hash or a prefix of 4+ hex characters, lowercased; "" for none."""
    value = (expected_hash or "").strip().lower()
    if value and not _HEX.match(value):
        raise InvalidArgument(f"--hash {expected_hash!r} is not a BLAKE3 hash or a prefix of one "
                              "(4 to 64 hex characters)")
    return value


def list_remote(remote: Remote) -> Listing:
    """What ``remote`` holds: one file, or the files under a directory (prefix)."""
    try:
        info = remote.fs.info(remote.path)
        refuse_html_listing(remote, info)
        is_dir = info.get("type") == "directory"
        found = remote.fs.find(remote.path, detail=True) if is_dir else {}
    except Exception as exc:
        raise transfer_error(exc, remote.clean_url) from None
    if not is_dir:
        return Listing(remote, False, [RemoteFile(remote.clean_url, remote.path, "", info.get("size"))])
    base = remote.path.rstrip("/") + "/"
    files = []
    for name, detail in sorted(found.items()):
        rel = name[len(base):] if name.startswith(base) else ""
        if not rel or rel.endswith("/") or detail.get("type") == "directory":
            continue
        files.append(RemoteFile(remote.child_url(rel), name, safe_relative(rel, remote.clean_url),
                                detail.get("size")))
    if not files:
        raise NotFound(f"{remote.clean_url} is an empty directory: nothing to get")
    return Listing(remote, True, files)


def safe_relative(rel: str, url: str) -> str:
    """A remote name as a path that stays inside the download directory."""
    norm = posixpath.normpath(rel)
    if norm.startswith(("../", "/")) or norm in ("..", ".") or "\0" in norm:
        raise FailedPrecondition(f"{url} holds a file named {rel!r}, which would land outside the "
                                 "destination; refusing it")
    return norm


def refuse_existing(dest: Path, force: bool) -> None:
    if os.path.lexists(dest) and not force:
        raise FailedPrecondition(f"{dest} already exists; pass --force to replace it")


def fetch(listing: Listing, dest: Path, expected: str = "", force: bool = False,
          tracker: Tracker | None = None, cache: HashCache | None = None) -> list[tuple[Path, str, int]]:
    """Receive ``listing`` at ``dest`` (a file, or a directory for a directory listing)."""
    dest = Path(os.path.abspath(dest))
    refuse_existing(dest, force)
    tracker = tracker or Tracker([f.size for f in listing.files])
    created = _make_parents(dest.parent)
    tmp = dest.parent / f".{dest.name}.roar-part-{uuid.uuid4().hex[:8]}"
    try:
        received = _receive(listing, tmp, tracker)
        _verify(listing, received, expected)
        tracker.check()
        _move_into_place(tmp, dest)
    except RoarError as exc:
        _discard(tmp, created)
        raise type(exc)(f"{exc}; nothing was written to {dest}") from None
    except BaseException:
        _discard(tmp, created)
        raise
    results = [(dest / rel if listing.is_dir else dest, digest, size) for rel, digest, size in received]
    if cache is not None:
        _remember(cache, results)
    return results


def download(url: str, dest: Path, expected_hash: str | None,
             progress: Callable[[int, int], None] | None = None, *, force: bool = False,
             environment: dict[str, str] | None = None, cancel: threading.Event | None = None,
             cache: HashCache | None = None) -> list[tuple[Path, str, int]]:
    """Download ``url`` (a file, or every file under a directory/prefix) to ``dest``: received
    under a temporary name next to it, hashed (BLAKE3), checked against ``expected_hash`` (full or
    prefix; a directory's composite hash), then renamed into place. Returns (path, hash, size)
    for each file written. ``progress(done, total)`` counts bytes over the whole transfer."""
    expected = check_expected(expected_hash)
    listing = list_remote(open_remote(url, environment or {}))
    tracker = Tracker([f.size for f in listing.files], simple_report(progress), cancel)
    return fetch(listing, dest, expected, force, tracker, cache)


def _receive(listing: Listing, tmp: Path, tracker: Tracker) -> list[tuple[str, str, int]]:
    out = []
    for index, remote_file in enumerate(listing.files):
        local = tmp / remote_file.rel if listing.is_dir else tmp
        local.parent.mkdir(parents=True, exist_ok=True)
        tracker.start(index, remote_file.rel or posixpath.basename(remote_file.path))
        try:
            listing.remote.fs.get_file(remote_file.path, str(local), callback=tracker.callback())
        except Exception as exc:
            raise transfer_error(exc, remote_file.url) from None
        size = local.stat().st_size if local.exists() else 0
        if remote_file.size is not None and size != remote_file.size:
            raise TransferBroken(f"the transfer of {remote_file.url} broke off after {size} of "
                                 f"{remote_file.size} bytes")
        tracker.finish(size)
        tracker.hashing(index, remote_file.rel or posixpath.basename(remote_file.path), size)
        out.append((remote_file.rel, hash_bytes_of(local, size), size))
    return out


def _verify(listing: Listing, received: list[tuple[str, str, int]], expected: str) -> None:
    if not expected:
        return
    digest = merkle_hash((rel, h) for rel, h, _ in received) if listing.is_dir else received[0][1]
    if not digest.startswith(expected):
        raise HashMismatch(f"{listing.remote.clean_url} does not match --hash {expected}: "
                           f"what arrived has BLAKE3 {digest}")


def _move_into_place(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``, replacing what is there (refused earlier unless --force)."""
    real_dir = dest.is_dir() and not dest.is_symlink()
    if not os.path.lexists(dest) or (not tmp.is_dir() and not real_dir):
        os.replace(tmp, dest)
        return
    old = dest.parent / f".{dest.name}.roar-old-{uuid.uuid4().hex[:8]}"
    os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except OSError:
        os.rename(old, dest)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _make_parents(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; returns those created, deepest first."""
    missing = []
    p = directory
    while not p.exists():
        missing.append(p)
        p = p.parent
    directory.mkdir(parents=True, exist_ok=True)
    return missing


def _discard(tmp: Path, created: list[Path]) -> None:
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            tmp.unlink()
    for directory in created:
        with contextlib.suppress(OSError):
            directory.rmdir()


def _remember(cache: HashCache, results: list[tuple[Path, str, int]]) -> None:
    """Record the new files' hashes under their final identity (a later run reading them hits)."""
    rows = []
    for path, digest, size in results:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            if st.st_size == size:
                rows.append((Identity.of(st), digest))
    cache.put_many(rows)
