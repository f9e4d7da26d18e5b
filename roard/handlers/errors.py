"""Map domain errors to gRPC status codes, once, for every handler."""
from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import sys
from typing import Any, Callable

import grpc

from roard import errors

log = logging.getLogger(__name__)

STATUS_FOR: dict[type[errors.RoarError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}


def status_for(exc: errors.RoarError) -> grpc.StatusCode:
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]
    return grpc.StatusCode.INTERNAL


def _wrap_unary(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await method(self, request, context)
        except errors.RoarError as exc:
            await context.abort(status_for(exc), errors.bounded(str(exc)))
        except grpc.aio.AbortError:
            raise  # the handler chose its status already
        except Exception:
            await _internal(context, method)
    return wrapper


async def _internal(context: grpc.aio.ServicerContext, method: Callable[..., Any]) -> None:
    reason = errors.storage_failure(sys.exc_info()[1])
    if reason is not None:   # a full or read-only disk is the user's to fix, not a bug
        log.warning("%s: %s", method.__qualname__, reason)
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                            errors.bounded(f"roard cannot write what {method.__name__} needs: {reason}"))
    log.exception("unexpected error in %s", method.__qualname__)
    await context.abort(grpc.StatusCode.INTERNAL,
                        f"roard hit an internal error in {method.__name__}; see the daemon log")


def _wrap_stream(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            async for item in method(self, request, context):
                yield item
        except errors.RoarError as exc:
            await context.abort(status_for(exc), errors.bounded(str(exc)))
        except (grpc.aio.AbortError, asyncio.CancelledError, GeneratorExit):
            raise
        except Exception:
            await _internal(context, method)
    return wrapper


def map_errors(cls: type) -> type:
    """Class decorator: wrap every public coroutine/async-generator method of a servicer."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if inspect.isasyncgenfunction(member):
            setattr(cls, name, _wrap_stream(member))
        elif inspect.iscoroutinefunction(member):
            setattr(cls, name, _wrap_unary(member))
    return cls
