"""Automated safety on the message path: the rules engine before sending, analysers after.

May import: ``causerie.safety``, ``causerie.domain``, ``causerie.storage.base``, ``causerie.broker.base``,
``causerie.protocol``, ``causerie.clock``, ``causerie.config``, ``causerie.errors``, ``causerie.ids``, the
other services.

- ``check`` (a ``MessageService.pre_send`` check, synchronous, microseconds): **block** refuses the
  message (``message_blocked``); **hold** stores it as ``held`` — the author sees it as sent, nobody
  else until a moderator restores it; **flag** lets it through. Held and flagged messages become
  automated notices in the moderation queue (after the commit). For a room message only the rules
  run here: the analysers that can only flag there (phone numbers, minor self-disclosure, meet-up
  proposals) run in ``after_send`` (``defer_flags``), since a flag does not change delivery.
- ``after_send`` (a ``post_send`` hook, off the hot path): the behaviour and conversation analysers
  (grooming over the last messages of a private conversation, bot farms, mass contact, meet-up
  risk) raise flags with their evidence, and a meet-up risk sends the **recipient** a safety nudge.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from causerie.broker.base import Broker
from causerie.clock import Clock
from causerie.domain.entities import InsertResult
from causerie.domain.moderation import CATEGORY_BASE, ReportCategory
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import Nudge
from causerie.safety import ChatLine, SafetyEngine, Verdict
from causerie.storage.base import Store

if TYPE_CHECKING:
    from causerie.services.messages import SendContext
    from causerie.services.moderation import ModerationService
    from causerie.services.privileges import PrivilegeService

log = logging.getLogger(__name__)

# safety category -> the notice category moderators triage by (child safety first)
REPORT_CATEGORY: dict[str, ReportCategory] = {
    "child_abuse_trade": ReportCategory.CHILD_SEXUAL_ABUSE,
    "minor_disclosure": ReportCategory.MINOR_AT_RISK,
    "grooming": ReportCategory.MINOR_AT_RISK,
    "meetup_risk": ReportCategory.VIOLENCE_THREAT_AMBUSH,
    "drug_sale": ReportCategory.DRUGS,
    "solicitation": ReportCategory.SEXUAL_SOLICITATION,
    "harassment": ReportCategory.HARASSMENT_HATE,
    "spam": ReportCategory.SCAM_SPAM,
    "bot_farm": ReportCategory.SCAM_SPAM,
    "contact_off_platform": ReportCategory.RULES_BREACH,
}
DM_WINDOW = 20  # messages of a private conversation the analysers look at


def report_category(categories: tuple[str, ...]) -> ReportCategory:
    found = [REPORT_CATEGORY[c] for c in categories if c in REPORT_CATEGORY] or [ReportCategory.RULES_BREACH]
    return max(found, key=lambda c: CATEGORY_BASE.get(c, 0))


class SafetyService:
    def __init__(self, engine: SafetyEngine, store: Store, broker: Broker, clock: Clock) -> None:
        self.engine = engine
        self._store = store
        self._broker = broker
        self._clock = clock
        self.moderation: ModerationService | None = None
        self.privileges: PrivilegeService | None = None  # a flag counts against a new account's record
        self._tasks: set[asyncio.Task[None]] = set()

    def check(self, ctx: SendContext) -> None:
        """Pre-send: block, hold or flag by the operator's rules (see the module docstring)."""
        if not ctx.text:
            return
        now = self._clock.now()
        verdict = self.engine.check_text(
            ctx.text,
            "dm" if ctx.recipient is not None else "room",
            sender_age=ctx.account.age,
            recipient_age=ctx.recipient.age if ctx.recipient is not None else None,
            account_age_seconds=max(0.0, now - ctx.account.created_at),
            defer_flags=True,  # a room's flag-only analysers run in after_send, off the hot path
        )
        if verdict.blocked:
            ctx.verdict = verdict
            self._flag_later(ctx, verdict, None)
            raise CauserieError(ErrorCode.MESSAGE_BLOCKED)
        if verdict.held:
            ctx.hidden = True
            ctx.held = True
        if not verdict.allowed or verdict.nudge:
            ctx.verdict = verdict

    async def after_send(self, ctx: SendContext, result: InsertResult) -> None:
        """Post-send: analysers over behaviour and the conversation; flags and nudges."""
        try:
            presend = ctx.verdict if isinstance(ctx.verdict, Verdict) else None
            window: list[ChatLine] = []
            if ctx.recipient is not None:
                views, _ = await self._store.messages_before(ctx.room.id, result.seq + 1, DM_WINDOW)
                window = [ChatLine(v.author.nick, v.text, v.created_at) for v in views]
            found = self.engine.post_send(
                ctx.account.nickname,
                ctx.text,
                recipient=ctx.recipient.nickname if ctx.recipient is not None else None,
                room=None if ctx.recipient is not None else ctx.room.slug,
                window=window,
                sender_age=ctx.account.age,
                recipient_age=ctx.recipient.age if ctx.recipient is not None else None,
                account_age_seconds=max(0.0, result.created_at - ctx.account.created_at),
                at=result.created_at,
                presend=presend,
                deferred_flags=True,
            )
            verdict = presend.merge(found) if presend is not None else found
            if verdict.flagged:
                await self._flag(ctx, verdict, result.id)
            nudge = verdict.nudge or (presend.nudge if presend is not None else None)
            if nudge and ctx.recipient is not None and not ctx.hidden:
                event = Nudge(kind=nudge, room=ctx.room.slug, peer=ctx.account.nickname)
                self._broker.publish_accounts([ctx.recipient.id], AccountId(0), encode_event(event))
        except Exception:  # an analyser must never break delivery
            log.exception("post-send safety analysis failed")

    def _flag_later(self, ctx: SendContext, verdict: Verdict, message_id: int | None) -> None:
        """A blocked message is not stored: the flag is on the account (the sender)."""
        task = asyncio.get_running_loop().create_task(self._flag(ctx, verdict, message_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flag(self, ctx: SendContext, verdict: Verdict, message_id: int | None) -> None:
        if self.privileges is not None:
            self.privileges.mark(ctx.account)
        if self.moderation is None:
            return
        evidence = "; ".join(
            f"{e.category}: {', '.join(e.matched) if e.matched else e.source}" for e in verdict.evidence[:10]
        )
        details = f"[automated: {verdict.action.value}] {evidence}"[:1000]
        try:
            await self.moderation.flag(
                category=report_category(verdict.categories).value,
                details=details,
                message_id=message_id,
                account_id=ctx.account.id if message_id is None else None,
            )
        except CauserieError:
            log.warning("could not file an automated flag", exc_info=True)
