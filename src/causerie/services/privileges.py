"""Progressive privileges: what a new pseudonym may do, unlocked by time and a clean record.

May import: stdlib, ``causerie.broker.base``, ``causerie.clock``, ``causerie.config``, ``causerie.domain``,
``causerie.errors``, ``causerie.ids``, the other services (types only).

Public rooms are open at once. Four privileges unlock with time (``docs/safety.md``):

============== ====================================== ===========================================
privilege      what it allows                         setting (minutes after account creation)
============== ====================================== ===========================================
dm_strangers   a private message to someone who has   ``privilege_dm_strangers_minutes``
               not accepted you (no friendship, no
               accepted conversation)
links          a message containing a link            ``privilege_links_minutes``
pictures       a picture (upload and message)         ``media_new_account_minutes``
room_creation  creating a room                        ``privilege_room_creation_minutes``
============== ====================================== ===========================================

**Clean record.** A mark against the account *before a privilege unlocked* restarts that
privilege's clock from the mark: an automated flag raised on the account or one of its messages
(the mark is the flag's time), or a sanction (ban, shadow-hide, site-wide mute; the mark is the
sanction's *end*, so a privilege never unlocks during a sanction that began before it unlocked — a
permanent one keeps it locked). Once unlocked, a privilege stays unlocked (older accounts are the moderators' business,
through sanctions). Marks are kept in memory on every node (a ``privileges.mark`` broker notice
tells the others about flags; sanctions come from the moderation snapshot, and one seen in force
is remembered after it ends), so checking costs no database round trip. A restart forgets
automated flags.

The emergency level composes: it may switch private messages to strangers and pictures off for
everyone (``services.moderation``, which enforces it); :meth:`PrivilegeService.status` shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from causerie.broker.base import Broker
from causerie.clock import Clock, ms
from causerie.config import Settings
from causerie.domain.entities import Account, DmState
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId

if TYPE_CHECKING:
    from causerie.services.messages import SendContext
    from causerie.services.moderation import ModerationService

PRIVILEGES = ("dm_strangers", "links", "pictures", "room_creation")
MARK_TOPIC = "privileges.mark"
MAX_MARKS = 8  # per account

_TLDS = (
    "com|net|org|fr|be|ch|ca|uk|de|eu|io|co|me|ly|gg|tv|app|xyz|info|biz|ru|tk|link|site|online|club|top|shop|"
    "live|store|vip|win|pro|cc|to|sh|ai|us|onion"
)
LINK = re.compile(rf"(?i)(?:\bhttps?://|\bwww\.|\b[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.(?:{_TLDS})(?![a-z0-9-]))")


def has_link(text: str) -> bool:
    """A URL, ``www.…`` or a bare domain with a common top-level domain (``exemple.fr``)."""
    return "." in text and LINK.search(text) is not None


@dataclass(frozen=True, slots=True)
class PrivilegeStatus:
    name: str
    unlocked: bool
    until: float | None  # when it unlocks (seconds since the epoch); None: unlocked, or not by time
    reason: str | None  # "new_account", "record" (a mark restarted the clock), "emergency"

    def to_json(self, minutes: float) -> dict[str, object]:
        return {
            "name": self.name,
            "unlocked": self.unlocked,
            "until": ms(self.until) if self.until is not None else None,
            "reason": self.reason,
            "minutes": minutes,
        }


class PrivilegeService:
    def __init__(self, settings: Settings, clock: Clock, broker: Broker) -> None:
        self._settings = settings
        self._clock = clock
        self._broker = broker
        self.moderation: ModerationService | None = None  # sanctions in force, staff, emergency level
        self._marks: dict[AccountId, list[float]] = {}
        self._minutes = {
            "dm_strangers": settings.privilege_dm_strangers_minutes,
            "links": settings.privilege_links_minutes,
            "pictures": settings.media_new_account_minutes,
            "room_creation": settings.privilege_room_creation_minutes,
        }
        self._longest = max(0.0, *self._minutes.values()) * 60.0
        broker.subscribe(MARK_TOPIC, self._on_mark)

    def minutes(self, name: str) -> float:
        return max(0.0, self._minutes[name])

    # -- marks ----------------------------------------------------------------------------------

    def mark(self, account: Account, at: float | None = None) -> None:
        """An automated flag against ``account``: counted against a new account's record, every node."""
        at = self._clock.now() if at is None else at
        if not self._settings.privilege_clean_record or at - account.created_at >= self._longest:
            return  # every privilege was unlocked already
        self._broker.publish(MARK_TOPIC, f"{int(account.id)}:{at}".encode())

    def _on_mark(self, data: bytes) -> None:
        try:
            account_text, at_text = data.decode().split(":", 1)
            account, at = AccountId(int(account_text)), float(at_text)
        except ValueError:
            return
        marks = self._marks.setdefault(account, [])
        marks.append(at)
        marks.sort()
        del marks[:-MAX_MARKS]
        if len(self._marks) > 100_000:  # forget the oldest accounts' marks (they are long unlocked)
            for key in list(self._marks)[: len(self._marks) // 2]:
                del self._marks[key]

    def _all_marks(self, account: Account) -> tuple[list[float], list[tuple[float, float]]]:
        """(flag marks, sanctions in force as (start, end; inf when permanent))."""
        if not self._settings.privilege_clean_record:
            return [], []
        marks = list(self._marks.get(account.id, ()))
        sanctions: list[tuple[float, float]] = []
        if self.moderation is not None:
            for start, end in self.moderation.sanctions_in_force(account.id):
                if start - account.created_at >= self._longest:
                    continue  # after every privilege unlocked: the moderators' business
                sanctions.append((start, float("inf") if end is None else end))
                if end is not None and end not in marks:
                    self._on_mark(f"{int(account.id)}:{end}".encode())  # remembered after it ends
        return sorted(marks), sanctions

    # -- status ---------------------------------------------------------------------------------

    def unlock_at(
        self, account: Account, name: str, marks: tuple[list[float], list[tuple[float, float]]] | None = None
    ) -> tuple[float, str]:
        """When ``name`` unlocks for ``account``, and why it waits (``new_account`` or ``record``).

        A flag before the unlock restarts the clock from the flag; a sanction that began before the
        unlock holds it until the sanction's end plus the whole delay (never, while a permanent one
        lasts). What happens after a privilege unlocked does not lock it again."""
        span = self.minutes(name) * 60.0
        unlock, reason = account.created_at + span, "new_account"
        flags, sanctions = self._all_marks(account) if marks is None else marks
        for at in flags:  # sorted: a chain of flags keeps pushing the unlock
            if account.created_at <= at < unlock:
                unlock, reason = at + span, "record"
        for start, end in sanctions:
            if start < unlock and end + span > unlock:
                unlock, reason = end + span, "record"
        return unlock, reason

    def status(self, account: Account) -> list[PrivilegeStatus]:
        now = self._clock.now()
        marks = self._all_marks(account)
        emergency = self.moderation.emergency() if self.moderation is not None else None
        out: list[PrivilegeStatus] = []
        for name in PRIVILEGES:
            if emergency is not None and (
                (name == "dm_strangers" and emergency.dm_strangers_off)
                or (name == "pictures" and emergency.pictures_off)
            ):
                out.append(PrivilegeStatus(name, False, None, "emergency"))
                continue
            unlock, reason = self.unlock_at(account, name, marks)
            if now >= unlock:
                out.append(PrivilegeStatus(name, True, None, None))
            else:
                out.append(PrivilegeStatus(name, False, unlock if unlock != float("inf") else None, reason))
        return out

    def require(self, account: Account, name: str) -> None:
        """Refuse with ``privilege_locked`` (retry_after, until, privilege) while ``name`` is locked."""
        now = self._clock.now()
        if now - account.created_at >= self._longest and account.id not in self._marks:
            return  # the fast path: an account older than every privilege window, never marked
        unlock, _reason = self.unlock_at(account, name)
        if unlock == float("inf"):
            raise CauserieError(ErrorCode.PRIVILEGE_LOCKED, data={"privilege": name, "until": None})
        if now < unlock:
            raise CauserieError(
                ErrorCode.PRIVILEGE_LOCKED,
                retry_after=round(unlock - now, 1),
                data={"privilege": name, "until": ms(unlock)},
            )

    # -- the pre-send check -------------------------------------------------------------------

    def check_dm(self, account: Account, recipient: Account, recipient_state: DmState) -> None:
        """``MessageService.dm_checks``, before the conversation is opened: writing to someone who
        has not accepted you (no friendship, no accepted conversation) is ``dm_strangers``."""
        if recipient_state is not DmState.ACCEPTED:
            self.require(account, "dm_strangers")

    def check_send(self, ctx: SendContext) -> None:
        """``MessageService.pre_send``: links and pictures."""
        account = ctx.account
        if self._clock.now() - account.created_at >= self._longest and account.id not in self._marks:
            return
        if self.moderation is not None and self.moderation.is_room_staff(account.id, ctx.room):
            return
        if ctx.media is not None:
            self.require(account, "pictures")
        if ctx.text and has_link(ctx.text):
            self.require(account, "links")
