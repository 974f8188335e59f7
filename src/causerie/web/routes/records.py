"""REST API v1 for records (issue 7, part A): legal holds and the retention policy (admins only).

May import: fastapi, pydantic, ``causerie.web.deps``, ``causerie.services``, ``causerie.storage.retention``,
``causerie.errors``.

Every call is checked on the server (``require_admin``) and every hold placed or released is audited
(``services.retention.LegalHolds``). Times are integer milliseconds since the Unix epoch.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from causerie.errors import CauserieError, ErrorCode
from causerie.services.container import Services
from causerie.services.retention import LegalHolds, hold_json, policy
from causerie.storage.retention import HoldKind
from causerie.web.deps import AccountDep, ServicesDep

router = APIRouter(prefix="/api/v1/moderation")
MAX_ID = 2**63 - 1


class HoldBody(BaseModel):
    kind: Literal["account", "room", "case"]
    target: str = Field(min_length=1, max_length=96, description="Account id or nickname, room id or slug, case id.")
    reason: str = Field(min_length=1, max_length=1000)
    expires_at: int | None = Field(
        None, ge=0, description="End of the hold (ms since the epoch); none: until released."
    )


class ReleaseBody(BaseModel):
    reason: str = Field("", max_length=1000)


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


def _holds(s: Services) -> LegalHolds:
    if s.holds is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return s.holds


@router.get("/legal/holds", summary="Legal holds, newest first (admins only)")
async def list_holds(
    me: AccountDep,
    s: ServicesDep,
    released: Annotated[bool, Query(description="Include released and ended holds.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    (await s.moderation.staff(me)).require_admin()
    holds = await _holds(s).list(active_only=not released, limit=limit)
    return _json({"holds": [hold_json(h) for h in holds]})


@router.post("/legal/holds", summary="Place a legal hold on an account, a room or a case (admins only; audited)")
async def place_hold(body: HoldBody, me: AccountDep, s: ServicesDep) -> Response:
    (await s.moderation.staff(me)).require_admin()
    expires = body.expires_at / 1000 if body.expires_at is not None else None
    hold, new = await _holds(s).place(HoldKind(body.kind), body.target, body.reason, actor=me, expires_at=expires)
    return _json({"hold": hold_json(hold), "new": new}, 201 if new else 200)


@router.post("/legal/holds/{hold_id}/release", summary="Release a legal hold (admins only; audited)")
async def release_hold(
    hold_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: ReleaseBody, me: AccountDep, s: ServicesDep
) -> Response:
    (await s.moderation.staff(me)).require_admin()
    hold = await _holds(s).release(hold_id, me, body.reason)
    return _json({"hold": hold_json(hold)})


@router.get("/retention", summary="The retention policy: days each kind of data is kept (admins only)")
async def retention_policy(me: AccountDep, s: ServicesDep) -> Response:
    (await s.moderation.staff(me)).require_admin()
    return _json({"days": {kind.value: days for kind, days in policy(s.settings).items()}})


@router.post("/retention/run", summary="Run the retention purge now (admins only; audited when it deletes)")
async def retention_run(me: AccountDep, s: ServicesDep) -> Response:
    (await s.moderation.staff(me)).require_admin()
    if s.retention is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return _json({"deleted": await s.retention.run()})
