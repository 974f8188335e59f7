"""Flood control and progressive privileges on the real message path (SQLite, FakeClock).

Per-address message buckets, "new people" buckets for private messages, repeated-message detection
across rooms and private conversations, and privileges that unlock with time and a clean record.
The services run in process on a real database; time only moves when the test says so.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from causerie.bootstrap import offline_services
from causerie.broker.memory import MemoryRateLimiter
from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import Account, Room, RoomKind, dm_slug
from causerie.errors import CauserieError, ErrorCode
from causerie.protocol.messages import Ack
from causerie.services.accounts import EntryForm
from causerie.services.container import Services
from causerie.services.humancheck import HumanCheck, solve
from causerie.services.moderation import ActionRequest
from causerie.services.privileges import has_link
from support.names import nick

PASSWORD = "un mot de passe assez long"
ADDRESS = "203.0.113.5"
OTHER_ADDRESS = "198.51.100.9"
# every limit of issue 5 out of the way unless a test sets its own
QUIET: dict[str, Any] = {
    "seed_rooms": False,
    "ip_limits_exempt": [],
    "repeat_message_max": 0,
    "new_dms_per_account": 1000,
    "new_dms_per_ip": 1000,
    "rate_message_per_ip_burst": 1000,
    "rate_message_burst": 1000,
    "rate_message_per_second": 1000,
    "privilege_dm_strangers_minutes": 0,
    "privilege_links_minutes": 0,
    "privilege_room_creation_minutes": 0,
    "media_new_account_minutes": 0,
}


@dataclass
class World:
    s: Services
    clock: FakeClock

    async def guest(self) -> Account:
        _, account = await self.s.accounts.enter_guest(EntryForm(nick("g"), 30, "f", "75", True, "fr"))
        return account

    async def room(self, owner: Account) -> Room:
        return await self.s.rooms.create(owner, name=nick("Salon "), topic="", kind=RoomKind.PUBLIC)

    async def say(self, account: Account, room: Room, text: str, host: str | None = ADDRESS) -> Ack:
        cid = uuid.uuid4().hex[:12]
        return await self.s.messages.send_to_room(account, room, text, cid, None, joined=True, host=host)

    async def dm(self, account: Account, to: Account, text: str, host: str | None = ADDRESS) -> Ack:
        return await self.s.messages.send_direct(account, to, text, uuid.uuid4().hex[:12], None, host=host)


Make = Callable[..., Awaitable[World]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    async with contextlib.AsyncExitStack() as stack:

        async def build(**overrides: Any) -> World:
            clock = FakeClock()
            db = tmp_path / f"{uuid.uuid4().hex[:8]}.db"
            settings = Settings(database_url=f"sqlite:///{db}", **{**QUIET, **overrides})
            services = await stack.enter_async_context(offline_services(settings, clock))
            services.messages.start()
            stack.push_async_callback(services.messages.stop)
            return World(services, clock)

        yield build


async def refused(code: ErrorCode, call: Awaitable[Any]) -> CauserieError:
    with pytest.raises(CauserieError) as info:
        await call
    assert info.value.code is code, info.value
    return info.value


# -- per-address and new-people buckets --------------------------------------------------------


async def test_messages_per_address_are_shared_by_every_account_of_that_address(make: Make) -> None:
    w = await make(rate_message_per_ip_burst=3, rate_message_per_ip_per_second=0.5)
    a, b, c = await w.guest(), await w.guest(), await w.guest()
    room = await w.room(a)
    await w.say(a, room, "un")
    await w.say(b, room, "deux")
    await w.say(a, room, "trois")
    error = await refused(ErrorCode.RATE_LIMITED, w.say(b, room, "quatre"))  # a fresh account, same address
    assert error.retry_after is not None and 0 < error.retry_after <= 2
    await w.say(c, room, "ailleurs", host=OTHER_ADDRESS)  # another address has its own bucket
    await w.say(c, room, "en local", host="127.0.0.1")  # exempt networks are not counted by address
    w.clock.advance(2)
    await w.say(b, room, "quatre")


async def test_private_messages_to_new_people_have_their_own_buckets(make: Make) -> None:
    w = await make(new_dms_per_account=2, new_dms_per_ip=3, new_dms_window=3600)
    sender = await w.guest()
    first, second, third = await w.guest(), await w.guest(), await w.guest()
    await w.dm(sender, first, "salut")
    await w.dm(sender, second, "salut toi")
    error = await refused(ErrorCode.TOO_MANY_NEW_DMS, w.dm(sender, third, "et toi ?"))
    assert error.retry_after is not None and 0 < error.retry_after <= 1800
    await w.dm(sender, first, "on continue")  # a conversation already open is not "new people"
    await w.dm(first, sender, "oui")

    # per address: another account of the same address has the address's third, not a fourth
    other, fourth = await w.guest(), await w.guest()
    await w.dm(other, third, "coucou")
    await refused(ErrorCode.TOO_MANY_NEW_DMS, w.dm(other, fourth, "coucou"))
    await w.dm(await w.guest(), fourth, "coucou", host=OTHER_ADDRESS)

    w.clock.advance(1800)  # half the window: one more for the account
    await w.dm(sender, await w.guest(), "bonjour", host=OTHER_ADDRESS)


# -- repeated messages ------------------------------------------------------------------------


async def test_the_same_text_more_than_n_times_is_refused_across_rooms_and_private_messages(make: Make) -> None:
    w = await make(repeat_message_max=3, repeat_message_window=300)
    spammer, friend = await w.guest(), await w.guest()
    room_a, room_b = await w.room(friend), await w.room(friend)
    await w.say(spammer, room_a, "Achetez mes followers pas chers")
    await w.say(spammer, room_b, "ACHETEZ mes followers pas chers !!")
    await w.dm(spammer, friend, "A-c-h-e-t-e-z mes f0ll0wers pas chers")
    error = await refused(ErrorCode.REPEATED_MESSAGE, w.say(spammer, room_a, "achetez mes followers, pas chers"))
    assert error.retry_after is not None and 0 < error.retry_after <= 100
    await w.say(spammer, room_a, "autre chose à dire")  # a different text passes
    await w.say(friend, room_a, "Achetez mes followers pas chers")  # someone else is counted apart
    for _ in range(5):
        await w.say(spammer, room_a, "ok")  # short texts are not counted
    w.clock.advance(error.retry_after)
    await w.say(spammer, room_a, "Achetez mes followers pas chers")


# -- progressive privileges ------------------------------------------------------------------


def test_links_are_recognised() -> None:
    for text in ("va sur https://exemple.org", "www.truc.net", "mon site: boutique-vite.fr/promo", "snap.com"):
        assert has_link(text), text
    for text in ("bonjour à tous.", "il est 20.30", "fin de phrase.Et après", "j'ai 3.5 ans de métier"):
        assert not has_link(text), text


async def test_privileges_unlock_with_time_and_the_refusal_says_when(make: Make) -> None:
    w = await make(
        privilege_dm_strangers_minutes=10,
        privilege_links_minutes=20,
        privilege_room_creation_minutes=60,
        media_new_account_minutes=30,
    )
    old = await w.guest()
    w.clock.advance(3600)
    new, stranger = await w.guest(), await w.guest()
    room = await w.room(old)

    await w.say(new, room, "bonjour tout le monde")  # public rooms at once
    error = await refused(ErrorCode.PRIVILEGE_LOCKED, w.say(new, room, "allez voir www.exemple.fr"))
    assert error.data["privilege"] == "links"
    assert error.data["until"] == int((new.created_at + 20 * 60) * 1000) and error.retry_after == 1200
    error = await refused(ErrorCode.PRIVILEGE_LOCKED, w.dm(new, stranger, "coucou"))
    assert error.data["privilege"] == "dm_strangers" and error.retry_after == 600
    assert await w.s.store.get_room_by_slug(dm_slug(new.id, stranger.id)) is None  # no empty request left
    await w.dm(old, new, "bienvenue !")  # an older account may write to the newcomer…
    await w.dm(new, old, "merci")  # …who may answer: the conversation was accepted by the other side
    with pytest.raises(CauserieError) as info:
        w.s.privileges.require(new, "room_creation")  # type: ignore[union-attr]
    assert info.value.code is ErrorCode.PRIVILEGE_LOCKED and info.value.retry_after == 3600

    status = {p.name: p for p in w.s.privileges.status(new)}  # type: ignore[union-attr]
    assert not status["pictures"].unlocked and status["pictures"].until == new.created_at + 1800
    assert all(p.reason == "new_account" for p in status.values())

    w.clock.advance(600)
    await w.dm(new, stranger, "coucou")
    await refused(ErrorCode.PRIVILEGE_LOCKED, w.say(new, room, "allez voir www.exemple.fr"))
    w.clock.advance(600)
    await w.say(new, room, "allez voir www.exemple.fr")
    w.clock.advance(2400)
    w.s.privileges.require(new, "room_creation")  # type: ignore[union-attr]
    assert all(p.unlocked for p in w.s.privileges.status(new))  # type: ignore[union-attr]


async def test_a_flag_or_a_sanction_before_unlocking_restarts_the_clock(make: Make) -> None:
    w = await make(privilege_links_minutes=20, privilege_dm_strangers_minutes=10)
    admin, _ = await w.s.moderation.create_admin(f"{nick('a')}@example.org", nick("Boss"), PASSWORD)
    flagged, muted, stranger = await w.guest(), await w.guest(), await w.guest()
    room = await w.room(admin)
    privileges = w.s.privileges
    assert privileges is not None

    w.clock.advance(300)
    privileges.mark(flagged)  # what an automated flag does (services.safety)
    error = await refused(ErrorCode.PRIVILEGE_LOCKED, w.say(flagged, room, "regarde exemple.com"))
    assert error.retry_after == 1200  # 20 minutes from the flag, not from creation
    assert {p.name: p.reason for p in privileges.status(flagged)}["links"] == "record"

    # a site-wide mute counts too: the clock restarts when it ends
    w.clock.advance(60)
    await w.s.moderation.act(
        admin, ActionRequest(kind="mute", reason="flood", user=muted.nickname, duration_seconds=60)
    )
    status = {p.name: p for p in privileges.status(muted)}
    assert status["dm_strangers"].reason == "record" and status["dm_strangers"].until == w.clock.now() + 60 + 600
    w.clock.advance(61)  # the mute is over, its mark stays
    error = await refused(ErrorCode.PRIVILEGE_LOCKED, w.dm(muted, stranger, "salut"))
    assert error.retry_after == 599

    w.clock.advance(1200)
    await w.say(flagged, room, "regarde exemple.com")
    privileges.mark(flagged)  # once unlocked, a privilege stays unlocked
    await w.say(flagged, room, "et exemple.org")


async def test_a_permanent_sanction_locks_only_what_had_not_unlocked(make: Make) -> None:
    w = await make(privilege_links_minutes=20, privilege_dm_strangers_minutes=0)
    admin, _ = await w.s.moderation.create_admin(f"{nick('a')}@example.org", nick("Boss"), PASSWORD)
    shady = await w.guest()
    privileges = w.s.privileges
    assert privileges is not None
    w.clock.advance(60)
    await w.s.moderation.act(admin, ActionRequest(kind="shadow_hide", reason="spam discret", user=shady.nickname))
    status = {p.name: p for p in privileges.status(shady)}
    # private messages had unlocked at creation: a later sanction does not take them back (nor reveal
    # a shadow-hide); links were still locked: they stay locked while the permanent sanction lasts
    assert status["dm_strangers"].unlocked
    assert not status["links"].unlocked and status["links"].reason == "record" and status["links"].until is None
    w.clock.advance(3600)
    assert not {p.name: p for p in privileges.status(shady)}["links"].unlocked


async def test_the_emergency_level_shows_in_the_privileges_without_a_second_check(make: Make) -> None:
    w = await make()
    admin, _ = await w.s.moderation.create_admin(f"{nick('a')}@example.org", nick("Boss"), PASSWORD)
    user, other = await w.guest(), await w.guest()
    w.clock.advance(3600)  # older than the read-only time of new guests in an emergency
    await w.s.moderation.set_emergency(admin, 2, "raid")
    status = {p.name: p for p in w.s.privileges.status(user)}  # type: ignore[union-attr]
    assert status["dm_strangers"].reason == "emergency" and not status["dm_strangers"].unlocked
    assert status["pictures"].reason == "emergency" and status["links"].unlocked
    await refused(ErrorCode.EMERGENCY_DMS_OFF, w.dm(user, other, "salut"))  # the emergency's own error


async def test_joins_and_reports_are_counted_per_address_too(make: Make) -> None:
    w = await make(room_joins_per_account=100, room_joins_per_ip=2, reports_per_ip_per_hour=1)
    flood = w.s.flood
    assert flood is not None
    a, b = await w.guest(), await w.guest()
    await flood.join(a.id, ADDRESS)
    await flood.join(b.id, ADDRESS)
    error = await refused(ErrorCode.TOO_MANY_JOINS, flood.join(a.id, ADDRESS))
    assert error.retry_after is not None and 0 < error.retry_after <= 300
    await flood.join(a.id, OTHER_ADDRESS)
    await flood.report(None, ADDRESS, child_safety=False)
    error = await refused(ErrorCode.TOO_MANY_REPORTS, flood.report(b.id, ADDRESS, child_safety=False))
    assert error.retry_after is not None and error.retry_after > 0
    await flood.report(b.id, ADDRESS, child_safety=True)  # never turned away


# -- the human check ------------------------------------------------------------------------


async def test_an_expired_challenge_fails_and_the_emergency_level_demands_the_check(make: Make) -> None:
    clock = FakeClock()
    settings = Settings(human_check=True, human_check_difficulty=4, human_check_ttl_seconds=60)
    check = HumanCheck(settings, clock, MemoryRateLimiter(clock))
    challenge = str(check.issue()["challenge"])
    nonce = solve(challenge, 4)
    clock.advance(61)
    await refused(ErrorCode.HUMAN_CHECK_FAILED, check.verify(challenge, nonce))
    fresh = str(check.issue()["challenge"])
    await check.verify(fresh, solve(fresh, 4))
    await refused(ErrorCode.HUMAN_CHECK_FAILED, check.verify(fresh, solve(fresh, 4)))  # single use

    w = await make(human_check=False, human_check_emergency_level=2)
    admin, _ = await w.s.moderation.create_admin(f"{nick('a')}@example.org", nick("Boss"), PASSWORD)
    human = w.s.human_check
    assert human is not None and not human.required()
    await human.verify(None, None)  # off: nothing asked
    await w.s.moderation.set_emergency(admin, 1, "raid")
    assert not human.required()
    await w.s.moderation.set_emergency(admin, 2, "raid")
    assert human.required()
    await refused(ErrorCode.HUMAN_CHECK_REQUIRED, human.verify(None, None))
