"""The SQL store against a real SQLite file: group commit, idempotent sends, history, accounts, social."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from causerie.domain.entities import (
    Account,
    AccountKind,
    DmPolicy,
    DmPolicyMode,
    DmState,
    NewMessage,
    Room,
    RoomCategory,
    RoomKind,
)
from causerie.domain.text import skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.storage.sql.store import SqlStore

NOW = 1_800_000_000.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    s = SqlStore(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await s.create_all()
    try:
        yield s
    finally:
        await s.close()


async def account(
    store: SqlStore,
    nick: str,
    *,
    kind: AccountKind = AccountKind.GUEST,
    created_at: float = NOW,
    expires_at: float | None = NOW + 3600,
    email: str | None = None,
) -> Account:
    return await store.create_account(
        kind=kind,
        nickname=nick,
        nick_skel=skeleton(nick),
        age=30,
        gender="f",
        region="75",
        lang="fr",
        created_at=created_at,
        expires_at=expires_at,
        email=email,
        password_hash="h" if email else None,
    )


async def room(store: SqlStore, slug: str, owner: AccountId | None = None, kind: RoomKind = RoomKind.PUBLIC) -> Room:
    return await store.create_room(
        slug=slug,
        name=slug.title(),
        name_skel=skeleton(slug),
        category=RoomCategory.TOPIC if owner is None else RoomCategory.USER,
        kind=kind,
        topic="",
        min_age=18,
        max_age=None,
        owner_id=owner,
        position=0,
        created_at=NOW,
    )


def new(room_id: RoomId, author: AccountId, cid: str, text: str | None = None, reply: int | None = None) -> NewMessage:
    return NewMessage(
        room_id=room_id, author_id=author, client_id=cid, text=text or f"text {cid}", created_at=NOW, reply_seq=reply
    )


# -- group commit and sequence numbers ---------------------------------------------------------


async def test_group_commit_assigns_gap_free_seqs_per_room(store: SqlStore) -> None:
    alice, bob = await account(store, "alice"), await account(store, "bob")
    r1, r2 = await room(store, "one"), await room(store, "two")
    batch = [
        new(r1.id, alice.id, "a1"),
        new(r2.id, alice.id, "a2"),
        new(r1.id, bob.id, "b1"),
        new(r1.id, alice.id, "a3"),
        new(r2.id, bob.id, "b2"),
    ]
    results = await store.insert_messages(batch)
    assert [(r.room_id, r.seq) for r in results] == [(r1.id, 1), (r2.id, 1), (r1.id, 2), (r1.id, 3), (r2.id, 2)]
    assert not any(r.duplicate for r in results)
    assert len({r.id for r in results}) == 5
    second = await store.insert_messages([new(r2.id, bob.id, "b3"), new(r1.id, bob.id, "b4")])
    assert [(r.room_id, r.seq) for r in second] == [(r2.id, 3), (r1.id, 4)]
    assert await store.last_seqs([r1.id, r2.id]) == {r1.id: 4, r2.id: 3}
    page, more = await store.messages_before(r1.id, None, 100)
    assert [v.seq for v in page] == [1, 2, 3, 4] and not more
    assert [v.text for v in page] == ["text a1", "text b1", "text a3", "text b4"]


async def test_concurrent_batches_never_share_or_skip_a_seq(store: SqlStore) -> None:
    authors = [await account(store, f"writer{i}") for i in range(4)]
    r = await room(store, "busy")

    async def writer(a: Account) -> list[int]:
        seqs: list[int] = []
        for n in range(5):
            results = await store.insert_messages([new(r.id, a.id, f"{a.id}-{n}-{k}") for k in range(3)])
            seqs += [x.seq for x in results]
        return seqs

    all_seqs = [s for seqs in await asyncio.gather(*(writer(a) for a in authors)) for s in seqs]
    assert sorted(all_seqs) == list(range(1, 61))
    assert (await store.last_seqs([r.id]))[r.id] == 60


async def test_duplicate_client_id_inside_a_batch_is_stored_once(store: SqlStore) -> None:
    alice = await account(store, "alice")
    r = await room(store, "dups")
    results = await store.insert_messages(
        [new(r.id, alice.id, "same", "first"), new(r.id, alice.id, "other"), new(r.id, alice.id, "same", "retry")]
    )
    first, other, again = results
    assert not first.duplicate and not other.duplicate
    assert again.duplicate
    assert (again.id, again.seq, again.room_id) == (first.id, first.seq, first.room_id)
    page, _ = await store.messages_before(r.id, None, 10)
    assert [(v.seq, v.text) for v in page] == [(1, "first"), (2, "text other")]


async def test_duplicate_client_id_across_batches_returns_the_original(store: SqlStore) -> None:
    alice, bob = await account(store, "alice"), await account(store, "bob")
    r = await room(store, "dups")
    (original,) = await store.insert_messages([new(r.id, alice.id, "c-1", "hello")])
    results = await store.insert_messages(
        [new(r.id, alice.id, "c-1", "hello again"), new(r.id, bob.id, "c-1", "bob may use the same id")]
    )
    assert results[0].duplicate
    assert (results[0].id, results[0].seq, results[0].created_at) == (original.id, original.seq, original.created_at)
    assert not results[1].duplicate and results[1].seq == 2  # client ids are per author
    page, _ = await store.messages_before(r.id, None, 10)
    assert [(v.seq, v.author.nick, v.text) for v in page] == [
        (1, "alice", "hello"),
        (2, "bob", "bob may use the same id"),
    ]
    assert (await store.last_seqs([r.id]))[r.id] == 2  # a duplicate takes no seq


async def test_a_batch_of_only_duplicates_stores_nothing(store: SqlStore) -> None:
    alice = await account(store, "alice")
    r = await room(store, "dups")
    first = await store.insert_messages([new(r.id, alice.id, f"c{i}") for i in range(3)])
    again = await store.insert_messages([new(r.id, alice.id, f"c{i}") for i in reversed(range(3))])
    assert all(x.duplicate for x in again)
    assert [x.id for x in again] == [x.id for x in reversed(first)]
    assert (await store.last_seqs([r.id]))[r.id] == 3


# -- history --------------------------------------------------------------------------------------


async def test_history_pages_back_with_before_and_limit(store: SqlStore) -> None:
    alice = await account(store, "alice")
    r = await room(store, "history")
    await store.insert_messages([new(r.id, alice.id, f"c{i}") for i in range(1, 26)])
    page, more = await store.messages_before(r.id, None, 10)
    assert [v.seq for v in page] == list(range(16, 26)) and more
    page, more = await store.messages_before(r.id, 16, 10)
    assert [v.seq for v in page] == list(range(6, 16)) and more
    page, more = await store.messages_before(r.id, 6, 10)
    assert [v.seq for v in page] == [1, 2, 3, 4, 5] and not more
    page, more = await store.messages_before(r.id, 1, 10)
    assert page == [] and not more
    page, more = await store.messages_before(r.id, 11, 10)  # exactly ten older ones: no more
    assert [v.seq for v in page] == list(range(1, 11)) and not more
    empty = await room(store, "empty")
    assert await store.messages_before(empty.id, None, 10) == ([], False)


async def test_messages_between_is_exclusive_after_inclusive_upto(store: SqlStore) -> None:
    alice = await account(store, "alice")
    r = await room(store, "between")
    await store.insert_messages([new(r.id, alice.id, f"c{i}") for i in range(1, 21)])
    views, more = await store.messages_between(r.id, 5, 12, 100)
    assert [v.seq for v in views] == list(range(6, 13)) and not more
    views, more = await store.messages_between(r.id, 5, 12, 4)
    assert [v.seq for v in views] == [6, 7, 8, 9] and more
    views, more = await store.messages_between(r.id, 5, 12, 7)
    assert [v.seq for v in views] == list(range(6, 13)) and not more
    assert await store.messages_between(r.id, 20, 20, 10) == ([], False)


async def test_history_excludes_authors(store: SqlStore) -> None:
    alice, bob, carol = await account(store, "alice"), await account(store, "bob"), await account(store, "carol")
    r = await room(store, "excl")
    authors = [alice, bob, carol, bob, alice, bob]
    await store.insert_messages([new(r.id, a.id, f"c{i}") for i, a in enumerate(authors)])
    page, _ = await store.messages_before(r.id, None, 10, exclude_authors=[bob.id])
    assert [(v.seq, v.author.nick) for v in page] == [(1, "alice"), (3, "carol"), (5, "alice")]
    page, more = await store.messages_before(r.id, None, 2, exclude_authors={bob.id, carol.id})
    assert [v.seq for v in page] == [1, 5] and not more
    views, _ = await store.messages_between(r.id, 1, 6, 10, exclude_authors=[alice.id])
    assert [v.seq for v in views] == [2, 3, 4, 6]


async def test_messages_carry_author_and_reply_excerpt(store: SqlStore) -> None:
    alice, bob = await account(store, "alice"), await account(store, "bob")
    r = await room(store, "replies")
    await store.insert_messages([new(r.id, alice.id, "q", "what do you listen to?")])
    await store.insert_messages([new(r.id, bob.id, "a", "jazz", reply=1)])
    reply = await store.message_by_seq(r.id, 2)
    assert reply is not None
    assert (reply.author.nick, reply.author.age, reply.author.gender, reply.author.region) == ("bob", 30, "f", "75")
    assert (reply.reply_seq, reply.reply_nick, reply.reply_text) == (1, "alice", "what do you listen to?")
    assert await store.message_by_seq(r.id, 3) is None
    by_ids = await store.messages_by_ids([reply.id])
    assert [v.seq for v in by_ids] == [2]


# -- accounts and sessions ------------------------------------------------------------------------


async def test_nicknames_are_unique_by_skeleton(store: SqlStore) -> None:
    elodie = await account(store, "Élodie")
    for variant in ("elodie", "ELODIE", "Е1odie", "É.lodie"):  # case, accent, Cyrillic Е and digit 1, separator
        with pytest.raises(CauserieError) as info:
            await account(store, variant)
        assert info.value.code is ErrorCode.NICKNAME_TAKEN
    assert await store.nickname_holder(skeleton("ELODIE"), NOW) == elodie.id
    found = await store.find_account_by_skeleton(skeleton("elodie"))
    assert found is not None and found.nickname == "Élodie"
    assert await store.nickname_holder(skeleton("someone"), NOW) is None


async def test_an_expired_guest_releases_the_nickname(store: SqlStore) -> None:
    old = await account(store, "Hugo", created_at=NOW - 100, expires_at=NOW - 1)
    assert await store.nickname_holder(skeleton("hugo"), NOW) is None
    assert await store.nickname_holder(skeleton("hugo"), NOW - 50) == old.id  # was live then
    fresh = await account(store, "hugo", created_at=NOW)
    assert fresh.id != old.id
    assert await store.nickname_holder(skeleton("Hugo"), NOW) == fresh.id
    # a registered account never expires
    await account(store, "Inès", kind=AccountKind.REGISTERED, expires_at=None, email="ines@example.org")
    with pytest.raises(CauserieError) as info:
        await account(store, "ines", created_at=NOW + 10**9)
    assert info.value.code is ErrorCode.NICKNAME_TAKEN


async def test_a_live_guest_keeps_its_nickname_and_can_be_extended(store: SqlStore) -> None:
    guest = await account(store, "Nadia", expires_at=NOW + 10)
    await store.extend_guest(guest.id, NOW + 1000)
    assert await store.nickname_holder(skeleton("nadia"), NOW + 500) == guest.id
    with pytest.raises(CauserieError):
        await account(store, "nadia", created_at=NOW + 500)


async def test_registration_and_login_lookup(store: SqlStore) -> None:
    guest = await account(store, "Zoé")
    assert await store.find_login(email=None, nick_skel=skeleton("zoe")) is None  # guests cannot log in
    await store.register_account(guest.id, email="zoe@example.org", password_hash="argon")
    by_nick = await store.find_login(email=None, nick_skel=skeleton("ZOE"))
    by_mail = await store.find_login(email="zoe@example.org", nick_skel=None)
    assert by_nick is not None and by_mail is not None
    assert by_nick[0].id == by_mail[0].id == guest.id
    assert by_nick[0].kind is AccountKind.REGISTERED and by_nick[1] == "argon"
    other = await account(store, "Other")
    with pytest.raises(CauserieError) as info:
        await store.register_account(other.id, email="zoe@example.org", password_hash="x")
    assert info.value.code is ErrorCode.EMAIL_TAKEN
    # registered: the nickname is no longer released by time
    assert await store.nickname_holder(skeleton("zoe"), NOW + 10**9) == guest.id


async def test_sessions(store: SqlStore) -> None:
    alice = await account(store, "alice")
    await store.create_session("t1", alice.id, NOW, NOW + 100, max_sessions=3)
    found = await store.session_account("t1", NOW + 50)
    assert found is not None and found.id == alice.id
    assert await store.session_account("t1", NOW + 100) is None  # expired
    assert await store.session_account("nope", NOW) is None
    await store.touch_session("t1", NOW + 1000)
    assert await store.session_account("t1", NOW + 500) is not None
    await store.delete_session("t1")
    assert await store.session_account("t1", NOW) is None


async def test_only_the_newest_sessions_are_kept(store: SqlStore) -> None:
    alice = await account(store, "alice")
    for i in range(5):
        await store.create_session(f"s{i}", alice.id, NOW + i, NOW + 1000, max_sessions=3)
    alive = [i for i in range(5) if await store.session_account(f"s{i}", NOW + 10) is not None]
    assert alive == [2, 3, 4]


async def test_dm_policy_is_stored(store: SqlStore) -> None:
    alice = await account(store, "alice")
    assert alice.dm_policy == DmPolicy()
    policy = DmPolicy(DmPolicyMode.FILTERED, genders=frozenset({"f", "nb"}), age_min=25, age_max=40)
    await store.set_dm_policy(alice.id, policy)
    again = await store.get_account(alice.id)
    assert again is not None and again.dm_policy == policy


# -- rooms and direct conversations -----------------------------------------------------------------


async def test_room_membership_and_ownership(store: SqlStore) -> None:
    owner, guest = await account(store, "owner"), await account(store, "guest")
    club = await room(store, "club", owner=owner.id, kind=RoomKind.INVITE)
    assert await store.count_rooms_owned(owner.id) == 1
    assert await store.is_room_member(club.id, owner.id)
    assert not await store.is_room_member(club.id, guest.id)
    await store.add_room_member(club.id, guest.id, "member", NOW)
    await store.add_room_member(club.id, guest.id, "member", NOW)  # idempotent
    assert await store.is_room_member(club.id, guest.id)
    assert [r.slug for r in await store.rooms_of_member(guest.id)] == ["club"]
    with pytest.raises(CauserieError) as info:
        await room(store, "club")
    assert info.value.code is ErrorCode.ROOM_NAME_TAKEN


async def test_direct_conversations(store: SqlStore) -> None:
    a, b = await account(store, "anna"), await account(store, "bruno")
    lo, hi = sorted((a.id, b.id))
    slug = f"dm-{lo}-{hi}"
    dm, created = await store.get_or_create_dm(
        b.id, a.id, slug=slug, state_a=DmState.ACCEPTED, state_b=DmState.REQUEST, now=NOW
    )
    assert created and dm.is_direct and dm.slug == slug
    assert dm.dm_state_for(b.id) is DmState.ACCEPTED  # the sender
    assert dm.dm_state_for(a.id) is DmState.REQUEST  # the recipient
    again, created = await store.get_or_create_dm(
        a.id, b.id, slug=slug, state_a=DmState.ACCEPTED, state_b=DmState.ACCEPTED, now=NOW
    )
    assert not created and again.id == dm.id and again.dm_state_for(a.id) is DmState.REQUEST
    assert await store.list_dms(a.id) == []  # no message yet
    await store.insert_messages([new(dm.id, b.id, "hi")])
    accepted = await store.set_dm_state(dm.id, a.id, DmState.ACCEPTED)
    assert accepted.dm_state_for(a.id) is DmState.ACCEPTED
    listed = await store.list_dms(a.id)
    assert [(r.slug, last) for r, last in listed] == [(slug, 1)]
    assert await store.count_rooms_owned(a.id) == 0


# -- blocks and friends ---------------------------------------------------------------------------


async def test_blocks(store: SqlStore) -> None:
    a, b, c = await account(store, "anna"), await account(store, "bruno"), await account(store, "chloe")
    await store.add_block(a.id, b.id, NOW, limit=2)
    await store.add_block(a.id, b.id, NOW, limit=2)  # idempotent
    assert await store.blocked_by(a.id) == {b.id}
    assert await store.blocked_by(b.id) == set()
    assert await store.is_blocked_either_way(a.id, b.id)
    assert await store.is_blocked_either_way(b.id, a.id)
    assert not await store.is_blocked_either_way(a.id, c.id)
    await store.add_block(a.id, c.id, NOW, limit=2)
    d = await account(store, "dora")
    with pytest.raises(CauserieError) as info:
        await store.add_block(a.id, d.id, NOW, limit=2)
    assert info.value.code is ErrorCode.TOO_MANY_BLOCKS
    await store.remove_block(a.id, b.id)
    assert await store.blocked_by(a.id) == {c.id}
    assert not await store.is_blocked_either_way(a.id, b.id)


async def test_friends(store: SqlStore) -> None:
    a, b, c = await account(store, "anna"), await account(store, "bruno"), await account(store, "chloe")
    assert await store.friend_request(a.id, b.id, NOW, limit=10) is False
    assert await store.friend_request(a.id, b.id, NOW, limit=10) is False  # asking twice changes nothing
    assert not await store.are_friends(a.id, b.id)
    assert await store.friendships(b.id) == [(a.id, b.id, False)]
    assert await store.friend_request(b.id, a.id, NOW, limit=10) is True  # accepting
    assert await store.are_friends(a.id, b.id) and await store.are_friends(b.id, a.id)
    assert await store.friend_request(a.id, b.id, NOW, limit=10) is True
    assert await store.friendships(a.id) == [(a.id, b.id, True)]
    with pytest.raises(CauserieError) as info:
        await store.friend_request(a.id, c.id, NOW, limit=1)
    assert info.value.code is ErrorCode.TOO_MANY_FRIENDS
    await store.remove_friend(b.id, a.id)
    assert not await store.are_friends(a.id, b.id)
    assert await store.friendships(a.id) == []


async def test_blocking_ends_a_friendship(store: SqlStore) -> None:
    a, b = await account(store, "anna"), await account(store, "bruno")
    await store.friend_request(a.id, b.id, NOW, limit=10)
    await store.friend_request(b.id, a.id, NOW, limit=10)
    await store.add_block(b.id, a.id, NOW, limit=10)
    assert not await store.are_friends(a.id, b.id)
    assert await store.friendships(a.id) == []
