"""Several nodes: events between nodes over Redis pub/sub; rate limits in Redis.

May import: stdlib, redis, msgspec, ``causerie.broker.base``, ``causerie.ids``.

Every node publishes to one channel (``<prefix>:events``) and subscribes to it. An event is first
delivered to the local hub directly (no round trip for local users), then published; a node skips
its own events when they come back. Publishing is done by one task, in order, pipelined: what was
published during one loop turn goes in one round trip.

Redis pub/sub is at-most-once: events are lost while a node is disconnected. The database stays
the truth: room messages carry their sequence number and each hub fills gaps from the database;
after a reconnect, ``on_reconnect`` callbacks make every node catch up at once. If Redis is down,
publishing drops events (logged and counted) instead of growing memory.

Beyond one Redis: Redis Cluster with sharded pub/sub (SPUBLISH/SSUBSCRIBE per room) is the path
(docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from causerie.broker.base import EventSink, TopicHandler
from causerie.ids import AccountId, RoomId

log = logging.getLogger(__name__)

_ROOM, _ACCOUNTS, _ALL, _TOPIC = 1, 2, 3, 4
MAX_PENDING = 100_000  # events queued while Redis is unreachable, then dropped


class _Envelope(msgspec.Struct, array_like=True):
    origin: str
    kind: int
    room: int = 0
    seq: int | None = None
    author: int = 0
    accounts: list[int] = []
    topic: str = ""
    payload: bytes = b""


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_Envelope).decode


class RedisBroker:
    def __init__(self, url: str, prefix: str = "causerie", node_id: str | None = None) -> None:
        self.node_id = node_id or uuid.uuid4().hex[:12]
        self._url = url
        self._channel = f"{prefix}:events"
        self._redis: Redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._sink: EventSink | None = None
        self._handlers: dict[str, list[TopicHandler]] = {}
        self._reconnect_callbacks: list[Callable[[], None]] = []
        self._pending: list[bytes] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self.dropped = 0
        self.received = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._publish_loop(), name="redis-publish"),
            loop.create_task(self._subscribe_loop(), name="redis-subscribe"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 5)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._redis.aclose()

    async def healthy(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), 1.0)) and self._subscribed.is_set()
        except (RedisError, OSError, TimeoutError):
            return False

    # -- publishing -----------------------------------------------------------------------------

    def publish_room(self, room_id: RoomId, seq: int | None, author: AccountId, payload: bytes) -> None:
        if self._sink is not None:
            self._sink.deliver_room(room_id, seq, author, payload)
        self._queue(_Envelope(self.node_id, _ROOM, room=room_id, seq=seq, author=author, payload=payload))

    def publish_accounts(self, accounts: Sequence[AccountId], author: AccountId, payload: bytes) -> None:
        if self._sink is not None:
            self._sink.deliver_accounts(accounts, author, payload)
        self._queue(
            _Envelope(self.node_id, _ACCOUNTS, author=author, accounts=[int(a) for a in accounts], payload=payload)
        )

    def publish_all(self, payload: bytes) -> None:
        if self._sink is not None:
            self._sink.deliver_all(payload)
        self._queue(_Envelope(self.node_id, _ALL, payload=payload))

    def publish(self, topic: str, data: bytes) -> None:
        self._dispatch_topic(topic, data)
        self._queue(_Envelope(self.node_id, _TOPIC, topic=topic, payload=data))

    def subscribe(self, topic: str, handler: TopicHandler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        self._reconnect_callbacks.append(callback)

    def _queue(self, envelope: _Envelope) -> None:
        if len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return
        self._pending.append(_encode(envelope))
        self._wake.set()

    async def _publish_loop(self) -> None:
        backoff = 0.05
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                continue
            batch, self._pending = self._pending, []
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for data in batch:
                        _ = pipe.publish(self._channel, data)
                    await pipe.execute()
                backoff = 0.05
            except (RedisError, OSError) as exc:
                # at-most-once: these events are lost for other nodes; their hubs fill from the DB
                self.dropped += len(batch)
                log.warning("redis publish failed (%s); %d events dropped", type(exc).__name__, len(batch))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    # -- receiving ------------------------------------------------------------------------------

    async def _subscribe_loop(self) -> None:
        backoff = 0.05
        first = True
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                if not first:
                    log.warning("redis subscription restored; catching up from the database")
                    for callback in self._reconnect_callbacks:
                        callback()
                first = False
                backoff = 0.05
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._handle(message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                log.warning("redis subscription lost (%s); retrying", type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _handle(self, data: bytes) -> None:
        try:
            env = _decode(data)
        except msgspec.DecodeError:
            log.warning("undecodable event on %s", self._channel)
            return
        if env.origin == self.node_id:
            return
        self.received += 1
        sink = self._sink
        if env.kind == _TOPIC:
            self._dispatch_topic(env.topic, env.payload)
        elif sink is None:
            return
        elif env.kind == _ROOM:
            sink.deliver_room(RoomId(env.room), env.seq, AccountId(env.author), env.payload)
        elif env.kind == _ACCOUNTS:
            sink.deliver_accounts([AccountId(a) for a in env.accounts], AccountId(env.author), env.payload)
        elif env.kind == _ALL:
            sink.deliver_all(env.payload)

    def _dispatch_topic(self, topic: str, data: bytes) -> None:
        for handler in self._handlers.get(topic, ()):
            try:
                handler(data)
            except Exception:
                log.exception("handler for topic %s failed", topic)


# A token bucket in Redis, atomic and shared by every node. Time comes from Redis itself so that
# nodes with skewed clocks agree. KEYS[1] = bucket; ARGV = capacity, rate per second.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return tostring(wait)
"""


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str = "causerie") -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{prefix}:rl:"
        self._script = self._redis.register_script(_TAKE)
        self._failing_since: float | None = None

    async def take(self, key: str, capacity: float, rate: float) -> float:
        try:
            wait = float(await self._script(keys=[self._prefix + key], args=[capacity, rate]))
            self._failing_since = None
            return wait
        except (RedisError, OSError):
            # fail open for a short outage (chat keeps working), but say so in the logs
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                log.warning("redis rate limiter unreachable; allowing sends meanwhile")
            return 0.0

    async def close(self) -> None:
        await self._redis.aclose()
