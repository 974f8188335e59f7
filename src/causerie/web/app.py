"""The ASGI application: routes, static client, WebSocket endpoint, error mapping, security headers.

May import: fastapi, starlette, prometheus-client, ``causerie.web.*``, ``causerie.realtime``,
``causerie.services``, ``causerie.errors``, ``causerie.config``, ``causerie.observability``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from causerie.errors import CauserieError, ErrorCode
from causerie.observability import DELIVERIES, REGISTRY
from causerie.realtime import connection
from causerie.realtime.hub import Hub
from causerie.services.container import Services
from causerie.services.records import Peer
from causerie.web.limits import BodySizeLimit, client_host, refuse_websocket
from causerie.web.openapi import ERROR_RESPONSES
from causerie.web.routes.api import router as api_router
from causerie.web.routes.legal import router as legal_router
from causerie.web.routes.media import UPLOAD_PATH as MEDIA_UPLOAD_PATH
from causerie.web.routes.media import router as media_router
from causerie.web.routes.moderation import router as moderation_router
from causerie.web.routes.records import router as records_router
from causerie.web.routes.safety import router as safety_router
from causerie.web.security import SESSION_COOKIE, SecurityHeaders, device_id_from, origin_allowed

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _error_body(exc: CauserieError, lang: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code.value, "message": exc.text(lang)}
    if exc.retry_after is not None:
        body["retry_after"] = exc.retry_after
    if "until" in exc.data:  # muted, banned, kicked: when it ends (ms since the epoch; null: permanent)
        body["until"] = exc.data["until"]
    return {"error": body}


def _lang(request: Request) -> str:
    header = request.headers.get("accept-language", "")[:2].lower()
    if header in ("fr", "en"):
        return header
    default: str = request.app.state.services.settings.default_lang
    return default


def create_app(services: Services, hub: Hub, lifespan: Lifespan | None = None) -> FastAPI:
    app = FastAPI(
        title="Causerie",
        version="1",
        summary="Topic-room chat, safe by design. Real-time traffic is on the WebSocket /ws (docs/protocol.md).",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN, which our CSP blocks: use /openapi.json
        redoc_url=None,
    )
    app.state.services = services
    app.state.hub = hub
    settings = services.settings

    @app.exception_handler(CauserieError)
    async def on_causerie_error(request: Request, exc: CauserieError) -> JSONResponse:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
        return JSONResponse(_error_body(exc, _lang(request)), status_code=exc.code.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        err = CauserieError(ErrorCode.BAD_REQUEST, f"{where}: {first.get('msg', 'invalid')}")
        return JSONResponse(_error_body(err, _lang(request)), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = ErrorCode.NOT_FOUND if exc.status_code == 404 else ErrorCode.BAD_REQUEST
        body = {"error": {"code": code.value, "message": code.text(_lang(request))}}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        err = CauserieError(ErrorCode.INTERNAL_ERROR)
        return JSONResponse(_error_body(err, _lang(request)), status_code=500)

    app.add_middleware(  # inside security_headers; picture uploads check their own, larger cap
        BodySizeLimit, max_bytes=settings.http_max_body_bytes, own_limit_paths=frozenset({MEDIA_UPLOAD_PATH})
    )

    app.add_middleware(SecurityHeaders)  # outside BodySizeLimit: its 413 gets the headers too

    app.include_router(api_router, responses=ERROR_RESPONSES)
    app.include_router(moderation_router, responses=ERROR_RESPONSES)
    app.include_router(media_router, responses=ERROR_RESPONSES)
    app.include_router(legal_router, responses=ERROR_RESPONSES)  # issue 7B
    app.include_router(safety_router, responses=ERROR_RESPONSES)
    app.include_router(records_router, responses=ERROR_RESPONSES)  # legal holds, retention (issue 7)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Ready to serve: database and broker reachable")
    async def readyz() -> JSONResponse:
        db = await services.store.ping()
        broker = await services.broker.healthy()
        ok = db and broker
        body = {"status": "ready" if ok else "not ready", "database": db, "broker": broker}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        DELIVERIES.set(hub.deliveries)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        if not origin_allowed(origin, ws.url.scheme, ws.headers, settings):
            await ws.close(code=1008, reason="origin not allowed")  # before accept: HTTP 403
            return
        lang = ws.headers.get("accept-language", "")[:2].lower()
        lang = lang if lang in ("fr", "en") else settings.default_lang
        try:  # sockets per client address (docs/limits.md)
            slot = await services.throttle.open_socket(client_host(ws.scope))
        except CauserieError as exc:
            await refuse_websocket(ws, exc, lang)
            return
        try:
            account = None
            cookie = ws.cookies.get(SESSION_COOKIE)
            if cookie:
                account = await services.accounts.authenticate(cookie)
            try:
                await ws.accept()
            except Exception:  # the peer left during the handshake
                return
            await connection.serve(
                services,
                hub,
                ws.receive,
                ws.send,
                account,
                lang,
                cookie if account else None,
                host=client_host(ws.scope),
                peer=ws_peer(ws),  # the connection record (issue 7)
            )
        finally:
            services.throttle.close_socket(slot)

    return app


def ws_peer(ws: WebSocket) -> Peer:
    """What the connection record keeps of a WebSocket's origin: address and source port (from a trusted
    proxy's headers, as uvicorn gives them), user agent, the browser's device id."""
    return Peer(
        ip=ws.client.host if ws.client else None,
        port=ws.client.port if ws.client else None,
        user_agent=ws.headers.get("user-agent"),
        device_id=device_id_from(ws.cookies),
    )
