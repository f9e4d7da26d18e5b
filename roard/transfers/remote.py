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
#: Backends that are optional extras of roar-provenance: scheme -> (extra, package it installs).
OPTIONAL_BACKENDS = {"hf": ("hf", "huggingface_hub"), "gs": ("gcs", "gcsfs"), "gcs": ("gcs", "gcsfs")}
#: The titles web servers give the HTML pages that list a directory (http.server, Apache, nginx, lighttpd).
_LISTING_TITLE = re.compile(rb"<title>\s*(index of|directory listing for)\b", re.IGNORECASE)
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
    if scheme == "hf":
        options.update(_hf_options(environment))
    if scheme in ("gs", "gcs"):
        options.update(_gcs_options(environment))
    options.update(conf.get(scheme, {}))
    return options


def _hf_options(environment: dict[str, str]) -> dict[str, Any]:
    """huggingface_hub's own variables, taken from the client (the daemon's environment is not
    the user's shell): the Hub's address and the token."""
    options: dict[str, Any] = {"skip_instance_cache": True}   # listings must not outlive a transfer
    if environment.get("HF_ENDPOINT"):
        options["endpoint"] = environment["HF_ENDPOINT"].rstrip("/")
    token = environment.get("HF_TOKEN") or environment.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        options["token"] = token
    return options


def _gcs_options(environment: dict[str, str]) -> dict[str, Any]:
    """gcsfs's settings from the client's Google variables: an emulator's address
    (``STORAGE_EMULATOR_HOST``, then anonymous unless credentials are given), the credentials
    file and the project."""
    options: dict[str, Any] = {"skip_instance_cache": True}
    if environment.get("STORAGE_EMULATOR_HOST"):
        options["endpoint_url"] = environment["STORAGE_EMULATOR_HOST"].rstrip("/")
        options["token"] = "anon"
    if environment.get("GOOGLE_APPLICATION_CREDENTIALS"):
        options["token"] = environment["GOOGLE_APPLICATION_CREDENTIALS"]
    project = environment.get("GOOGLE_CLOUD_PROJECT") or environment.get("GCLOUD_PROJECT")
    if project:
        options["project"] = project
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
        if scheme in OPTIONAL_BACKENDS:
            extra, package = OPTIONAL_BACKENDS[scheme]
            raise FailedPrecondition(f"{scheme}:// needs the optional {package} backend: "
                                     f"pip install 'roar-provenance[{extra}]'") from None
        entry = known_implementations.get(scheme, {})
        package = entry.get("class", "").split(".")[0]
        hint = entry.get("err") if package in ("", "fsspec") else f"pip install {package}"
        raise FailedPrecondition(f"the {scheme}:// backend is not installed ({hint})") from None


def open_remote(url: str, environment: dict[str, str]) -> Remote:
    """Resolve ``url`` to its filesystem. Blocking (a backend may read config files)."""
    scheme = scheme_of(url)
    cls = backend_class(scheme)
    options = storage_options(scheme, environment)
    if scheme in ("gs", "gcs") and options.get("endpoint_url"):
        # gcsfs's default class also asks the storage-control gRPC service (bucket layouts),
        # which emulators do not offer; its core class speaks the JSON API only.
        from gcsfs.core import GCSFileSystem as cls
    try:
        fs = cls(**options)
        path = cls._strip_protocol(url)
    except Exception as exc:
        raise transfer_error(exc, strip_credentials(url)) from None
    return Remote(url, strip_credentials(url), scheme, fs, path)


def refuse_html_listing(remote: Remote, info: dict[str, Any]) -> None:
    """An http(s) URL that answers with a web server's directory listing is not a file to save."""
    if remote.scheme not in ("http", "https") or info.get("mimetype") != "text/html":
        return
    try:
        with remote.fs.open(remote.path, "rb", block_size=0) as page:
            head = page.read(65536)
    except Exception as exc:
        raise transfer_error(exc, remote.clean_url) from None
    if _LISTING_TITLE.search(head):
        raise FailedPrecondition(f"{remote.clean_url} is an HTML directory listing, not a file; get each "
                                 "file by its own URL")


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
