"""Composition root: ``build(settings)`` wires adapters, services, the hub and the ASGI app.

May import: everything. This is the only module that names concrete adapters (SqlStore,
MemoryBroker, …); everything else depends on ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import FastAPI

from causerie.broker.base import Broker
from causerie.broker.memory import MemoryBroker
from causerie.clock import Clock, SystemClock
from causerie.config import Settings
from causerie.ids import AccountId, RoomId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import Counts
from causerie.realtime.hub import Hub
from causerie.services.accounts import AccountService
from causerie.services.container import Services
from causerie.services.messages import MessageService
from causerie.services.presence import PresenceService
from causerie.services.rooms import RoomService
from causerie.services.social import SocialService
from causerie.storage import migrate
from causerie.storage.sql.store import SqlStore
from causerie.web.app import create_app

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    services: Services
    hub: Hub
    asgi: FastAPI


def _broker(settings: Settings) -> Broker:
    if settings.redis_url:
        raise SystemExit(
            "redis_url is set, but several-node mode (Redis broker) is not available in this version; "
            "unset CAUSERIE_REDIS_URL to run one node"
        )
    return MemoryBroker()


def build(settings: Settings, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    store = SqlStore(
        settings.async_database_url, sqlite_synchronous=settings.sqlite_synchronous, pool_size=settings.db_pool_size
    )
    broker = _broker(settings)
    presence = PresenceService(broker, settings)
    accounts = AccountService(store, settings, clock)
    rooms = RoomService(store, settings, clock, presence)
    social = SocialService(store, settings, clock, broker, rooms, presence)
    messages = MessageService(store, settings, clock, broker, rooms, social, presence)
    services = Services(settings, clock, store, broker, accounts, presence, rooms, social, messages)
    hub = Hub(gap_filler=messages.fill_gap)

    def blocks_changed(account: AccountId, blocked: set[AccountId]) -> None:
        for conn in hub.account_connections(account):
            hub.set_blocks(conn, blocked)

    social.on_blocks_changed(blocks_changed)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await migrate.upgrade(settings.async_database_url)
        if settings.seed_rooms:
            await rooms.seed()
        else:
            await rooms.load()
        await broker.start(hub)
        messages.start()
        counts = asyncio.get_running_loop().create_task(_broadcast_counts(services, hub))
        log.info("causerie ready on %s:%s", settings.host, settings.port)
        try:
            yield
        finally:
            counts.cancel()
            await messages.stop()
            presence.close()
            await broker.close()
            await store.close()

    asgi = create_app(services, hub, lifespan)
    return App(settings, services, hub, asgi)


async def _broadcast_counts(services: Services, hub: Hub) -> None:
    """Push room member counts to every connection when they changed (the live directory)."""
    interval = services.settings.counts_interval_seconds
    seen = -1
    sent: dict[RoomId, int] = {}
    while True:
        await asyncio.sleep(interval)
        presence = services.presence
        if presence.version == seen:
            continue
        seen = presence.version
        current = presence.counts()
        changed: dict[str, int] = {}
        for room_id in set(current) | set(sent):
            count = current.get(room_id, 0)
            if sent.get(room_id) != count:
                slug = presence.slug(room_id)
                if slug is not None:
                    changed[slug] = count
        sent = current
        if changed:
            hub.deliver_all(encode_event(Counts(rooms=changed)))
