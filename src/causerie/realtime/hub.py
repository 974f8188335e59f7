"""Local fan-out: which connection is in which room, and delivery of encoded events to them.

May import: stdlib, ``causerie.ids``, ``causerie.realtime.port``.

Each event is encoded once by whoever publishes it; the hub only moves bytes. Delivery is
coalesced: what a room produced during one event-loop turn is joined into one payload and pushed to
each member once, so under load the cost is per turn, not per message (at low load a turn holds one
event, so no latency is added). Recipients who block an author take a slower filtered path.

Room messages carry a sequence number. The hub remembers the last one it delivered per room and
drops anything at or below it (a duplicate from the broker); a jump is a gap, filled from the
database by the ``GapFiller`` before later messages are delivered. The database is the truth; the
broker is the fast path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from causerie.ids import AccountId, ConnectionId, RoomId
from causerie.realtime.port import Outbound

log = logging.getLogger(__name__)

# (room, after, upto) -> [(seq, author, payload)] for the messages with after < seq <= upto
GapFiller = Callable[[RoomId, int, int], Awaitable[list[tuple[int, AccountId, bytes]]]]


@dataclass(eq=False)
class _Channel:
    room_id: RoomId
    members: dict[ConnectionId, Outbound] = field(default_factory=dict)
    pending: list[tuple[AccountId, bytes]] = field(default_factory=list)
    scheduled: bool = False
    delivered_seq: int | None = None  # None: not known yet (being initialised)
    early: list[tuple[int, AccountId, bytes]] = field(default_factory=list)  # seq'd events before init
    joining: dict[ConnectionId, list[tuple[AccountId, bytes]]] = field(default_factory=dict)
    filling: bool = False
    after_fill: list[tuple[int, AccountId, bytes]] = field(default_factory=list)


class Hub:
    """Per-node registry of connections and rooms, and the delivery engine."""

    def __init__(self, gap_filler: GapFiller | None = None) -> None:
        self._channels: dict[RoomId, _Channel] = {}
        self._accounts: dict[AccountId, dict[ConnectionId, Outbound]] = {}
        self._all: dict[ConnectionId, Outbound] = {}
        # author -> connections whose account blocks that author (only online ones matter)
        self._blockers_of: dict[AccountId, set[ConnectionId]] = {}
        self._blocks_of_conn: dict[ConnectionId, set[AccountId]] = {}
        self._gap_filler = gap_filler
        self._loop: asyncio.AbstractEventLoop | None = None
        self.deliveries = 0  # events pushed to connections (metrics)
        self._tasks: set[asyncio.Task[None]] = set()

    def set_gap_filler(self, filler: GapFiller) -> None:
        self._gap_filler = filler

    # -- connections ----------------------------------------------------------------------------

    def add_connection(self, conn: Outbound, blocked: Iterable[AccountId]) -> None:
        self._all[conn.conn_id] = conn
        self._accounts.setdefault(conn.account_id, {})[conn.conn_id] = conn
        self.set_blocks(conn, blocked)

    def remove_connection(self, conn: Outbound) -> None:
        self._all.pop(conn.conn_id, None)
        conns = self._accounts.get(conn.account_id)
        if conns is not None:
            conns.pop(conn.conn_id, None)
            if not conns:
                del self._accounts[conn.account_id]
        self.set_blocks(conn, ())
        for channel in self._channels.values():
            channel.members.pop(conn.conn_id, None)
            channel.joining.pop(conn.conn_id, None)

    def set_blocks(self, conn: Outbound, blocked: Iterable[AccountId]) -> None:
        for author in self._blocks_of_conn.pop(conn.conn_id, set()):
            holders = self._blockers_of.get(author)
            if holders is not None:
                holders.discard(conn.conn_id)
                if not holders:
                    del self._blockers_of[author]
        new = set(blocked)
        if new:
            self._blocks_of_conn[conn.conn_id] = new
            for author in new:
                self._blockers_of.setdefault(author, set()).add(conn.conn_id)

    def account_connections(self, account_id: AccountId) -> list[Outbound]:
        return list(self._accounts.get(account_id, {}).values())

    def is_online(self, account_id: AccountId) -> bool:
        return account_id in self._accounts

    def online_accounts(self) -> list[AccountId]:
        return list(self._accounts)

    @property
    def connection_count(self) -> int:
        return len(self._all)

    # -- rooms ----------------------------------------------------------------------------------

    def channel_seq(self, room_id: RoomId) -> int | None:
        channel = self._channels.get(room_id)
        return channel.delivered_seq if channel is not None else None

    def open_channel(self, room_id: RoomId) -> bool:
        """Make sure a channel exists; True if its last delivered seq is not known yet."""
        channel = self._channels.get(room_id)
        if channel is None:
            self._channels[room_id] = _Channel(room_id)
            return True
        return channel.delivered_seq is None

    def init_channel(self, room_id: RoomId, last_seq: int) -> None:
        """Set the starting point of a new channel (the room's last_seq read from the database)."""
        channel = self._channels[room_id]
        if channel.delivered_seq is not None:
            return
        channel.delivered_seq = last_seq
        early, channel.early = channel.early, []
        for seq, author, payload in sorted(early, key=lambda e: e[0]):
            self._sequenced(channel, seq, author, payload)

    def open_rooms(self) -> list[RoomId]:
        return [room_id for room_id, ch in self._channels.items() if ch.delivered_seq is not None]

    def catch_up(self, room_id: RoomId, last_seq: int) -> None:
        """The database says the room is at ``last_seq``: fill any messages the broker lost."""
        channel = self._channels.get(room_id)
        if channel is None or channel.delivered_seq is None or channel.filling:
            return
        if last_seq > channel.delivered_seq and self._gap_filler is not None:
            channel.filling = True
            task = asyncio.get_running_loop().create_task(self._fill(channel, channel.delivered_seq, last_seq))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def begin_join(self, conn: Outbound, room_id: RoomId) -> int:
        """Start a join: live events for ``conn`` are held until ``finish_join``.

        Returns the last delivered sequence number: replay covers ``since < seq <= it``; everything
        later reaches the connection live, so there is neither a hole nor a duplicate.
        """
        channel = self._channels[room_id]
        assert channel.delivered_seq is not None, "init_channel first"
        channel.members.pop(conn.conn_id, None)
        if channel.pending:
            # Events queued this turn are already counted in delivered_seq, so the replay covers
            # them: push them to the current members now, before this connection starts holding
            # (otherwise it would get them twice: in the replay and live).
            self._flush(channel)
        channel.joining[conn.conn_id] = []
        return channel.delivered_seq

    def finish_join(self, conn: Outbound, room_id: RoomId, before_live: Iterable[bytes] = ()) -> None:
        """Push ``before_live`` (the joined event and replay), then what was held, then go live."""
        channel = self._channels[room_id]
        held = channel.joining.pop(conn.conn_id, None)
        if held is None:  # left or disconnected meanwhile
            return
        for payload in before_live:
            conn.push(payload)
        blocked = self._blocks_of_conn.get(conn.conn_id, ())
        kept = [p for a, p in held if a not in blocked]
        if kept:
            conn.push(b"\n".join(kept))
        channel.members[conn.conn_id] = conn

    def leave(self, conn: Outbound, room_id: RoomId) -> None:
        channel = self._channels.get(room_id)
        if channel is not None:
            channel.members.pop(conn.conn_id, None)
            channel.joining.pop(conn.conn_id, None)

    def in_room(self, conn: Outbound, room_id: RoomId) -> bool:
        channel = self._channels.get(room_id)
        return channel is not None and (conn.conn_id in channel.members or conn.conn_id in channel.joining)

    def room_connections(self, room_id: RoomId) -> int:
        channel = self._channels.get(room_id)
        return len(channel.members) if channel is not None else 0

    # -- delivery (called by the broker) --------------------------------------------------------

    def deliver_room(self, room_id: RoomId, seq: int | None, author: AccountId, payload: bytes) -> None:
        """An event for everyone in a room; ``seq`` for stored messages, None for the rest."""
        channel = self._channels.get(room_id)
        if channel is None:
            return
        if seq is None:
            self._enqueue(channel, author, payload)
        elif channel.delivered_seq is None:
            channel.early.append((seq, author, payload))
        else:
            self._sequenced(channel, seq, author, payload)

    def deliver_accounts(self, accounts: Iterable[AccountId], author: AccountId, payload: bytes) -> None:
        """An event for every connection of some accounts (private messages, personal events)."""
        blockers = self._blockers_of.get(author)
        for account in accounts:
            for conn in self._accounts.get(account, {}).values():
                if blockers is None or conn.conn_id not in blockers:
                    conn.push(payload)
                    self.deliveries += 1

    def deliver_all(self, payload: bytes) -> None:
        for conn in self._all.values():
            conn.push(payload)

    def _sequenced(self, channel: _Channel, seq: int, author: AccountId, payload: bytes) -> None:
        assert channel.delivered_seq is not None
        if channel.filling:
            channel.after_fill.append((seq, author, payload))
            return
        if seq <= channel.delivered_seq:
            return  # duplicate (already delivered, or included in a replay)
        if seq == channel.delivered_seq + 1 or self._gap_filler is None:
            channel.delivered_seq = seq
            self._enqueue(channel, author, payload)
            return
        # a gap: fetch the missing messages from the database, then go on in order
        channel.filling = True
        channel.after_fill.append((seq, author, payload))
        task = asyncio.get_running_loop().create_task(self._fill(channel, channel.delivered_seq, seq - 1))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill(self, channel: _Channel, after: int, upto: int) -> None:
        assert self._gap_filler is not None
        failed = False
        try:
            missing = await self._gap_filler(channel.room_id, after, upto)
        except Exception:
            log.exception("gap fill failed for room %s", channel.room_id)
            missing, failed = [], True
        channel.filling = False
        queued = sorted(missing + channel.after_fill, key=lambda e: e[0])
        channel.after_fill = []
        for seq, author, payload in queued:
            assert channel.delivered_seq is not None
            if channel.filling:  # a later gap is being filled: the rest waits for it
                channel.after_fill.append((seq, author, payload))
                continue
            if seq <= channel.delivered_seq:
                continue
            if seq > upto and not failed:
                # beyond this fill, another gap may have opened meanwhile (found by tests/fuzz)
                self._sequenced(channel, seq, author, payload)
                continue
            channel.delivered_seq = seq
            self._enqueue(channel, author, payload)

    def _enqueue(self, channel: _Channel, author: AccountId, payload: bytes) -> None:
        if not payload:  # a sequence number with nothing to show (a shadow-hidden or removed message)
            return
        channel.pending.append((author, payload))
        if not channel.scheduled:
            channel.scheduled = True
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._loop.call_soon(self._flush, channel)

    def _flush(self, channel: _Channel) -> None:
        channel.scheduled = False
        items, channel.pending = channel.pending, []
        if not items:
            return
        for held in channel.joining.values():
            held.extend(items)
        if not channel.members:
            return
        blockers: set[ConnectionId] = set()
        for author, _ in items:
            found = self._blockers_of.get(author)
            if found:
                blockers |= found
        shared = items[0][1] if len(items) == 1 else b"\n".join(p for _, p in items)
        count = len(items)
        for conn_id, conn in channel.members.items():
            if conn_id in blockers:
                blocked = self._blocks_of_conn.get(conn_id, set())
                kept = [p for a, p in items if a not in blocked]
                if kept:
                    conn.push(b"\n".join(kept))
                    self.deliveries += len(kept)
            else:
                conn.push(shared)
                self.deliveries += count
