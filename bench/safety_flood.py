"""Benchmark of the flood-control and privilege checks added to the pre-send path (issue 5).

    .venv/bin/python bench/safety_flood.py [--messages 20000]

Per message, as ``MessageService`` runs them on one node (in-memory rate limiter): the
per-address bucket, the repeated-message bucket (normalisation + BLAKE2 of the text), and
``PrivilegeService.check_send`` — for a young account (the link regular expression runs) and an
old one (the fast path). Texts are the labelled evaluation set's. With Redis each bucket is one
round trip instead (not measured here: network). Prints p50/p99/max in microseconds of the thread's CPU time (descheduling on a busy shared
machine left out).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time

from causerie.broker.memory import MemoryBroker, MemoryRateLimiter
from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import Account, AccountKind, Room, RoomCategory, RoomKind
from causerie.ids import AccountId, RoomId
from causerie.safety.evaluation import SPLITS, load_items
from causerie.services.flood import FloodControl
from causerie.services.messages import SendContext
from causerie.services.privileges import PrivilegeService
from causerie.services.throttle import Throttle


def _account(created_at: float, n: int) -> Account:
    return Account(AccountId(n), AccountKind.GUEST, f"u{n}", 30, "f", "75", created_at)


def _percentiles(values: list[float]) -> str:
    values.sort()
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:.1f} µs  p99 {q[98]:.1f} µs  max {values[-1]:.1f} µs"


async def main(count: int) -> None:
    clock = FakeClock()
    settings = Settings(ip_limits_exempt=[], repeat_message_max=1_000_000, rate_message_per_ip_burst=10**9)
    limiter = MemoryRateLimiter(clock)
    flood = FloodControl(settings, limiter, Throttle(settings, limiter))
    privileges = PrivilegeService(
        settings.model_copy(update={"privilege_links_minutes": 10**6, "privilege_dm_strangers_minutes": 0}),
        clock,
        MemoryBroker(),
    )
    texts = [item.text for split in SPLITS for item in load_items(split)]
    room = Room(RoomId(1), "r", "R", RoomCategory.TOPIC, RoomKind.PUBLIC)
    young, old = _account(clock.now(), 1), _account(clock.now() - 10**7, 2)
    for label, account in (("young account", young), ("old account", old)):
        timings: list[float] = []
        for i in range(count):
            text = texts[i % len(texts)]
            ctx = SendContext(account=account, room=room, text=text)
            started = time.thread_time()
            await flood.message(account.id, f"203.0.113.{i % 200}", text, new_dm=False)
            with contextlib.suppress(Exception):  # a link from a young account: refused, as on the server
                privileges.check_send(ctx)
            timings.append((time.thread_time() - started) * 1e6)
        print(
            f"flood + privileges, {label}: {_percentiles(timings)}  ({count} messages, load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    asyncio.run(main(parser.parse_args().messages))
