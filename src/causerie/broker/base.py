"""The broker port: services publish encoded events after commit; every node's hub receives them.

May import: stdlib, ``causerie.ids``, ``causerie.domain``, ``causerie.errors``, ``causerie.clock``.

Delivery through a broker is a fast path, not a guarantee: Redis pub/sub is at-most-once. Room
messages carry their sequence number so that a receiving node can detect a gap and fill it from the
database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from causerie.ids import AccountId, RoomId


class EventSink(Protocol):
    """What a node does with an event (implemented by ``realtime.hub.Hub``)."""

    def deliver_room(self, room_id: RoomId, seq: int | None, author: AccountId, payload: bytes) -> None: ...

    def deliver_accounts(self, accounts: Sequence[AccountId], author: AccountId, payload: bytes) -> None: ...

    def deliver_all(self, payload: bytes) -> None: ...


class Broker(Protocol):
    async def start(self, sink: EventSink) -> None:
        """Begin delivering published events (from every node) to ``sink``."""
        ...

    async def close(self) -> None: ...

    def publish_room(self, room_id: RoomId, seq: int | None, author: AccountId, payload: bytes) -> None:
        """An event for everyone in a room, on every node."""
        ...

    def publish_accounts(self, accounts: Sequence[AccountId], author: AccountId, payload: bytes) -> None:
        """An event for every connection of these accounts, on every node."""
        ...

    def publish_all(self, payload: bytes) -> None:
        """An event for every connection on every node."""
        ...

    def publish(self, topic: str, data: bytes) -> None:
        """A service-level notice (presence updates, block lists…) for every node, this one included."""
        ...

    def subscribe(self, topic: str, handler: TopicHandler) -> None:
        """Call ``handler(data)`` for every ``publish(topic, data)`` on any node."""
        ...

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after the broker reconnected (events may have been lost meanwhile)."""
        ...

    async def healthy(self) -> bool: ...


TopicHandler = Callable[[bytes], None]


class RateLimiter(Protocol):
    """Token buckets shared by every node (Redis) or local to one node (memory)."""

    async def take(self, key: str, capacity: float, rate: float) -> float:
        """Take one token from bucket ``key``: 0.0 if taken, else seconds until one is available."""
        ...
