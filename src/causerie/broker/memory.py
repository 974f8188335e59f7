"""The in-process broker: one node, events go straight to the local hub, in order.

May import: stdlib, ``causerie.broker.base``, ``causerie.ids``.
"""

from __future__ import annotations

from collections.abc import Sequence

from causerie.broker.base import EventSink
from causerie.ids import AccountId, RoomId


class MemoryBroker:
    def __init__(self) -> None:
        self._sink: EventSink | None = None

    async def start(self, sink: EventSink) -> None:
        self._sink = sink

    async def close(self) -> None:
        self._sink = None

    def publish_room(self, room_id: RoomId, seq: int | None, author: AccountId, payload: bytes) -> None:
        if self._sink is not None:
            self._sink.deliver_room(room_id, seq, author, payload)

    def publish_accounts(self, accounts: Sequence[AccountId], author: AccountId, payload: bytes) -> None:
        if self._sink is not None:
            self._sink.deliver_accounts(accounts, author, payload)

    def publish_all(self, payload: bytes) -> None:
        if self._sink is not None:
            self._sink.deliver_all(payload)

    async def healthy(self) -> bool:
        return True
