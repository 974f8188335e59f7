"""Who is online, and who is in which room (this node's view), with a grace period on leave.

May import: ``causerie.domain``, ``causerie.broker.base``, ``causerie.protocol``, ``causerie.config``,
``causerie.ids``.

A member listed in a room stays listed for ``presence_grace_seconds`` after their last connection
leaves it, so that a page reload or a reconnect does not show a leave followed by a join.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from causerie.broker.base import Broker
from causerie.config import Settings
from causerie.ids import AccountId, RoomId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import Member, Presence

OnlineListener = Callable[[AccountId, bool], None]


class PresenceService:
    def __init__(self, broker: Broker, settings: Settings) -> None:
        self._broker = broker
        self._grace = settings.presence_grace_seconds
        self._conns: dict[RoomId, dict[AccountId, int]] = {}
        self._listed: dict[RoomId, dict[AccountId, Member]] = {}
        self._slugs: dict[RoomId, str] = {}
        self._timers: dict[tuple[RoomId, AccountId], asyncio.TimerHandle] = {}
        self._online: dict[AccountId, int] = {}
        self._online_listeners: list[OnlineListener] = []
        self.version = 0  # bumped on every count change (the counts broadcaster watches it)

    # -- online ---------------------------------------------------------------------------------

    def on_online_change(self, listener: OnlineListener) -> None:
        self._online_listeners.append(listener)

    def connect(self, account: AccountId) -> None:
        self._online[account] = self._online.get(account, 0) + 1
        if self._online[account] == 1:
            for listener in self._online_listeners:
                listener(account, True)

    def disconnect(self, account: AccountId) -> None:
        left = self._online.get(account, 0) - 1
        if left > 0:
            self._online[account] = left
            return
        self._online.pop(account, None)
        for listener in self._online_listeners:
            listener(account, False)

    def is_online(self, account: AccountId) -> bool:
        return account in self._online

    def online(self) -> list[AccountId]:
        return list(self._online)

    # -- rooms ----------------------------------------------------------------------------------

    def join(self, room_id: RoomId, slug: str, member: Member) -> None:
        """A connection of ``member`` entered the room."""
        account = AccountId(member.id)
        self._slugs[room_id] = slug
        conns = self._conns.setdefault(room_id, {})
        conns[account] = conns.get(account, 0) + 1
        timer = self._timers.pop((room_id, account), None)
        if timer is not None:
            timer.cancel()
        listed = self._listed.setdefault(room_id, {})
        if account not in listed:
            listed[account] = member
            self.version += 1
            self._publish(room_id, "join", member)
        else:
            listed[account] = member

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
        member = self._listed.get(room_id, {}).pop(account, None)
        if member is not None:
            self.version += 1
            self._publish(room_id, "leave", member)

    def members(self, room_id: RoomId) -> list[Member]:
        return list(self._listed.get(room_id, {}).values())

    def is_member(self, room_id: RoomId, account: AccountId) -> bool:
        return account in self._listed.get(room_id, {})

    def count(self, room_id: RoomId) -> int:
        return len(self._listed.get(room_id, {}))

    def counts(self) -> dict[RoomId, int]:
        return {room: len(listed) for room, listed in self._listed.items()}

    def slug(self, room_id: RoomId) -> str | None:
        return self._slugs.get(room_id)

    def _publish(self, room_id: RoomId, action: str, member: Member) -> None:
        slug = self._slugs[room_id]
        payload = encode_event(Presence(room=slug, action="join" if action == "join" else "leave", member=member))
        self._broker.publish_room(room_id, None, AccountId(member.id), payload)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
