"""REST API v1 for moderation: reports, the moderators' queue and cases, actions, statements of
reasons, appeals, roles, room safety settings, the emergency level and the audit trail.

May import: fastapi, pydantic, ``causerie.web.deps``, ``causerie.services``, ``causerie.domain``,
``causerie.errors``.

Routes parse and call one service method; every role check is in ``services.moderation`` (on the
server, for every call). Times are integer milliseconds since the Unix epoch, as in the protocol.
The browser's moderator console (a later piece of work) is built on these routes and on the
``case``, ``statement``, ``removed`` … events (docs/protocol.md, "Moderation").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from causerie.domain.audit import AuditEntry
from causerie.domain.entities import Account
from causerie.domain.moderation import (
    CATEGORY_LABELS,
    CHILD_SAFETY,
    RULES,
    ActionRecord,
    Appeal,
    Case,
    ContextMessage,
    EmergencyPolicy,
    QueueSummary,
    Report,
    ReportCategory,
    Role,
    RoomSafety,
    Sanction,
    Statement,
    report_ack_text,
    until_ms,
)
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import RoomId
from causerie.services.container import Services
from causerie.services.moderation import ActionRequest, ReportForm
from causerie.services.rooms import member_of
from causerie.web.deps import AccountDep, LangDep, OptionalAccountDep, ServicesDep, client_address
from causerie.web.limits import client_host

router = APIRouter(prefix="/api/v1")

Category = Literal[
    "child_sexual_abuse",
    "minor_at_risk",
    "sexual_solicitation",
    "drugs",
    "violence_threat_ambush",
    "harassment_hate",
    "scam_spam",
    "other_illegal",
    "rules_breach",
]


async def _any_account(account: OptionalAccountDep) -> Account:
    """The signed-in account, banned or not: a banned user may still read decisions and appeal."""
    if account is None:
        raise CauserieError(ErrorCode.NOT_AUTHENTICATED)
    return account


SanctionedAccountDep = Annotated[Account, Depends(_any_account)]
MAX_ID = 2**63 - 1  # ids fit the database's 64-bit columns: larger is a 400, not an overflow
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AppealId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


def _ms(seconds: float | None) -> int | None:
    return until_ms(seconds)


# -- bodies ---------------------------------------------------------------------------------------


class ReportBody(BaseModel):
    category: Category
    good_faith: bool = False
    details: str = Field("", max_length=20000)
    message_id: int | None = Field(None, ge=1, le=2**63 - 1)
    room: str | None = Field(None, max_length=96)
    seq: int | None = Field(None, ge=1, le=2**63 - 1)
    user: str | None = Field(None, max_length=200)


class PublicReportBody(ReportBody):
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)


class RoleBody(BaseModel):
    role: Literal["admin", "moderator"]


class AssignBody(BaseModel):
    nickname: str | None = Field(None, max_length=200)


class ActionBody(BaseModel):
    kind: str = Field(max_length=32)
    reason: str = Field(max_length=20000)
    rule: str | None = Field(None, max_length=32)
    case_id: int | None = Field(None, ge=1, le=2**63 - 1)
    message_ids: list[int] = Field(default_factory=list, max_length=1000)
    user: str | None = Field(None, max_length=200)
    account_id: int | None = Field(None, ge=1, le=2**63 - 1)
    room: str | None = Field(None, max_length=96)
    duration_seconds: float | None = Field(None, gt=0, le=100 * 365 * 86400)
    ip_range: str | None = Field(None, max_length=64)
    also_ban_ip: bool = False
    slow_mode_seconds: int | None = Field(None, ge=0, le=3600)
    keep_open: bool = False
    device_id: str | None = Field(None, max_length=64)
    also_ban_device: bool = False
    unfounded: bool = False


class AppealBody(BaseModel):
    statement_id: int = Field(ge=1, le=2**63 - 1)
    text: str = Field(max_length=20000)


class DecisionBody(BaseModel):
    decision: Literal["uphold", "reverse"]
    reason: str = Field(max_length=20000)


class RoomSettingsBody(BaseModel):
    preset: Literal["discussion", "rencontres", "region", "support"] | None = None
    slow_mode_seconds: int | None = Field(None, ge=0, le=3600)
    pictures: bool | None = None
    min_account_age_minutes: int | None = Field(None, ge=0, le=10080)
    hold_first_messages: bool | None = None
    rule_packs: list[str] | None = Field(None, max_length=16)
    # issue 7: messages older than this are no longer shown to users (kept for the law); 0 = all
    display_window_hours: int | None = Field(None, ge=0, le=24 * 365)


class EmergencyBody(BaseModel):
    level: int = Field(ge=0, le=3)
    reason: str = Field(max_length=2000)


# -- rendering --------------------------------------------------------------------------------------


def _slug(s: Services, room_id: int | None) -> str | None:
    if room_id is None:
        return None
    room = s.rooms.cached(RoomId(room_id))
    return room.slug if room is not None else None


def case_json(s: Services, case: Case, now: float, nicks: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "nick": (nicks or {}).get(int(case.account_id)) if case.account_id is not None else None,
        "id": case.id,
        "target": case.target_kind.value,
        "status": case.status.value,
        "category": case.category.value,
        "priority": case.priority,
        "reporters": case.reporters,
        "reports": case.reports,
        "escalated": case.escalated,
        "assigned_to": case.assigned_to,
        "message_id": case.message_id,
        "account_id": case.account_id,
        "room": _slug(s, case.room_id),
        "created": _ms(case.created_at),
        "updated": _ms(case.updated_at),
        "age_seconds": round(max(0.0, now - case.created_at)),
        "resolution": case.resolution,
        "closed": _ms(case.closed_at),
    }


def report_json(report: Report, *, full: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": report.id,
        "category": report.category.value,
        "target": report.target_kind.value,
        "details": report.details,
        "good_faith": report.good_faith,
        "created": _ms(report.created_at),
        "message_id": report.message_id,
        "outcome": report.outcome.value if report.outcome else None,
        "decided": _ms(report.outcome_at),
    }
    if full:
        body |= {
            "reporter_id": report.reporter_id,
            "anonymous": report.reporter_id is None,
            "reporter_name": report.reporter_name,
            "reporter_email": report.reporter_email,
        }
    return body


def context_json(s: Services, m: ContextMessage) -> dict[str, Any]:
    return {
        "id": m.message_id,
        "room": _slug(s, m.room_id),
        "seq": m.seq,
        "author_id": m.author_id,
        "author": m.author_nick,
        "text": m.text,
        "ts": _ms(m.created_at),
        "state": m.state,
        "reported": m.is_target,
    }


def action_json(s: Services, a: ActionRecord) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind.value,
        "actor_id": a.actor_id,
        "reason": a.reason,
        "rule": a.rule,
        "ts": _ms(a.created_at),
        "case_id": a.case_id,
        "account_id": a.account_id,
        "room": _slug(s, a.room_id),
        "message_ids": list(a.message_ids),
        "ip_range": a.ip_range,
        "until": _ms(a.until),
        "automated": a.automated,
        "reverses": a.reverses,
        "reversed_by": a.reversed_by,
    }


def sanction_json(s: Services, x: Sanction) -> dict[str, Any]:
    return {
        "id": x.id,
        "kind": x.kind.value,
        "action_id": x.action_id,
        "since": _ms(x.starts_at),
        "until": _ms(x.until),
        "room": _slug(s, x.room_id),
        "ip_range": x.ip_range,
        "device_id": x.device_id,
    }


def statement_json(st: Statement, appeal: Appeal | None = None) -> dict[str, Any]:
    return {
        "id": st.id,
        "action_id": st.action_id,
        "kind": st.kind.value,
        "lang": st.lang,
        "decision": st.decision,
        "scope": st.scope,
        "until": _ms(st.until),
        "facts": st.facts,
        "source": st.source.value,
        "automated": st.automated,
        "ground": st.ground,
        "rule": st.rule,
        "redress": st.redress,
        "ts": _ms(st.created_at),
        "appeal_until": _ms(st.appeal_until),
        "appeal": appeal_json(appeal) if appeal else None,
    }


def appeal_json(a: Appeal) -> dict[str, Any]:
    return {
        "id": a.id,
        "statement_id": a.statement_id,
        "action_id": a.action_id,
        "account_id": a.account_id,
        "text": a.text,
        "status": a.status.value,
        "ts": _ms(a.created_at),
        "acted_by": a.acted_by,
        "decided_by": a.decided_by,
        "decided": _ms(a.decided_at),
        "decision_reason": a.decision_reason,
    }


def queue_json(q: QueueSummary, now: float) -> dict[str, Any]:
    return {
        "category": q.category.value,
        "open": q.open_cases,
        "oldest": _ms(q.oldest_at),
        "oldest_age_seconds": round(max(0.0, now - q.oldest_at)),
    }


def safety_json(safety: RoomSafety) -> dict[str, Any]:
    return safety.to_json()


def policy_json(policy: EmergencyPolicy) -> dict[str, Any]:
    return policy.to_json()


def audit_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "ts": e.ts_ms,
        "actor_id": e.actor_id,
        "action": e.action,
        "target": e.target,
        "reason": e.reason,
        "details": e.details_obj(),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


# -- roles --------------------------------------------------------------------------------------------


@router.get("/me/roles", summary="Your moderation roles and the rooms you own or moderate")
async def my_roles(me: AccountDep, s: ServicesDep) -> Response:
    staff = await s.moderation.staff(me)
    return _json(
        {
            "roles": sorted(r.value for r in staff.roles),
            "owned_rooms": sorted(filter(None, (_slug(s, r) for r in staff.owned_rooms))),
            "moderated_rooms": sorted(filter(None, (_slug(s, r) for r in staff.moderated_rooms))),
        }
    )


@router.get("/moderation/staff", summary="Global staff (admins and moderators); global staff only")
async def staff(me: AccountDep, s: ServicesDep) -> Response:
    rows = await s.moderation.staff_list(me)
    return _json({"staff": [{"account_id": a, "nick": n, "role": r.value} for a, n, r in rows]})


@router.put("/moderation/roles/{nick}", summary="Grant a global role (admins only)")
async def grant_role(nick: str, body: RoleBody, me: AccountDep, s: ServicesDep) -> Response:
    changed = await s.moderation.set_role(me, nick, Role(body.role), grant=True)
    return _json({"changed": changed})


@router.delete("/moderation/roles/{nick}/{role}", summary="Revoke a global role (admins only)")
async def revoke_role(nick: str, role: Literal["admin", "moderator"], me: AccountDep, s: ServicesDep) -> Response:
    changed = await s.moderation.set_role(me, nick, Role(role), grant=False)
    return _json({"changed": changed})


@router.get("/rooms/{slug}/moderators", summary="A room's moderators (its staff only)")
async def room_moderators(slug: str, me: AccountDep, s: ServicesDep) -> Response:
    accounts = await s.moderation.room_moderators(me, slug)
    return _json({"moderators": [member_of(a) for a in accounts]})


@router.put("/rooms/{slug}/moderators/{nick}", summary="Appoint a room moderator (room owner or global staff)")
async def add_room_moderator(slug: str, nick: str, me: AccountDep, s: ServicesDep) -> Response:
    return _json({"changed": await s.moderation.set_room_moderator(me, slug, nick, grant=True)})


@router.delete("/rooms/{slug}/moderators/{nick}", summary="Remove a room moderator (room owner or global staff)")
async def remove_room_moderator(slug: str, nick: str, me: AccountDep, s: ServicesDep) -> Response:
    return _json({"changed": await s.moderation.set_room_moderator(me, slug, nick, grant=False)})


# -- reports (DSA art. 16) -------------------------------------------------------------------------


def _form(body: ReportBody, name: str | None = None, email: str | None = None) -> ReportForm:
    return ReportForm(
        category=body.category,
        good_faith=body.good_faith,
        details=body.details,
        room=body.room,
        seq=body.seq,
        message_id=body.message_id,
        user=body.user,
        name=name,
        email=email,
    )


@router.post("/reports", status_code=201, summary="Report a message, a user or a room (signed in)")
async def report(body: ReportBody, request: Request, me: AccountDep, s: ServicesDep, lang: LangDep) -> Response:
    ip, _port = client_address(request)
    if s.flood is not None:  # per account and per address; never for child safety (docs/limits.md)
        await s.flood.report(
            me.id, client_host(request.scope), child_safety=body.category in {c.value for c in CHILD_SAFETY}
        )
    stored, _case = await s.moderation.report(me, _form(body), ip)
    return _json({"report": report_json(stored, full=False), "message": report_ack_text(me.lang or lang)}, 201)


@router.post(
    "/reports/public",
    status_code=201,
    summary="Report without an account (public form, DSA art. 16): name and email optional",
)
async def report_public(body: PublicReportBody, request: Request, s: ServicesDep, lang: LangDep) -> Response:
    ip, _port = client_address(request)
    if s.flood is not None:
        await s.flood.report(
            None, client_host(request.scope), child_safety=body.category in {c.value for c in CHILD_SAFETY}
        )
    stored, _case = await s.moderation.report(None, _form(body, body.name, body.email), ip)
    return _json({"report": report_json(stored, full=False), "message": report_ack_text(lang)}, 201)


@router.get("/reports/mine", summary="Your reports and what became of them")
async def my_reports(me: SanctionedAccountDep, s: ServicesDep) -> Response:
    return _json({"reports": [report_json(r, full=False) for r in await s.moderation.my_reports(me)]})


@router.get("/moderation/categories", summary="Report categories (codes and labels) and the rules of decisions")
async def categories(lang: LangDep, lang_q: Annotated[str | None, Query(alias="lang")] = None) -> Response:
    lang = lang_q if lang_q in ("fr", "en") else lang
    i = 0 if lang == "fr" else 1
    return _json(
        {
            "categories": [c.value for c in ReportCategory],
            "labels": [
                {
                    "code": c.value,
                    "label": CATEGORY_LABELS[c][i],
                    "fr": CATEGORY_LABELS[c][0],
                    "en": CATEGORY_LABELS[c][1],
                }
                for c in ReportCategory
            ],
            "rules": [{"code": code, "text": texts[i]} for code, texts in RULES.items()],
        }
    )


@router.get("/reports/rooms", summary="Public rooms, for the public report form (no session)")
async def report_rooms(s: ServicesDep) -> Response:
    rooms = await s.moderation.public_rooms()
    return _json({"rooms": [{"slug": r.slug, "name": r.name} for r in rooms]})


# -- the queue and cases -----------------------------------------------------------------------------


@router.get("/moderation/cases", summary="The queue: cases by priority, and per category the age of the oldest")
async def cases(
    me: AccountDep,
    s: ServicesDep,
    status: Annotated[Literal["open", "closed"] | None, Query()] = "open",
    category: Annotated[Category | None, Query()] = None,
    escalated: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    found, queues = await s.moderation.queue(me, status=status, category=category, escalated=escalated, limit=limit)
    now = s.clock.now()
    nicks = await s.moderation.nicknames([c.account_id for c in found])
    return _json(
        {"cases": [case_json(s, c, now, nicks) for c in found], "queues": [queue_json(q, now) for q in queues]}
    )


@router.get("/moderation/cases/{case_id}", summary="A case: reports, frozen context, actions, the user's history")
async def case(case_id: CaseId, me: AccountDep, s: ServicesDep) -> Response:
    view = await s.moderation.case_view(me, case_id)
    now = s.clock.now()
    history: dict[str, Any] | None = None
    if view.history is not None:
        h = view.history
        history = {
            "account_id": h.account_id,
            "cases": [case_json(s, c, now) for c in h.cases],
            "actions": [action_json(s, a) for a in h.actions],
            "sanctions": [sanction_json(s, x) for x in h.sanctions],
            "reports_filed": h.reports_filed,
            "other_nicknames": [{"account_id": a, "nick": n} for a, n in h.other_nicknames] if view.full else [],
            "device_nicknames": [{"account_id": a, "nick": n} for a, n in h.device_nicknames] if view.full else [],
        }
    target = None
    if view.target_account is not None:
        t = view.target_account
        target = {
            "member": member_of(t),
            "kind": t.kind.value,
            "created": _ms(t.created_at),
            "account_age_seconds": round(max(0.0, now - t.created_at)),
        }
    nicks = await s.moderation.nicknames([view.case.account_id])
    return _json(
        {
            "case": case_json(s, view.case, now, nicks),
            "reports": [report_json(r, full=view.full) for r in view.reports],
            "context": {str(report_id): [context_json(s, m) for m in msgs] for report_id, msgs in view.context.items()},
            "actions": [action_json(s, a) for a in view.actions],
            "target": target,
            "history": history,
        }
    )


@router.post("/moderation/cases/{case_id}/claim", summary="Take a case (refused if another moderator holds it)")
async def claim(case_id: CaseId, me: AccountDep, s: ServicesDep) -> Response:
    return _json({"case": case_json(s, await s.moderation.claim(me, case_id), s.clock.now())})


@router.post("/moderation/cases/{case_id}/assign", summary="Assign a case to a moderator, or release it (null)")
async def assign(case_id: CaseId, body: AssignBody, me: AccountDep, s: ServicesDep) -> Response:
    return _json({"case": case_json(s, await s.moderation.assign(me, case_id, body.nickname), s.clock.now())})


def _request(body: ActionBody, case_id: int | None) -> ActionRequest:
    return ActionRequest(
        kind=body.kind,
        reason=body.reason,
        rule=body.rule,
        case_id=case_id,
        message_ids=tuple(body.message_ids),
        user=body.user,
        account_id=body.account_id,
        room=body.room,
        duration_seconds=body.duration_seconds,
        ip_range=body.ip_range,
        also_ban_ip=body.also_ban_ip,
        slow_mode_seconds=body.slow_mode_seconds,
        keep_open=body.keep_open,
        device_id=body.device_id,
        also_ban_device=body.also_ban_device,
        unfounded=body.unfounded,
    )


async def _act(s: Services, me: Account, request: ActionRequest) -> Response:
    result = await s.moderation.act(me, request)
    now = s.clock.now()
    return _json(
        {
            "actions": [action_json(s, a) for a in result.actions],
            "statements": [statement_json(st) for st in result.statements],
            "case": case_json(s, result.case, now) if result.case else None,
        },
        201,
    )


@router.post("/moderation/actions", status_code=201, summary="Take a moderation action (with a reason)")
async def act(body: ActionBody, me: AccountDep, s: ServicesDep) -> Response:
    return await _act(s, me, _request(body, body.case_id))


@router.post("/moderation/cases/{case_id}/actions", status_code=201, summary="Act on a case (closes it by default)")
async def act_on_case(case_id: CaseId, body: ActionBody, me: AccountDep, s: ServicesDep) -> Response:
    return await _act(s, me, _request(body, case_id))


@router.get("/moderation/users/{nick}", summary="A user's moderation history (global staff)")
async def user_history(
    nick: str, me: AccountDep, s: ServicesDep, account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Response:
    account, h = await s.moderation.user_history(me, nick if account_id is None else None, account_id)
    now = s.clock.now()
    return _json(
        {
            "member": member_of(account),
            "kind": account.kind.value,
            "created": _ms(account.created_at),
            "account_age_seconds": round(max(0.0, now - account.created_at)),
            "cases": [case_json(s, c, now) for c in h.cases],
            "actions": [action_json(s, a) for a in h.actions],
            "sanctions": [sanction_json(s, x) for x in h.sanctions],
            "reports_filed": h.reports_filed,
            "other_nicknames": [{"account_id": a, "nick": n} for a, n in h.other_nicknames],
            "device_nicknames": [{"account_id": a, "nick": n} for a, n in h.device_nicknames],
            "devices": h.devices,
            "last_ip": h.last_ip,
        }
    )


# -- statements of reasons and appeals ---------------------------------------------------------------


@router.get("/me/statements", summary="Decisions about you, with their reasons (DSA art. 17) and appeals")
async def my_statements(me: SanctionedAccountDep, s: ServicesDep) -> Response:
    statements = await s.moderation.statements(me)
    appeals = {a.statement_id: a for a in await s.moderation.appeals_of(me)}
    return _json({"statements": [statement_json(st, appeals.get(st.id)) for st in statements]})


@router.post("/appeals", status_code=201, summary="Contest a decision (free, open for appeal_days)")
async def appeal(body: AppealBody, me: SanctionedAccountDep, s: ServicesDep) -> Response:
    return _json({"appeal": appeal_json(await s.moderation.appeal(me, body.statement_id, body.text))}, 201)


@router.get("/moderation/appeals", summary="Appeals to decide (global staff)")
async def appeals(
    me: AccountDep,
    s: ServicesDep,
    status: Annotated[Literal["open", "upheld", "reversed"] | None, Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    return _json({"appeals": [appeal_json(a) for a in await s.moderation.list_appeals(me, status, limit)]})


@router.get("/moderation/appeals/{appeal_id}", summary="An appeal with the contested decision")
async def appeal_view(appeal_id: AppealId, me: AccountDep, s: ServicesDep) -> Response:
    found, statement, action = await s.moderation.appeal_view(me, appeal_id)
    return _json(
        {
            "appeal": appeal_json(found),
            "statement": statement_json(statement) if statement else None,
            "action": action_json(s, action) if action else None,
        }
    )


@router.post(
    "/moderation/appeals/{appeal_id}/decision",
    summary="Decide an appeal: uphold, or reverse (unban, unmute, restore); never by the moderator who acted",
)
async def decide(appeal_id: AppealId, body: DecisionBody, me: AccountDep, s: ServicesDep) -> Response:
    decided = await s.moderation.decide_appeal(me, appeal_id, body.decision == "reverse", body.reason)
    return _json({"appeal": appeal_json(decided)})


# -- room safety presets -------------------------------------------------------------------------------


@router.get("/moderation/presets", summary="Room safety presets (one click, then adjust)")
async def presets(me: AccountDep, s: ServicesDep) -> Response:
    return _json({"presets": {name: safety_json(p) for name, p in s.moderation.presets().items()}})


@router.get("/rooms/{slug}/settings", summary="A room's safety settings")
async def room_settings(slug: str, me: AccountDep, s: ServicesDep) -> Response:
    room, safety = await s.moderation.room_settings(me, slug)
    return _json({"room": room.slug, "settings": safety_json(safety)})


@router.put("/rooms/{slug}/settings", summary="Pick a preset and adjust it (room owner or global staff)")
async def put_room_settings(slug: str, body: RoomSettingsBody, me: AccountDep, s: ServicesDep) -> Response:
    overrides = body.model_dump(exclude={"preset"}, exclude_none=True)
    safety = await s.moderation.set_room_settings(me, slug, body.preset, overrides)
    return _json({"room": slug, "settings": safety_json(safety)})


# -- emergency level -----------------------------------------------------------------------------------


@router.get("/safety", summary="The operator-wide emergency level and what it restricts (public)")
async def safety(s: ServicesDep) -> Response:
    return _json(policy_json(s.moderation.emergency()))


@router.put("/moderation/emergency", summary="Raise or lower the emergency level (admins only; audited)")
async def set_emergency(body: EmergencyBody, me: AccountDep, s: ServicesDep) -> Response:
    return _json(policy_json(await s.moderation.set_emergency(me, body.level, body.reason)))


# -- DSA art. 23 misuse: the transparency report's counts -----------------------------------------------


@router.get("/moderation/misuse", summary="Strikes and suspensions for misuse (DSA art. 23), per type (global staff)")
async def misuse(
    me: AccountDep, s: ServicesDep, since: Annotated[int, Query(ge=0, le=MAX_ID, description="ms")] = 0
) -> Response:
    return _json({"since": since, "totals": await s.moderation.misuse_totals(me, since / 1000)})


# -- audit trail ---------------------------------------------------------------------------------------


@router.get("/moderation/audit", summary="The audit trail, oldest first (admins only)")
async def audit(
    me: AccountDep,
    s: ServicesDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    (await s.moderation.staff(me)).require_admin()
    entries = await s.audit.entries(after, min(limit, s.settings.moderation_page_max))
    return _json({"entries": [audit_json(e) for e in entries]})


@router.get("/moderation/audit/verify", summary="Check the audit trail's hash chain (admins only)")
async def audit_verify(me: AccountDep, s: ServicesDep) -> Response:
    (await s.moderation.staff(me)).require_admin()
    result = await s.audit.verify()
    return _json(
        {
            "ok": result.ok,
            "checked": result.checked,
            "head": result.head_hash,
            "broken_id": result.broken_id,
            "problem": result.problem,
        }
    )
