"""Refuse request bodies over the configured size with 413, before they are read into memory."""
from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]


def _refusal(limit: int) -> tuple[dict[str, Any], bytes]:
    body = json.dumps({"success": False, "error": {
        "code": "payload_too_large",
        "message": f"The request body is larger than this server accepts ({limit} bytes); send it in smaller batches."}
    }).encode()
    start = {"type": "http.response.start", "status": 413,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]}
    return start, body


class BodySizeLimit:
    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        refused = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    raise _TooLarge
            return message

        response_started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await self._refuse(send)
        except Exception:
            if refused and not response_started:
                await self._refuse(send)
                return
            raise

    async def _refuse(self, send: Any) -> None:
        start, body = _refusal(self.limit)
        await send(start)
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
