"""REST API for the legal duties (issue 7 part B): evidence exports and reports to the authorities
(administrators), trusted flaggers and their notices (DSA art. 22), the transparency report and
records (DSA arts. 15, 17, 24), and the user's own data and account deletion (GDPR arts. 15, 17, 20).

May import: fastapi, pydantic, ``causerie.web.deps``, ``causerie.services``, ``causerie.domain``,
``causerie.errors``.

Role checks are in ``services.legal`` (administrators only). Trusted flaggers authenticate with
their API key as ``Authorization: Bearer ctf_…`` on ``POST /api/v1/notices`` only.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from causerie.domain.entities import Account
from causerie.errors import CauserieError, ErrorCode
from causerie.services.container import Services
from causerie.services.legal import ExportRequest, LegalService, parse_date
from causerie.services.moderation import ReportForm
from causerie.services.transparency import TransparencyService, render_html
from causerie.storage.legal import Flagger
from causerie.web.deps import AccountDep, OptionalAccountDep, ServicesDep
from causerie.web.security import bearer_token

router = APIRouter()
MAX_ID = 2**63 - 1


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json", headers=headers)


def _legal(s: Services) -> LegalService:
    if s.legal is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return s.legal


def _transparency(s: Services) -> TransparencyService:
    if s.transparency is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return s.transparency


async def _signed_in(account: OptionalAccountDep) -> Account:
    """The signed-in account, sanctioned or not: GDPR rights do not depend on a ban."""
    if account is None:
        raise CauserieError(ErrorCode.NOT_AUTHENTICATED)
    return account


AnyAccountDep = Annotated[Account, Depends(_signed_in)]


def _flagger_json(f: Flagger) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.name,
        "contact_email": f.contact_email,
        "key_prefix": f"ctf_{f.key_prefix}_",
        "created_at": int(f.created_at * 1000),
        "revoked_at": int(f.revoked_at * 1000) if f.revoked_at is not None else None,
    }


# -- evidence exports and reports to the authorities (administrators) ----------------------------------


class ExportBody(BaseModel):
    account: str | None = Field(None, max_length=64, description="Nickname or account id.")
    room: str | None = Field(None, max_length=96, description="Room slug.")
    case: int | None = Field(None, ge=1, le=MAX_ID)
    date_from: str = Field(alias="from", max_length=40, description="YYYY-MM-DD or ISO 8601 (UTC).")
    date_to: str = Field(alias="to", max_length=40, description="YYYY-MM-DD or ISO 8601 (UTC).")
    request_ref: str = Field(min_length=1, max_length=200, description="The authority's request reference.")
    include_quarantine: bool = False


@router.post(
    "/api/v1/legal/exports",
    summary="Export a signed evidence bundle (zip) for the authorities; administrators only, audited",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
async def export(body: ExportBody, me: AccountDep, s: ServicesDep) -> Response:
    targets = [(k, v) for k, v in (("account", body.account), ("room", body.room), ("case", body.case)) if v]
    if len(targets) != 1:
        raise CauserieError(ErrorCode.BAD_REQUEST, "give exactly one of account, room, case")
    kind, target = targets[0]
    req = ExportRequest(
        target_kind=kind,
        target=str(target),
        start=parse_date(body.date_from),
        end=parse_date(body.date_to, end=True),
        request_ref=body.request_ref,
        include_quarantine=body.include_quarantine,
    )
    result = await _legal(s).export(me, req)
    name = f"causerie-evidence-{result.export_id}.zip"
    return Response(
        result.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Manifest-SHA256": result.manifest_sha256,
            "Cache-Control": "no-store",
        },
    )


@router.get("/api/v1/legal/exports", summary="Evidence bundles exported so far; administrators only")
async def exports(me: AccountDep, s: ServicesDep) -> Response:
    rows = await _legal(s).exports(me)
    return _json({"exports": [{**r, "created_at": int(float(r["created_at"]) * 1000)} for r in rows]})


@router.get(
    "/api/v1/legal/public-key",
    summary="The public key that verifies evidence bundles (PEM)",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
async def public_key(s: ServicesDep) -> Response:
    try:
        pem = _legal(s).public_key_pem()
    except CauserieError as exc:  # no key configured: there is nothing to publish
        raise CauserieError(ErrorCode.NOT_FOUND, "no signing key is configured") from exc
    return Response(pem, media_type="application/x-pem-file")


@router.post(
    "/api/v1/legal/cases/{case_id}/authority-report",
    status_code=201,
    summary="Make the report to the authorities (DSA art. 18; NCMEC/PHAROS fields) from a case; administrators only",
)
async def authority_report(case_id: Annotated[int, Path(ge=1, le=MAX_ID)], me: AccountDep, s: ServicesDep) -> Response:
    return _json(await _legal(s).authority_report(me, case_id), 201)


@router.get("/api/v1/legal/authority-reports", summary="Reports made to the authorities; administrators only")
async def authority_reports(
    me: AccountDep, s: ServicesDep, case: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Response:
    return _json({"reports": await _legal(s).authority_reports(me, case)})


# -- trusted flaggers (DSA art. 22) ------------------------------------------------------------------


class FlaggerBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    contact_email: str | None = Field(None, max_length=320)


@router.post("/api/v1/legal/flaggers", status_code=201, summary="Register a trusted flagger; its key is shown once")
async def add_flagger(body: FlaggerBody, me: AccountDep, s: ServicesDep) -> Response:
    flagger, key = await _legal(s).register_flagger(me, body.name, body.contact_email)
    return _json({"flagger": _flagger_json(flagger), "key": key}, 201, {"Cache-Control": "no-store"})


@router.get("/api/v1/legal/flaggers", summary="Trusted flaggers; administrators only")
async def list_flaggers(me: AccountDep, s: ServicesDep) -> Response:
    return _json({"flaggers": [_flagger_json(f) for f in await _legal(s).flaggers(me)]})


@router.delete("/api/v1/legal/flaggers/{flagger_id}", summary="Revoke a trusted flagger's key; administrators only")
async def revoke_flagger(flagger_id: Annotated[int, Path(ge=1, le=MAX_ID)], me: AccountDep, s: ServicesDep) -> Response:
    return _json({"flagger": _flagger_json(await _legal(s).revoke_flagger(me, flagger_id))})


class NoticeBody(BaseModel):
    category: str = Field(max_length=32)
    details: str = Field("", max_length=20000)
    room: str | None = Field(None, max_length=96)
    seq: int | None = Field(None, ge=1, le=MAX_ID)
    message_id: int | None = Field(None, ge=1, le=MAX_ID)
    user: str | None = Field(None, max_length=64)


@router.post(
    "/api/v1/notices",
    status_code=201,
    summary="A trusted flagger's notice (Authorization: Bearer <key>); goes to the front of the queue",
)
async def trusted_notice(body: NoticeBody, request: Request, s: ServicesDep) -> Response:
    form = ReportForm(
        category=body.category,
        good_faith=True,
        details=body.details,
        room=body.room,
        seq=body.seq,
        message_id=body.message_id,
        user=body.user,
    )
    report, case_id = await _legal(s).trusted_notice(bearer_token(request.headers), form)
    return _json({"report": report.id, "case": case_id, "source": "trusted_flagger"}, 201)


# -- transparency (administrators) -------------------------------------------------------------------

FromQuery = Annotated[str, Query(alias="from", max_length=40)]
ToQuery = Annotated[str, Query(alias="to", max_length=40)]


@router.get(
    "/api/v1/transparency/report",
    summary="Transparency report figures (DSA art. 15, 24), JSON or HTML; admins only",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
async def transparency_report(
    me: AccountDep,
    s: ServicesDep,
    date_from: FromQuery,
    date_to: ToQuery,
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> Response:
    await _legal(s).require_admin(me)
    report = await _transparency(s).report(parse_date(date_from), parse_date(date_to, end=True))
    if format == "html":
        return Response(render_html(report), media_type="text/html; charset=utf-8")
    return _json(report)


@router.get(
    "/api/v1/transparency/records",
    summary="Statements of reasons as DSA Transparency Database records (JSON lines); admins only",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def transparency_records(me: AccountDep, s: ServicesDep, date_from: FromQuery, date_to: ToQuery) -> Response:
    await _legal(s).require_admin(me)
    lines = await _transparency(s).json_lines(parse_date(date_from), parse_date(date_to, end=True))
    return Response("".join(line + "\n" for line in lines), media_type="application/x-ndjson")


# -- the user's own data (GDPR) ----------------------------------------------------------------------


@router.get("/api/me/export", summary="Download your own data (JSON; GDPR arts. 15 and 20)")
async def my_export(me: AnyAccountDep, s: ServicesDep) -> Response:
    data = await _legal(s).my_data(me)
    return _json(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="causerie-my-data-{int(me.id)}.json"',
            "Cache-Control": "no-store",
        },
    )


class DeleteMeBody(BaseModel):
    password: str | None = Field(None, max_length=1024, description="Required for registered accounts.")


@router.delete(
    "/api/me",
    summary="Delete your account (GDPR art. 17): says what is kept for the law and until when",
)
async def delete_me(body: DeleteMeBody, me: AnyAccountDep, s: ServicesDep) -> Response:
    return _json(await _legal(s).delete_me(me, body.password))
