"""The moderation service on a real SQLite database, with a FakeClock for durations: sanctions end
when they should, slow mode and account age count time, appeals close after their period, and an
action whose audit entry cannot be written does not happen."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from causerie.bootstrap import offline_services
from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import Account, NewMessage, Room, RoomKind
from causerie.domain.moderation import Role
from causerie.errors import CauserieError, ErrorCode
from causerie.services.accounts import EntryForm
from causerie.services.container import Services
from causerie.services.messages import SendContext
from causerie.services.moderation import ActionRequest, ReportForm
from support.names import nick
from support.require import POSTGRES_URL, require_postgres

PASSWORD = "un mot de passe assez long"


@dataclass
class World:
    s: Services
    clock: FakeClock
    admin: Account
    db: AsyncEngine  # the same database, for what the test does behind the services' back

    async def guest(self, lang: str = "fr") -> Account:
        _, account = await self.s.accounts.enter_guest(EntryForm(nick("g"), 30, "f", "75", True, lang))
        return account

    async def room(self, owner: Account) -> Room:
        return await self.s.rooms.create(owner, name=nick("Salon "), topic="", kind=RoomKind.PUBLIC)

    def send(self, account: Account, room: Room, recipient: Account | None = None) -> SendContext:
        ctx = SendContext(account=account, room=room, text="bonjour", recipient=recipient)
        self.s.moderation.check_send(ctx)
        return ctx

    def refused(self, account: Account, room: Room, code: ErrorCode) -> CauserieError:
        with pytest.raises(CauserieError) as info:
            self.send(account, room)
        assert info.value.code is code
        return info.value


@pytest.fixture(params=["sqlite", "postgresql"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """The services on a real database: a SQLite file, or a PostgreSQL schema of its own."""
    clock = FakeClock()
    schema: str | None = None
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite:///{tmp_path}/mod.db", seed_rooms=False)
        url, args = f"sqlite+aiosqlite:///{tmp_path}/mod.db", {}
    else:
        require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        url, args = POSTGRES_URL, {"server_settings": {"search_path": schema}}
        setup = create_async_engine(POSTGRES_URL)
        async with setup.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        await setup.dispose()
        settings = Settings(database_url=POSTGRES_URL, database_schema=schema, seed_rooms=False)
    engine = create_async_engine(url, connect_args=args)
    try:
        async with offline_services(settings, clock) as services:
            admin, _ = await services.moderation.create_admin(f"{nick('a')}@example.org", nick("Boss"), PASSWORD)
            yield World(services, clock, admin, engine)
    finally:
        await engine.dispose()
        if schema is not None:
            cleanup = create_async_engine(POSTGRES_URL)
            async with cleanup.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            await cleanup.dispose()


async def test_a_mute_ends_by_itself(world: World) -> None:
    user = await world.guest()
    room = await world.room(await world.guest())
    await world.s.moderation.act(
        world.admin, ActionRequest(kind="mute", reason="flood", user=user.nickname, duration_seconds=60)
    )
    error = world.refused(user, room, ErrorCode.MUTED)
    assert error.data["until"] == int((world.clock.now() + 60) * 1000)
    world.clock.advance(59)
    world.refused(user, room, ErrorCode.MUTED)
    world.clock.advance(2)
    world.send(user, room)


async def test_a_kick_keeps_the_user_out_for_its_duration_only(world: World) -> None:
    owner, user = await world.guest(), await world.guest()
    room = await world.room(owner)
    await world.s.moderation.act(
        owner, ActionRequest(kind="kick", reason="hors sujet", user=user.nickname, room=room.slug)
    )
    minutes = world.s.settings.kick_default_minutes
    with pytest.raises(CauserieError) as info:
        await world.s.rooms.access_room(user, room.slug)
    assert info.value.code is ErrorCode.KICKED
    world.clock.advance(minutes * 60 + 1)
    assert (await world.s.rooms.access_room(user, room.slug)).id == room.id


async def test_a_temporary_ban_ends_and_a_permanent_one_does_not(world: World) -> None:
    brief, forever = await world.guest(), await world.guest()
    m = world.s.moderation
    await m.act(world.admin, ActionRequest(kind="ban", reason="x", user=brief.nickname, duration_seconds=3600))
    await m.act(world.admin, ActionRequest(kind="ban", reason="x", user=forever.nickname))
    for account in (brief, forever):
        with pytest.raises(CauserieError) as info:
            m.check_connect(account)
        assert info.value.code is ErrorCode.BANNED
    world.clock.advance(3601)
    m.check_connect(brief)
    with pytest.raises(CauserieError):
        m.check_connect(forever)
    world.clock.advance(10 * 365 * 86400)
    with pytest.raises(CauserieError):
        m.check_connect(forever)


async def test_slow_mode_and_minimum_account_age_count_time(world: World) -> None:
    owner = await world.guest()
    room = await world.room(owner)
    await world.s.moderation.set_room_settings(
        owner, room.slug, "discussion", {"slow_mode_seconds": 10, "min_account_age_minutes": 5}
    )
    newcomer = await world.guest()
    error = world.refused(newcomer, room, ErrorCode.ACCOUNT_TOO_NEW)
    assert error.retry_after == 300
    world.clock.advance(300)
    world.send(newcomer, room)
    error = world.refused(newcomer, room, ErrorCode.SLOW_MODE)
    assert error.retry_after == 10
    world.clock.advance(9.5)
    world.refused(newcomer, room, ErrorCode.SLOW_MODE)
    world.clock.advance(0.5)
    world.send(newcomer, room)
    # the owner is not slowed down in their own room
    world.send(owner, room)
    world.send(owner, room)


async def test_emergency_read_only_for_new_guests_lasts_the_configured_minutes(world: World) -> None:
    room = await world.room(await world.guest())
    await world.s.moderation.set_emergency(world.admin, 1, "raid")
    newcomer = await world.guest()
    world.refused(newcomer, room, ErrorCode.EMERGENCY_READ_ONLY)
    world.clock.advance(world.s.settings.emergency_read_only_minutes * 60)
    world.send(newcomer, room)
    await world.s.moderation.set_emergency(world.admin, 0, "fini")
    world.send(await world.guest(), room)


async def test_an_appeal_is_open_for_the_configured_period(world: World) -> None:
    m = world.s.moderation
    late, early = await world.guest(), await world.guest()
    for user in (late, early):
        await m.act(world.admin, ActionRequest(kind="warn", reason="langage", user=user.nickname))
    [late_statement] = await m.statements(late)
    [early_statement] = await m.statements(early)
    assert late_statement.appeal_until - late_statement.created_at == world.s.settings.appeal_days * 86400
    assert world.s.settings.appeal_days * 86400 >= 182 * 86400  # DSA art. 20: at least six months
    world.clock.advance(world.s.settings.appeal_days * 86400 - 1)
    assert (await m.appeal(early, early_statement.id, "je conteste")).id
    world.clock.advance(2)
    with pytest.raises(CauserieError) as info:
        await m.appeal(late, late_statement.id, "trop tard ?")
    assert info.value.code is ErrorCode.APPEAL_PERIOD_OVER


async def test_an_action_whose_audit_entry_cannot_be_written_does_not_happen(world: World) -> None:
    m = world.s.moderation
    user = await world.guest()
    last_id, _ = await world.s.audit.head()
    async with world.db.begin() as conn:  # an entry written behind the chain's back takes the next id
        await conn.execute(
            sa.text(
                "INSERT INTO audit_log (id, ts_ms, actor_id, action, target, reason, details, prev_hash, hash) "
                "VALUES (:id, 0, NULL, 'rogue', 'x', '', '{}', '', '')"
            ),
            {"id": last_id + 1},
        )

    async def counts() -> tuple[int, ...]:
        async with world.db.connect() as conn:
            return tuple(
                [
                    int((await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())
                    for table in ("moderation_actions", "sanctions", "statements")
                ]
            )

    before = await counts()
    with pytest.raises(IntegrityError):  # the database refuses the audit row: the whole action fails
        await m.act(world.admin, ActionRequest(kind="ban", reason="x", user=user.nickname))
    assert await counts() == before
    m.check_connect(user)  # not banned


async def test_roles_and_the_cli_path(world: World) -> None:
    m = world.s.moderation
    member = await world.guest()
    with pytest.raises(CauserieError) as info:  # guests cannot hold roles
        await m.set_role(world.admin, member.nickname, Role.MODERATOR, grant=True)
    assert info.value.code is ErrorCode.BAD_REQUEST
    with pytest.raises(CauserieError) as info:
        await m.set_role(member, world.admin.nickname, Role.ADMIN, grant=False)
    assert info.value.code is ErrorCode.FORBIDDEN
    # the CLI path grants the role to an existing account instead of creating a second one
    again, created = await m.create_admin(world.admin.email or "", "Autre", PASSWORD)
    assert again.id == world.admin.id and not created
    staff = await m.staff(world.admin)
    assert staff.is_admin and staff.is_global


async def test_report_case_action_and_appeal_on_each_database(world: World) -> None:
    """The whole path through the moderation store (run on SQLite and PostgreSQL)."""
    m, store = world.s.moderation, world.s.store
    author, one, two = await world.guest(), await world.guest(), await world.guest()
    room = await world.room(author)
    results = await store.insert_messages(
        [NewMessage(room.id, author.id, f"c{n}", f"texte {n}", world.clock.now()) for n in range(1, 31)]
    )
    target = results[21]  # seq 22
    report1, case = await m.report(one, ReportForm("harassment_hate", True, message_id=target.id), "192.0.2.1")
    _, same = await m.report(two, ReportForm("drugs", True, room=room.slug, seq=22), "192.0.2.2")
    _, other = await m.report(one, ReportForm("minor_at_risk", True, message_id=results[0].id), "192.0.2.1")
    assert same.id == case.id and same.reporters == 2 and same.category.value == "drugs"  # the most severe
    cases, queues = await m.queue(world.admin)
    assert [c.id for c in cases] == [other.id, case.id]
    assert {q.category.value: q.open_cases for q in queues} == {"minor_at_risk": 1, "drugs": 1}
    view = await m.case_view(world.admin, case.id)
    assert [c.seq for c in view.context[report1.id]] == list(range(2, 28))
    result = await m.act(world.admin, ActionRequest(kind="remove_message", reason="haine", case_id=case.id))
    assert result.case is not None and result.case.status.value == "closed"
    assert {r.outcome.value for r in await m.my_reports(one) if r.case_id == case.id and r.outcome} == {"action_taken"}
    page, _ = await store.messages_before(room.id, None, 100)
    assert target.id not in [v.id for v in page] and len(page) == 29
    [statement] = await m.statements(author)
    appeal = await m.appeal(author, statement.id, "ce n'était pas haineux")
    moderator, _ = await m.create_admin(f"{nick('b')}@example.org", nick("Deux"), PASSWORD)
    with pytest.raises(CauserieError) as info:
        await m.decide_appeal(world.admin, appeal.id, reverse=True, reason="moi")
    assert info.value.code is ErrorCode.APPEAL_SAME_MODERATOR
    decided = await m.decide_appeal(moderator, appeal.id, reverse=True, reason="citation")
    assert decided.status.value == "reversed"
    page, _ = await store.messages_before(room.id, None, 100)
    assert target.id in [v.id for v in page]
    report = await world.s.audit.verify()
    assert report.ok and report.checked >= 5
