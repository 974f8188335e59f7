"""Pictures over HTTP: upload, serving, and the staff's views of matches, bundles and quarantine.

May import: fastapi, pydantic, ``causerie.web.deps``, ``causerie.services``, ``causerie.domain``,
``causerie.errors``.

Upload: ``POST /api/v1/media`` with the picture as the raw request body and its type in
``Content-Type`` (``image/jpeg``, ``image/png``, ``image/webp``, ``image/gif``). The size cap is
checked on ``Content-Length`` before a byte is read, then while reading (chunked bodies): the body
is never read past ``media_max_bytes`` + 1. The global request-size middleware leaves this one path
to this check (``web.limits``).

Serving: ``GET /media/{id}`` and ``GET /media/{id}/thumb``. The id is random (128 bits) and is the
capability to see the picture, so no cookie is needed: the route can (and should) be served from a
separate, cookieless origin (``media_public_url``; docs/media.md). Every answer has a strict
``Content-Type`` from our own re-encoding, ``X-Content-Type-Options: nosniff`` and
``Content-Security-Policy: default-src 'none'; sandbox``, so even a file a browser mistook for a
document could run nothing. Quarantined originals are never reachable here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from causerie.domain.media import HashBank, MatchRecord, MediaRecord, UploadMeta, UploadScope
from causerie.errors import CauserieError, ErrorCode
from causerie.services.container import Services
from causerie.services.media import MediaService
from causerie.storage.media import BundleRow
from causerie.web.deps import AccountDep, LangDep, ServicesDep, client_address
from causerie.web.limits import error_body

router = APIRouter()

UPLOAD_PATH = "/api/v1/media"
ACCEPTED_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif"})
MEDIA_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": "private, max-age=86400",
}
QUARANTINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Disposition": 'inline; filename="evidence"',
}


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


def _media(s: Services) -> MediaService:
    if s.media is None:
        raise CauserieError(ErrorCode.PICTURES_DISABLED)
    return s.media


def _url(s: Services, media_id: str) -> str:
    return f"{s.settings.media_public_url.rstrip('/')}/media/{media_id}"


def media_json(s: Services, m: MediaRecord) -> dict[str, Any]:
    return {
        "id": m.id,
        "width": m.width,
        "height": m.height,
        "content_type": m.content_type,
        "bytes": m.bytes,
        "url": _url(s, m.id),
        "thumb": _url(s, m.id) + "/thumb",
        "scope": m.scope.value,
    }


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused with ``image_too_large`` as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise CauserieError(ErrorCode.BAD_REQUEST, "bad Content-Length")
        if int(declared) > limit:
            raise CauserieError(ErrorCode.IMAGE_TOO_LARGE, data={"max_bytes": limit})
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise CauserieError(ErrorCode.IMAGE_TOO_LARGE, data={"max_bytes": limit})
    return bytes(body)


@router.post(
    UPLOAD_PATH, status_code=201, summary="Upload a picture (raw body; Content-Type image/jpeg, png, webp or gif)"
)
async def upload(
    request: Request,
    me: AccountDep,
    s: ServicesDep,
    lang: LangDep,
    scope: Annotated[
        Literal["public", "private"], Query(description="private: for private conversations only")
    ] = "public",
    name: Annotated[str | None, Query(max_length=256, description="The file's name (kept with evidence only)")] = None,
) -> Response:
    media = _media(s)
    media.check_pictures(me)  # before reading anything
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        raise CauserieError(ErrorCode.UNSUPPORTED_IMAGE)
    try:
        data = await read_capped(request, s.settings.media_max_bytes)
    except CauserieError as exc:
        if exc.code is not ErrorCode.IMAGE_TOO_LARGE:
            raise
        # close the connection: the rest of the body must be neither read nor parsed as a request
        return JSONResponse(error_body(exc, lang), status_code=413, headers={"Connection": "close"})
    if not data:
        raise CauserieError(ErrorCode.UNSUPPORTED_IMAGE)
    ip, port = client_address(request)
    meta = UploadMeta(
        ip=ip,
        port=port,
        user_agent=request.headers.get("user-agent"),
        filename=name,
        declared_type=content_type,
        scope=UploadScope(scope),
    )
    record = await media.upload(me, data, meta)
    return _json(media_json(s, record), 201)


@router.get(UPLOAD_PATH + "/status", summary="Whether you may send pictures now, and the limits")
async def status(me: AccountDep, s: ServicesDep) -> Response:
    media = _media(s)
    body: dict[str, Any] = {
        "allowed": True,
        "max_bytes": s.settings.media_max_bytes,
        "max_pixels": s.settings.media_max_pixels,
        "types": sorted(ACCEPTED_TYPES - {"image/jpg"}),
    }
    try:
        media.check_pictures(me)
    except CauserieError as exc:
        body["allowed"] = False
        body["reason"] = exc.data.get("reason")
        if "until" in exc.data:
            body["unlock_at"] = exc.data["until"]
    return _json(body)


async def _serve(s: Services, media_id: str, thumb: bool) -> Response:
    data, content_type = await _media(s).file(media_id, thumb)
    headers = dict(MEDIA_HEADERS)
    if not s.settings.media_public_url:
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return Response(data, media_type=content_type, headers=headers)


@router.get("/media/{media_id}", summary="A picture (the id is the capability to see it)")
async def picture(media_id: Annotated[str, Path(max_length=64)], s: ServicesDep) -> Response:
    return await _serve(s, media_id, thumb=False)


@router.get("/media/{media_id}/thumb", summary="A picture's thumbnail")
async def thumbnail(media_id: Annotated[str, Path(max_length=64)], s: ServicesDep) -> Response:
    return await _serve(s, media_id, thumb=True)


# -- staff ------------------------------------------------------------------------------------------


def match_json(m: MatchRecord) -> dict[str, Any]:
    return {
        "id": m.id,
        "account_id": int(m.account_id),
        "bank": m.bank_name,
        "kind": m.kind.value,
        "matched_hash": m.matched_hash,
        "distance": m.distance,
        "threshold": m.threshold,
        "mirrored": m.mirrored,
        "sha256": m.sha256,
        "md5": m.md5,
        "pdq": m.pdq,
        "pdq_quality": m.pdq_quality,
        "quarantine_id": m.quarantine_id,
        "ip": m.ip,
        "port": m.port,
        "case_id": m.case_id,
        "bundle_id": m.bundle_id,
        "ts": int(m.created_at * 1000),
    }


def bank_json(b: HashBank) -> dict[str, Any]:
    return {
        "name": b.name,
        "pdq_threshold": b.pdq_threshold,
        "match_mirrored": b.match_mirrored,
        "enabled": b.enabled,
        "description": b.description,
        "md5": b.md5_count,
        "pdq": b.pdq_count,
        "revision": b.revision,
    }


def bundle_json(b: BundleRow) -> dict[str, Any]:
    return {
        "id": b.id,
        "kind": b.kind,
        "match_id": b.match_id,
        "quarantine_id": b.quarantine_id,
        "account_id": int(b.account_id),
        "status": b.status,
        "ts": int(b.created_at * 1000),
        "payload": b.payload,
    }


class ViewBody(BaseModel):
    reason: str = Field(min_length=3, max_length=1000)


class BlockBody(BaseModel):
    bank: str = Field("local", max_length=64)


@router.get("/api/v1/moderation/media/matches", summary="Hash matches, newest first (global staff)")
async def matches(me: AccountDep, s: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Response:
    return _json({"matches": [match_json(m) for m in await _media(s).matches(me, limit)]})


@router.get("/api/v1/moderation/media/bundles", summary="Report bundles for the authorities (global staff)")
async def bundles(
    me: AccountDep,
    s: ServicesDep,
    status: Annotated[Literal["ready", "exported"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    return _json({"bundles": [bundle_json(b) for b in await _media(s).bundles(me, status, limit)]})


@router.post(
    "/api/v1/moderation/media/quarantine/{quarantine_id}/view",
    summary="View a quarantined original: an explicit, audited action with a reason (global staff)",
)
async def view_quarantined(quarantine_id: str, body: ViewBody, me: AccountDep, s: ServicesDep) -> Response:
    data, content_type = await _media(s).view_quarantined(me, quarantine_id, body.reason)
    return Response(data, media_type=content_type, headers=QUARANTINE_HEADERS)


@router.post("/api/v1/moderation/media/{media_id}/block", summary="Block a picture everywhere (global staff; audited)")
async def block(media_id: str, body: BlockBody, me: AccountDep, s: ServicesDep) -> Response:
    bank = await _media(s).block_everywhere(me, media_id, body.bank)
    return _json({"bank": bank_json(bank)})


@router.get("/api/v1/moderation/media/banks", summary="Hash banks and the loaded index (global staff)")
async def banks(me: AccountDep, s: ServicesDep) -> Response:
    media = _media(s)
    await media.require_staff(me)
    return _json({"banks": [bank_json(b) for b in await media.banks.all()], "index": media.index_stats()})


@router.post("/api/v1/moderation/media/banks/reload", summary="Reload the hash banks now (global staff)")
async def reload_banks(me: AccountDep, s: ServicesDep) -> Response:
    media = _media(s)
    await media.require_staff(me)
    return _json({"index": await media.reload_index()})
