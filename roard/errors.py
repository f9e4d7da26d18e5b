"""Domain errors. Each carries one user-facing sentence; the handlers map the class to a gRPC
status code, so domain code never imports grpc."""
from __future__ import annotations


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
