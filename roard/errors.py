"""Domain errors. Each carries one user-facing sentence; the handlers map the class to a gRPC
status code, so domain code never imports grpc."""
from __future__ import annotations

import errno
import os
import sqlite3


class RoarError(Exception):
    """Base class: ``str(err)`` is the sentence shown to the user."""


class InvalidArgument(RoarError):
    pass


class NotFound(RoarError):
    pass


class FailedPrecondition(RoarError):
    pass


class Unavailable(RoarError):
    pass


class DaemonStartupError(RoarError):
    """roard cannot start (socket directory unsafe, another daemon running, ...)."""


#: The most bytes (UTF-8) of a message sent to a client. gRPC carries it in a header, and a
#: message echoing a huge input would overflow the header limit ("Stream removed").
MESSAGE_LIMIT = 1024


def bounded(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` cut to at most ``limit`` UTF-8 bytes, saying how much was left out."""
    data = message.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return message
    kept = data[:limit - 64].decode("utf-8", "ignore")
    return f"{kept}... ({len(data) - len(kept.encode('utf-8', 'surrogateescape'))} more bytes not shown)"


_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_SQLITE_FULL, _SQLITE_READONLY = 13, 8


def storage_failure(exc: BaseException) -> str | None:
    """Why a write failed, in words, when the disk was the cause (full or read-only); None for any
    other failure."""
    if isinstance(exc, OSError):
        where = os.path.dirname(exc.filename) if isinstance(exc.filename, str) else "roard's files"
        if exc.errno in _FULL_ERRNOS:
            return f"the disk holding {where} is full"
        if exc.errno == errno.EROFS:
            return f"{where} is on a read-only file system"
        return None
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        text = str(exc)
        if code == _SQLITE_FULL or "disk is full" in text:
            return "the disk holding .roar/ (or roard's state directory) is full"
        if code == _SQLITE_READONLY or "readonly database" in text:
            return "a database under .roar/ (or roard's state directory) cannot be written (read-only)"
    return None
