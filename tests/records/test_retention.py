"""The retention purge on a real database: it deletes exactly what expired and nothing held (a property
test over random data, holds and clocks), resumes after being interrupted midway, removes the files of
what it deleted, honours the end dates of holds, and leaves an audit chain that still verifies.

Time moves with a FakeClock; nothing sleeps. The main purge test also runs on PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import create_async_engine

from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.audit import GENESIS_HASH, AuditDraft
from causerie.domain.text import skeleton
from causerie.services.audit import AuditService
from causerie.services.retention import LegalHolds, RetentionService
from causerie.storage.blobs import FileMediaStore, QuarantineVault
from causerie.storage.retention import Batch, DataKind, HoldKind
from causerie.storage.sql import schema as t
from causerie.storage.sql.media_store import SqlMediaRecords
from causerie.storage.sql.moderation_store import SqlModerationStore
from causerie.storage.sql.retention_store import SqlRetentionStore
from causerie.storage.sql.store import SqlStore
from support.require import POSTGRES_URL, require_postgres

DAY = 86400.0
START = 1_800_000_000.0
KEY = b"k" * 32


def policy_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "retention_batch_size": 3,
        "retention_room_messages_days": 30,
        "retention_direct_messages_days": 60,
        "retention_pictures_days": 30,
        "retention_quarantine_days": 30,
        "retention_cases_days": 90,
        "retention_moderation_days": 90,
        "retention_audit_days": 120,
        "retention_connection_records_days": 365,
        "retention_closed_accounts_days": 365,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Env:
    store: SqlStore
    records: SqlRetentionStore
    clock: FakeClock
    settings: Settings
    folder: Path
    files: FileMediaStore
    vault: QuarantineVault
    service: RetentionService
    holds: LegalHolds
    audit: AuditService
    ids: dict[str, int] = field(default_factory=dict)

    async def insert(self, table: sa.Table, **values: Any) -> int:
        async with self.store._tx() as conn:
            result = await conn.execute(table.insert().values(**values))
            pk = result.inserted_primary_key
            value = pk[0] if pk is not None else None
            return int(value) if isinstance(value, int) else 0

    async def count(self, table: sa.Table, where: Any = None) -> int:
        query = sa.select(sa.func.count()).select_from(table)
        if where is not None:
            query = query.where(where)
        async with self.store._ro() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def column(self, column: Any) -> set[Any]:
        async with self.store._ro() as conn:
            return {r[0] for r in (await conn.execute(sa.select(column))).all()}

    async def account(self, nick: str, *, closed_at: float | None = None) -> int:
        return await self.insert(
            t.accounts,
            kind="registered",
            nickname=nick,
            nick_skel=skeleton(nick),
            age=30,
            gender="f",
            region="75",
            lang="fr",
            created_at=START - 1000 * DAY,
            closed_at=closed_at,
        )

    async def room(self, slug: str, *, dm: tuple[int, int] | None = None) -> int:
        return await self.insert(
            t.rooms,
            slug=slug,
            name=slug,
            category="topic",
            kind="direct" if dm else "public",
            dm_a=dm[0] if dm else None,
            dm_b=dm[1] if dm else None,
            created_at=START - 1000 * DAY,
        )

    async def message(self, room: int, author: int, at: float, media: dict[str, Any] | None = None) -> int:
        self.ids["seq"] = self.ids.get("seq", 0) + 1
        seq = self.ids["seq"]
        return await self.insert(
            t.messages,
            room_id=room,
            seq=seq,
            author_id=author,
            client_id=f"c{seq}",
            text="…",
            created_at=at,
            media=media,
        )


async def make_env(
    url: str,
    folder: Path,
    clock: FakeClock | None = None,
    *,
    create: bool = True,
    synchronous: str = "FULL",
    **overrides: Any,
) -> Env:
    store = SqlStore(url, sqlite_synchronous=synchronous)
    if create:
        await store.create_all()
    records = SqlRetentionStore(store)
    clock = clock or FakeClock(START)
    settings = policy_settings(**overrides)
    files = FileMediaStore(folder / "media")
    vault = QuarantineVault(folder / "quarantine", KEY)
    mod = SqlModerationStore(store)
    return Env(
        store=store,
        records=records,
        clock=clock,
        settings=settings,
        folder=folder,
        files=files,
        vault=vault,
        service=RetentionService(records, settings, clock, files, vault),
        holds=LegalHolds(records, store, mod, clock, SqlMediaRecords(store).legal_holds),
        audit=AuditService(mod, clock),
    )


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    e = await make_env(f"sqlite+aiosqlite:///{tmp_path}/r.db", tmp_path)
    try:
        yield e
    finally:
        await e.store.close()


# -- the main scenario (SQLite and PostgreSQL) -----------------------------------------------------


async def scenario(e: Env) -> None:
    """Old and new data of every kind, some of it held; purge; check what is left, files included."""
    now = e.clock.now()
    old, young = now - 400 * DAY, now - 1 * DAY
    alice, bob, carol = await e.account("Alice"), await e.account("Bob"), await e.account("Carol")
    gone = await e.account("Gone", closed_at=now - 400 * DAY)  # closed long ago, nothing left: deleted
    recent_closed = await e.account("Recent", closed_at=now - 10 * DAY)  # closed recently: kept
    guest_gone = await e.insert(  # a guest that expired long ago, nothing left: deleted
        t.accounts,
        kind="guest",
        nickname="Passant",
        age=30,
        gender="m",
        region="13",
        lang="fr",
        created_at=now - 500 * DAY,
        expires_at=now - 400 * DAY,
    )
    guest_kept = await e.insert(  # expired as long ago, but a held room keeps a message of theirs
        t.accounts,
        kind="guest",
        nickname="Témoin",
        age=30,
        gender="m",
        region="13",
        lang="fr",
        created_at=now - 500 * DAY,
        expires_at=now - 400 * DAY,
    )
    room, held_room = await e.room("place"), await e.room("tenue")
    await e.message(held_room, guest_kept, old)
    dm = await e.room("dm-ab", dm=(alice, bob))
    m_old = await e.message(room, alice, old)
    m_young = await e.message(room, alice, young)
    m_held_room = await e.message(held_room, alice, old)
    m_held_author = await e.message(room, carol, old)
    m_dm_old = await e.message(dm, alice, old)
    # pictures: one expired and unused, one expired but shown by a kept message (held room)
    blobs = {}
    for name in ("p1", "t1", "p2", "t2"):
        data = name.encode() * 10
        sha = hashlib.sha256(data).hexdigest()
        await e.files.put(sha, data)
        blobs[name] = sha
    for media_id, main, thumb in (("pic-gone", "p1", "t1"), ("pic-kept", "p2", "t2")):
        await e.insert(
            t.media_items,
            id=media_id,
            account_id=alice,
            sha256=blobs[main],
            thumb_sha256=blobs[thumb],
            content_type="image/webp",
            thumb_content_type="image/webp",
            width=1,
            height=1,
            thumb_width=1,
            thumb_height=1,
            bytes=10,
            orig_sha256="0" * 64,
            orig_md5="0" * 32,
            scanned=True,
            scope="public",
            created_at=old,
        )
    await e.message(held_room, alice, old, media={"id": "pic-kept", "w": 1, "h": 1})
    # quarantine: one expired and free, one held by a hash match
    for qid in ("quarantine-free", "quarantine-held"):
        await e.vault.put(qid, b"evidence")
        await e.insert(
            t.media_quarantine, id=qid, account_id=bob, sha256="0" * 64, md5="0" * 32, bytes=8, created_at=old
        )
    await e.insert(
        t.legal_holds,
        target_kind="quarantine",
        target_id="quarantine-held",
        reason="hash match",
        source="media_match:1",
        created_at=old,
    )
    # connection records: one a year and more old, one young, one old but of a held account
    for account, at in ((alice, old), (alice, young), (carol, old)):
        await e.insert(
            t.connection_records, account_id=account, event="websocket", ip="192.0.2.1", port=4242, created_at=at
        )
    # cases: one closed long ago, one closed long ago but held, one open
    case_ids = []
    for status, closed in (("closed", old), ("closed", old), ("open", None)):
        case_ids.append(
            await e.insert(
                t.cases,
                target_kind="user",
                account_id=bob,
                status=status,
                category="scam_spam",
                priority=1,
                created_at=old,
                updated_at=old,
                closed_at=closed,
            )
        )
    report = await e.insert(
        t.reports, case_id=case_ids[0], category="scam_spam", good_faith=True, target_kind="user", created_at=old
    )
    await e.insert(
        t.report_context,
        report_id=report,
        message_id=1,
        room_id=room,
        seq=1,
        author_id=bob,
        author_nick="Bob",
        text="…",
        state="visible",
        is_target=True,
        created_at=old,
    )
    # moderation: an old warning (deleted), an old permanent ban still in force (kept)
    for kind, until in (("warn", None), ("ban", None)):
        action = await e.insert(
            t.moderation_actions, kind=kind, account_id=bob, reason="r", rule="spam", created_at=old
        )
        if kind == "ban":
            await e.insert(t.sanctions, action_id=action, kind="ban", account_id=bob, starts_at=old, until=until)
        await e.insert(
            t.statements,
            action_id=action,
            account_id=bob,
            lang="fr",
            kind=kind,
            decision="d",
            facts="f",
            source="own_initiative",
            automated=False,
            ground="g",
            rule="spam",
            redress="r",
            appeal_until=old,
            created_at=old,
        )
    # holds placed by an admin (through the service: audited) and an expired one
    await e.holds.place(HoldKind.ROOM, "tenue", "request 2026-17", actor=None)
    await e.holds.place(HoldKind.ACCOUNT, "Carol", "request 2026-18", actor=None)
    await e.holds.place(HoldKind.CASE, str(case_ids[1]), "request 2026-19", actor=None)
    await e.holds.place(HoldKind.ACCOUNT, "Bob", "ended", actor=None, expires_at=now + 60)
    e.clock.advance(120)  # Bob's hold has ended

    deleted = await e.service.run()

    remaining = await e.column(t.messages.c.id)
    assert m_old not in remaining and m_dm_old not in remaining
    assert {m_young, m_held_room, m_held_author} <= remaining
    assert await e.column(t.media_items.c.id) == {"pic-kept"}
    assert not await e.files.exists(blobs["p1"]) and not await e.files.exists(blobs["t1"])
    assert await e.files.exists(blobs["p2"]) and await e.files.exists(blobs["t2"])
    assert await e.column(t.media_quarantine.c.id) == {"quarantine-held"}
    assert await e.vault.get("quarantine-free") is None
    assert await e.vault.get("quarantine-held") == b"evidence"
    assert await e.count(t.connection_records) == 2  # the young one and the held account's
    assert await e.column(t.cases.c.id) == {case_ids[1], case_ids[2]}
    assert await e.count(t.reports) == 0 and await e.count(t.report_context) == 0
    assert await e.column(t.moderation_actions.c.kind) == {"ban"}
    assert await e.count(t.statements) == 1
    accounts = await e.column(t.accounts.c.id)
    assert gone not in accounts and recent_closed in accounts
    assert guest_gone not in accounts and guest_kept in accounts
    assert await e.count(t.retention_tombstones) == 0
    assert deleted["room_messages"] == 1 and deleted["direct_messages"] == 1
    assert deleted["pictures"] == 1 and deleted["files"] == 3  # two picture files and one quarantine file
    assert deleted["closed_accounts"] == 2
    # a second run finds nothing more
    again = await e.service.run()
    assert sum(again.values()) == 0
    report_ = await e.audit.verify()
    assert report_.ok, report_


async def test_purge_deletes_what_expired_and_keeps_what_is_held(env: Env) -> None:
    await scenario(env)


@pytest.mark.postgres
async def test_purge_on_postgresql(tmp_path: Path) -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = POSTGRES_URL
        store_args = {"server_settings": {"search_path": schema}}
        e = await make_env(url, tmp_path)
        await e.store.close()
        e.store = SqlStore(url, connect_args=store_args)
        await e.store.create_all()
        mod = SqlModerationStore(e.store)
        e.records = SqlRetentionStore(e.store)
        e.service = RetentionService(e.records, e.settings, e.clock, e.files, e.vault)
        e.holds = LegalHolds(e.records, e.store, mod, e.clock, SqlMediaRecords(e.store).legal_holds)
        e.audit = AuditService(mod, e.clock)
        try:
            await scenario(e)
        finally:
            await e.store.close()
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


# -- resumable --------------------------------------------------------------------------------------


class Crash(Exception):
    pass


async def test_a_purge_interrupted_midway_finishes_on_the_next_run(env: Env) -> None:
    """Killed after k batches, and between a batch's commit and the removal of its files: the next run
    deletes the rest, removes the files the crash left behind, and deletes nothing twice."""
    now = env.clock.now()
    alice = await env.account("Alice")
    room = await env.room("place")
    for i in range(10):
        await env.message(room, alice, now - 100 * DAY + i)
    keep = await env.message(room, alice, now - DAY)
    shas = []
    for i in range(5):
        data = f"picture {i}".encode()
        sha = hashlib.sha256(data).hexdigest()
        await env.files.put(sha, data)
        shas.append(sha)
        await env.insert(
            t.media_items,
            id=f"pic{i}",
            account_id=alice,
            sha256=sha,
            thumb_sha256=sha,
            content_type="image/webp",
            thumb_content_type="image/webp",
            width=1,
            height=1,
            thumb_width=1,
            thumb_height=1,
            bytes=1,
            orig_sha256="0" * 64,
            orig_md5="0" * 32,
            scanned=True,
            scope="public",
            created_at=now - 100 * DAY,
        )
    batches: list[tuple[DataKind, int]] = []

    async def crash_after_two(kind: DataKind, batch: Batch) -> None:
        batches.append((kind, batch.deleted))
        if len(batches) == 2:
            raise Crash

    with pytest.raises(Crash):
        await env.service.run(after_batch=crash_after_two)
    assert await env.count(t.messages) == 11 - 6  # two batches of three committed

    # a crash between the rows and their files: the rows are gone, the tombstones say which files
    real_remove = env.service._remove_files

    async def no_files(tombstones: Any) -> int:
        raise Crash

    env.service._remove_files = no_files  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await env.service.run()
    env.service._remove_files = real_remove  # type: ignore[method-assign]
    assert await env.column(t.messages.c.id) == {keep}
    assert await env.count(t.media_items) == 2  # the first batch of pictures went, its files did not
    assert await env.count(t.retention_tombstones) == 3
    assert all([await env.files.exists(s) for s in shas])

    finished = await env.service.run()
    assert finished["room_messages"] == 0  # nothing deleted twice
    assert finished["pictures"] == 2
    assert finished["files"] == 5
    assert await env.count(t.media_items) == 0
    assert await env.count(t.retention_tombstones) == 0
    assert not any([await env.files.exists(s) for s in shas])
    assert await env.column(t.messages.c.id) == {keep}
    async with env.store._ro() as conn:
        runs = (await conn.execute(sa.select(t.retention_runs.c.finished_at).order_by(t.retention_runs.c.id))).all()
    assert [r[0] is not None for r in runs] == [False, False, True]  # interrupted runs stay marked


async def test_a_purge_killed_in_a_subprocess_is_finished_by_the_cli(tmp_path: Path) -> None:
    """``causerie retention run`` killed by SIGKILL after some batches, then run again to the end."""
    import os
    import signal
    import subprocess
    import sys

    from causerie.storage import migrate

    db = tmp_path / "k.db"
    await migrate.upgrade(f"sqlite+aiosqlite:///{db}")  # as the CLI finds it: migrated
    e = await make_env(f"sqlite+aiosqlite:///{db}", tmp_path, create=False)
    alice = await e.account("Alice")
    room = await e.room("place")
    old = time.time() - 800 * DAY  # the subprocess uses the system clock
    async with e.store._tx() as conn:
        await conn.execute(
            t.messages.insert(),
            [
                {"room_id": room, "seq": i, "author_id": alice, "client_id": f"c{i}", "text": "x", "created_at": old}
                for i in range(1, 601)
            ],
        )
    await e.store.close()
    env = {
        **os.environ,
        "CAUSERIE_CONFIG": str(tmp_path / "none.toml"),
        "CAUSERIE_LOG_LEVEL": "warning",
        "CAUSERIE_RETENTION_BATCH_SIZE": "10",
        "CAUSERIE_MEDIA_DIR": str(tmp_path / "media"),
    }
    command = [sys.executable, "-m", "causerie", "retention", "run", "--database", f"sqlite:///{db}"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = 0
    while seen < 5:  # a few batches committed
        line = proc.stderr.readline()
        assert line, "the purge ended before it could be killed"
        seen += line.startswith(b"room_messages:")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()
    e.store = SqlStore(f"sqlite+aiosqlite:///{db}")
    left = await e.count(t.messages)
    await e.store.close()
    assert 0 < left < 600
    done = subprocess.run([*command, "--quiet"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert f"room_messages {left}" in done.stdout  # exactly what was left: nothing twice
    e.store = SqlStore(f"sqlite+aiosqlite:///{db}")
    assert await e.count(t.messages) == 0
    await e.store.close()


# -- holds --------------------------------------------------------------------------------------------


async def test_holds_end_on_their_date_and_when_released(env: Env) -> None:
    now = env.clock.now()
    alice, bob = await env.account("Alice"), await env.account("Bob")
    room = await env.room("place")
    m_alice = await env.message(room, alice, now - 100 * DAY)
    m_bob = await env.message(room, bob, now - 100 * DAY)
    records = SqlMediaRecords(env.store)
    a_hold, new = await env.holds.place(HoldKind.ACCOUNT, "Alice", "until tomorrow", actor=None, expires_at=now + DAY)
    assert new
    b_hold, _ = await env.holds.place(HoldKind.ACCOUNT, str(bob), "until released", actor=None)
    assert await records.legal_holds("account", str(alice), now) == 1
    assert await env.holds.is_held(HoldKind.ACCOUNT, str(alice))
    await env.service.run()
    assert await env.column(t.messages.c.id) == {m_alice, m_bob}

    env.clock.advance(2 * DAY)  # Alice's hold has ended: the one place that answers says so
    assert await records.legal_holds("account", str(alice), env.clock.now()) == 0
    assert not await env.holds.is_held(HoldKind.ACCOUNT, str(alice))
    assert [h.id for h in await env.holds.list()] == [b_hold.id]
    await env.service.run()
    assert await env.column(t.messages.c.id) == {m_bob}

    await env.holds.release(b_hold.id, None, "request closed")
    await env.service.run()
    assert await env.count(t.messages) == 0
    listed = await env.holds.list(active_only=False)
    assert {h.id for h in listed} == {a_hold.id, b_hold.id}
    actions = [e.action for e in await env.audit.entries()]
    assert actions.count("legal.hold") == 2 and actions.count("legal.release") == 1
    assert (await env.audit.verify()).ok


async def test_erased_identities_and_misuse_strikes_follow_their_retention(env: Env) -> None:
    now = env.clock.now()
    alice, bob = await env.account("Alice"), await env.account("Bob")

    async def identity(account: int, keep_until: float) -> None:
        await env.insert(
            t.closed_identities,
            account_id=account,
            kind="registered",
            nickname=f"n{account}",
            age=30,
            gender="f",
            region="75",
            created_at=now - 500 * DAY,
            closed_at=now - 400 * DAY,
            keep_until=keep_until,
        )

    await identity(alice, now - DAY)  # its legal keep-until date has passed
    await identity(bob, now - DAY)  # passed too, but Bob is under a legal hold
    await env.holds.place(HoldKind.ACCOUNT, str(bob), "judicial request", actor=None)
    old_strike = await env.insert(t.misuse_strikes, kind="notice", account_id=alice, created_at=now - 100 * DAY)
    young_strike = await env.insert(t.misuse_strikes, kind="notice", account_id=alice, created_at=now - DAY)
    held_strike = await env.insert(t.misuse_strikes, kind="content", account_id=bob, created_at=now - 100 * DAY)
    counts = await env.service.run()
    assert await env.column(t.closed_identities.c.account_id) == {bob}
    assert await env.column(t.misuse_strikes.c.id) == {young_strike, held_strike}
    assert old_strike not in await env.column(t.misuse_strikes.c.id)
    assert counts[DataKind.CLOSED_ACCOUNTS.value] >= 1 and counts[DataKind.MODERATION.value] >= 1


async def test_audit_entries_go_as_a_prefix_and_the_chain_still_verifies(env: Env) -> None:
    mod = SqlModerationStore(env.store)
    for i in range(7):  # 200 days old
        await mod.append_audit(AuditDraft(action="note", target=f"room:{i}"), env.clock.now() - 200 * DAY)
    await mod.append_audit(AuditDraft(action="note", target="account:99"), env.clock.now() - 200 * DAY)
    await mod.append_audit(AuditDraft(action="note", target="room:1"), env.clock.now() - 200 * DAY)
    await mod.append_audit(AuditDraft(action="note", target="room:1"), env.clock.now() - DAY)
    await env.insert(t.legal_holds, target_kind="account", target_id="99", reason="r", source="admin:1", created_at=0.0)
    deleted = await env.service.run()
    assert deleted["audit"] == 7  # up to the entry about the held account
    ids = [e.id for e in await env.audit.entries(0, 100)]
    assert ids[0] == 8
    report = await env.audit.verify()
    assert report.ok, report
    base = await mod.audit_base()
    assert base[0] == 7 and base[1] != GENESIS_HASH
    # tampering with what is left is still caught
    async with env.store._tx() as conn:
        await conn.execute(t.audit_log.update().where(t.audit_log.c.id == 9).values(reason="edited"))
    broken = await env.audit.verify()
    assert not broken.ok and broken.broken_id == 9


async def test_a_child_safety_case_holds_itself_and_its_target_account(env: Env) -> None:
    from causerie.domain.moderation import Case, CaseStatus, ReportCategory, TargetKind
    from causerie.ids import AccountId

    bob = await env.account("Bob")
    case_id = await env.insert(
        t.cases,
        target_kind="user",
        account_id=bob,
        status="open",
        category="minor_at_risk",
        priority=1,
        created_at=START,
        updated_at=START,
    )
    case = Case(
        id=case_id,
        target_kind=TargetKind.USER,
        status=CaseStatus.OPEN,
        category=ReportCategory.MINOR_AT_RISK,
        priority=1,
        reporters=1,
        reports=1,
        created_at=START,
        updated_at=START,
        account_id=AccountId(bob),
    )
    await env.holds.on_case(case)
    await env.holds.on_case(case)  # a second report on the same case: no second hold
    holds = await env.holds.list()
    assert {(h.kind, h.target_id, h.source) for h in holds} == {
        (HoldKind.CASE, str(case_id), f"case:{case_id}"),
        (HoldKind.ACCOUNT, str(bob), f"case:{case_id}"),
    }
    spam = replace(case, id=case_id + 1, category=ReportCategory.SCAM_SPAM)
    await env.holds.on_case(spam)
    assert len(await env.holds.list()) == 2


# -- property: exactly what expired, nothing held ---------------------------------------------------

ROOMS = 3  # room 0, room 1 public; room 2 a direct conversation between accounts 0 and 1
ACCOUNTS = 4

message_st = st.tuples(st.integers(0, ROOMS - 1), st.integers(0, ACCOUNTS - 1), st.integers(0, 800))
hold_st = st.tuples(
    st.sampled_from(["account", "room", "case"]),
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(-50, 50)),  # end date, days from the purge time
    st.booleans(),  # released
)
case_st = st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, 800), st.booleans())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages=st.lists(message_st, max_size=25),
    records=st.lists(st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, 800)), max_size=10),
    case_list=st.lists(case_st, max_size=4),
    holds=st.lists(hold_st, max_size=5),
    advance=st.integers(0, 400),
    batch=st.integers(1, 7),
)
def test_property_exactly_what_expired_and_nothing_held(
    messages: list[tuple[int, int, int]],
    records: list[tuple[int, int]],
    case_list: list[tuple[int, int, bool]],
    holds: list[tuple[str, int, int | None, bool]],
    advance: int,
    batch: int,
) -> None:
    asyncio.run(_property(messages, records, case_list, holds, advance, batch))


async def _property(
    messages: list[tuple[int, int, int]],
    records: list[tuple[int, int]],
    case_list: list[tuple[int, int, bool]],
    holds: list[tuple[str, int, int | None, bool]],
    advance: int,
    batch: int,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock(START)
        e = await make_env(
            f"sqlite+aiosqlite:///{folder}/p.db", Path(folder), clock, synchronous="NORMAL", retention_batch_size=batch
        )
        try:
            accounts = [await e.account(f"A{i}") for i in range(ACCOUNTS)]
            rooms = [await e.room("r0"), await e.room("r1"), await e.room("dm", dm=(accounts[0], accounts[1]))]
            msg_ids = {}
            for room, author, age in messages:
                msg_ids[await e.message(rooms[room], accounts[author], START - age * DAY)] = (room, author, age)
            rec_ids = {}
            for account, age in records:
                rec_ids[
                    await e.insert(
                        t.connection_records,
                        account_id=accounts[account],
                        event="websocket",
                        created_at=START - age * DAY - 3600,
                        ended_at=START - age * DAY,
                    )
                ] = (account, age)
            case_ids = {}
            for account, age, on_message in case_list:
                target = next(iter(msg_ids), None) if on_message else None
                case_ids[
                    await e.insert(
                        t.cases,
                        target_kind="message" if target else "user",
                        message_id=target,
                        account_id=accounts[account],
                        status="closed",
                        category="scam_spam",
                        priority=1,
                        created_at=START - age * DAY,
                        updated_at=START - age * DAY,
                        closed_at=START - age * DAY,
                    )
                ] = (account, age, target)
            clock.advance(advance * DAY)
            now = clock.now()
            held_accounts, held_rooms, held_cases = set(), set(), set()
            case_list_ids = list(case_ids)
            for kind, index, ends, released in holds:
                if kind == "account":
                    target_id = accounts[index]
                elif kind == "room":
                    target_id = rooms[index % ROOMS]
                elif case_list_ids:
                    target_id = case_list_ids[index % len(case_list_ids)]
                else:
                    continue
                expires = now + ends * DAY if ends is not None else None
                await e.insert(
                    t.legal_holds,
                    target_kind=kind,
                    target_id=str(target_id),
                    reason="r",
                    source="test",
                    created_at=START,
                    expires_at=expires,
                    released_at=START if released else None,
                )
                if not released and (expires is None or expires > now):
                    {"account": held_accounts, "room": held_rooms, "case": held_cases}[kind].add(target_id)

            await e.service.run()

            held_msgs = {case_ids[c][2] for c in held_cases if case_ids[c][2] is not None}
            expected_msgs = set()
            for mid, (room, author, age) in msg_ids.items():
                days = 60 if room == 2 else 30
                expired = (now - (START - age * DAY)) > days * DAY
                held = (
                    rooms[room] in held_rooms
                    or accounts[author] in held_accounts
                    or (room == 2 and (accounts[0] in held_accounts or accounts[1] in held_accounts))
                    or mid in held_msgs
                )
                if not expired or held:
                    expected_msgs.add(mid)
            assert await e.column(t.messages.c.id) == expected_msgs
            expected_recs = {
                rid
                for rid, (account, age) in rec_ids.items()
                if (now - (START - age * DAY)) <= 365 * DAY or accounts[account] in held_accounts
            }
            assert await e.column(t.connection_records.c.id) == expected_recs
            expected_cases = {
                cid
                for cid, (account, age, _m) in case_ids.items()
                if (now - (START - age * DAY)) <= 90 * DAY or cid in held_cases or accounts[account] in held_accounts
            }
            assert await e.column(t.cases.c.id) == expected_cases
            assert await e.count(t.accounts) == ACCOUNTS  # none closed: none deleted
        finally:
            await e.store.close()
