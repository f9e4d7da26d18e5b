"""A small blocking HTTP client for the GLaaS API (stdlib ``http.client``; callers run it in a
worker thread, never on the event loop).

Answers are JSON, usually in the envelope ``{"success": true, "data": ...}``, which is
unwrapped here. Failures are sorted into the three kinds the queue treats differently:
``Unreachable`` (no answer: retry), ``Retryable`` (408, 429, 5xx: retry, after ``Retry-After``
when the server says) and ``Rejected`` (any other 4xx: retrying cannot help; the server's
reason is kept).
"""
from __future__ import annotations

import email.utils
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from roar_api.version import VERSION

DEFAULT_TIMEOUT = 60.0


class HttpProblem(Exception):
    """Base class; ``str()`` is one sentence for a person."""


class Unreachable(HttpProblem):
    """No answer: refused, reset, timed out, name not resolved."""


@dataclass(eq=False)
class _Answered(HttpProblem):
    status: int
    code: str
    reason: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"the server answered {self.status}: {self.reason}"


class Retryable(_Answered):
    """408, 429 or 5xx."""


class Rejected(_Answered):
    """A 4xx other than 408 and 429: the request itself is wrong (or not allowed)."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _error_of(payload: Any, fallback: str) -> tuple[str, str]:
    """(code, message) from the server's error body: the envelope's ``error`` or RFC 6749's."""
    if isinstance(payload, dict):
        err = payload.get("error")
        if isinstance(err, dict):
            return str(err.get("code", "")), str(err.get("message") or fallback)
        if isinstance(err, str):
            return err, str(payload.get("error_description") or err)
        if "detail" in payload:
            detail = payload["detail"]
            return "", detail if isinstance(detail, str) else json.dumps(detail)[:500]
    return "", fallback


class GlaasHttp:
    """Requests to one server, with an optional Bearer token."""

    def __init__(self, base_url: str, token: str = "", timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._parts = parts
        self.token = token
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                auth: bool = True) -> Any:
        """The unwrapped JSON answer of a 2xx; raises Unreachable, Retryable or Rejected."""
        url_path = self._parts.path.rstrip("/") + path
        sent = {"Accept": "application/json", "User-Agent": f"roarctl/{VERSION}", "X-Roar-Version": VERSION,
                **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogateescape")
            sent["Content-Type"] = "application/json"
        if auth and self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        conn = self._connection()
        try:
            conn.request(method, url_path, body=data, headers=sent)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, socket.timeout, http.client.HTTPException, ssl.SSLError) as exc:
            raise Unreachable(f"cannot reach {self.base_url} ({exc.__class__.__name__}: {exc})") from None
        finally:
            conn.close()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if 200 <= resp.status < 300:
            if isinstance(payload, dict) and payload.get("success") is True and "data" in payload:
                return payload["data"]
            return payload
        text = raw[:300].decode("utf-8", "replace").strip() or resp.reason
        code, message = _error_of(payload, text)
        kind = Retryable if resp.status in (408, 429) or resp.status >= 500 else Rejected
        raise kind(resp.status, code, message, parse_retry_after(resp.getheader("Retry-After")))
