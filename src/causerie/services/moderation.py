"""Moderation: roles, reports and cases, actions with statements of reasons, appeals, room safety
presets and the operator-wide emergency level.

May import: ``causerie.domain``, ``causerie.storage.base``, ``causerie.storage.moderation``,
``causerie.broker.base``, ``causerie.protocol``, ``causerie.services``, ``causerie.clock``,
``causerie.config``, ``causerie.errors``, ``causerie.ids``.

Every method that changes something checks the caller's role first (``Staff``, from the database),
then writes one ``ActionPlan`` per affected user: the change, its statement of reasons and its audit
entry in ONE transaction. Only after the commit are events published: the statement to the user, the
``removed`` events to the rooms, the outcome to the reporters, and the live effects (kick, close) to
every node on the ``moderation.live`` topic, which ``realtime.moderation`` applies to the sessions.

The checks on the hot path (``check_send``, ``check_join``, ``check_connect``…) read an in-memory
snapshot of what is in force (sanctions, room safety, emergency level, staff), reloaded after every
change here, on every node when another node announces a change (``moderation.state``), and every
``moderation_refresh_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from causerie.broker.base import Broker
from causerie.clock import Clock, ms
from causerie.config import Settings
from causerie.domain.audit import AuditDraft
from causerie.domain.entities import Account, AccountKind, DmState, InsertResult, Room, RoomKind
from causerie.domain.moderation import (
    ANONYMOUS_ALLOWED,
    CHILD_SAFETY,
    DEFAULT_RULE,
    PRESET_NAMES,
    PRESETS,
    REVERSAL,
    ROOM_SCOPED_ACTIONS,
    ActionKind,
    ActionRecord,
    ActiveSanctions,
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    ContextMessage,
    EmergencyPolicy,
    MessageState,
    NewReport,
    NewSanction,
    NewStatement,
    NewStrike,
    Outcome,
    QueueSummary,
    Report,
    ReportCategory,
    Role,
    RoomSafety,
    Sanction,
    SanctionKind,
    Source,
    Staff,
    Statement,
    StrikeKind,
    TargetKind,
    adjust,
    apply_preset,
    case_priority,
    check_rule,
    emergency_policy,
    most_severe,
    parse_ip_range,
    report_ack_text,
    report_outcome_text,
    reporter_score,
    statement_texts,
    target_key,
    until_ms,
)
from causerie.domain.text import sanitize_line, sanitize_message
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import (
    AppealDecided,
    CaseEvent,
    Kicked,
    Message,
    Notice,
    Removed,
    ReportAck,
    ReportOutcome,
    RoomState,
    SafetyLevel,
    StatementEvent,
)
from causerie.services.accounts import AccountService, EntryForm
from causerie.services.messages import MessageService, SendContext
from causerie.services.rooms import RoomService
from causerie.services.social import SocialService
from causerie.storage.base import Store
from causerie.storage.moderation import ActionPlan, Committed, Lift, ModerationStore, UserHistory

log = logging.getLogger(__name__)
_DEVICE_ID = re.compile(r"[0-9a-f]{32}")  # as issued by web.security.new_device_id
DEVICE_BAN_MAX = 20  # devices one ban covers (the most recently seen for the account)

STATE_TOPIC = "moderation.state"  # "reload what is in force" (every node)
LIVE_TOPIC = "moderation.live"  # kick / close / close_room, applied by realtime.moderation on every node
SYSTEM = AccountId(0)  # author of moderation events (nobody blocks it)
BAN_CLOSE_CODE = ErrorCode.BANNED.close_code or 4003

GLOBAL_ONLY = frozenset(
    {
        ActionKind.REMOVE_RECENT,
        ActionKind.BAN,
        ActionKind.BAN_IP,
        ActionKind.BAN_DEVICE,
        ActionKind.SUSPEND_REPORTS,
        ActionKind.SHADOW_HIDE,
        ActionKind.CLOSE_ROOM,
        ActionKind.UNBAN,
        ActionKind.LIFT_IP_BAN,
        ActionKind.LIFT_DEVICE_BAN,
        ActionKind.LIFT_REPORT_SUSPENSION,
        ActionKind.UNSHADOW,
        ActionKind.REVERSE_DECISION,
    }
)
STATEMENT_KINDS = frozenset(
    {
        ActionKind.REMOVE_MESSAGE,
        ActionKind.REMOVE_RECENT,
        ActionKind.WARN,
        ActionKind.MUTE,
        ActionKind.KICK,
        ActionKind.BAN,
        ActionKind.BAN_IP,
        ActionKind.BAN_DEVICE,
        ActionKind.SUSPEND_REPORTS,
        ActionKind.SHADOW_HIDE,
    }
)
# Actions on a user whose rule is a law ("law.…") count as manifestly illegal content (DSA art. 23(1)).
CONTENT_STRIKE_KINDS = frozenset(
    {
        ActionKind.REMOVE_MESSAGE,
        ActionKind.REMOVE_RECENT,
        ActionKind.WARN,
        ActionKind.MUTE,
        ActionKind.KICK,
        ActionKind.BAN,
        ActionKind.SHADOW_HIDE,
    }
)


@dataclass(frozen=True, slots=True)
class ReportForm:
    """A notice (DSA art. 16). Target: ``message_id``, or ``room`` + ``seq``, or ``user``, or ``room``."""

    category: str
    good_faith: bool
    details: str = ""
    room: str | None = None
    seq: int | None = None
    message_id: int | None = None
    user: str | None = None
    name: str | None = None  # public form: optional
    email: str | None = None  # public form: optional


@dataclass(frozen=True, slots=True)
class ActionRequest:
    kind: str
    reason: str
    rule: str | None = None
    case_id: int | None = None
    message_ids: tuple[int, ...] = ()
    user: str | None = None  # nickname
    account_id: int | None = None  # or the account id (a guest's nickname may have been released)
    room: str | None = None  # slug: kick, room mute/warn, slow mode, lock, close, reopen
    duration_seconds: float | None = None  # None: the default (mute, kick) or permanent (ban, shadow)
    ip_range: str | None = None  # ban_ip / lift_ip_ban; default: the user's last entry address
    also_ban_ip: bool = False  # ban: also ban the user's last entry address (guests)
    slow_mode_seconds: int | None = None
    keep_open: bool = False  # act on a case without closing it
    device_id: str | None = None  # ban_device / lift_device_ban; default: the devices seen for the user
    also_ban_device: bool = False  # ban: also ban the devices seen for the user
    unfounded: bool = False  # dismiss: the case's reports were manifestly unfounded (DSA art. 23 strikes)


@dataclass(frozen=True, slots=True)
class ActionResult:
    actions: list[ActionRecord]
    statements: list[Statement]
    case: Case | None


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    reports: list[Report]
    context: dict[int, list[ContextMessage]]
    actions: list[ActionRecord]
    history: UserHistory | None
    target_account: Account | None
    room_slugs: dict[int, str]
    full: bool  # global staff: reporters' identities and the target's other nicknames


@dataclass(slots=True)
class _Effects:
    """What to publish after a commit."""

    removed: list[ContextMessage]
    restored: list[ContextMessage]
    kick: tuple[AccountId, RoomId] | None = None
    close_account: AccountId | None = None
    close_room: RoomId | None = None
    room_state: RoomId | None = None
    lifted_notice: AccountId | None = None


def _until_data(until: float | None) -> dict[str, object]:
    return {"until": until_ms(until)}


class ModerationService:
    def __init__(
        self,
        store: Store,
        mod: ModerationStore,
        settings: Settings,
        clock: Clock,
        broker: Broker,
        accounts: AccountService,
        rooms: RoomService,
        social: SocialService,
        messages: MessageService,
    ) -> None:
        self._store = store
        self._mod = mod
        self._settings = settings
        self._clock = clock
        self._broker = broker
        self._accounts = accounts
        self._rooms = rooms
        self._social = social
        self._messages = messages
        self._origin = uuid.uuid4().hex
        self._active = ActiveSanctions()
        self._safety: dict[RoomId, RoomSafety] = {}
        self._emergency = emergency_policy(0, 0)
        self._global_staff: dict[AccountId, set[Role]] = {}
        self._room_mods: dict[RoomId, set[AccountId]] = {}
        self._last_post: dict[tuple[AccountId, RoomId], float] = {}
        self._posted: dict[tuple[AccountId, RoomId], int] = {}  # visible messages (hold_first_messages)
        self._priming: set[tuple[AccountId, RoomId]] = set()
        self._held_ctx: dict[int, SendContext] = {}  # sends held by hold_first_messages, until after_send
        self._tasks: set[asyncio.Task[None]] = set()
        self._refresher: asyncio.Task[None] | None = None
        # called with every case a report opens or joins (issue 7: automatic legal holds, services.retention)
        self.case_hooks: list[Callable[[Case], Awaitable[None]]] = []
        # (case id, its reports' categories, computed priority) -> priority; set by bootstrap (services.legal)
        self.priority_boost: Callable[[int, list[ReportCategory], int], Awaitable[int]] | None = None
        broker.subscribe(STATE_TOPIC, self._on_state_note)

    # -- lifecycle and the in-memory snapshot ---------------------------------------------------

    async def reload(self) -> None:
        """Read what is in force from the database (sanctions, room safety, level, staff)."""
        now = self._clock.now()
        active = ActiveSanctions.build(await self._mod.active_sanctions(now))
        safety = await self._mod.all_room_safety()
        state = await self._mod.get_operator_state("emergency") or {}
        staff: dict[AccountId, set[Role]] = {}
        for account_id, _nick, role in await self._mod.list_staff():
            staff.setdefault(account_id, set()).add(role)
        room_mods = await self._mod.all_room_moderators()
        self._active = active
        self._safety = safety
        self._emergency = emergency_policy(int(state.get("level", 0)), self._read_only_minutes())
        self._global_staff = staff
        self._room_mods = room_mods
        if len(self._last_post) > 100_000:
            self._last_post.clear()
        if len(self._held_ctx) > 10_000:  # sends that failed before after_send
            self._held_ctx.clear()

    def _read_only_minutes(self) -> int:
        return round(self._settings.emergency_read_only_minutes)

    def start(self) -> None:
        if self._refresher is None:
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop(), name="moderation-refresh")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.moderation_refresh_seconds)
            try:
                await self.reload()
            except CauserieError:
                log.warning("moderation state reload failed; keeping the previous snapshot")

    def _on_state_note(self, data: bytes) -> None:
        if data.decode(errors="replace") == self._origin:
            return  # our own change: already reloaded
        self._spawn(self.reload())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _changed(self) -> None:
        await self.reload()
        self._broker.publish(STATE_TOPIC, self._origin.encode())

    def _live(self, **note: Any) -> None:
        self._broker.publish(LIVE_TOPIC, json.dumps(note).encode())

    # -- checks on the hot path (no I/O) --------------------------------------------------------

    def is_room_staff(self, account_id: AccountId, room: Room) -> bool:
        return (
            account_id in self._global_staff
            or (room.owner_id is not None and room.owner_id == account_id)
            or account_id in self._room_mods.get(room.id, ())
        )

    def check_send(self, ctx: SendContext) -> None:
        """The pre-send check (``MessageService.pre_send``): sanctions, room safety, emergency level."""
        now = self._clock.now()
        account = ctx.account
        room = ctx.room
        active = self._active
        if (ban := active.ban(account.id, now)) is not None:
            raise CauserieError(ErrorCode.BANNED, data=_until_data(ban.until))
        mute = active.mute(account.id, None if room.is_direct else room.id, now)
        if mute is not None:
            raise CauserieError(ErrorCode.MUTED, data=_until_data(mute.until))
        privileged = self.is_room_staff(account.id, room)
        slow = 0
        if not room.is_direct:
            if (kicked := active.room_ban(account.id, room.id, now)) is not None:
                raise CauserieError(ErrorCode.KICKED, data=_until_data(kicked.until))
            safety = self._safety.get(room.id)
            if safety is not None and not privileged:
                if safety.closed:
                    raise CauserieError(ErrorCode.ROOM_CLOSED)
                if safety.locked:
                    raise CauserieError(ErrorCode.ROOM_LOCKED)
                age = now - account.created_at
                if safety.min_account_age_minutes and age < safety.min_account_age_minutes * 60:
                    wait = safety.min_account_age_minutes * 60 - age
                    raise CauserieError(ErrorCode.ACCOUNT_TOO_NEW, retry_after=round(wait, 1))
                slow = safety.slow_mode_seconds
                if safety.hold_first_messages and self._holds(account.id, room.id):
                    ctx.held = True
                    ctx.hidden = True
                    self._held_ctx[id(ctx)] = ctx
        policy = self._emergency
        if policy.new_guest_read_only_minutes and account.kind is AccountKind.GUEST and not privileged:
            age = now - account.created_at
            if age < policy.new_guest_read_only_minutes * 60:
                wait = policy.new_guest_read_only_minutes * 60 - age
                raise CauserieError(ErrorCode.EMERGENCY_READ_ONLY, retry_after=round(wait, 1))
        if (
            policy.dm_strangers_off
            and ctx.recipient is not None
            and ctx.room.dm_state_for(ctx.recipient.id) is not DmState.ACCEPTED
            and account.id not in self._global_staff
        ):
            raise CauserieError(ErrorCode.EMERGENCY_DMS_OFF)
        if slow:
            key = (account.id, room.id)
            mono = self._clock.monotonic()
            last = self._last_post.get(key)
            if last is not None and mono - last < slow:
                raise CauserieError(ErrorCode.SLOW_MODE, retry_after=round(slow - (mono - last), 2))
            self._last_post[key] = mono
        if active.shadow(account.id, now) is not None:
            ctx.hidden = True

    def check_join(self, account: Account, room: Room) -> None:
        """Entry check for a room (``RoomService.entry_checks``): bans, kicks, closed rooms."""
        now = self._clock.now()
        if (ban := self._active.ban(account.id, now)) is not None:
            raise CauserieError(ErrorCode.BANNED, data=_until_data(ban.until))
        if room.is_direct:
            return
        if (kicked := self._active.room_ban(account.id, room.id, now)) is not None:
            raise CauserieError(ErrorCode.KICKED, data=_until_data(kicked.until))
        safety = self._safety.get(room.id)
        if safety is not None and safety.closed and account.id not in self._global_staff:
            raise CauserieError(ErrorCode.ROOM_CLOSED)
        if safety is not None and safety.hold_first_messages and not self.is_room_staff(account.id, room):
            self._prime_posted(account.id, room.id)

    # -- hold for review of an account's first messages in a room (preset ``hold_first_messages``) --

    def _holds(self, account_id: AccountId, room_id: RoomId) -> bool:
        """Whether this account's next message in the room is held: fewer visible messages there
        than ``hold_first_messages_count`` (unknown yet, e.g. just after a restart: held, and counted)."""
        count = self._posted.get((account_id, room_id))
        if count is None:
            self._prime_posted(account_id, room_id)
            return True
        return count < self._settings.hold_first_messages_count

    def _prime_posted(self, account_id: AccountId, room_id: RoomId) -> None:
        key = (account_id, room_id)
        if key in self._posted or key in self._priming:
            return
        self._priming.add(key)
        self._spawn(self._load_posted(account_id, room_id))

    async def _load_posted(self, account_id: AccountId, room_id: RoomId) -> None:
        try:
            limit = self._settings.hold_first_messages_count
            count = await self._mod.visible_messages_in_room(account_id, room_id, limit)
            if len(self._posted) > 200_000:
                self._posted.clear()
            self._posted[(account_id, room_id)] = max(count, self._posted.get((account_id, room_id), 0))
        except CauserieError:
            log.warning("could not count an account's messages in a room")
        finally:
            self._priming.discard((account_id, room_id))

    async def after_send(self, ctx: SendContext, result: InsertResult) -> None:
        """Post-send hook: count visible messages; a message held for being among the first goes to
        the moderation queue (an automated notice on the message)."""
        held_here = self._held_ctx.pop(id(ctx), None) is ctx
        key = (ctx.account.id, ctx.room.id)
        if not ctx.held and not ctx.hidden and key in self._posted:
            self._posted[key] += 1
        if not held_here or result.duplicate:
            return
        try:
            await self.flag(
                category=ReportCategory.RULES_BREACH.value,
                details="[automated: hold_first_messages] first messages in this room are held for review",
                message_id=result.id,
                account_id=None,
            )
        except CauserieError:
            log.warning("could not queue a held first message")

    def sanctions_in_force(self, account_id: AccountId) -> list[tuple[float, float | None]]:
        """(start, end or None if permanent) of the sanctions in force against an account: a ban, a
        shadow-hide, a site-wide mute (progressive privileges count them against a new account's
        record; no I/O)."""
        now = self._clock.now()
        active = self._active
        found = (active.ban(account_id, now), active.shadow(account_id, now), active.mute(account_id, None, now))
        return [(s.starts_at, s.until) for s in found if s is not None]

    def check_connect(self, account: Account) -> None:
        """A new WebSocket (hello) or an authenticated HTTP call: refused while the account is banned."""
        ban = self._active.ban(account.id, self._clock.now())
        if ban is not None:
            raise CauserieError(ErrorCode.BANNED, data=_until_data(ban.until))

    def check_guest_entry(self, ip: str | None, device_id: str | None = None) -> None:
        """Before a new guest session: emergency level 3, then banned address ranges and devices."""
        if self._emergency.guest_entry_closed:
            raise CauserieError(ErrorCode.GUEST_ENTRY_CLOSED)
        self.check_address(ip, device_id)

    def check_address(self, ip: str | None, device_id: str | None = None) -> None:
        """Before creating an account (guest or new registration): banned address ranges and devices."""
        ban = self._active.ip_ban(ip, self._clock.now())
        if ban is not None:
            raise CauserieError(ErrorCode.BANNED, data=_until_data(ban.until))
        self.check_device(device_id)

    def check_device(self, device_id: str | None) -> None:
        """Guest entry, login and registration from a banned device (cookie ``causerie_device``)."""
        ban = self._active.device_ban(device_id, self._clock.now())
        if ban is not None:
            raise CauserieError(ErrorCode.BANNED, data=_until_data(ban.until))

    def ban_of(self, account: Account) -> Sanction | None:
        """The account's ban in force, if any (a banned account gets a restricted session)."""
        return self._active.ban(account.id, self._clock.now())

    def emergency(self) -> EmergencyPolicy:
        return self._emergency

    async def record_entry(
        self,
        account: Account,
        event: str,
        ip: str | None,
        port: int | None,
        user_agent: str | None,
        device_id: str | None = None,
    ) -> None:
        """Keep the address and device of an entry (guest, login, registration): bans and investigations."""
        await self._mod.record_connection(account.id, event, ip, port, user_agent, self._clock.now(), device_id)

    # -- roles ----------------------------------------------------------------------------------

    async def staff(self, account: Account) -> Staff:
        roles, owned, moderated = await self._mod.roles_of(account.id)
        return Staff(account.id, frozenset(roles), frozenset(owned), frozenset(moderated))

    async def staff_list(self, actor: Account) -> list[tuple[AccountId, str, Role]]:
        (await self.staff(actor)).require_global()
        return await self._mod.list_staff()

    async def _account_by(self, nickname: str | None, account_id: int | None) -> Account:
        if account_id is not None:
            found = await self._store.get_account(AccountId(account_id))
            if found is None:
                raise CauserieError(ErrorCode.USER_NOT_FOUND)
            return found
        if nickname:
            return await self._social.find_user(nickname)
        raise CauserieError(ErrorCode.BAD_REQUEST, "a user (nickname or account id) is required")

    async def set_role(self, actor: Account | None, nickname: str, role: Role, grant: bool) -> bool:
        """Grant or revoke a global role. Admins only (``actor`` None: the operator's CLI)."""
        if actor is not None:
            (await self.staff(actor)).require_admin()
        target = await self._social.find_user(nickname)
        if not target.registered:
            raise CauserieError(ErrorCode.BAD_REQUEST, "roles go to registered accounts only")
        if actor is not None and not grant and role is Role.ADMIN and target.id == actor.id:
            raise CauserieError(ErrorCode.BAD_REQUEST, "an admin cannot revoke their own admin role")
        audit = AuditDraft(
            action="role.grant" if grant else "role.revoke",
            target=f"account:{target.id}",
            actor_id=actor.id if actor else None,
            details={"role": role.value, "nickname": target.nickname, "via": "api" if actor else "cli"},
        )
        changed = await self._mod.set_role(
            target.id, role, grant, actor.id if actor else None, self._clock.now(), audit
        )
        if changed:
            await self._changed()
        return changed

    async def create_admin(
        self,
        email: str,
        nickname: str,
        password: str,
        *,
        age: int = 30,
        gender: str = "x",
        region: str = "XX",
        lang: str = "fr",
    ) -> tuple[Account, bool]:
        """CLI: register an account (or find the existing one by email) and grant it the admin role.

        Returns (account, created). An existing account is found by its login (email); its password
        is not changed.
        """
        created = False
        try:
            _token, account = await self._accounts.register(
                None,
                email,
                password,
                EntryForm(nickname=nickname, age=age, gender=gender, region=region, accept_rules=True, lang=lang),
            )
            created = True
        except CauserieError as exc:
            if exc.code not in (ErrorCode.EMAIL_TAKEN, ErrorCode.NICKNAME_TAKEN):
                raise
            found = await self._store.find_login(email=self._accounts.normalise_email(email), nick_skel=None)
            if found is None:
                raise
            account = found[0]
        await self.set_role(None, account.nickname, Role.ADMIN, grant=True)
        return account, created

    async def set_room_moderator(self, actor: Account, slug: str, nickname: str, grant: bool) -> bool:
        """Room owners and global staff appoint or remove a room's moderators."""
        room = await self._rooms.get(slug)
        if room.is_direct:
            raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
        staff = await self.staff(actor)
        if not (staff.is_global or room.id in staff.owned_rooms):
            raise CauserieError(ErrorCode.FORBIDDEN)
        target = await self._social.find_user(nickname)
        audit = AuditDraft(
            action="room_moderator.grant" if grant else "room_moderator.revoke",
            target=f"account:{target.id}",
            actor_id=actor.id,
            details={"room": room.slug, "room_id": room.id, "nickname": target.nickname},
        )
        changed = await self._mod.set_room_moderator(room.id, target.id, grant, self._clock.now(), audit)
        if changed:
            await self._changed()
        return changed

    async def room_moderators(self, actor: Account, slug: str) -> list[Account]:
        room = await self._rooms.get(slug)
        (await self.staff(actor)).require_room(room.id)
        ids = await self._mod.room_moderators(room.id)
        found = await self._store.get_accounts(ids)
        return [found[i] for i in ids if i in found]

    # -- reports (DSA art. 16) ------------------------------------------------------------------

    async def flag(self, *, category: str, details: str, message_id: int | None, account_id: AccountId | None) -> Case:
        """An automated signal (rules engine, analysers) on a message or an account.

        It is filed as a notice with no reporter (no rate limit, no acknowledgement), with its evidence
        in ``details``, and counted as a flag on the target's case, which raises its priority.
        """
        user = None
        if message_id is None and account_id is not None:
            account = await self._store.get_account(account_id)
            if account is None:
                raise CauserieError(ErrorCode.USER_NOT_FOUND)
            user = account.nickname
        form = ReportForm(category=category, good_faith=True, details=details, message_id=message_id, user=user)
        _, case = await self.report(None, form, None, automated=True)
        await self._mod.add_flag(case.id)
        case = await self._reprioritise(case.id)
        await self._announce_case(case)
        return case

    async def report(
        self, reporter: Account | None, form: ReportForm, ip: str | None, *, automated: bool = False
    ) -> tuple[Report, Case]:
        """File a notice; freeze its context; merge it into the target's open case; acknowledge it."""
        s = self._settings
        try:
            category = ReportCategory(form.category)
        except ValueError:
            raise CauserieError(ErrorCode.BAD_REQUEST, "unknown report category") from None
        if not form.good_faith and category not in ANONYMOUS_ALLOWED:
            raise CauserieError(ErrorCode.GOOD_FAITH_REQUIRED)
        details = sanitize_message(form.details, max_combining=s.max_combining_marks) if form.details else ""
        if len(details) > s.report_details_max_chars:
            raise CauserieError(ErrorCode.BAD_REQUEST, f"details: at most {s.report_details_max_chars} characters")
        now = self._clock.now()
        if category not in CHILD_SAFETY and not automated:  # never turn away a child-safety report
            suspended = self._active.report_ban(reporter.id if reporter else None, ip, now)
            if suspended is not None:  # DSA art. 23(2)
                raise CauserieError(ErrorCode.REPORTS_SUSPENDED, data=_until_data(suspended.until))
            recent = await self._mod.recent_reports_by(reporter.id if reporter else None, ip, now - 3600)
            if recent >= s.reports_per_hour:
                raise CauserieError(ErrorCode.TOO_MANY_REPORTS, retry_after=600)
        kind, message, account_id, room = await self._report_target(reporter, form, system=automated)
        context: list[ContextMessage] = []
        if message is not None:
            context = await self._mod.context_messages(
                message.room_id, message.seq, s.report_context_before, s.report_context_after
            )
        elif kind is TargetKind.ROOM and room is not None:
            last = (await self._store.last_seqs([room.id])).get(room.id, 0)
            if last:
                context = await self._mod.context_messages(room.id, last, s.report_context_before, 0)
        elif account_id is not None:
            recent_msgs = await self._mod.recent_messages_of(
                account_id, 0.0, s.report_context_before, include_direct=False
            )
            context = list(reversed(recent_msgs))
        name = sanitize_line(form.name, max_combining=1)[:200] if form.name and reporter is None else None
        email = form.email.strip()[:320] if form.email and reporter is None else None
        new = NewReport(
            category=category,
            target_kind=kind,
            created_at=now,
            good_faith=form.good_faith,
            details=details,
            reporter_id=reporter.id if reporter else None,
            reporter_name=name or None,
            reporter_email=email or None,
            reporter_ip=ip,
            message_id=message.message_id if message else None,
            account_id=account_id,
            room_id=room.id if room is not None else (message.room_id if message else None),
        )
        target_id = message.message_id if message else (room.id if kind is TargetKind.ROOM and room else account_id)
        assert target_id is not None
        stored, case, _merged = await self._mod.file_report(
            new, target_key(kind, int(target_id)), case_priority([category], 1), context
        )
        case = await self._reprioritise(case.id)
        if reporter is not None:
            ack = ReportAck(report=stored.id, message=report_ack_text(reporter.lang))
            self._broker.publish_accounts([reporter.id], SYSTEM, encode_event(ack))
        await self._announce_case(case)
        for hook in self.case_hooks:
            await hook(case)
        return stored, case

    async def _report_target(
        self, reporter: Account | None, form: ReportForm, *, system: bool = False
    ) -> tuple[TargetKind, ContextMessage | None, AccountId | None, Room | None]:
        """What is reported, checked against what the reporter can see (the system sees everything)."""
        if form.message_id is not None or (form.room is not None and form.seq is not None):
            if form.message_id is not None:
                message = await self._mod.message_meta(form.message_id)
            else:
                assert form.room is not None and form.seq is not None
                found_room = await self._find_room(form.room)
                message = await self._mod.message_at(found_room.id, form.seq) if found_room else None
            if message is None:
                raise CauserieError(ErrorCode.REPORT_TARGET_NOT_FOUND)
            room = await self._rooms.by_id(message.room_id)
            if not system and not await self._can_see(reporter, room, message):
                raise CauserieError(ErrorCode.REPORT_TARGET_NOT_FOUND)
            return TargetKind.MESSAGE, message, message.author_id, room
        if form.user:
            try:
                account = await self._social.find_user(form.user)
            except CauserieError:
                raise CauserieError(ErrorCode.REPORT_TARGET_NOT_FOUND) from None
            return TargetKind.USER, None, account.id, None
        if form.room:
            room_found = await self._find_room(form.room)
            if room_found is None or room_found.is_direct or not await self._can_see(reporter, room_found, None):
                raise CauserieError(ErrorCode.REPORT_TARGET_NOT_FOUND)
            return TargetKind.ROOM, None, None, room_found
        raise CauserieError(ErrorCode.BAD_REQUEST, "say what you report: message_id, room and seq, user, or room")

    async def _find_room(self, slug: str) -> Room | None:
        try:
            return await self._rooms.get(slug)
        except CauserieError:
            return None

    async def _can_see(self, reporter: Account | None, room: Room, message: ContextMessage | None) -> bool:
        own_shadow = (
            message is not None
            and message.state == MessageState.SHADOW.value
            and reporter is not None
            and reporter.id == message.author_id
        )
        if message is not None and message.state != MessageState.VISIBLE.value and not own_shadow:
            return False
        if room.kind is RoomKind.PUBLIC:
            return True
        if reporter is None:
            return False  # the public form covers public rooms only
        if room.is_direct:
            return room.is_dm_participant(reporter.id)
        return await self._store.is_room_member(room.id, reporter.id)

    async def _reprioritise(self, case_id: int) -> Case:
        case = await self._mod.get_case(case_id)
        if case is None:
            raise CauserieError(ErrorCode.CASE_NOT_FOUND)
        reports = await self._mod.case_reports(case_id)
        reporters = {r.reporter_id for r in reports if r.reporter_id is not None}
        records = await self._mod.reporter_records(reporters)
        scores = [reporter_score(*records[r]) for r in reporters if r in records]
        categories = [r.category for r in reports] or [case.category]
        priority = case_priority(categories, case.reporters, scores, case.flags, case.escalated)
        if self.priority_boost is not None:  # trusted flaggers' notices (services.legal, DSA art. 22)
            priority = await self.priority_boost(case_id, categories, priority)
        await self._mod.update_case(
            case_id, priority=priority, reporters=case.reporters, category=most_severe(categories)
        )
        return replace(case, priority=priority, category=most_severe(categories))

    async def reprioritise(self, case_id: int) -> Case:
        """Recompute a case's priority (after something outside moderation marked its notices)."""
        case = await self._reprioritise(case_id)
        await self._announce_case(case)
        return case

    def close_connections(self, account_id: AccountId, reason: str) -> None:
        """Close the account's connections on every node (e.g. after it was deleted: services.legal)."""
        code = ErrorCode.NOT_AUTHENTICATED.close_code or 4001
        self._live(op="close", account=int(account_id), code=code, reason=reason)

    async def _announce_case(self, case: Case) -> None:
        """A ``case`` event to the online staff who may see it (the console's live queue)."""
        targets = set(self._global_staff)
        room_slug: str | None = None
        if case.room_id is not None:
            room = self._rooms.cached(case.room_id)
            if room is not None and not room.is_direct:
                room_slug = room.slug
                targets |= self._room_mods.get(room.id, set())
                if room.owner_id is not None:
                    targets.add(room.owner_id)
        if not targets:
            return
        nick = None
        if case.account_id is not None:
            target = await self._store.get_account(case.account_id)
            nick = target.nickname if target is not None else None
        event = CaseEvent(
            nick=nick,
            id=case.id,
            status=case.status.value,
            category=case.category.value,
            priority=case.priority,
            reporters=case.reporters,
            reports=case.reports,
            escalated=case.escalated,
            assigned_to=case.assigned_to,
            room=room_slug,
        )
        self._broker.publish_accounts(sorted(targets), SYSTEM, encode_event(event))

    async def my_reports(self, account: Account) -> list[Report]:
        return await self._mod.reports_by(account.id)

    # -- the queue ------------------------------------------------------------------------------

    async def queue(
        self,
        actor: Account,
        *,
        status: str | None = "open",
        category: str | None = None,
        escalated: bool | None = None,
        limit: int = 100,
    ) -> tuple[list[Case], list[QueueSummary]]:
        staff = await self.staff(actor)
        staff.require_staff()
        cat = None
        if category:
            try:
                cat = ReportCategory(category)
            except ValueError:
                raise CauserieError(ErrorCode.BAD_REQUEST, "unknown category") from None
        if status not in (None, CaseStatus.OPEN.value, CaseStatus.CLOSED.value):
            raise CauserieError(ErrorCode.BAD_REQUEST, "status: open or closed")
        rooms = None if staff.is_global else set(staff.rooms())
        limit = max(1, min(limit, self._settings.moderation_page_max))
        cases = await self._mod.list_cases(
            status=status, category=cat, room_ids=rooms, escalated=escalated, limit=limit
        )
        return cases, await self._mod.queue_summary(rooms)

    async def _case_for(self, actor: Account, case_id: int) -> tuple[Case, Staff]:
        staff = await self.staff(actor)
        staff.require_staff()
        case = await self._mod.get_case(case_id)
        if case is None:
            raise CauserieError(ErrorCode.CASE_NOT_FOUND)
        if not staff.is_global:
            room = self._rooms.cached(case.room_id) if case.room_id is not None else None
            if room is None or room.is_direct or not staff.can_moderate_room(room.id):
                raise CauserieError(ErrorCode.FORBIDDEN)
        return case, staff

    async def case_view(self, actor: Account, case_id: int) -> CaseView:
        case, staff = await self._case_for(actor, case_id)
        reports = await self._mod.case_reports(case.id)
        context = await self._mod.report_context([r.id for r in reports])
        actions = await self._mod.actions_of_case(case.id)
        target = await self._store.get_account(case.account_id) if case.account_id is not None else None
        history = None
        if case.account_id is not None:
            history = await self._mod.user_history(case.account_id, 50)
            if not staff.is_global:  # room moderators: no cross-room history, no linked nicknames
                history = UserHistory(account_id=history.account_id)
        room_ids = {c.room_id for msgs in context.values() for c in msgs}
        if case.room_id is not None:
            room_ids.add(case.room_id)
        slugs: dict[int, str] = {}
        for room_id in room_ids:
            with contextlib.suppress(CauserieError):
                slugs[int(room_id)] = (await self._rooms.by_id(room_id)).slug
        return CaseView(case, reports, context, actions, history, target, slugs, staff.is_global)

    async def user_history(
        self, actor: Account, nickname: str | None, account_id: int | None
    ) -> tuple[Account, UserHistory]:
        (await self.staff(actor)).require_global()
        account = await self._account_by(nickname, account_id)
        return account, await self._mod.user_history(account.id, 100)

    async def claim(self, actor: Account, case_id: int) -> Case:
        await self._case_for(actor, case_id)
        audit = AuditDraft(action="case.claim", target=f"case:{case_id}", actor_id=actor.id)
        case = await self._mod.assign_case(
            case_id, actor.id, only_if_free_for=actor.id, now=self._clock.now(), audit=audit
        )
        await self._announce_case(case)
        return case

    async def assign(self, actor: Account, case_id: int, nickname: str | None) -> Case:
        """Assign a case to a moderator (global staff), or release it (``nickname`` None)."""
        case, staff = await self._case_for(actor, case_id)
        assignee: Account | None = None
        if nickname:
            staff.require_global()
            assignee = await self._social.find_user(nickname)
            roles, owned, moderated = await self._mod.roles_of(assignee.id)
            if not roles and not (case.room_id is not None and case.room_id in owned | moderated):
                raise CauserieError(ErrorCode.BAD_REQUEST, "this user cannot moderate this case")
        elif case.assigned_to not in (None, actor.id):
            staff.require_global()
        audit = AuditDraft(
            action="case.assign" if assignee else "case.release",
            target=f"case:{case_id}",
            actor_id=actor.id,
            details={"assignee": assignee.id} if assignee else {},
        )
        updated = await self._mod.assign_case(
            case_id, assignee.id if assignee else None, only_if_free_for=None, now=self._clock.now(), audit=audit
        )
        await self._announce_case(updated)
        return updated

    # -- actions (and their statements of reasons, DSA art. 17) ---------------------------------

    async def act(self, actor: Account, req: ActionRequest) -> ActionResult:
        s = self._settings
        try:
            kind = ActionKind(req.kind)
        except ValueError:
            raise CauserieError(ErrorCode.BAD_REQUEST, "unknown action kind") from None
        if kind is ActionKind.REVERSE_DECISION:
            raise CauserieError(ErrorCode.BAD_REQUEST, "decisions are reversed through an appeal")
        if req.unfounded and (kind is not ActionKind.DISMISS or req.case_id is None or req.keep_open):
            raise CauserieError(ErrorCode.BAD_REQUEST, "only a dismissal closing a case may mark its reports unfounded")
        reason = sanitize_message(req.reason or "", max_combining=s.max_combining_marks)
        if not reason:
            raise CauserieError(ErrorCode.BAD_REQUEST, "a reason is required")
        if len(reason) > s.moderation_reason_max_chars:
            raise CauserieError(ErrorCode.BAD_REQUEST, f"reason: at most {s.moderation_reason_max_chars} characters")
        staff = await self.staff(actor)
        staff.require_staff()
        if kind in GLOBAL_ONLY:
            staff.require_global()
        elif not staff.is_global and kind not in ROOM_SCOPED_ACTIONS:
            raise CauserieError(ErrorCode.FORBIDDEN)
        case: Case | None = None
        if req.case_id is not None:
            case, _ = await self._case_for(actor, req.case_id)
            if case.status is not CaseStatus.OPEN:
                raise CauserieError(ErrorCode.CASE_CLOSED)
        rule = check_rule(req.rule or (DEFAULT_RULE[case.category] if case else "rules.respect"))
        builder = _PlanBuilder(self, actor, staff, kind, reason, rule, case, req)
        plans, effects = await builder.build()
        committed: list[Committed] = []
        for plan in plans:
            committed.append(await self._mod.commit_action(plan))
        await self._changed()
        await self._after(committed, effects)
        if any(p.strikes for p in plans):
            await self._misuse(plans, actor)
        final_case = await self._mod.get_case(case.id) if case else None
        if final_case is not None:
            if kind is ActionKind.ESCALATE:
                final_case = await self._reprioritise(final_case.id)
            await self._announce_case(final_case)
        return ActionResult(
            actions=[c.action for c in committed],
            statements=[c.statement for c in committed if c.statement is not None],
            case=final_case,
        )

    # -- DSA art. 23: suspensions for misuse ------------------------------------------------------

    async def _misuse(self, plans: Sequence[ActionPlan], actor: Account) -> None:
        """After strikes were recorded: suspend, automatically, whoever reached the threshold."""
        s = self._settings
        now = self._clock.now()
        since = now - s.misuse_window_days * 86400
        seen: set[tuple[StrikeKind, AccountId | None, str | None]] = set()
        for plan in plans:
            for strike in plan.strikes:
                who = (strike.kind, strike.account_id, strike.ip if strike.account_id is None else None)
                if who in seen:
                    continue
                seen.add(who)
                if strike.kind is StrikeKind.NOTICE:
                    threshold = s.misuse_notice_strikes
                    if threshold <= 0 or self._active.report_ban(strike.account_id, strike.ip, now) is not None:
                        continue
                else:
                    threshold = s.misuse_content_strikes
                    if threshold <= 0 or strike.account_id is None:
                        continue
                    if self._active.ban(strike.account_id, now) is not None:
                        continue
                count = await self._mod.count_strikes(strike.kind, strike.account_id, strike.ip, since)
                if count >= threshold:
                    await self._suspend_for_misuse(strike, count, actor)

    async def _suspend_for_misuse(self, strike: NewStrike, count: int, trigger: Account) -> None:
        s = self._settings
        now = self._clock.now()
        notice = strike.kind is StrikeKind.NOTICE
        days = s.misuse_notice_suspension_days if notice else s.misuse_content_suspension_days
        until = now + days * 86400
        kind = ActionKind.SUSPEND_REPORTS if notice else ActionKind.BAN
        rule = "dsa.misuse_notices" if notice else "dsa.misuse_content"
        window = round(s.misuse_window_days)
        reason = (
            f"{count} manifestly unfounded reports in {window} days"
            if notice
            else f"{count} decisions on manifestly illegal content in {window} days"
        )
        account = await self._store.get_account(strike.account_id) if strike.account_id is not None else None
        ip_range = None
        if account is None:
            if not strike.ip:
                return
            ip_range = str(parse_ip_range(strike.ip))
        sanction = NewSanction(
            SanctionKind.REPORT_BAN if notice else SanctionKind.BAN,
            now,
            until,
            account_id=account.id if account else None,
            ip_range=ip_range,
        )
        statement = None
        if account is not None:
            if account.lang != "fr":
                facts = reason + "."
            elif notice:
                facts = f"{count} signalements manifestement infondés en {window} jours."
            else:
                facts = f"{count} décisions sur des contenus manifestement illicites en {window} jours."
            statement = self.statement(
                kind,
                account,
                rule=rule,
                facts=facts,
                source=Source.OWN_INITIATIVE,
                until=until,
                scope="",
                has_duration=True,
                automated=True,
            )
        target = f"account:{account.id}" if account else f"ip:{ip_range}"
        plan = ActionPlan(
            kind=kind,
            actor_id=None,
            reason=reason,
            rule=rule,
            created_at=now,
            audit=AuditDraft(
                action=f"misuse.{kind.value}",
                target=target,
                actor_id=None,
                reason=reason,
                details={"strikes": count, "until": until, "rule": rule, "triggered_by": trigger.id},
            ),
            account_id=account.id if account else None,
            ip_range=ip_range,
            until=until,
            automated=True,
            sanctions=(sanction,),
            statement=statement,
        )
        committed = await self._mod.commit_action(plan)
        await self._changed()
        effects = _Effects(removed=[], restored=[])
        if not notice and account is not None:
            effects.close_account = account.id
        await self._after([committed], effects)

    async def misuse_totals(self, actor: Account, since: float) -> dict[str, int]:
        """Transparency report (DSA art. 24(1)(b)): strikes and suspensions for misuse, per type."""
        (await self.staff(actor)).require_global()
        return await self._mod.strike_totals(since)

    async def public_rooms(self) -> list[Room]:
        """The public rooms (the public report form lists them; it covers public rooms only)."""
        rooms = await self._store.list_rooms(include_kinds=[RoomKind.PUBLIC])
        return sorted(rooms, key=lambda r: r.name.casefold())

    async def nicknames(self, ids: Sequence[AccountId | None]) -> dict[int, str]:
        found = await self._store.get_accounts(i for i in ids if i is not None)
        return {int(k): v.nickname for k, v in found.items()}

    async def _after(self, committed: Sequence[Committed], effects: _Effects) -> None:
        """Publish, after the commit: statements, removals, reporters' outcomes, live effects."""
        for c in committed:
            if c.statement is not None:
                self._broker.publish_accounts(
                    [c.statement.account_id], SYSTEM, encode_event(statement_event(c.statement))
                )
        for m in effects.removed:
            self._publish_to_room(
                m.room_id, encode_event(Removed(room=self._slug(m.room_id), seq=m.seq, id=m.message_id))
            )
        for m in effects.restored:
            await self._republish(m)
            key = (m.author_id, m.room_id)
            if key in self._posted:
                self._posted[key] += 1
        if effects.kick is not None:
            account, room_id = effects.kick
            until = self._active.room_ban(account, room_id, self._clock.now())
            kicked = Kicked(room=self._slug(room_id), until=until_ms(until.until) if until else None)
            self._broker.publish_accounts([account], SYSTEM, encode_event(kicked))
            self._live(op="kick", account=int(account), room=int(room_id))
        if effects.close_account is not None:
            self._live(op="close", account=int(effects.close_account), code=BAN_CLOSE_CODE, reason="banned")
        if effects.close_room is not None:
            self._live(op="close_room", room=int(effects.close_room))
        if effects.room_state is not None:
            self._publish_room_state(effects.room_state)
        if effects.lifted_notice is not None:
            account_obj = await self._store.get_account(effects.lifted_notice)
            lang = account_obj.lang if account_obj else self._settings.default_lang
            text = "Une sanction a été levée." if lang == "fr" else "A sanction was lifted."
            self._broker.publish_accounts(
                [effects.lifted_notice], SYSTEM, encode_event(Notice(code="sanction_lifted", message=text))
            )
        await self._tell_reporters([r for c in committed for r in c.reports])

    def _slug(self, room_id: RoomId) -> str:
        room = self._rooms.cached(room_id)
        return room.slug if room is not None else str(room_id)

    def _publish_to_room(self, room_id: RoomId, payload: bytes) -> None:
        room = self._rooms.cached(room_id)
        if room is not None and room.is_direct:
            assert room.dm_a is not None and room.dm_b is not None
            self._broker.publish_accounts([room.dm_a, room.dm_b], SYSTEM, payload)
        else:
            self._broker.publish_room(room_id, None, SYSTEM, payload)

    async def _republish(self, m: ContextMessage) -> None:
        """A restored message is sent again as a ``message`` event (with its original ``seq``)."""
        room = await self._rooms.by_id(m.room_id)
        views = await self._store.messages_by_ids([m.message_id])
        if not views:
            return
        event: Message = self._messages.render(views[0], room)
        self._publish_to_room(room.id, encode_event(event))

    def _publish_room_state(self, room_id: RoomId) -> None:
        safety = self._safety.get(room_id, PRESETS["discussion"])
        room = self._rooms.cached(room_id)
        if room is None:
            return
        event = RoomState(
            room=room.slug,
            slow_mode=safety.slow_mode_seconds,
            locked=safety.locked,
            closed=safety.closed,
            min_account_age_minutes=safety.min_account_age_minutes,
            pictures=safety.pictures and not self._emergency.pictures_off,
        )
        self._broker.publish_room(room_id, None, SYSTEM, encode_event(event))

    async def _tell_reporters(self, reports: Sequence[Report]) -> None:
        """Tell each signed-in reporter the outcome (DSA art. 16(5)); it is also listed on /reports/mine."""
        named = [r for r in reports if r.reporter_id is not None and r.outcome is not None]
        if not named:
            return
        accounts = await self._store.get_accounts(r.reporter_id for r in named if r.reporter_id is not None)
        for r in named:
            assert r.reporter_id is not None and r.outcome is not None
            account = accounts.get(r.reporter_id)
            lang = account.lang if account else self._settings.default_lang
            event = ReportOutcome(
                report=r.id,
                outcome=r.outcome.value,
                message=report_outcome_text(r.outcome, lang, self._settings.appeal_days),
            )
            self._broker.publish_accounts([r.reporter_id], SYSTEM, encode_event(event))

    def statement(
        self,
        kind: ActionKind,
        account: Account,
        *,
        rule: str,
        facts: str,
        source: Source,
        until: float | None,
        scope: str,
        has_duration: bool,
        automated: bool = False,
    ) -> NewStatement:
        now = self._clock.now()
        lang = account.lang if account.lang in ("fr", "en") else self._settings.default_lang
        texts = statement_texts(
            kind,
            lang,
            rule=rule,
            facts=facts,
            source=source,
            automated=automated,
            until=until,
            scope=scope,
            appeal_days=self._settings.appeal_days,
            has_duration=has_duration,
        )
        return NewStatement(
            account_id=account.id,
            lang=lang,
            kind=kind,
            decision=texts["decision"],
            facts=texts["facts"],
            source=source,
            automated=automated,
            ground=texts["ground"],
            redress=texts["redress"],
            rule=rule,
            created_at=now,
            appeal_until=now + self._settings.appeal_days * 86400,
            until=until,
            scope=scope,
        )

    def safety_of(self, room_id: RoomId) -> RoomSafety:
        return self._safety.get(room_id, PRESETS["discussion"])

    # -- statements and appeals (DSA art. 20) ---------------------------------------------------

    async def statements(self, account: Account) -> list[Statement]:
        return await self._mod.statements_of(account.id)

    async def appeals_of(self, account: Account) -> list[Appeal]:
        return await self._mod.appeals_of(account.id)

    async def appeal(self, account: Account, statement_id: int, text: str) -> Appeal:
        s = self._settings
        statement = await self._mod.get_statement(statement_id)
        if statement is None or statement.account_id != account.id:
            raise CauserieError(ErrorCode.STATEMENT_NOT_FOUND)
        now = self._clock.now()
        if now > statement.appeal_until:
            raise CauserieError(ErrorCode.APPEAL_PERIOD_OVER)
        clean = sanitize_message(text, max_combining=s.max_combining_marks)
        if not clean:
            raise CauserieError(ErrorCode.BAD_REQUEST, "say why you contest the decision")
        if len(clean) > s.appeal_text_max_chars:
            raise CauserieError(ErrorCode.BAD_REQUEST, f"text: at most {s.appeal_text_max_chars} characters")
        action = await self._mod.get_action(statement.action_id)
        acted_by = action.actor_id if action else None
        audit = AuditDraft(
            action="appeal.file",
            target=f"statement:{statement.id}",
            actor_id=account.id,
            details={"action_id": statement.action_id},
        )
        appeal = await self._mod.create_appeal(statement, clean, acted_by, now, audit)
        targets = [a for a in self._global_staff if a != acted_by]
        if targets:
            note = Notice(code="appeal_filed", message=f"appeal {appeal.id}")
            self._broker.publish_accounts(targets, SYSTEM, encode_event(note))
        return appeal

    async def list_appeals(self, actor: Account, status: str | None, limit: int = 100) -> list[Appeal]:
        (await self.staff(actor)).require_global()
        try:
            wanted = AppealStatus(status) if status else None
        except ValueError:
            raise CauserieError(ErrorCode.BAD_REQUEST, "status: open, upheld or reversed") from None
        return await self._mod.list_appeals(wanted, max(1, min(limit, self._settings.moderation_page_max)))

    async def appeal_view(self, actor: Account, appeal_id: int) -> tuple[Appeal, Statement | None, ActionRecord | None]:
        (await self.staff(actor)).require_global()
        appeal = await self._mod.get_appeal(appeal_id)
        if appeal is None:
            raise CauserieError(ErrorCode.APPEAL_NOT_FOUND)
        return appeal, await self._mod.get_statement(appeal.statement_id), await self._mod.get_action(appeal.action_id)

    async def decide_appeal(self, actor: Account, appeal_id: int, reverse: bool, reason: str) -> Appeal:
        """Decide an appeal. The moderator who took the decision may not decide its appeal (art. 20(6))."""
        staff = await self.staff(actor)
        staff.require_global()
        appeal = await self._mod.get_appeal(appeal_id)
        if appeal is None:
            raise CauserieError(ErrorCode.APPEAL_NOT_FOUND)
        if appeal.status is not AppealStatus.OPEN:
            raise CauserieError(ErrorCode.APPEAL_DECIDED)
        if appeal.acted_by is not None and appeal.acted_by == actor.id:
            raise CauserieError(ErrorCode.APPEAL_SAME_MODERATOR)
        clean = sanitize_message(reason or "", max_combining=self._settings.max_combining_marks)
        if not clean:
            raise CauserieError(ErrorCode.BAD_REQUEST, "a reason is required")
        now = self._clock.now()
        original = await self._mod.get_action(appeal.action_id)
        if original is None:
            raise CauserieError(ErrorCode.APPEAL_NOT_FOUND)
        if not reverse:
            audit = AuditDraft(
                action="appeal.uphold",
                target=f"appeal:{appeal.id}",
                actor_id=actor.id,
                reason=clean,
                details={"action_id": original.id},
            )
            decided = await self._mod.close_appeal(appeal.id, AppealStatus.UPHELD, actor.id, clean, now, audit)
        else:
            kind = REVERSAL.get(original.kind, ActionKind.REVERSE_DECISION)
            restored = (
                await self._mod.messages_meta(original.message_ids)
                if original.kind in (ActionKind.REMOVE_MESSAGE, ActionKind.REMOVE_RECENT)
                else []
            )
            restored = [m for m in restored if m.state == MessageState.REMOVED.value]
            plan = ActionPlan(
                kind=kind,
                actor_id=actor.id,
                reason=clean,
                rule=original.rule,
                created_at=now,
                audit=AuditDraft(
                    action=f"appeal.reverse.{kind.value}",
                    target=f"appeal:{appeal.id}",
                    actor_id=actor.id,
                    reason=clean,
                    details={"reverses": original.id, "appeal_id": appeal.id},
                ),
                account_id=original.account_id,
                room_id=original.room_id,
                message_ids=tuple(m.message_id for m in restored),
                ip_range=original.ip_range,
                reverses=original.id,
                lifts=(Lift(action_id=original.id),),
                message_state=MessageState.VISIBLE if restored else None,
                appeal=(appeal.id, AppealStatus.REVERSED, clean),
            )
            await self._mod.commit_action(plan)
            await self._changed()
            for m in restored:
                await self._republish(m)
            decided_or_none = await self._mod.get_appeal(appeal.id)
            assert decided_or_none is not None
            decided = decided_or_none
        account = await self._store.get_account(appeal.account_id)
        lang = account.lang if account else self._settings.default_lang
        if reverse:
            text = (
                "Votre recours a été accepté : la décision est annulée."
                if lang == "fr"
                else "Your appeal was accepted: the decision is reversed."
            )
        else:
            text = (
                "Votre recours a été examiné par un autre modérateur : la décision est maintenue. "
                "Vous pouvez saisir un organisme de règlement extrajudiciaire certifié ou la justice."
                if lang == "fr"
                else "Your appeal was reviewed by another moderator: the decision stands. "
                "You may turn to a certified out-of-court dispute settlement body or a court."
            )
        event = AppealDecided(
            appeal=decided.id, statement=decided.statement_id, status=decided.status.value, message=text
        )
        self._broker.publish_accounts([appeal.account_id], SYSTEM, encode_event(event))
        return decided

    # -- room safety presets --------------------------------------------------------------------

    async def room_settings(self, account: Account, slug: str) -> tuple[Room, RoomSafety]:
        room = await self._rooms.access_room(account, slug)
        if room.is_direct:
            raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
        return room, self.safety_of(room.id)

    async def set_room_settings(
        self, actor: Account, slug: str, preset: str | None, overrides: dict[str, Any]
    ) -> RoomSafety:
        """Owners, room moderators (their room only) and global staff pick a preset and adjust it.
        Lock and close are actions."""
        room = await self._rooms.get(slug)
        if room.is_direct:
            raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
        staff = await self.staff(actor)
        staff.require_room(room.id)
        current = self.safety_of(room.id)
        slow = overrides.get("slow_mode_seconds")
        if slow is not None and not 0 <= int(slow) <= 3600:
            raise CauserieError(ErrorCode.BAD_REQUEST, "slow_mode_seconds: 0 to 3600")
        min_age = overrides.get("min_account_age_minutes")
        if min_age is not None and not 0 <= int(min_age) <= 7 * 24 * 60:
            raise CauserieError(ErrorCode.BAD_REQUEST, "min_account_age_minutes: 0 to 10080")
        if preset is not None:
            safety = apply_preset(preset, locked=current.locked, closed=current.closed, **overrides)
        else:
            safety = adjust(current, **overrides)
        audit = AuditDraft(
            action="room.settings",
            target=f"room:{room.id}",
            actor_id=actor.id,
            details={"room": room.slug, "settings": safety.to_json(), "before": current.to_json()},
        )
        await self._mod.set_room_safety(room.id, safety, actor.id, self._clock.now(), audit)
        await self._changed()
        self._publish_room_state(room.id)
        return safety

    @staticmethod
    def presets() -> dict[str, RoomSafety]:
        return {name: PRESETS[name] for name in PRESET_NAMES}

    # -- emergency level ------------------------------------------------------------------------

    async def set_emergency(self, actor: Account | None, level: int, reason: str) -> EmergencyPolicy:
        """Admins raise or lower the operator-wide level; audited; takes effect at once everywhere."""
        if actor is not None:
            (await self.staff(actor)).require_admin()
        policy = emergency_policy(level, self._read_only_minutes())
        clean = sanitize_message(reason or "", max_combining=self._settings.max_combining_marks)
        if not clean:
            raise CauserieError(ErrorCode.BAD_REQUEST, "a reason is required")
        before = self._emergency.level
        audit = AuditDraft(
            action="emergency.level",
            target="operator",
            actor_id=actor.id if actor else None,
            reason=clean,
            details={"level": level, "before": before, "policy": policy.to_json()},
        )
        await self._mod.set_operator_state(
            "emergency", {"level": level}, actor.id if actor else None, self._clock.now(), audit
        )
        await self._changed()
        self._broker.publish_all(encode_event(SafetyLevel(level=level)))
        return policy


def statement_event(st: Statement) -> StatementEvent:
    return StatementEvent(
        id=st.id,
        kind=st.kind.value,
        decision=st.decision,
        facts=st.facts,
        source=st.source.value,
        automated=st.automated,
        ground=st.ground,
        rule=st.rule,
        redress=st.redress,
        ts=ms(st.created_at),
        appeal_until=ms(st.appeal_until),
        until=until_ms(st.until),
        scope=st.scope,
    )


class _PlanBuilder:
    """Turns one ``ActionRequest`` into the plans to commit (one per affected user) and their effects."""

    def __init__(
        self,
        service: ModerationService,
        actor: Account,
        staff: Staff,
        kind: ActionKind,
        reason: str,
        rule: str,
        case: Case | None,
        req: ActionRequest,
    ) -> None:
        self.m = service
        self.actor = actor
        self.staff = staff
        self.kind = kind
        self.reason = reason
        self.rule = rule
        self.case = case
        self.req = req
        self.now = service._clock.now()
        self.source = Source.NOTICE if case is not None else Source.OWN_INITIATIVE
        self.effects = _Effects(removed=[], restored=[])

    async def build(self) -> tuple[list[ActionPlan], _Effects]:
        k = self.kind
        if k in (ActionKind.REMOVE_MESSAGE, ActionKind.RESTORE_MESSAGE):
            return await self._messages(), self.effects
        if k is ActionKind.REMOVE_RECENT:
            return await self._remove_recent(), self.effects
        if k in (ActionKind.WARN, ActionKind.MUTE, ActionKind.KICK, ActionKind.BAN, ActionKind.SHADOW_HIDE):
            return [await self._on_user()], self.effects
        if k in (ActionKind.BAN_IP, ActionKind.LIFT_IP_BAN):
            return [await self._ip()], self.effects
        if k in (ActionKind.BAN_DEVICE, ActionKind.LIFT_DEVICE_BAN):
            return [await self._device()], self.effects
        if k in (ActionKind.SUSPEND_REPORTS, ActionKind.LIFT_REPORT_SUSPENSION):
            return [await self._reports_suspension()], self.effects
        if k in (ActionKind.UNMUTE, ActionKind.UNBAN, ActionKind.UNSHADOW):
            return [await self._lift()], self.effects
        if k in (ActionKind.SLOW_MODE, ActionKind.LOCK_ROOM, ActionKind.CLOSE_ROOM, ActionKind.REOPEN_ROOM):
            return [await self._room_action()], self.effects
        if k in (ActionKind.ESCALATE, ActionKind.DISMISS):
            return [await self._case_only()], self.effects
        raise CauserieError(ErrorCode.BAD_REQUEST, "unsupported action")

    # -- helpers --------------------------------------------------------------------------------

    def _closing(self, last: bool) -> tuple[str, Outcome] | None:
        if self.case is None or self.req.keep_open or not last or self.kind is ActionKind.ESCALATE:
            return None
        outcome = Outcome.NO_ACTION if self.kind is ActionKind.DISMISS else Outcome.ACTION_TAKEN
        return self.kind.value, outcome

    def _plan(
        self, *, target: str, last: bool = True, details: dict[str, Any] | None = None, **fields: Any
    ) -> ActionPlan:
        audit = AuditDraft(
            action=f"action.{self.kind.value}",
            target=target,
            actor_id=self.actor.id,
            reason=self.reason,
            details={"rule": self.rule, "case_id": self.case.id if self.case else None, **(details or {})},
        )
        account_id = fields.get("account_id")
        if (
            "strikes" not in fields
            and self.kind in CONTENT_STRIKE_KINDS
            and self.rule.startswith("law.")
            and account_id is not None
            and fields.get("statement") is not None
        ):
            # DSA art. 23(1): a decision on manifestly illegal content is a strike against its author
            case_id = self.case.id if self.case else None
            fields["strikes"] = (NewStrike(StrikeKind.CONTENT, self.now, account_id=account_id, case_id=case_id),)
        return ActionPlan(
            kind=self.kind,
            actor_id=self.actor.id,
            reason=self.reason,
            rule=self.rule,
            created_at=self.now,
            audit=audit,
            case_id=self.case.id if self.case else None,
            close_case=self._closing(last),
            **fields,
        )

    async def _target(self) -> Account:
        req = self.req
        if req.user or req.account_id is not None:
            return await self.m._account_by(req.user, req.account_id)
        if self.case is not None and self.case.account_id is not None:
            found = await self.m._store.get_account(self.case.account_id)
            if found is not None:
                return found
        raise CauserieError(ErrorCode.BAD_REQUEST, "a user (nickname or account id) is required")

    async def _room(self, required: bool) -> Room | None:
        slug = self.req.room
        if slug is None:
            if required:
                raise CauserieError(ErrorCode.BAD_REQUEST, "a room is required")
            return None
        room = await self.m._rooms.get(slug)
        if room.is_direct:
            raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
        self.staff.require_room(room.id)
        return room

    def _duration(self, default_seconds: float | None) -> float | None:
        seconds = self.req.duration_seconds if self.req.duration_seconds is not None else default_seconds
        if seconds is None:
            return None
        if seconds <= 0 or seconds > 100 * 365 * 86400:
            raise CauserieError(ErrorCode.BAD_REQUEST, "duration_seconds must be positive")
        return self.now + seconds

    def _facts(self, extra: str = "") -> str:
        parts = [self.reason]
        if extra:
            parts.append(extra)
        return " ".join(parts)

    def _scope_room(self, room: Room | None, lang: str) -> str:
        if room is None:
            return "tous les salons et messages privés" if lang == "fr" else "all rooms and private messages"
        return f"salon « {room.name} »" if lang == "fr" else f"room “{room.name}”"

    # -- message removal / restoration (bulk: one plan per author) ------------------------------

    async def _messages(self) -> list[ActionPlan]:
        ids = list(dict.fromkeys(self.req.message_ids))
        if not ids and self.case is not None and self.case.message_id is not None:
            ids = [self.case.message_id]
        if not ids:
            raise CauserieError(ErrorCode.BAD_REQUEST, "message_ids is required")
        if len(ids) > self.m._settings.bulk_max_messages:
            raise CauserieError(ErrorCode.BAD_REQUEST, f"at most {self.m._settings.bulk_max_messages} messages")
        metas = await self.m._mod.messages_meta(ids)
        if len(metas) != len(ids):
            raise CauserieError(ErrorCode.NOT_FOUND, "a selected message does not exist")
        for meta in metas:
            room = await self.m._rooms.by_id(meta.room_id)
            if room.is_direct:
                self.staff.require_global()
            else:
                self.staff.require_room(room.id)
        by_author: dict[AccountId, list[ContextMessage]] = {}
        for meta in metas:
            by_author.setdefault(meta.author_id, []).append(meta)
        restoring = self.kind is ActionKind.RESTORE_MESSAGE
        authors = await self.m._store.get_accounts(by_author)
        plans: list[ActionPlan] = []
        for n, (author_id, msgs) in enumerate(by_author.items()):
            last = n == len(by_author) - 1
            if restoring:
                changed = [m for m in msgs if m.state in (MessageState.REMOVED.value, MessageState.HELD.value)]
                self.effects.restored += changed
            else:
                changed = [m for m in msgs if m.state != MessageState.REMOVED.value]
                self.effects.removed += changed
            rooms = {m.room_id for m in msgs}
            statement = None
            author = authors.get(author_id)
            if not restoring and author is not None:
                room_names = []
                for room_id in sorted(rooms):
                    room = await self.m._rooms.by_id(room_id)
                    private = "message privé" if author.lang == "fr" else "private message"
                    room_names.append(room.name if not room.is_direct else private)
                quoted = " | ".join(f"« {m.text[:200]} »" for m in msgs[:5])
                statement = self.m.statement(
                    self.kind,
                    author,
                    rule=self.rule,
                    facts=self._facts(quoted),
                    source=self.source,
                    until=None,
                    scope=", ".join(room_names),
                    has_duration=False,
                )
            plans.append(
                self._plan(
                    target=f"account:{author_id}",
                    last=last,
                    details={"message_ids": [m.message_id for m in msgs]},
                    account_id=author_id,
                    room_id=next(iter(rooms)) if len(rooms) == 1 else None,
                    message_ids=tuple(m.message_id for m in changed),
                    message_state=MessageState.VISIBLE if restoring else MessageState.REMOVED,
                    statement=statement,
                )
            )
        return plans

    async def _remove_recent(self) -> list[ActionPlan]:
        s = self.m._settings
        target = await self._target()
        since = self.now - s.remove_recent_hours * 3600
        msgs = await self.m._mod.recent_messages_of(target.id, since, s.remove_recent_max, include_direct=True)
        self.effects.removed += msgs
        hours = round(s.remove_recent_hours)
        scope = f"{len(msgs)} messages, {hours} h"
        statement = self.m.statement(
            self.kind,
            target,
            rule=self.rule,
            facts=self._facts(),
            source=self.source,
            until=None,
            scope=scope,
            has_duration=False,
        )
        return [
            self._plan(
                target=f"account:{target.id}",
                details={"count": len(msgs)},
                account_id=target.id,
                message_ids=tuple(m.message_id for m in msgs),
                message_state=MessageState.REMOVED,
                statement=statement,
            )
        ]

    # -- sanctions on a user --------------------------------------------------------------------

    async def _on_user(self) -> ActionPlan:
        s = self.m._settings
        k = self.kind
        target = await self._target()
        if target.id == self.actor.id:
            raise CauserieError(ErrorCode.BAD_REQUEST, "you cannot act on yourself")
        if target.id in self.m._global_staff and not self.staff.is_admin:
            raise CauserieError(ErrorCode.FORBIDDEN)
        room: Room | None = None
        if k is ActionKind.KICK:
            room = await self._room(required=True)
        elif k in (ActionKind.WARN, ActionKind.MUTE):
            room = await self._room(required=False)
            if room is None:
                self.staff.require_global()
        sanctions: list[NewSanction] = []
        until: float | None = None
        has_duration = False
        if k is ActionKind.MUTE:
            until = self._duration(s.mute_default_minutes * 60)
            has_duration = True
            sanctions.append(
                NewSanction(SanctionKind.MUTE, self.now, until, account_id=target.id, room_id=room.id if room else None)
            )
        elif k is ActionKind.KICK:
            assert room is not None
            until = self._duration(s.kick_default_minutes * 60)
            has_duration = True
            sanctions.append(NewSanction(SanctionKind.ROOM_BAN, self.now, until, account_id=target.id, room_id=room.id))
            self.effects.kick = (target.id, room.id)
        elif k is ActionKind.BAN:
            until = self._duration(None)
            has_duration = True
            sanctions.append(NewSanction(SanctionKind.BAN, self.now, until, account_id=target.id))
            if self.req.also_ban_ip:
                ip = await self.m._mod.last_ip(target.id)
                if ip is None:
                    raise CauserieError(ErrorCode.BAD_REQUEST, "no known address for this user")
                net = str(parse_ip_range(ip))
                sanctions.append(NewSanction(SanctionKind.IP_BAN, self.now, until, account_id=target.id, ip_range=net))
            if self.req.also_ban_device:
                devices = await self.m._mod.devices_of(target.id, DEVICE_BAN_MAX)
                if not devices:
                    raise CauserieError(ErrorCode.BAD_REQUEST, "no known device for this user")
                sanctions += [
                    NewSanction(SanctionKind.DEVICE_BAN, self.now, until, account_id=target.id, device_id=d)
                    for d in devices
                ]
            self.effects.close_account = target.id
        elif k is ActionKind.SHADOW_HIDE:
            until = self._duration(None)
            has_duration = True
            sanctions.append(NewSanction(SanctionKind.SHADOW, self.now, until, account_id=target.id))
        scope = "" if k in (ActionKind.BAN, ActionKind.SHADOW_HIDE) else self._scope_room(room, target.lang)
        statement = self.m.statement(
            k,
            target,
            rule=self.rule,
            facts=self._facts(),
            source=self.source,
            until=until,
            scope=scope,
            has_duration=has_duration,
        )
        return self._plan(
            target=f"account:{target.id}",
            details={"room": room.slug if room else None, "until": until},
            account_id=target.id,
            room_id=room.id if room else None,
            until=until,
            sanctions=tuple(sanctions),
            statement=statement,
            ip_range=next((x.ip_range for x in sanctions if x.ip_range), None),
        )

    def _site_wide_statement(self, target: Account | None, until: float | None) -> NewStatement | None:
        """The statement of reasons of a site-wide measure (an address or device ban, a reports
        suspension), when it names an account."""
        if target is None:
            return None
        return self.m.statement(
            self.kind,
            target,
            rule=self.rule,
            facts=self._facts(),
            source=self.source,
            until=until,
            scope="",
            has_duration=True,
        )

    async def _ip(self) -> ActionPlan:
        req = self.req
        target: Account | None = None
        if req.user or req.account_id is not None or (self.case is not None and self.case.account_id is not None):
            target = await self._target()
        if req.ip_range:
            net = str(parse_ip_range(req.ip_range))
        elif target is not None:
            ip = await self.m._mod.last_ip(target.id)
            if ip is None:
                raise CauserieError(ErrorCode.BAD_REQUEST, "no known address for this user: give ip_range")
            net = str(parse_ip_range(ip))
        else:
            raise CauserieError(ErrorCode.BAD_REQUEST, "ip_range or a user is required")
        if self.kind is ActionKind.LIFT_IP_BAN:
            self.effects.lifted_notice = target.id if target else None
            return self._plan(
                target=f"ip:{net}",
                details={"ip_range": net},
                account_id=target.id if target else None,
                ip_range=net,
                lifts=(Lift(kind=SanctionKind.IP_BAN, ip_range=net),),
            )
        until = self._duration(None)
        statement = self._site_wide_statement(target, until)
        return self._plan(
            target=f"ip:{net}",
            details={"ip_range": net, "until": until},
            account_id=target.id if target else None,
            ip_range=net,
            until=until,
            sanctions=(
                NewSanction(
                    SanctionKind.IP_BAN, self.now, until, account_id=target.id if target else None, ip_range=net
                ),
            ),
            statement=statement,
        )

    async def _lift(self) -> ActionPlan:
        target = await self._target()
        kind = {
            ActionKind.UNMUTE: SanctionKind.MUTE,
            ActionKind.UNBAN: SanctionKind.BAN,
            ActionKind.UNSHADOW: SanctionKind.SHADOW,
        }[self.kind]
        room = await self._room(required=False) if self.kind is ActionKind.UNMUTE else None
        if self.kind is ActionKind.UNMUTE and room is None:
            self.staff.require_global()
        self.effects.lifted_notice = target.id
        return self._plan(
            target=f"account:{target.id}",
            details={"room": room.slug if room else None},
            account_id=target.id,
            room_id=room.id if room else None,
            lifts=(Lift(kind=kind, account_id=target.id, room_id=room.id if room else None),),
        )

    # -- rooms and cases ------------------------------------------------------------------------

    async def _room_action(self) -> ActionPlan:
        room = await self._room(required=True)
        assert room is not None
        current = self.m.safety_of(room.id)
        k = self.kind
        if k is ActionKind.SLOW_MODE:
            seconds = self.req.slow_mode_seconds
            if seconds is None or not 0 <= seconds <= 3600:
                raise CauserieError(ErrorCode.BAD_REQUEST, "slow_mode_seconds: 0 to 3600")
            safety = replace(current, slow_mode_seconds=seconds)
        elif k is ActionKind.LOCK_ROOM:
            safety = replace(current, locked=True)
        elif k is ActionKind.CLOSE_ROOM:
            safety = replace(current, closed=True)
            self.effects.close_room = room.id
        else:
            safety = replace(current, locked=False, closed=False)
        self.effects.room_state = room.id
        return self._plan(
            target=f"room:{room.id}",
            details={"room": room.slug, "settings": safety.to_json()},
            room_id=room.id,
            room_safety=safety,
        )

    async def _case_only(self) -> ActionPlan:
        if self.case is None:
            raise CauserieError(ErrorCode.BAD_REQUEST, "case_id is required")
        strikes: tuple[NewStrike, ...] = ()
        if self.req.unfounded:
            # DSA art. 23(2): each manifestly unfounded report is a strike against its reporter
            if self.kind is not ActionKind.DISMISS or self.req.keep_open:
                raise CauserieError(ErrorCode.BAD_REQUEST, "only a dismissal may mark reports manifestly unfounded")
            reports = await self.m._mod.case_reports(self.case.id)
            strikes = tuple(
                NewStrike(
                    StrikeKind.NOTICE,
                    self.now,
                    account_id=r.reporter_id,
                    ip=r.reporter_ip if r.reporter_id is None else None,
                    report_id=r.id,
                    case_id=self.case.id,
                )
                for r in reports
                if r.outcome is None and (r.reporter_id is not None or r.reporter_ip)
            )
        return self._plan(
            target=f"case:{self.case.id}",
            details={"unfounded": len(strikes)} if self.req.unfounded else None,
            escalate_case=self.kind is ActionKind.ESCALATE,
            account_id=self.case.account_id,
            strikes=strikes,
        )

    # -- device bans and report suspensions ---------------------------------------------------------

    async def _device(self) -> ActionPlan:
        req = self.req
        target: Account | None = None
        if req.user or req.account_id is not None or (self.case is not None and self.case.account_id is not None):
            target = await self._target()
            if target.id == self.actor.id:
                raise CauserieError(ErrorCode.BAD_REQUEST, "you cannot act on yourself")
            if target.id in self.m._global_staff and not self.staff.is_admin:
                raise CauserieError(ErrorCode.FORBIDDEN)
        if req.device_id:
            device = req.device_id.strip().lower()
            if not _DEVICE_ID.fullmatch(device):
                raise CauserieError(ErrorCode.BAD_REQUEST, "device_id: 32 hexadecimal characters")
            devices = [device]
        elif target is not None:
            devices = await self.m._mod.devices_of(target.id, DEVICE_BAN_MAX)
            if not devices:
                raise CauserieError(ErrorCode.BAD_REQUEST, "no known device for this user: give device_id")
        else:
            raise CauserieError(ErrorCode.BAD_REQUEST, "device_id or a user is required")
        tag = devices[0] if len(devices) == 1 else f"{len(devices)} devices"
        if self.kind is ActionKind.LIFT_DEVICE_BAN:
            self.effects.lifted_notice = target.id if target else None
            lifts: tuple[Lift, ...]
            if req.device_id:
                lifts = (Lift(kind=SanctionKind.DEVICE_BAN, device_id=devices[0]),)
            else:
                assert target is not None
                lifts = tuple(Lift(kind=SanctionKind.DEVICE_BAN, device_id=d) for d in devices)
            return self._plan(
                target=f"device:{tag}",
                details={"devices": devices},
                account_id=target.id if target else None,
                lifts=lifts,
            )
        until = self._duration(None)
        statement = self._site_wide_statement(target, until)
        return self._plan(
            target=f"device:{tag}",
            details={"devices": devices, "until": until},
            account_id=target.id if target else None,
            until=until,
            sanctions=tuple(
                NewSanction(
                    SanctionKind.DEVICE_BAN, self.now, until, account_id=target.id if target else None, device_id=d
                )
                for d in devices
            ),
            statement=statement,
        )

    async def _reports_suspension(self) -> ActionPlan:
        """A moderator suspends (or lifts) a user's reports by hand; the usual path is automatic."""
        target = await self._target()
        if self.kind is ActionKind.LIFT_REPORT_SUSPENSION:
            self.effects.lifted_notice = target.id
            return self._plan(
                target=f"account:{target.id}",
                account_id=target.id,
                lifts=(Lift(kind=SanctionKind.REPORT_BAN, account_id=target.id),),
            )
        until = self._duration(self.m._settings.misuse_notice_suspension_days * 86400)
        statement = self._site_wide_statement(target, until)
        return self._plan(
            target=f"account:{target.id}",
            details={"until": until},
            account_id=target.id,
            until=until,
            sanctions=(NewSanction(SanctionKind.REPORT_BAN, self.now, until, account_id=target.id),),
            statement=statement,
        )
