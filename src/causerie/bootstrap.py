"""Composition root: ``build(settings)`` wires adapters, services, the hub and the ASGI app.

May import: everything. This is the only module that names concrete adapters (SqlStore,
MemoryBroker, …); everything else depends on ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from causerie.broker.base import Broker, RateLimiter
from causerie.broker.memory import MemoryBroker, MemoryRateLimiter
from causerie.broker.redis import RedisBroker, RedisRateLimiter
from causerie.clock import Clock, SystemClock
from causerie.config import Settings
from causerie.ids import AccountId, RoomId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import Counts
from causerie.realtime.hub import Hub
from causerie.realtime.moderation import LiveModeration
from causerie.realtime.sessions import SessionEnds
from causerie.safety import SafetyConfig, SafetyEngine
from causerie.services.accounts import AccountService
from causerie.services.audit import AuditService
from causerie.services.container import Services
from causerie.services.flood import FloodControl
from causerie.services.humancheck import HumanCheck
from causerie.services.legal import LegalService
from causerie.services.media import HashBankService, MediaService, moderation_hooks
from causerie.services.messages import MessageService
from causerie.services.moderation import ModerationService
from causerie.services.presence import PresenceService
from causerie.services.privileges import PrivilegeService
from causerie.services.records import ConnectionRecorder
from causerie.services.retention import LegalHolds, RetentionService
from causerie.services.rooms import RoomService
from causerie.services.safety import SafetyService
from causerie.services.safety_rules import RuleAdmin
from causerie.services.social import SocialService
from causerie.services.throttle import Throttle
from causerie.services.transparency import TransparencyService
from causerie.storage import migrate
from causerie.storage.blobs import FileMediaStore, QuarantineVault, load_or_create_key, parse_key
from causerie.storage.sql.legal_store import SqlLegalStore
from causerie.storage.sql.media_store import SqlMediaRecords
from causerie.storage.sql.moderation_store import SqlModerationStore
from causerie.storage.sql.retention_store import SqlRetentionStore
from causerie.storage.sql.store import SqlStore
from causerie.web.app import create_app

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    services: Services
    hub: Hub
    asgi: FastAPI


def _broker(settings: Settings, clock: Clock, node_id: str) -> tuple[Broker, RateLimiter]:
    if settings.redis_url:
        return (
            RedisBroker(settings.redis_url, settings.redis_prefix, node_id),
            RedisRateLimiter(settings.redis_url, settings.redis_prefix),
        )
    return MemoryBroker(), MemoryRateLimiter(clock)


def _connect_args(settings: Settings) -> dict[str, Any]:
    if settings.database_schema and not settings.is_sqlite:
        return {"server_settings": {"search_path": settings.database_schema}}
    return {}


def build(settings: Settings, clock: Clock | None = None) -> App:
    clock = clock or SystemClock()
    node_id = settings.node_id or uuid.uuid4().hex[:12]
    store = SqlStore(
        settings.async_database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
        connect_args=_connect_args(settings),
    )
    broker, limiter = _broker(settings, clock, node_id)
    presence = PresenceService(broker, settings, node_id)
    accounts = AccountService(store, settings, clock, broker)
    rooms = RoomService(store, settings, clock, presence)
    social = SocialService(store, settings, clock, broker, rooms, presence)
    messages = MessageService(store, settings, clock, broker, rooms, social, presence, limiter)
    moderation_store = SqlModerationStore(store)
    moderation = ModerationService(store, moderation_store, settings, clock, broker, accounts, rooms, social, messages)
    messages.pre_send.append(moderation.check_send)  # sanctions, room safety, emergency level
    messages.post_send.append(moderation.after_send)  # hold_first_messages: count, queue held messages
    safety = SafetyService(SafetyEngine(SafetyConfig.from_settings(settings), clock=clock), store, broker, clock)
    safety.moderation = moderation
    messages.pre_send.append(safety.check)  # rules engine: block, hold for review, flag
    messages.post_send.append(safety.after_send)  # analysers: flags with evidence, safety nudges
    throttle = Throttle(settings, limiter)
    messages.flood = FloodControl(settings, limiter, throttle)  # per-address, new people, repeats (issue 5)
    privileges = PrivilegeService(settings, clock, broker)
    privileges.moderation = moderation
    safety.privileges = privileges  # automated flags count against a new account's record
    messages.pre_send.append(privileges.check_send)  # links, pictures
    messages.dm_checks.append(privileges.check_dm)  # private messages to strangers, before the request exists
    human_check = HumanCheck(settings, clock, limiter)
    human_check.moderation = moderation
    rooms.entry_checks.append(moderation.check_join)  # bans, kicks, closed rooms
    services = Services(
        settings,
        clock,
        store,
        broker,
        accounts,
        presence,
        rooms,
        social,
        messages,
        moderation=moderation,
        audit=AuditService(moderation_store, clock),
        throttle=throttle,
        safety=safety,
        flood=messages.flood,
        privileges=privileges,
        human_check=human_check,
    )
    media = _media(settings, store, clock, limiter)
    moderation_hooks(media, moderation, services.audit)
    messages.media_resolver = media.attach  # pictures in messages (issue 6)
    services.media = media
    retention, recorder = _records(services, store, moderation_store, settings, clock)  # issue 7
    _legal(services, store, settings, clock)  # issue 7B
    services.rule_admin = RuleAdmin(safety.engine, broker, services.audit, settings.safety_rules_dir)
    hub = Hub(gap_filler=messages.fill_gap)
    LiveModeration(hub, broker)  # kicks and closes decided by moderators, on this node's connections
    SessionEnds(hub, broker)  # a session that ends (logout, the oldest beyond the limit) closes its sockets
    background: set[asyncio.Task[None]] = set()

    def blocks_changed(account: AccountId, blocked: set[AccountId]) -> None:
        for conn in hub.account_connections(account):
            hub.set_blocks(conn, blocked)
        broker.publish("blocks", str(int(account)).encode())  # the account's other nodes reload

    def blocks_changed_elsewhere(data: bytes) -> None:
        account = AccountId(int(data))
        if not hub.account_connections(account):
            return

        async def reload() -> None:
            blocked = await store.blocked_by(account)
            for conn in hub.account_connections(account):
                hub.set_blocks(conn, blocked)

        task = asyncio.get_running_loop().create_task(reload())
        background.add(task)
        task.add_done_callback(background.discard)

    social.on_blocks_changed(blocks_changed)
    broker.subscribe("blocks", blocks_changed_elsewhere)
    presence.local_sink = lambda room, author, payload: hub.deliver_room(room, None, author, payload)

    checked: dict[RoomId, int] = {}  # each open room's last_seq at the previous periodic check

    async def catch_up(now: bool = False) -> None:
        """Compare every open room with the database; fill what the broker lost.

        The periodic check compares with what the database held one check earlier: a message
        committed a moment ago may not be published yet (its publish follows the commit), and
        filling it from the database would be wasted work on every busy room. After a broker
        reconnect (``now``) events were lost for sure: compare with the database as it is.
        """
        rooms_open = hub.open_rooms()
        if not rooms_open:
            return
        latest = await store.last_seqs(rooms_open)
        for room_id, last in (latest if now else checked).items():
            hub.catch_up(room_id, last)
        checked.clear()
        checked.update(latest)

    def on_broker_reconnect() -> None:
        task = asyncio.get_running_loop().create_task(catch_up(now=True))
        background.add(task)
        task.add_done_callback(background.discard)

    broker.on_reconnect(on_broker_reconnect)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await migrate.upgrade(settings.async_database_url, connect_args=_connect_args(settings))
        if settings.seed_rooms:
            await rooms.seed()
        else:
            await rooms.load()
        await broker.start(hub)
        presence.start()
        messages.start()
        await moderation.reload()
        moderation.start()
        await media.start()  # the hash-bank index: uploads are refused until it is loaded
        recorder.start()  # WebSocket connection records, written in batches
        retention.start()  # the retention purge, every retention_run_interval
        loop = asyncio.get_running_loop()
        counts = loop.create_task(_broadcast_counts(services, hub))
        gaps = loop.create_task(_periodic(settings.gap_check_seconds, catch_up))

        async def rules_changed() -> None:  # rule files edited by hand in the operator folder
            safety.engine.reload_if_changed()

        rules = loop.create_task(_periodic(settings.safety_rules_check_seconds, rules_changed))
        log.info("causerie ready on %s:%s", settings.host, settings.port)
        try:
            yield
        finally:
            counts.cancel()
            gaps.cancel()
            rules.cancel()
            await moderation.stop()
            await media.stop()
            await messages.stop()
            await retention.stop()
            await recorder.stop()  # writes what is queued
            presence.close()
            await broker.close()
            if isinstance(limiter, RedisRateLimiter):
                await limiter.close()
            await store.close()

    asgi = create_app(services, hub, lifespan)
    return App(settings, services, hub, asgi)


def media_dirs(settings: Settings) -> tuple[Path, Path]:
    """(pictures, quarantine) folders: beside the SQLite database unless configured."""
    root = settings.media_dir
    if root is None:
        url = settings.database_url
        db_path = url.split(":///", 1)[-1] if settings.is_sqlite else ""
        root = (Path(db_path).parent if db_path and db_path != ":memory:" else Path("data")) / "media"
    quarantine = settings.media_quarantine_dir or root.parent / "quarantine"
    return root, quarantine


def _media(settings: Settings, store: SqlStore, clock: Clock, limiter: RateLimiter) -> MediaService:
    root, quarantine = media_dirs(settings)
    secret = settings.media_quarantine_key
    key = (  # without a configured key: a key file, created on first use (not when building the app)
        parse_key(secret.get_secret_value())
        if secret is not None
        else functools.partial(load_or_create_key, quarantine / "quarantine.key")
    )
    records = SqlMediaRecords(store)
    return MediaService(
        records,
        FileMediaStore(root),
        QuarantineVault(quarantine, key),
        HashBankService(records, settings, clock),
        settings,
        clock,
        limiter,
    )


def _records(
    services: Services,
    store: SqlStore,
    moderation_store: SqlModerationStore,
    settings: Settings,
    clock: Clock,
) -> tuple[RetentionService, ConnectionRecorder]:
    """Retention purge, legal holds, connection records and room display windows (issue 7, part A)."""
    records = SqlRetentionStore(store)
    media_records = SqlMediaRecords(store)
    root, quarantine = media_dirs(settings)
    # deleting a quarantined file needs no key: the vault's key is never loaded here
    vault = QuarantineVault(quarantine, functools.partial(load_or_create_key, quarantine / "quarantine.key"))
    retention = RetentionService(records, settings, clock, FileMediaStore(root), vault)
    holds = LegalHolds(records, store, moderation_store, clock, media_records.legal_holds)
    recorder = ConnectionRecorder(records, settings, clock)
    services.retention = retention
    services.holds = holds
    services.records = recorder
    services.moderation.case_hooks.append(holds.on_case)  # child-safety cases hold themselves and the account
    moderation = services.moderation
    services.messages.display_window = lambda room_id: moderation.safety_of(room_id).display_window_hours * 3600.0
    return retention, recorder


def _legal(services: Services, store: SqlStore, settings: Settings, clock: Clock) -> None:
    """Evidence exports, reports to the authorities, trusted flaggers, GDPR, transparency (issue 7B)."""
    root, quarantine = media_dirs(settings)
    secret = settings.media_quarantine_key
    key = (  # the quarantine key, loaded only when an export asks for quarantined files
        parse_key(secret.get_secret_value())
        if secret is not None
        else functools.partial(load_or_create_key, quarantine / "quarantine.key")
    )
    legal_store = SqlLegalStore(store)
    legal = LegalService(
        legal_store,
        settings,
        clock,
        services.audit,
        services.moderation,
        SqlMediaRecords(store),
        FileMediaStore(root),
        QuarantineVault(quarantine, key),
        services.accounts,
    )
    services.moderation.priority_boost = legal.priority_boost  # trusted flaggers first (DSA art. 22)
    legal.flood = services.flood
    services.legal = legal
    services.transparency = TransparencyService(legal_store, settings, clock)


async def _periodic(interval: float, job: Callable[[], Awaitable[None]]) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await job()
        except Exception:
            log.exception("periodic job failed")


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


@contextlib.asynccontextmanager
async def offline_services(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Services]:
    """The services without a server, for CLI tasks (``causerie admin …``, ``causerie audit …``).

    The database is migrated first; events go to an in-process broker nobody listens to (other
    nodes pick up role and sanction changes at their next ``moderation_refresh_seconds``).
    """
    built = build(settings.model_copy(update={"redis_url": None}), clock)
    services = built.services
    await migrate.upgrade(settings.async_database_url, connect_args=_connect_args(settings))
    try:
        await services.rooms.load()
        await services.moderation.reload()
        yield services
    finally:
        await services.store.close()
