"""Connection records of WebSocket sessions, written in batches off the hot path (issue 7, part A).

May import: ``causerie.storage.retention``, ``causerie.clock``, ``causerie.config``, ``causerie.ids``,
``causerie.observability``.

French law (LCEN art. 6, décret 2021-1362) asks a host to keep, for one year, what identifies the
origin of each connection: IP address and source port, start and end times, and the account; we add
the user agent and the browser's device id. The session calls ``opened`` when it is authenticated
and ``closed`` when it ends: both only append to memory. A background task writes everything queued
every ``records_flush_interval`` seconds in ONE transaction (at most ``records_batch_max`` rows), so
a connection costs no database round trip. A connection that ends before its row is written is
written with its end time at once. If the process dies, connections still open keep ``ended_at``
NULL (their start is recorded; the purge then counts from the start).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass, replace

from causerie.clock import Clock
from causerie.config import Settings
from causerie.ids import AccountId
from causerie.observability import CONNECTION_RECORDS, CONNECTION_RECORDS_DROPPED
from causerie.storage.retention import ConnectionOpened, RetentionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a connection comes from (the transport fills it in)."""

    ip: str | None = None
    port: int | None = None
    user_agent: str | None = None
    device_id: str | None = None


class ConnectionRecorder:
    def __init__(self, store: RetentionStore, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._keys = itertools.count(1)
        self._opened: dict[int, ConnectionOpened] = {}  # not written yet
        self._ended: dict[int, float] = {}  # written, closed since: key -> end time
        self._rows: dict[int, int] = {}  # written and still open: key -> row id
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()
        self.written = 0
        self.batches = 0

    # -- the session's two calls (no I/O) -------------------------------------------------------

    def opened(self, account_id: AccountId, peer: Peer | None) -> int:
        """Queue the record of a connection that just authenticated; its key, for ``closed``."""
        key = next(self._keys)
        if len(self._opened) >= self._settings.records_queue_max:
            CONNECTION_RECORDS_DROPPED.inc()
            log.error("connection record dropped: the write queue is full (is the database down?)")
            return 0
        p = peer or Peer()
        self._opened[key] = ConnectionOpened(
            key=key,
            account_id=int(account_id),
            ip=p.ip,
            port=p.port,
            user_agent=p.user_agent,
            device_id=p.device_id,
            started_at=self._clock.now(),
        )
        return key

    def closed(self, key: int) -> None:
        """Queue the end time of a connection ``opened`` returned ``key`` for."""
        if not key:
            return
        now = self._clock.now()
        pending = self._opened.get(key)
        if pending is not None:
            self._opened[key] = replace(pending, ended_at=now)
        else:  # written already, or being written: the end is applied once its row id is known
            self._ended[key] = now

    @property
    def queued(self) -> int:
        return len(self._opened) + len(self._ended)

    # -- the writer -----------------------------------------------------------------------------

    async def flush(self) -> int:
        """Write one batch of what is queued (one transaction); rows written."""
        async with self._flushing:
            limit = max(1, self._settings.records_batch_max)
            keys = list(itertools.islice(self._opened, limit))
            ended = [(k, self._rows[k], at) for k, at in self._ended.items() if k in self._rows][:limit]
            if not keys and not ended:
                return 0
            # taken out of the queue: what closes while we write lands in _ended, applied by a later batch
            opened = [self._opened.pop(key) for key in keys]
            try:
                rows = await self._store.write_connections(opened, [(row, at) for _, row, at in ended])
            except BaseException:
                for c in opened:  # back in the queue, retried next time
                    late = self._ended.pop(c.key, None)
                    self._opened[c.key] = replace(c, ended_at=late) if late is not None and c.ended_at is None else c
                raise
            for key, _, _ in ended:
                self._ended.pop(key, None)
                self._rows.pop(key, None)
            for c in opened:
                if c.ended_at is None:
                    self._rows[c.key] = rows[c.key]  # open: its end is written by a later batch
            self.written += len(opened) + len(ended)
            self.batches += 1
            CONNECTION_RECORDS.inc(len(opened))
            return len(opened) + len(ended)

    async def drain(self) -> None:
        """Write everything queued (shutdown, tests)."""
        for _ in range(10_000):
            if not await self.flush():
                return

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="connection-records")

    async def stop(self) -> None:
        """Stop the writer after writing what is queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.drain()
        except Exception:
            log.exception("connection records could not be written at shutdown")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.records_flush_interval)
            try:
                while await self.flush() >= self._settings.records_batch_max:
                    pass
            except Exception:
                log.exception("connection records not written (kept queued, retried)")
