"""The hub, driven with fake connections that record what is pushed to them.

The hub only moves encoded bytes, so events here are short byte strings. ``next_turn()`` lets the
event loop run the callbacks already scheduled (the hub flushes each room once per loop turn).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import pytest

from causerie.ids import AccountId, ConnectionId, RoomId
from causerie.realtime.hub import Hub

ROOM = RoomId(1)
OTHER_ROOM = RoomId(2)
ALICE, BOB, CAROL = AccountId(1), AccountId(2), AccountId(3)

_conn_ids = itertools.count(1)


class FakeOutbound:
    def __init__(self, account_id: AccountId) -> None:
        self.conn_id = ConnectionId(next(_conn_ids))
        self.account_id = account_id
        self.pushes: list[bytes] = []
        self.closed: tuple[int, str] | None = None
        self._changed = asyncio.Event()

    def push(self, payload: bytes) -> None:
        self.pushes.append(payload)
        self._changed.set()

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    @property
    def lines(self) -> list[bytes]:
        return [line for push in self.pushes for line in push.split(b"\n")]

    async def wait_lines(self, count: int) -> list[bytes]:
        async with asyncio.timeout(2):
            while len(self.lines) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.lines


async def next_turn() -> None:
    """Let the loop run what is already scheduled (one turn), without waiting on time."""
    await asyncio.sleep(0)


def member(hub: Hub, account: AccountId, room: RoomId = ROOM, blocked: tuple[AccountId, ...] = ()) -> FakeOutbound:
    conn = FakeOutbound(account)
    hub.add_connection(conn, blocked)
    if hub.open_channel(room):
        hub.init_channel(room, 0)
    hub.begin_join(conn, room)
    hub.finish_join(conn, room)
    return conn


def msg(seq: int) -> bytes:
    return b"m%d" % seq


# -- coalescing ---------------------------------------------------------------------------------


async def test_events_of_one_turn_reach_each_member_as_one_push() -> None:
    hub = Hub()
    a, b = member(hub, ALICE), member(hub, BOB)
    hub.deliver_room(ROOM, 1, ALICE, msg(1))
    hub.deliver_room(ROOM, None, BOB, b"typing")
    assert a.pushes == [] and b.pushes == []  # nothing before the turn ends
    await next_turn()
    assert a.pushes == [b"m1\ntyping"]
    assert b.pushes == [b"m1\ntyping"]
    hub.deliver_room(ROOM, 2, ALICE, msg(2))
    await next_turn()
    assert a.pushes == [b"m1\ntyping", b"m2"]  # the next turn is a new push
    assert hub.deliveries == 6


async def test_rooms_are_delivered_to_their_members_only() -> None:
    hub = Hub()
    a = member(hub, ALICE)
    b = member(hub, BOB, OTHER_ROOM)
    hub.deliver_room(ROOM, 1, CAROL, msg(1))
    hub.deliver_room(OTHER_ROOM, None, CAROL, b"x")
    hub.deliver_room(RoomId(99), None, CAROL, b"nobody")  # no channel: dropped
    await next_turn()
    assert a.pushes == [b"m1"]
    assert b.pushes == [b"x"]


async def test_left_and_disconnected_connections_get_nothing() -> None:
    hub = Hub()
    a, b, c = member(hub, ALICE), member(hub, BOB), member(hub, CAROL)
    hub.leave(b, ROOM)
    hub.remove_connection(c)
    hub.deliver_room(ROOM, 1, ALICE, msg(1))
    await next_turn()
    assert a.pushes == [b"m1"]
    assert b.pushes == [] and c.pushes == []
    assert not hub.in_room(b, ROOM) and hub.in_room(a, ROOM)
    assert not hub.is_online(CAROL) and hub.is_online(BOB)


# -- sequencing ---------------------------------------------------------------------------------


async def test_duplicate_sequence_numbers_are_dropped() -> None:
    hub = Hub()
    a = member(hub, ALICE)
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    await next_turn()
    hub.deliver_room(ROOM, 2, BOB, msg(2))
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    hub.deliver_room(ROOM, 2, BOB, msg(2))
    await next_turn()
    assert a.lines == [msg(1), msg(2)]
    assert hub.channel_seq(ROOM) == 2


async def test_a_gap_is_filled_from_the_database_in_order() -> None:
    calls: list[tuple[RoomId, int, int]] = []
    release = asyncio.Event()

    async def gap_filler(room: RoomId, after: int, upto: int) -> list[tuple[int, AccountId, bytes]]:
        calls.append((room, after, upto))
        await release.wait()
        return [(seq, BOB, msg(seq)) for seq in range(after + 1, upto + 1)]

    hub = Hub(gap_filler)
    a = member(hub, ALICE)
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    hub.deliver_room(ROOM, 4, BOB, msg(4))  # 2 and 3 were lost on the way
    hub.deliver_room(ROOM, 6, BOB, msg(6))  # arrives while filling, and out of order
    hub.deliver_room(ROOM, 5, BOB, msg(5))
    hub.deliver_room(ROOM, 3, BOB, msg(3))  # late copy of a missing one
    await a.wait_lines(1)
    assert a.lines == [msg(1)]
    assert calls == [(ROOM, 1, 3)]
    release.set()
    lines = await a.wait_lines(6)
    assert lines == [msg(seq) for seq in range(1, 7)]
    hub.deliver_room(ROOM, 7, BOB, msg(7))
    hub.deliver_room(ROOM, 6, BOB, msg(6))
    assert await a.wait_lines(7) == [msg(seq) for seq in range(1, 8)]
    await next_turn()
    assert len(a.lines) == 7
    assert calls == [(ROOM, 1, 3)]


async def test_a_failed_gap_fill_does_not_stall_the_room() -> None:
    async def broken(room: RoomId, after: int, upto: int) -> list[tuple[int, AccountId, bytes]]:
        raise RuntimeError("database away")

    hub = Hub(broken)
    a = member(hub, ALICE)
    hub.deliver_room(ROOM, 3, BOB, msg(3))
    assert await a.wait_lines(1) == [msg(3)]
    hub.deliver_room(ROOM, 4, BOB, msg(4))
    assert await a.wait_lines(2) == [msg(3), msg(4)]


async def test_events_before_the_channel_knows_its_sequence_are_kept() -> None:
    hub = Hub()
    b = FakeOutbound(BOB)
    hub.add_connection(b, ())
    assert hub.open_channel(ROOM)  # not initialised yet: its last seq is being read
    hub.deliver_room(ROOM, 12, BOB, msg(12))
    hub.deliver_room(ROOM, 11, BOB, msg(11))
    hub.deliver_room(ROOM, 10, BOB, msg(10))  # already counted in last_seq below: dropped
    assert hub.channel_seq(ROOM) is None
    hub.init_channel(ROOM, 10)
    assert not hub.open_channel(ROOM)
    assert hub.channel_seq(ROOM) == 12
    upto = hub.begin_join(b, ROOM)
    assert upto == 12
    hub.finish_join(b, ROOM, [b"joined", msg(11), msg(12)])  # replay of since=10
    hub.deliver_room(ROOM, 13, BOB, msg(13))
    await next_turn()
    assert b.lines == [b"joined", msg(11), msg(12), msg(13)]


# -- joining ------------------------------------------------------------------------------------


async def test_events_during_a_join_are_held_then_delivered_after_the_payload() -> None:
    hub = Hub()
    a = member(hub, ALICE)
    hub.deliver_room(ROOM, 1, ALICE, msg(1))
    await next_turn()

    b = FakeOutbound(BOB)
    hub.add_connection(b, ())
    upto = hub.begin_join(b, ROOM)
    assert upto == 1
    assert hub.in_room(b, ROOM)
    # while B's replay is read from the database, the room goes on
    hub.deliver_room(ROOM, 2, ALICE, msg(2))
    await next_turn()
    hub.deliver_room(ROOM, None, ALICE, b"typing")
    hub.deliver_room(ROOM, 3, ALICE, msg(3))
    await next_turn()
    assert b.pushes == []  # held
    replay = [msg(s) for s in range(1, upto + 1)]
    hub.finish_join(b, ROOM, [b"joined", b"\n".join(replay)])
    hub.deliver_room(ROOM, 4, ALICE, msg(4))
    await next_turn()
    assert b.lines == [b"joined", msg(1), msg(2), b"typing", msg(3), msg(4)]
    assert a.lines == [msg(1), msg(2), b"typing", msg(3), msg(4)]


async def test_a_join_right_after_a_delivery_in_the_same_turn_has_no_duplicate() -> None:
    """The event is counted in the replay bound (delivered_seq) but not flushed yet."""
    hub = Hub()
    a = member(hub, ALICE)
    b = FakeOutbound(BOB)
    hub.add_connection(b, ())
    hub.deliver_room(ROOM, 1, ALICE, msg(1))
    upto = hub.begin_join(b, ROOM)  # same turn: seq 1 is pending in the channel
    assert upto == 1
    replay = [msg(s) for s in range(1, upto + 1)]  # what the database gives for since=0
    await next_turn()
    hub.finish_join(b, ROOM, [b"joined", *replay])
    hub.deliver_room(ROOM, 2, ALICE, msg(2))
    await next_turn()
    assert b.lines == [b"joined", msg(1), msg(2)]  # seq 1 exactly once
    assert a.lines == [msg(1), msg(2)]


async def test_a_connection_that_leaves_during_its_join_gets_nothing() -> None:
    hub = Hub()
    member(hub, ALICE)
    b = FakeOutbound(BOB)
    hub.add_connection(b, ())
    hub.begin_join(b, ROOM)
    hub.deliver_room(ROOM, 1, ALICE, msg(1))
    await next_turn()
    hub.leave(b, ROOM)
    hub.finish_join(b, ROOM, [b"joined"])
    hub.deliver_room(ROOM, 2, ALICE, msg(2))
    await next_turn()
    assert b.pushes == []


async def test_rejoining_does_not_duplicate_live_delivery() -> None:
    hub = Hub()
    a = member(hub, ALICE)
    hub.begin_join(a, ROOM)
    hub.finish_join(a, ROOM, [b"joined again"])
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    await next_turn()
    assert a.lines == [b"joined again", msg(1)]


# -- blocks -------------------------------------------------------------------------------------


async def test_a_blocker_gets_the_other_authors_only() -> None:
    hub = Hub()
    blocker = member(hub, ALICE, blocked=(BOB,))
    other = member(hub, CAROL)
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    hub.deliver_room(ROOM, 2, CAROL, msg(2))
    hub.deliver_room(ROOM, None, BOB, b"bob typing")
    hub.deliver_room(ROOM, 3, BOB, msg(3))
    await next_turn()
    assert blocker.pushes == [msg(2)]
    assert other.pushes == [b"m1\nm2\nbob typing\nm3"]
    # a turn with only the blocked author's events pushes nothing at all to the blocker
    hub.deliver_room(ROOM, 4, BOB, msg(4))
    await next_turn()
    assert blocker.pushes == [msg(2)]


async def test_blocks_can_change_on_a_live_connection() -> None:
    hub = Hub()
    alice = member(hub, ALICE)
    hub.set_blocks(alice, [BOB])
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    await next_turn()
    assert alice.pushes == []
    hub.set_blocks(alice, [])
    hub.deliver_room(ROOM, 2, BOB, msg(2))
    await next_turn()
    assert alice.lines == [msg(2)]


async def test_events_held_during_a_join_are_filtered_by_blocks() -> None:
    hub = Hub()
    member(hub, CAROL)
    alice = FakeOutbound(ALICE)
    hub.add_connection(alice, [BOB])
    hub.begin_join(alice, ROOM)
    hub.deliver_room(ROOM, 1, BOB, msg(1))
    hub.deliver_room(ROOM, 2, CAROL, msg(2))
    await next_turn()
    hub.finish_join(alice, ROOM, [b"joined"])
    assert alice.lines == [b"joined", msg(2)]


async def test_personal_events_skip_connections_that_block_the_author() -> None:
    hub = Hub()
    alice = FakeOutbound(ALICE)
    alice2 = FakeOutbound(ALICE)
    carol = FakeOutbound(CAROL)
    hub.add_connection(alice, [BOB])
    hub.add_connection(alice2, [BOB])
    hub.add_connection(carol, ())
    hub.deliver_accounts([ALICE, CAROL], BOB, b"dm")
    hub.deliver_accounts([ALICE], CAROL, b"friend")
    assert alice.pushes == [b"friend"] and alice2.pushes == [b"friend"]
    assert carol.pushes == [b"dm"]
    assert len(hub.account_connections(ALICE)) == 2
    hub.deliver_all(b"counts")
    assert carol.pushes == [b"dm", b"counts"]
    assert hub.connection_count == 3


@pytest.mark.parametrize("count", [1, 50])
async def test_many_members_each_get_every_event_once(count: int) -> None:
    hub = Hub()
    conns = [member(hub, AccountId(100 + i)) for i in range(count)]
    expected: Callable[[], list[bytes]] = lambda: [msg(s) for s in range(1, 21)]  # noqa: E731
    for seq in range(1, 21):
        hub.deliver_room(ROOM, seq, ALICE, msg(seq))
    await next_turn()
    for conn in conns:
        assert conn.pushes == [b"\n".join(expected())]
