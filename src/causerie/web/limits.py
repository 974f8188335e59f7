"""Transport-level limits: HTTP request body size, and refusing a WebSocket upgrade with a reason.

May import: stdlib, starlette, ``causerie.errors``, ``causerie.web.security``.

``BodySizeLimit`` is a pure ASGI middleware. A request whose ``Content-Length`` is over the limit is
refused with 413 ``request_too_large`` before a byte of its body is read; a chunked request is read
up to the limit (never more) and refused as soon as it goes over. Nothing else buffers a body.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from causerie.errors import CauserieError, ErrorCode


def _lang(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"accept-language":
            return "en" if value[:2].lower() == b"en" else "fr"
    return "fr"


def error_body(exc: CauserieError, lang: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code.value, "message": exc.text(lang)}
    if exc.retry_after is not None:
        body["retry_after"] = exc.retry_after
    return {"error": body}


class BodySizeLimit:
    """Refuse HTTP request bodies larger than ``max_bytes`` with 413 (0 = no limit).

    ``own_limit_paths``: routes that enforce their own, larger cap while they read (picture uploads).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, own_limit_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limit_paths = own_limit_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0 or scope.get("path") in self.own_limit_paths:
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        length: bytes | None = None
        chunked = False
        for name, value in headers:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if length is not None and not chunked:
            if not length.strip().isdigit() or int(length) > self.max_bytes:
                await self._refuse(headers, send)
                return
            await self.app(scope, receive, send)
            return
        if not chunked:
            await self.app(scope, receive, send)  # no body
            return
        # A chunked body: read it here, bounded, then hand the app what was read.
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(headers, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if received:
                return received.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, headers: list[tuple[bytes, bytes]], send: Send) -> None:
        exc = CauserieError(ErrorCode.REQUEST_TOO_LARGE, data={"max": self.max_bytes})
        body = json.dumps(error_body(exc, _lang(headers))).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),  # the unread body must not be parsed as a request
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def refuse_websocket(ws: WebSocket, exc: CauserieError, lang: str) -> None:
    """Refuse an upgrade before ``accept``: an HTTP error response with a JSON reason (and
    Retry-After) where the server supports the denial-response extension, else a close (HTTP 403)."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
        await ws.send_denial_response(
            JSONResponse(error_body(exc, lang), status_code=exc.code.http_status, headers=headers)
        )
    else:
        await ws.close(code=exc.code.close_code or 1008, reason=exc.code.value)


def client_host(scope: MutableMapping[str, Any]) -> str | None:
    """The client address of an ASGI scope (already resolved from trusted proxies by uvicorn)."""
    client = scope.get("client")
    if not client:
        return None
    host = client[0]
    return str(host) if host is not None else None
