"""The storage port's contract, run against every adapter: SQLite and PostgreSQL.

Each PostgreSQL test works in a schema of its own (dropped afterwards), so runs can repeat and
run side by side. The schema is created by the Alembic migrations, which checks them on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from causerie.domain.entities import AccountKind, NewMessage, RoomCategory, RoomKind
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId
from causerie.storage import migrate
from causerie.storage.sql.store import SqlStore
from support.require import POSTGRES_URL, require_postgres

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    """Yields a function that opens a new SqlStore on the same database (a second 'node')."""
    opened: list[SqlStore] = []
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/contract.db"
        await migrate.upgrade(url)

        def open_store() -> SqlStore:
            store = SqlStore(url)
            opened.append(store)
            return store

        yield open_store
    else:
        require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_async_engine(POSTGRES_URL)
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        args = {"server_settings": {"search_path": schema}}
        await migrate.upgrade(POSTGRES_URL, connect_args=args)

        def open_store() -> SqlStore:
            store = SqlStore(POSTGRES_URL, connect_args=args)
            opened.append(store)
            return store

        try:
            yield open_store
        finally:
            for store in opened:
                await store.close()
            opened.clear()
            async with admin.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    for store in opened:
        await store.close()


async def _account(store: SqlStore, nick: str) -> AccountId:
    account = await store.create_account(
        kind=AccountKind.GUEST,
        nickname=nick,
        nick_skel=nick.lower(),
        age=30,
        gender="f",
        region="75",
        lang="fr",
        created_at=NOW,
        expires_at=NOW + 3600,
    )
    return account.id


async def _room(store: SqlStore, slug: str) -> int:
    room = await store.create_room(
        slug=slug,
        name=slug,
        name_skel=slug,
        category=RoomCategory.TOPIC,
        kind=RoomKind.PUBLIC,
        topic="",
        min_age=18,
        max_age=None,
        owner_id=None,
        position=0,
        created_at=NOW,
    )
    return room.id


async def test_group_commit_assigns_gap_free_sequences_per_room(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory()
    author = await _account(store, "alice")
    r1, r2 = await _room(store, "r1"), await _room(store, "r2")
    batch = [NewMessage(r1 if i % 3 else r2, author, f"c{i}", f"m{i}", NOW + i) for i in range(30)]
    results = await store.insert_messages(batch)
    assert not any(r.duplicate for r in results)
    seqs_r1 = [r.seq for r in results if r.room_id == r1]
    seqs_r2 = [r.seq for r in results if r.room_id == r2]
    assert seqs_r1 == list(range(1, len(seqs_r1) + 1))
    assert seqs_r2 == list(range(1, len(seqs_r2) + 1))
    more = await store.insert_messages([NewMessage(r1, author, "next", "x", NOW)])
    assert more[0].seq == len(seqs_r1) + 1


async def test_retried_client_id_is_stored_once(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory()
    author = await _account(store, "bob")
    room = await _room(store, "dup")
    first = await store.insert_messages(
        [NewMessage(room, author, "same", "hello", NOW), NewMessage(room, author, "same", "hello", NOW)]
    )
    assert [r.duplicate for r in first] == [False, True]
    assert first[0].id == first[1].id
    again = await store.insert_messages([NewMessage(room, author, "same", "hello", NOW)])
    assert again[0].duplicate and again[0].id == first[0].id and again[0].seq == first[0].seq
    page, more = await store.messages_before(room, None, 10)
    assert [m.text for m in page] == ["hello"] and not more


async def test_two_nodes_writing_one_room_never_share_or_skip_a_seq(store_factory) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b = store_factory(), store_factory()
    author_a = await _account(node_a, "carol")
    author_b = await _account(node_a, "dave")
    room = await _room(node_a, "shared")

    async def writer(store: SqlStore, author: AccountId, tag: str) -> list[int]:
        seqs: list[int] = []
        for n in range(10):
            batch = [NewMessage(room, author, f"{tag}-{n}-{i}", "x", NOW) for i in range(5)]
            seqs += [r.seq for r in await store.insert_messages(batch)]
        return seqs

    seqs_a, seqs_b = await asyncio.gather(writer(node_a, author_a, "a"), writer(node_b, author_b, "b"))
    assert sorted(seqs_a + seqs_b) == list(range(1, 101))


async def test_history_pages_and_ranges(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory()
    author = await _account(store, "erin")
    other = await _account(store, "fred")
    room = await _room(store, "hist")
    await store.insert_messages(
        [NewMessage(room, author if i % 2 else other, f"h{i}", f"t{i}", NOW + i) for i in range(1, 26)]
    )
    page, more = await store.messages_before(room, None, 10)
    assert [m.seq for m in page] == list(range(16, 26)) and more
    page, more = await store.messages_before(room, 16, 10)
    assert [m.seq for m in page] == list(range(6, 16)) and more
    page, more = await store.messages_before(room, 6, 10)
    assert [m.seq for m in page] == list(range(1, 6)) and not more
    between, more = await store.messages_between(room, 10, 20, 100)
    assert [m.seq for m in between] == list(range(11, 21)) and not more
    filtered, _ = await store.messages_between(room, 0, 25, 100, exclude_authors=[other])
    assert all(m.author.id == author for m in filtered) and len(filtered) == 13


async def test_nickname_skeleton_is_unique_until_a_guest_expires(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory()
    await _account(store, "gina")
    with pytest.raises(CauserieError) as refused:
        await _account(store, "gina")
    assert refused.value.code is ErrorCode.NICKNAME_TAKEN
    later = await store.create_account(
        kind=AccountKind.GUEST,
        nickname="Gina",
        nick_skel="gina",
        age=30,
        gender="f",
        region="75",
        lang="fr",
        created_at=NOW + 7200,
        expires_at=NOW + 9000,
    )
    assert later.nickname == "Gina"


async def test_dedup_matches_exact_author_and_client_id_pairs(store_factory) -> None:  # type: ignore[no-untyped-def]
    """Batches larger than one lookup chunk; a client id reused by another author is a new message."""
    store = store_factory()
    authors = [await _account(store, f"pair{i}") for i in range(3)]
    room = await _room(store, "pairs")
    batch = [NewMessage(room, authors[i % 3], f"c{i}", f"m{i}", NOW) for i in range(900)]
    first = await store.insert_messages(batch)
    assert not any(r.duplicate for r in first)
    crossed = [NewMessage(room, authors[(i + 1) % 3], f"c{i}", f"x{i}", NOW) for i in range(900)]
    second = await store.insert_messages(crossed + batch)
    assert [r.duplicate for r in second] == [False] * 900 + [True] * 900
    assert [r.id for r in second[900:]] == [r.id for r in first]
    assert [r.seq for r in second[:900]] == list(range(901, 1801))


async def test_guest_and_session_in_one_transaction(store_factory) -> None:  # type: ignore[no-untyped-def]
    store = store_factory()
    common = {"age": 30, "gender": "f", "region": "75", "lang": "en"}
    guest = await store.create_guest_session(
        nickname="Hana", nick_skel="hana", created_at=NOW, expires_at=NOW + 60,
        token_hash="t1", session_expires_at=NOW + 60, **common,
    )  # fmt: skip
    assert guest == await store.get_account(guest.id)
    assert guest.kind is AccountKind.GUEST and guest.lang == "en"
    assert await store.session_account("t1", NOW + 1) == guest
    with pytest.raises(CauserieError) as taken:
        await store.create_guest_session(
            nickname="HANA", nick_skel="hana", created_at=NOW + 1, expires_at=NOW + 61,
            token_hash="t2", session_expires_at=NOW + 61, **common,
        )  # fmt: skip
    assert taken.value.code is ErrorCode.NICKNAME_TAKEN
    assert await store.session_account("t2", NOW + 2) is None  # nothing of the refused entry stays
    # one refresh extends the session and the guest: the nickname stays held past its first expiry
    await store.refresh_session("t1", NOW + 600, guest.id, NOW + 600)
    assert await store.session_account("t1", NOW + 300) == guest
    assert await store.nickname_holder("hana", NOW + 300) == guest.id
    # once the guest expired, its nickname goes to the next entry
    later = await store.create_guest_session(
        nickname="Hana", nick_skel="hana", created_at=NOW + 700, expires_at=NOW + 800,
        token_hash="t3", session_expires_at=NOW + 800, **common,
    )  # fmt: skip
    assert later.id != guest.id and await store.nickname_holder("hana", NOW + 700) == later.id
