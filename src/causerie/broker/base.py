"""The broker port: services publish encoded events after commit; every node's hub receives them.

May import: stdlib, ``causerie.ids``, ``causerie.domain``, ``causerie.errors``.

Delivery through a broker is a fast path, not a guarantee: Redis pub/sub is at-most-once. Room
messages carry their sequence number so that a receiving node can detect a gap and fill it from the
database.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    async def healthy(self) -> bool: ...
