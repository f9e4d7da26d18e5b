"""Opening a URL through fsspec, with the client's credentials, and turning what the backends
raise into one sentence the user can act on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from roard.capture.credentials import strip_credentials
from roard.errors import FailedPrecondition, InvalidArgument, NotFound, RoarError

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
#: AWS variable -> s3fs keyword (explicit FSSPEC_S3_* settings win).
_AWS_OPTIONS = {"AWS_ENDPOINT_URL": "endpoint_url", "AWS_ENDPOINT_URL_S3": "endpoint_url",
                "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret",
                "AWS_SESSION_TOKEN": "token", "AWS_PROFILE": "profile"}
_CONNECT_ERRORS = {"ClientConnectorError", "ClientConnectorDNSError", "EndpointConnectionError",
                   "ConnectTimeoutError", "ConnectionRefusedError", "gaierror", "ConnectTimeout"}
_BROKEN_ERRORS = {"ClientPayloadError", "ContentLengthError", "TransferEncodingError",
                  "ServerDisconnectedError", "IncompleteRead", "ResponseStreamingError",
                  "ReadTimeoutError", "IncompleteReadError", "ConnectionResetError"}


class TransferBroken(FailedPrecondition):
    """The bytes stopped arriving (or did not all arrive)."""


class TransferCancelled(RoarError):
    """The client went away; the transfer stops and cleans up."""


@dataclass
class Remote:
    url: str          # as given (may hold credentials: never record it)
    clean_url: str    # without credentials
    scheme: str
    fs: Any           # fsspec.AbstractFileSystem
    path: str         # the backend's path for ``url``

    def child_url(self, rel: str) -> str:
        return self.clean_url.rstrip("/") + "/" + rel


def scheme_of(url: str) -> str:
    m = _SCHEME.match(url)
    if not m:
        raise InvalidArgument(f"{strip_credentials(url)!r} is not a URL: give scheme://... "
                              "(s3://, gs://, https://, file:///absolute/path)")
    return m.group(1).lower()


def storage_options(scheme: str, environment: dict[str, str]) -> dict[str, Any]:
    """fsspec keywords for ``scheme`` from the client's variables: ``FSSPEC_<PROTO>_<KWARG>`` (fsspec's
    own convention) and, for S3, the standard AWS variables."""
    import fsspec.config

    conf: dict[str, dict[str, Any]] = {}
    fsspec.config.set_conf_env(conf, {k: v for k, v in environment.items() if k.startswith("FSSPEC_")})
    options: dict[str, Any] = {}
    if scheme in ("s3", "s3a"):
        options.update({kw: environment[var] for var, kw in _AWS_OPTIONS.items() if environment.get(var)})
        region = environment.get("AWS_REGION") or environment.get("AWS_DEFAULT_REGION")
        if region:
            options["client_kwargs"] = {"region_name": region}
    if scheme in ("file", "local"):
        options["auto_mkdir"] = True
    options.update(conf.get(scheme, {}))
    return options


def backend_class(scheme: str) -> Any:
    """fsspec's class for ``scheme``: an unknown scheme or a missing backend is one sentence."""
    import fsspec
    from fsspec.registry import known_implementations

    try:
        return fsspec.get_filesystem_class(scheme)
    except ValueError:
        raise InvalidArgument(f"unknown URL scheme {scheme}://: fsspec has no backend for it "
                              "(common ones: s3, gs, http, https, file, az, hf, sftp)") from None
    except ImportError:
        entry = known_implementations.get(scheme, {})
        package = entry.get("class", "").split(".")[0]
        hint = entry.get("err") if package in ("", "fsspec") else f"pip install {package}"
        raise FailedPrecondition(f"the {scheme}:// backend is not installed ({hint})") from None


def open_remote(url: str, environment: dict[str, str]) -> Remote:
    """Resolve ``url`` to its filesystem. Blocking (a backend may read config files)."""
    scheme = scheme_of(url)
    cls = backend_class(scheme)
    options = storage_options(scheme, environment)
    try:
        fs = cls(**options)
        path = cls._strip_protocol(url)
    except Exception as exc:
        raise transfer_error(exc, strip_credentials(url)) from None
    return Remote(url, strip_credentials(url), scheme, fs, path)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack += [e.__cause__, e.__context__]


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def transfer_error(exc: BaseException, url: str) -> RoarError:
    """One sentence for what went wrong moving ``url`` (the backends' errors vary)."""
    if isinstance(exc, RoarError):
        return exc
    chain = list(_chain(exc))
    for e in chain:
        if _names(e) & _CONNECT_ERRORS:
            return FailedPrecondition(f"cannot reach the server for {url} ({_reason(e)})")
    for e in chain:
        if _names(e) & _BROKEN_ERRORS:
            return TransferBroken(f"the transfer of {url} broke off ({_reason(e)})")
    for e in chain:
        status = getattr(e, "status", None)
        if isinstance(status, int) and status >= 400:
            return _status_error(status, url)
        if isinstance(e, PermissionError):
            return FailedPrecondition(f"access to {url} was denied ({_reason(e)})")
    if any(isinstance(e, FileNotFoundError) for e in chain):
        return NotFound(f"nothing at {url} (not found)")
    return FailedPrecondition(f"the transfer of {url} failed ({_reason(exc)})")


def _status_error(status: int, url: str) -> RoarError:
    if status == 404:
        return NotFound(f"nothing at {url} (HTTP 404)")
    if status in (401, 403):
        return FailedPrecondition(f"access to {url} was denied (HTTP {status}); check the credentials")
    return FailedPrecondition(f"the server answered HTTP {status} for {url}")


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return strip_credentials(text)[:200]
