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
