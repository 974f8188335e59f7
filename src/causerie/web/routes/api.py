"""REST API v1: session, accounts, rooms, history, private conversations, blocks, friends, privacy.

May import: fastapi, pydantic, ``causerie.web.deps``, ``causerie.services``, ``causerie.protocol``,
``causerie.domain``, ``causerie.errors``.

Each route parses, calls one service, and answers. Errors are ``CauserieError`` (mapped once, in
``web.app``). Response shapes reuse the protocol's structs so HTTP and WebSocket agree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from causerie.domain.entities import DmPolicy, DmPolicyMode, DmState, RoomKind
from causerie.domain.moderation import until_ms as ban_until_ms
from causerie.domain.regions import GENDERS, REGIONS
from causerie.errors import CauserieError, ErrorCode
from causerie.services.accounts import EntryForm, EntryRecord
from causerie.services.rooms import member_of
from causerie.web.deps import AccountDep, LangDep, OptionalAccountDep, ServicesDep, client_address, session_token
from causerie.web.limits import client_host
from causerie.web.security import DEVICE_COOKIE, SESSION_COOKIE, device_id_from, new_device_id

router = APIRouter(prefix="/api/v1")


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status_code=status, media_type="application/json")


# -- models (request bodies) ------------------------------------------------------------------


class GuestEntry(BaseModel):
    nickname: str = Field(max_length=200)
    age: int = Field(ge=0, le=150)
    gender: str = Field(max_length=8)
    region: str = Field(max_length=8)
    accept_rules: bool
    lang: Literal["fr", "en"] = "fr"
    challenge: str | None = Field(None, max_length=200)  # the human check (GET /api/v1/session/challenge)
    nonce: str | None = Field(None, max_length=32)


class Login(BaseModel):
    login: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class Registration(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    nickname: str | None = Field(None, max_length=200)
    age: int | None = Field(None, ge=0, le=150)
    gender: str | None = Field(None, max_length=8)
    region: str | None = Field(None, max_length=8)
    accept_rules: bool = False
    lang: Literal["fr", "en"] = "fr"


class NewRoom(BaseModel):
    name: str = Field(max_length=400)
    topic: str = Field("", max_length=2000)
    kind: Literal["public", "invite"] = "public"
    min_age: int = Field(18, ge=0, le=150)
    max_age: int | None = Field(None, ge=0, le=150)


class Invite(BaseModel):
    nickname: str = Field(max_length=200)


class Privacy(BaseModel):
    dm: Literal["everyone", "nobody", "filtered"] = "everyone"
    genders: list[str] = Field(default_factory=list, max_length=8)
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)


# -- session and accounts -----------------------------------------------------------------------


def _device(request: Request) -> tuple[str, bool]:
    """The browser's device id (cookie ``causerie_device``) and whether it is new (to be set)."""
    found = device_id_from(request.cookies)
    return (found, False) if found is not None else (new_device_id(), True)


def _session_response(
    request: Request,
    token: str,
    me: Any,
    status: int,
    device: tuple[str, bool] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    response = _json({"token": token, "me": me, **(extra or {})}, status)
    settings = request.app.state.services.settings
    secure = settings.cookie_secure or request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=int(settings.session_ttl_days * 86400),
        path="/",
    )
    if device is not None and device[1]:
        response.set_cookie(
            DEVICE_COOKIE,
            device[0],
            httponly=True,
            secure=secure,
            samesite="lax",
            max_age=int(settings.device_cookie_days * 86400),
            path="/",
        )
    return response


@router.post("/session/guest", status_code=201, summary="Enter as a guest (nickname, age, gender, region)")
async def enter_guest(body: GuestEntry, request: Request, s: ServicesDep) -> Response:
    await s.throttle.guest_entry(client_host(request.scope))
    form = EntryForm(body.nickname, body.age, body.gender, body.region, body.accept_rules, body.lang)
    ip, port = client_address(request)
    device = _device(request)
    s.moderation.check_guest_entry(ip, device[0])  # banned address ranges and devices, emergency level 3
    if s.human_check is not None:  # a proof of work when the operator or the emergency level asks
        await s.human_check.verify(body.challenge, body.nonce)
    record = EntryRecord(ip, port, request.headers.get("user-agent"), device[0])  # written with the account
    token, account = await s.accounts.enter_guest(form, record)
    return _session_response(request, token, member_of(account), 201, device)


@router.post("/session/login", summary="Log in with email or nickname and password")
async def login(body: Login, request: Request, s: ServicesDep) -> Response:
    await s.throttle.login(client_host(request.scope), body.login)  # before any password hashing
    token, account = await s.accounts.login(body.login, body.password)
    device = _device(request)
    ban = s.moderation.ban_of(account)
    extra: dict[str, Any] = {}
    if ban is not None:
        # a banned account gets a restricted session: read its statements, appeal, log out (no chat)
        extra["banned"] = {"until": ban_until_ms(ban.until)}
    else:
        try:
            s.moderation.check_device(device[0])  # a banned device gets no new session
        except CauserieError:
            await s.accounts.logout(token)
            raise
    ip, port = client_address(request)
    await s.moderation.record_entry(account, "login", ip, port, request.headers.get("user-agent"), device[0])
    return _session_response(request, token, member_of(account), 200, device, extra)


@router.get("/session", summary="The current session's account (a banned account: 403 `banned` with until)")
async def whoami(me: AccountDep) -> Response:
    return _json({"me": member_of(me), "registered": me.registered, "email": me.email})


@router.delete("/session", status_code=204, summary="Log out (also a banned account's restricted session)")
async def logout(request: Request, me: OptionalAccountDep, s: ServicesDep) -> Response:
    token, _ = session_token(request)
    if token:
        await s.accounts.logout(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/accounts", status_code=201, summary="Register (from a guest session: keep the nickname)")
async def register(body: Registration, request: Request, me: OptionalAccountDep, s: ServicesDep) -> Response:
    await s.throttle.register(client_host(request.scope))
    form = None
    if me is None:
        if body.nickname is None or body.age is None or body.gender is None or body.region is None:
            raise CauserieError(ErrorCode.BAD_REQUEST, "nickname, age, gender and region are required")
        form = EntryForm(body.nickname, body.age, body.gender, body.region, body.accept_rules, body.lang)
    ip, port = client_address(request)
    device = _device(request)
    if me is None:
        s.moderation.check_address(ip, device[0])  # a banned address range or device cannot create an account
    else:
        s.moderation.check_connect(me)
        s.moderation.check_device(device[0])
    token, account = await s.accounts.register(me, body.email, body.password, form)
    await s.moderation.record_entry(account, "register", ip, port, request.headers.get("user-agent"), device[0])
    return _session_response(request, token, member_of(account), 201, device)


@router.get("/meta", summary="Regions, genders, room categories and limits, for the entry form")
async def meta(s: ServicesDep, lang: LangDep, lang_q: Annotated[str | None, Query(alias="lang")] = None) -> Response:
    lang = lang_q if lang_q in ("fr", "en") else lang
    regions = [{"code": r.code, "name": r.name_fr if lang == "fr" else r.name_en} for r in REGIONS.values()]
    genders = [{"code": code, "name": names[0] if lang == "fr" else names[1]} for code, names in GENDERS.items()]
    categories = [
        {"code": "topic", "name": "Thèmes" if lang == "fr" else "Topics"},
        {"code": "region", "name": "Régions" if lang == "fr" else "Regions"},
        {"code": "age", "name": "Âges" if lang == "fr" else "Age groups"},
        {"code": "user", "name": "Salons des membres" if lang == "fr" else "Members' rooms"},
    ]
    return _json(
        {"regions": regions, "genders": genders, "categories": categories, "limits": s.settings.public_limits()}
    )


# -- rooms --------------------------------------------------------------------------------------


@router.get("/rooms", summary="Room directory with live member counts")
async def rooms(me: AccountDep, s: ServicesDep) -> Response:
    return _json({"rooms": await s.rooms.directory(me)})


@router.post("/rooms", status_code=201, summary="Create a room (public or invite-only); you own it")
async def create_room(body: NewRoom, me: AccountDep, s: ServicesDep) -> Response:
    if s.privileges is not None:  # a new account waits (progressive privileges)
        s.privileges.require(me, "room_creation")
    room = await s.rooms.create(
        me, name=body.name, topic=body.topic, kind=RoomKind(body.kind), min_age=body.min_age, max_age=body.max_age
    )
    return _json(s.rooms.info(room), 201)


@router.get("/rooms/{slug}", summary="One room")
async def room(slug: str, me: AccountDep, s: ServicesDep) -> Response:
    found = await s.rooms.access_room(me, slug)
    return _json(s.rooms.info(found))


@router.post("/rooms/{slug}/invites", status_code=204, summary="Invite someone to an invite-only room you own")
async def invite(slug: str, body: Invite, me: AccountDep, s: ServicesDep) -> Response:
    invitee = await s.social.find_user(body.nickname)
    await s.rooms.invite(me, slug, invitee)
    return Response(status_code=204)


@router.get("/rooms/{slug}/messages", summary="A page of history (oldest first); before is exclusive")
async def messages(
    slug: str,
    me: AccountDep,
    s: ServicesDep,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    found = await s.rooms.access_room(me, slug)
    blocked = await s.social.blocked(me.id)
    page, more = await s.messages.history(found, before, limit, blocked, me.id)
    return _json({"messages": page, "more": more})


@router.get("/rooms/{slug}/members", summary="Who is in the room now")
async def members(slug: str, me: AccountDep, s: ServicesDep) -> Response:
    found = await s.rooms.access_room(me, slug)
    blocked = await s.social.blocked(me.id)
    return _json({"members": [m for m in s.presence.members(found.id) if m.id not in blocked]})


# -- users, private conversations ---------------------------------------------------------------


@router.get("/users/{nick}", summary="A user's public profile")
async def user(nick: str, me: AccountDep, s: ServicesDep) -> Response:
    account = await s.social.find_user(nick)
    return _json({"member": member_of(account), "online": s.presence.is_online(account.id)})


@router.get("/dms", summary="Private conversations and message requests")
async def dms(me: AccountDep, s: ServicesDep) -> Response:
    rows = await s.social.conversations(me)
    return _json({"conversations": [{**msgspec.to_builtins(info), "last_seq": last} for info, last in rows]})


@router.post("/dms/{slug}/accept", summary="Accept a message request")
async def dm_accept(slug: str, me: AccountDep, s: ServicesDep) -> Response:
    return _json(await s.social.set_dm_state(me, slug, DmState.ACCEPTED))


@router.post("/dms/{slug}/ignore", summary="Ignore a message request (the sender is not told)")
async def dm_ignore(slug: str, me: AccountDep, s: ServicesDep) -> Response:
    return _json(await s.social.set_dm_state(me, slug, DmState.IGNORED))


# -- blocks, friends, privacy -------------------------------------------------------------------


@router.get("/blocks", summary="Accounts you block")
async def blocks(me: AccountDep, s: ServicesDep) -> Response:
    return _json({"blocked": await s.social.blocked_members(me.id)})


@router.put("/blocks/{nick}", status_code=204, summary="Block someone: they cannot reach you, you stop seeing them")
async def block(nick: str, me: AccountDep, s: ServicesDep) -> Response:
    await s.social.block(me, nick)
    return Response(status_code=204)


@router.delete("/blocks/{nick}", status_code=204, summary="Unblock")
async def unblock(nick: str, me: AccountDep, s: ServicesDep) -> Response:
    await s.social.unblock(me, nick)
    return Response(status_code=204)


@router.get("/friends", summary="Friends (with presence) and pending requests")
async def friends(me: AccountDep, s: ServicesDep) -> Response:
    mine, incoming, outgoing = await s.social.friends(me.id)
    return _json(
        {
            "friends": [{"member": m, "online": online} for m, online in mine],
            "incoming": incoming,
            "outgoing": outgoing,
        }
    )


@router.put("/friends/{nick}", summary="Send a friend request, or accept theirs")
async def befriend(nick: str, me: AccountDep, s: ServicesDep) -> Response:
    return _json({"friends": await s.social.befriend(me, nick)})


@router.delete("/friends/{nick}", status_code=204, summary="Remove a friend or a request")
async def unfriend(nick: str, me: AccountDep, s: ServicesDep) -> Response:
    await s.social.unfriend(me, nick)
    return Response(status_code=204)


@router.get("/me/privacy", summary="Who may send you private messages")
async def get_privacy(me: AccountDep) -> Response:
    p = me.dm_policy
    return _json({"dm": p.mode.value, "genders": sorted(p.genders), "age_min": p.age_min, "age_max": p.age_max})


@router.put("/me/privacy", summary="Set who may send you private messages (friends always can)")
async def put_privacy(body: Privacy, me: AccountDep, s: ServicesDep) -> Response:
    policy = DmPolicy(
        mode=DmPolicyMode(body.dm), genders=frozenset(body.genders), age_min=body.age_min, age_max=body.age_max
    )
    await s.social.set_dm_policy(me, policy)
    s.accounts.forget(me.id)
    return _json(body.model_dump())
