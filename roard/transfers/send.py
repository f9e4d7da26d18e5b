"""Uploading: local files (already hashed) to their destination URLs. Blocking; callers run it in
a worker thread."""
from __future__ import annotations

from dataclasses import dataclass

from roard.errors import NotFound
from roard.transfers.progress import Tracker
from roard.transfers.remote import Remote, transfer_error


@dataclass(frozen=True)
class Outgoing:
    abs_path: str
    path: str      # repo-relative inside the repository, else absolute
    key: str       # where it goes under the destination ("" for the destination itself)
    hash: str
    size: int


def destination(remote: Remote, key: str) -> tuple[str, str]:
    """(URL without credentials, backend path) of ``key`` under ``remote``."""
    if not key:
        return remote.clean_url, remote.path
    return remote.child_url(key), remote.path.rstrip("/") + "/" + key


def upload(remote: Remote, items: list[Outgoing], tracker: Tracker) -> None:
    """Upload each item; the first failure stops the transfer (objects already sent stay)."""
    for index, item in enumerate(items):
        url, rpath = destination(remote, item.key)
        tracker.start(index, item.path)
        try:
            remote.fs.put_file(item.abs_path, rpath, callback=tracker.callback())
        except Exception as exc:
            err = transfer_error(exc, url)
            if isinstance(err, NotFound):
                err = NotFound(f"cannot upload to {url}: its bucket or parent directory does not exist")
            raise err from None
        tracker.finish(item.size)
