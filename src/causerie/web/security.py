"""Request-level security: who is calling, Origin checks, CSRF, security headers.

May import: stdlib, starlette, ``causerie.config``, ``causerie.errors``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from causerie.config import Settings

SESSION_COOKIE = "causerie_session"
# A long-lived random id for the browser (not the person): device bans and connection records.
DEVICE_COOKIE = "causerie_device"
CSRF_HEADER = "x-causerie-csrf"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


_SECURITY_HEADERS_RAW = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
)


class SecurityHeaders:
    """Pure ASGI middleware: add ``SECURITY_HEADERS`` to every HTTP response that lacks them.

    A header the response already carries (any case) is kept as it is. Not Starlette's
    ``BaseHTTPMiddleware``: that one runs the app in a task of its own with a memory stream per
    request, which cost more CPU than a guest entry's own work (docs/performance.md).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS_RAW if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def own_origin(scheme: str, host: str | None) -> str | None:
    """The origin a browser on this server's own pages sends (ws→http, wss→https)."""
    if not host:
        return None
    web_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return f"{web_scheme}://{host}"


def origin_allowed(origin: str | None, scheme: str, headers: Mapping[str, str], settings: Settings) -> bool:
    """Exact scheme/host/port match against the server's own origin and the configured list.

    No Origin header means a non-browser client: allowed (it must present a token in ``hello``;
    browsers always send Origin on a WebSocket handshake, so cross-site hijacking is refused).
    """
    if origin is None:
        return True
    if origin in settings.allowed_origins:
        return True
    return origin == own_origin(scheme, headers.get("host"))


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


_DEVICE_ID = re.compile(r"[0-9a-f]{32}")


def new_device_id() -> str:
    return secrets.token_hex(16)


def device_id_from(cookies: Mapping[str, str]) -> str | None:
    """The browser's device id from its cookies, or None when absent or not one we issued."""
    value = cookies.get(DEVICE_COOKIE)
    if value and _DEVICE_ID.fullmatch(value):
        return value
    return None
