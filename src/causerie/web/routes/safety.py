"""REST API v1 for automated safety: progressive privileges, the human check, rule packs (admins).

May import: fastapi, pydantic, ``causerie.web.deps``, ``causerie.services``, ``causerie.errors``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from causerie.domain.entities import Account
from causerie.errors import CauserieError, ErrorCode
from causerie.services.container import Services
from causerie.services.humancheck import HumanCheck
from causerie.services.privileges import PrivilegeService
from causerie.services.safety_rules import RuleAdmin
from causerie.web.deps import AccountDep, ServicesDep

router = APIRouter(prefix="/api/v1")


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


def _privileges(s: Services) -> PrivilegeService:
    if s.privileges is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return s.privileges


def _human(s: Services) -> HumanCheck:
    if s.human_check is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return s.human_check


async def _rules(s: Services, me: Account) -> RuleAdmin:
    (await s.moderation.staff(me)).require_admin()
    if s.rule_admin is None:
        raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
    return s.rule_admin


class RuleFile(BaseModel):
    content: str = Field(max_length=1_000_000)
    reason: str = Field("", max_length=1000)


class RuleFileState(BaseModel):
    enabled: bool
    reason: str = Field("", max_length=1000)


@router.get("/me/privileges", summary="What this account may do yet, and when the rest unlocks")
async def privileges(me: AccountDep, s: ServicesDep) -> Response:
    service = _privileges(s)
    return _json(
        {
            "privileges": [p.to_json(service.minutes(p.name)) for p in service.status(me)],
            "created": int(me.created_at * 1000),
        }
    )


@router.get("/session/challenge", summary="A proof-of-work challenge for guest entry (the human check)")
async def challenge(s: ServicesDep) -> Response:
    response = _json(_human(s).issue())
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/safety/rules", summary="Rule packs: packaged (read-only) and the operator's (admins)")
async def rule_packs(me: AccountDep, s: ServicesDep) -> Response:
    admin = await _rules(s, me)
    return _json(
        {
            "packs": [p.to_json() for p in admin.packs()],
            "folder": str(admin.folder) if admin.folder is not None else None,
            "rules": len(s.safety.engine.rules.rules) if s.safety is not None else 0,
        }
    )


@router.get("/admin/safety/rules/{origin}/{name}", summary="One rule file's content (admins)")
async def rule_file(origin: Literal["packaged", "operator"], name: str, me: AccountDep, s: ServicesDep) -> Response:
    admin = await _rules(s, me)
    return _json({"name": name, "origin": origin, "content": admin.read(origin, name)})


@router.put("/admin/safety/rules/{name}", summary="Create or replace an operator rule file (validated, audited)")
async def put_rule_file(name: str, body: RuleFile, me: AccountDep, s: ServicesDep) -> Response:
    admin = await _rules(s, me)
    pack = await admin.replace(me, name, body.content, body.reason)
    return _json({"pack": pack.to_json()})


@router.put("/admin/safety/rules/{name}/enabled", summary="Enable or disable an operator rule file (audited)")
async def put_rule_state(name: str, body: RuleFileState, me: AccountDep, s: ServicesDep) -> Response:
    admin = await _rules(s, me)
    pack = await admin.set_enabled(me, name, body.enabled, body.reason)
    return _json({"pack": pack.to_json()})
