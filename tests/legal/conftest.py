"""Fixtures for the legal tests (issue 7 part B): the services on a real SQLite database with a
FakeClock and a signing key, and helpers to make people, rooms, messages and reports."""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import create_async_engine

from causerie.bootstrap import offline_services
from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import Account, Room, RoomKind
from causerie.protocol.messages import Ack
from causerie.services.accounts import EntryForm
from causerie.services.container import Services
from causerie.services.legal import LegalService
from causerie.services.moderation import ReportForm
from causerie.services.transparency import TransparencyService
from support.names import nick
from support.require import POSTGRES_URL, require_postgres

PASSWORD = "un mot de passe assez long"
ADDRESS = "203.0.113.5"
QUIET: dict[str, Any] = {
    "seed_rooms": False,
    "ip_limits_exempt": [],
    "repeat_message_max": 0,
    "new_dms_per_account": 1000,
    "new_dms_per_ip": 1000,
    "rate_message_per_ip_burst": 1000,
    "rate_message_burst": 1000,
    "rate_message_per_second": 1000,
    "privilege_dm_strangers_minutes": 0,
    "privilege_links_minutes": 0,
    "privilege_room_creation_minutes": 0,
    "media_new_account_minutes": 0,
    "reports_per_hour": 1000,
    "legal_platform_url": "https://causerie.example",
    "legal_contact_name": "Service juridique",
    "legal_contact_email": "legal@causerie.example",
    "legal_contact_phone": "+33 1 23 45 67 89",
}


def new_key() -> tuple[str, bytes]:
    """(base64 private key for the settings, PEM public key)."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode(), pem


@dataclass
class World:
    s: Services
    clock: FakeClock
    admin: Account
    public_pem: bytes
    settings: Settings

    @property
    def legal(self) -> LegalService:
        assert self.s.legal is not None
        return self.s.legal

    @property
    def transparency(self) -> TransparencyService:
        assert self.s.transparency is not None
        return self.s.transparency

    async def guest(self, ip: str = ADDRESS, port: int = 40000) -> Account:
        _, account = await self.s.accounts.enter_guest(EntryForm(nick("g"), 30, "f", "75", True, "fr"))
        await self.s.moderation.record_entry(account, "guest", ip, port, "Mozilla/5.0 test", "d" * 32)
        return account

    async def registered(self) -> Account:
        account = await self.guest()
        await self.s.accounts.register(account, f"{account.nickname.lower()}@example.org", PASSWORD, None)
        found = await self.s.store.get_account(account.id)
        assert found is not None
        return found

    async def room(self, owner: Account) -> Room:
        return await self.s.rooms.create(owner, name=nick("Salon "), topic="", kind=RoomKind.PUBLIC)

    async def say(self, account: Account, room: Room, text: str) -> Ack:
        cid = uuid.uuid4().hex[:12]
        return await self.s.messages.send_to_room(account, room, text, cid, None, joined=True, host=ADDRESS)

    async def dm(self, account: Account, to: Account, text: str) -> Ack:
        return await self.s.messages.send_direct(account, to, text, uuid.uuid4().hex[:12], None, host=ADDRESS)

    async def report(self, reporter: Account | None, category: str, **target: Any) -> tuple[int, int]:
        form = ReportForm(category=category, good_faith=True, details=f"notice {category}", **target)
        report, case = await self.s.moderation.report(reporter, form, None if reporter else "198.51.100.7")
        return report.id, case.id


Make = Callable[..., Awaitable[World]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    async with contextlib.AsyncExitStack() as stack:

        async def build(backend: str = "sqlite", **overrides: Any) -> World:
            clock = FakeClock()
            private, public = new_key()
            db = tmp_path / f"{uuid.uuid4().hex[:8]}.db"
            where: dict[str, Any] = {"database_url": f"sqlite:///{db}"}
            if backend == "postgresql":  # a schema of its own, dropped at the end
                require_postgres()
                schema = f"t_{uuid.uuid4().hex[:12]}"
                setup = create_async_engine(POSTGRES_URL)
                async with setup.begin() as conn:
                    await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                await setup.dispose()

                async def drop() -> None:
                    cleanup = create_async_engine(POSTGRES_URL)
                    async with cleanup.begin() as conn:
                        await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                    await cleanup.dispose()

                stack.push_async_callback(drop)
                where = {"database_url": POSTGRES_URL, "database_schema": schema}
            settings = Settings(
                **where,
                media_dir=tmp_path / "media",
                media_quarantine_dir=tmp_path / "quarantine",
                **{**QUIET, "legal_signing_key": private, **overrides},
            )
            services = await stack.enter_async_context(offline_services(settings, clock))
            services.messages.start()
            stack.push_async_callback(services.messages.stop)
            admin, _ = await services.moderation.create_admin(f"{nick('a')}@example.org", nick("Boss"), PASSWORD)
            return World(services, clock, admin, public, settings)

        yield build


@pytest.fixture
async def world(make: Make) -> World:
    return await make()
