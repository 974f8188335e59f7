"""Who is online and who is in which room, across every node, with a grace period on leave.

May import: ``causerie.domain``, ``causerie.broker.base``, ``causerie.protocol``, ``causerie.config``,
``causerie.ids``.

Each node knows its own connections. It announces on the broker's ``presence`` topic when an account
becomes present in a room (or online) on this node, and when it stops being so; every node keeps the
cluster view: room → account → the nodes that have it. The node whose announcement lists or
unlists an account publishes the room's ``presence`` event. Nodes send a heartbeat; a node silent
for three heartbeats is considered dead and its entries are dropped by every survivor (each tells
its own connections). A starting node asks the others for their state (``sync``).

A member listed in a room stays listed for ``presence_grace_seconds`` after their last connection
leaves it, so that a page reload or a reconnect does not show a leave followed by a join.

A room's ``presence`` events go out at most once per ``PRESENCE_BATCH_SECONDS``: the first at once,
those that follow within that time together, in order, when it ends (or before the next message
published in that room: a message never overtakes its author's join). Each event is still
published on its own (blocks filter them by member), but in one loop turn, so the hub writes them
to each member as one buffer: with N members and J arrivals, N × J writes became N per batch
(10,000 guests joining 50 rooms: a million writes; docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable

import msgspec

from causerie.broker.base import Broker
from causerie.config import Settings
from causerie.ids import AccountId, RoomId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import Member, Presence

OnlineListener = Callable[[AccountId, bool], None]
LocalSink = Callable[[RoomId, AccountId, bytes], None]

TOPIC = "presence"
PRESENCE_BATCH_SECONDS = 0.25  # a busy room's presence events are delayed at most this long


class _Note(msgspec.Struct, omit_defaults=True):
    op: str  # join | leave | on | off | hb | sync | bye
    node: str
    room: int = 0
    slug: str = ""
    account: int = 0
    member: Member | None = None


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_Note).decode


class PresenceService:
    def __init__(self, broker: Broker, settings: Settings, node_id: str | None = None) -> None:
        self.node = node_id or uuid.uuid4().hex[:12]
        self._broker = broker
        self._grace = settings.presence_grace_seconds
        self._heartbeat = settings.presence_heartbeat_seconds
        # this node's own state
        self._conns: dict[RoomId, dict[AccountId, int]] = {}
        self._mine: dict[RoomId, dict[AccountId, Member]] = {}
        self._online_local: dict[AccountId, int] = {}
        self._timers: dict[tuple[RoomId, AccountId], asyncio.TimerHandle] = {}
        # the cluster view (this node included)
        # (node, member) pairs and node ids as tuples, not dicts and sets: one of each per connected
        # member, and almost always of one element (bytes per idle connection, docs/performance.md)
        self._listed: dict[RoomId, dict[AccountId, tuple[tuple[str, Member], ...]]] = {}
        self._online: dict[AccountId, tuple[str, ...]] = {}
        self._slugs: dict[RoomId, str] = {}
        self._seen: dict[str, float] = {}
        self._online_listeners: list[OnlineListener] = []
        self.local_sink: LocalSink | None = None
        self._task: asyncio.Task[None] | None = None
        # presence events waiting for their room's batch: room -> [(member, payload, cluster)]
        self._batched: dict[RoomId, list[tuple[AccountId, bytes, bool]]] = {}
        self._batch_timers: dict[RoomId, asyncio.TimerHandle] = {}
        self._last_batch: dict[RoomId, float] = {}
        self.version = 0  # bumped on every count change (the counts broadcaster watches it)
        broker.subscribe(TOPIC, self._on_note)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._announce(_Note("sync", self.node))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._heartbeat_loop(), name="presence")

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for room_id in list(self._batched):
            with contextlib.suppress(Exception):
                self._flush_batch(room_id)
        if self._task is not None:
            self._task.cancel()
            self._task = None
        with contextlib.suppress(Exception):
            self._announce(_Note("bye", self.node))

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            self._announce(_Note("hb", self.node))
            deadline = time.monotonic() - 3 * self._heartbeat
            for node, seen in list(self._seen.items()):
                if node != self.node and seen < deadline:
                    self._drop_node(node)

    # -- online ---------------------------------------------------------------------------------

    def on_online_change(self, listener: OnlineListener) -> None:
        self._online_listeners.append(listener)

    def connect(self, account: AccountId) -> None:
        self._online_local[account] = self._online_local.get(account, 0) + 1
        if self._online_local[account] == 1:
            self._announce(_Note("on", self.node, account=account))

    def disconnect(self, account: AccountId) -> None:
        left = self._online_local.get(account, 0) - 1
        if left > 0:
            self._online_local[account] = left
            return
        self._online_local.pop(account, None)
        self._announce(_Note("off", self.node, account=account))

    def is_online(self, account: AccountId) -> bool:
        return account in self._online

    def online(self) -> list[AccountId]:
        return list(self._online)

    # -- rooms ----------------------------------------------------------------------------------

    def join(self, room_id: RoomId, slug: str, member: Member) -> None:
        """A connection of ``member`` on this node entered the room."""
        account = AccountId(member.id)
        self._slugs[room_id] = slug
        conns = self._conns.setdefault(room_id, {})
        conns[account] = conns.get(account, 0) + 1
        timer = self._timers.pop((room_id, account), None)
        if timer is not None:
            timer.cancel()
        mine = self._mine.setdefault(room_id, {})
        if account not in mine:
            mine[account] = member
            self._announce(_Note("join", self.node, room=room_id, slug=slug, account=account, member=member))

    def leave(self, room_id: RoomId, account: AccountId, *, grace: bool) -> None:
        """A connection of ``account`` left the room (explicitly, or by disconnecting: grace)."""
        conns = self._conns.get(room_id)
        if conns is None or account not in conns:
            return
        conns[account] -= 1
        if conns[account] > 0:
            return
        del conns[account]
        if grace and self._grace > 0:
            loop = asyncio.get_running_loop()
            self._timers[(room_id, account)] = loop.call_later(self._grace, self._expire, room_id, account)
        else:
            self._expire(room_id, account)

    def _expire(self, room_id: RoomId, account: AccountId) -> None:
        self._timers.pop((room_id, account), None)
        if account in self._conns.get(room_id, {}):
            return
        if self._mine.get(room_id, {}).pop(account, None) is not None:
            self._announce(_Note("leave", self.node, room=room_id, account=account))

    def members(self, room_id: RoomId) -> list[Member]:
        return [nodes[0][1] for nodes in self._listed.get(room_id, {}).values()]

    def is_member(self, room_id: RoomId, account: AccountId) -> bool:
        return account in self._listed.get(room_id, {})

    def count(self, room_id: RoomId) -> int:
        return len(self._listed.get(room_id, {}))

    def counts(self) -> dict[RoomId, int]:
        return {room: len(listed) for room, listed in self._listed.items()}

    def slug(self, room_id: RoomId) -> str | None:
        return self._slugs.get(room_id)

    # -- the cluster view -----------------------------------------------------------------------

    def _announce(self, note: _Note) -> None:
        self._broker.publish(TOPIC, _encode(note))

    def _on_note(self, data: bytes) -> None:
        note = _decode(data)
        self._seen[note.node] = time.monotonic()
        if note.op == "join" and note.member is not None:
            self._apply_join(RoomId(note.room), note.slug, note.node, note.member)
        elif note.op == "leave":
            emit = "cluster" if note.node == self.node else "none"
            self._apply_leave(RoomId(note.room), AccountId(note.account), note.node, emit=emit)
        elif note.op == "on":
            self._apply_online(AccountId(note.account), note.node, True)
        elif note.op == "off":
            self._apply_online(AccountId(note.account), note.node, False)
        elif note.op == "sync" and note.node != self.node:
            self._resend_state()
        elif note.op == "bye" and note.node != self.node:
            self._drop_node(note.node)

    def _apply_join(self, room_id: RoomId, slug: str, node: str, member: Member) -> None:
        self._slugs.setdefault(room_id, slug)
        accounts = self._listed.setdefault(room_id, {})
        account = AccountId(member.id)
        nodes = accounts.get(account, ())
        first = not nodes
        if any(n == node for n, _ in nodes):  # an update from the same node keeps its place
            accounts[account] = tuple((n, member if n == node else m) for n, m in nodes)
        else:
            accounts[account] = (*nodes, (node, member))
        if first:
            self.version += 1
            if node == self.node:
                self._room_event(room_id, "join", member, cluster=True)

    def _apply_leave(self, room_id: RoomId, account: AccountId, node: str, *, emit: str) -> None:
        """``emit``: "cluster" (this node unlisted it: tell everyone), "local" (a dead node's entry:
        every survivor tells its own connections), or "none" (another node tells everyone)."""
        accounts = self._listed.get(room_id)
        if accounts is None or account not in accounts:
            return
        nodes = accounts[account]
        member = next((m for n, m in nodes if n == node), None)
        if member is None:
            return
        rest = tuple(p for p in nodes if p[0] != node)
        if rest:
            accounts[account] = rest
            return
        del accounts[account]
        self.version += 1
        if emit != "none":
            self._room_event(room_id, "leave", member, cluster=emit == "cluster")

    def _apply_online(self, account: AccountId, node: str, online: bool) -> None:
        nodes = self._online.get(account, ())
        was = bool(nodes)
        if online:
            if node not in nodes:
                nodes = (*nodes, node)
        else:
            nodes = tuple(n for n in nodes if n != node)
        if nodes:
            self._online[account] = nodes
        else:
            self._online.pop(account, None)
        now = account in self._online
        if was != now and node == self.node:
            for listener in self._online_listeners:
                listener(account, now)

    def _drop_node(self, node: str) -> None:
        """A node died or left: forget what it announced; tell this node's connections."""
        self._seen.pop(node, None)
        for room_id, accounts in list(self._listed.items()):
            for account in [a for a, nodes in accounts.items() if any(n == node for n, _ in nodes)]:
                self._apply_leave(room_id, account, node, emit="local")
        for account in [a for a, nodes in self._online.items() if node in nodes]:
            self._apply_online(account, node, False)

    def _resend_state(self) -> None:
        self._announce(_Note("hb", self.node))
        for room_id, mine in self._mine.items():
            slug = self._slugs.get(room_id, "")
            for account, member in mine.items():
                self._announce(_Note("join", self.node, room=room_id, slug=slug, account=account, member=member))
        for account in self._online_local:
            self._announce(_Note("on", self.node, account=account))

    def _room_event(self, room_id: RoomId, action: str, member: Member, *, cluster: bool) -> None:
        slug = self._slugs.get(room_id)
        if slug is None:
            return
        payload = encode_event(Presence(room=slug, action="join" if action == "join" else "leave", member=member))
        account = AccountId(member.id)
        batch = self._batched.get(room_id)
        if batch is not None:  # the room's batch is open: this event goes with it, in order
            batch.append((account, payload, cluster))
            return
        now = time.monotonic()
        due = self._last_batch.get(room_id, -PRESENCE_BATCH_SECONDS) + PRESENCE_BATCH_SECONDS
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if now >= due or loop is None:  # a quiet room: at once
            self._last_batch[room_id] = now
            self._publish_event(room_id, account, payload, cluster)
            return
        self._batched[room_id] = [(account, payload, cluster)]
        self._batch_timers[room_id] = loop.call_later(due - now, self._flush_batch, room_id)

    def flush(self, room_id: RoomId) -> None:
        """Publish the room's waiting presence events now: a message about to be published in the
        room must not overtake the join of its author (called by ``MessageService``)."""
        if room_id in self._batched:
            self._flush_batch(room_id)

    def _flush_batch(self, room_id: RoomId) -> None:
        timer = self._batch_timers.pop(room_id, None)
        if timer is not None:
            timer.cancel()
        self._last_batch[room_id] = time.monotonic()
        for account, payload, cluster in self._batched.pop(room_id, []):
            self._publish_event(room_id, account, payload, cluster)

    def _publish_event(self, room_id: RoomId, account: AccountId, payload: bytes, cluster: bool) -> None:
        if cluster:
            self._broker.publish_room(room_id, None, account, payload)
        elif self.local_sink is not None:
            self.local_sink(room_id, account, payload)
