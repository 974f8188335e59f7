"""The in-process broker and rate limiter: one node, events go straight to the local hub, in order.

May import: stdlib, ``causerie.broker.base``, ``causerie.domain``, ``causerie.clock``, ``causerie.ids``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from causerie.broker.base import EventSink, TopicHandler
from causerie.clock import Clock
from causerie.domain.entities import TokenBucket
from causerie.ids import AccountId, RoomId


class MemoryBroker:
    def __init__(self) -> None:
        self._sink: EventSink | None = None
        self._handlers: dict[str, list[TopicHandler]] = {}

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

    def publish(self, topic: str, data: bytes) -> None:
        for handler in self._handlers.get(topic, ()):
            handler(data)

    def subscribe(self, topic: str, handler: TopicHandler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """One process never loses its in-process events: nothing to do."""

    async def healthy(self) -> bool:
        return True


class MemoryRateLimiter:
    """Token buckets in this process (one node). Idle buckets are forgotten (they would be full)."""

    def __init__(self, clock: Clock, max_buckets: int = 200_000) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._max = max_buckets

    async def take(self, key: str, capacity: float, rate: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max:
                self._buckets.clear()
            bucket = self._buckets[key] = TokenBucket(capacity, rate)
        return bucket.take(self._clock.monotonic())
