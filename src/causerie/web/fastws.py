"""The ``/ws`` handshake of the fast transport, as uvicorn's WebSocket protocol class.

May import: stdlib, uvicorn, starlette, ``causerie.realtime``, ``causerie.services``,
``causerie.web.security``, ``causerie.web.limits``, ``causerie.errors``, ``causerie.config``.

uvicorn's HTTP protocol hands every ``Upgrade: websocket`` request to the class given as
``Config(ws=...)``: it builds one per upgrade, calls ``connection_made(transport)``, feeds it the
request head with ``data_received`` and makes it the transport's protocol. ``protocol_class``
returns such a class. For ``/ws`` it does what the ASGI route does, in the same order — Origin
(403), sockets per client address (429 with a JSON reason and ``Retry-After``), the session cookie —
then answers 101 itself (no subprotocol, no extension) and hands the socket to a
``realtime.fast.FastConnection``. Client addresses and the scheme come from ``X-Forwarded-For`` /
``X-Forwarded-Proto`` of trusted proxies only, exactly as uvicorn's proxy middleware does for the
ASGI app. Any other upgrade path goes to uvicorn's own WebSocket protocol, hence to the ASGI app.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hashlib
import json
import logging
from typing import Any, cast

from starlette.requests import cookie_parser
from uvicorn.middleware.proxy_headers import _TrustedHosts
from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

from causerie.errors import CauserieError
from causerie.realtime.fast import FastConnection, FastContext
from causerie.realtime.hub import Hub
from causerie.services.container import Services
from causerie.services.records import Peer
from causerie.web.limits import error_body
from causerie.web.security import SESSION_COOKIE, device_id_from, origin_allowed

log = logging.getLogger(__name__)

WS_PATH = "/ws"
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEAD = 16_384  # uvicorn's HTTP parser has read the head already; this only bounds our buffer


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + _GUID, usedforsecurity=False).digest())


def _response(status: int, reason: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", f"date: {email.utils.formatdate(usegmt=True)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if status != 101:
        lines += [f"content-length: {len(body)}", "connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def protocol_class(services: Services, hub: Hub) -> type[asyncio.Protocol]:
    """The class to give uvicorn as ``ws=``: the fast transport on ``/ws``, bound to these services."""
    settings = services.settings
    ctx = FastContext(services, hub)
    trusted = _TrustedHosts(",".join(settings.trusted_proxies))
    fallback: Any = AutoWebSocketsProtocol

    class Upgrade(asyncio.Protocol):
        """One upgrade request, until it is answered (then the socket has another protocol)."""

        def __init__(self, config: Any, server_state: Any, app_state: Any, _loop: Any = None) -> None:
            self.config = config
            self.server_state = server_state
            self.app_state = app_state
            self.transport: asyncio.Transport | None = None
            self.head: bytes | None = b""
            self.lost = False
            if ctx.server_connections is None:
                ctx.server_connections = server_state.connections

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

        def connection_lost(self, exc: Exception | None) -> None:
            self.lost = True

        def data_received(self, data: bytes) -> None:
            if self.head is None:  # already being answered: the client must wait for 101
                return
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > _MAX_HEAD:
                    self._reply(_response(431, "Request Header Fields Too Large", []))
                return
            head, self.head = self.head[:end], None
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            parts = request_line.split(" ")
            target = parts[1] if len(parts) == 3 else ""
            if target.split("?", 1)[0] != WS_PATH:
                # after uvicorn has made this the transport's protocol (it does so once we return)
                asyncio.get_running_loop().call_soon(self._hand_to_asgi, head + b"\r\n\r\n")
                return
            headers: dict[str, str] = {}
            forwarded_for: list[str] = []
            for line in header_lines:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                value = value.strip()
                if name == "x-forwarded-for":
                    forwarded_for.append(value)
                elif name in headers and name in ("connection", "upgrade", "cookie"):
                    headers[name] += ("; " if name == "cookie" else ", ") + value
                else:
                    headers[name] = value
            ctx.spawn(self._handshake(parts[0], headers, forwarded_for))

        def _hand_to_asgi(self, head: bytes) -> None:
            """Not ``/ws``: uvicorn's own WebSocket protocol takes the socket (and the ASGI app answers)."""
            assert self.transport is not None
            protocol = fallback(config=self.config, server_state=self.server_state, app_state=self.app_state)
            protocol.connection_made(self.transport)
            protocol.data_received(head)
            self.transport.set_protocol(protocol)

        def _reply(self, response: bytes) -> None:
            assert self.transport is not None
            if not self.transport.is_closing():
                self.transport.write(response)
                self.transport.close()

        def _refuse(self, exc: CauserieError, lang: str) -> None:
            """An HTTP error with the JSON reason, as the ASGI route's ``refuse_websocket`` sends it."""
            body = json.dumps(error_body(exc, lang)).encode()
            headers = [("content-type", "application/json")]
            if exc.retry_after:
                headers.append(("retry-after", str(max(1, round(exc.retry_after)))))
            status = exc.code.http_status
            self._reply(_response(status, _PHRASES.get(status, "Error"), headers, body))

        async def _handshake(self, method: str, headers: dict[str, str], forwarded_for: list[str]) -> None:
            transport = self.transport
            assert transport is not None
            key = headers.get("sec-websocket-key", "").encode("latin-1")
            try:
                valid_key = len(base64.b64decode(key, validate=True)) == 16
            except (binascii.Error, ValueError):
                valid_key = False
            if (
                method != "GET"
                or "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]
                or headers.get("upgrade", "").lower() != "websocket"
                or not valid_key
            ):
                self._reply(_response(400, "Bad Request", []))
                return
            if headers.get("sec-websocket-version") != "13":
                self._reply(_response(426, "Upgrade Required", [("sec-websocket-version", "13")]))
                return
            # the client address and scheme, as uvicorn's proxy-headers middleware resolves them
            peer = transport.get_extra_info("peername")
            host: str | None = str(peer[0]) if peer else None
            port: int | None = int(peer[1]) if peer else None
            scheme = "ws"
            if host in trusted:
                proto = headers.get("x-forwarded-proto", "").strip()
                if proto in ("http", "https", "ws", "wss"):
                    scheme = proto.replace("http", "ws")
                if forwarded_for:
                    forwarded, forwarded_port = trusted.get_trusted_client_address(", ".join(forwarded_for))
                    if forwarded:
                        host, port = forwarded, forwarded_port
            if not origin_allowed(headers.get("origin"), scheme, headers, settings):
                self._reply(_response(403, "Forbidden", []))
                return
            lang = headers.get("accept-language", "")[:2].lower()
            lang = lang if lang in ("fr", "en") else settings.default_lang
            try:  # sockets per client address (docs/limits.md)
                slot = await services.throttle.open_socket(host)
            except CauserieError as exc:
                self._refuse(exc, lang)
                return
            handed = False
            try:
                account = None
                cookies = cookie_parser(headers.get("cookie", ""))
                cookie = cookies.get(SESSION_COOKIE)
                if cookie:
                    account = await services.accounts.authenticate(cookie)
                if self.lost or transport.is_closing():
                    return
                accept = accept_key(key).decode()
                transport.write(
                    _response(
                        101,
                        "Switching Protocols",
                        [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", accept)],
                    )
                )
                record = Peer(
                    ip=host, port=port, user_agent=headers.get("user-agent"), device_id=device_id_from(cookies)
                )
                conn = FastConnection(
                    ctx, transport, account, lang, lambda: services.throttle.close_socket(slot), cookie, host, record
                )
                transport.set_protocol(conn)
                handed = True
                conn.start()
            except Exception:
                log.exception("WebSocket handshake failed")
                self._reply(_response(500, "Internal Server Error", []))
            finally:
                if not handed:
                    services.throttle.close_socket(slot)

    return Upgrade


_PHRASES = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 503: "Service Unavailable"}
