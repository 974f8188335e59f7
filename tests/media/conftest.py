"""A server of the media tests' own (pictures from the first minute, quick bank reloads), an
administrator on it, and helpers to reach its database and folders."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from causerie.bootstrap import offline_services
from causerie.config import Settings
from causerie.services.container import Services
from support.client import Client
from support.names import nick
from support.server import LiveServer

MEDIA_ENV = {
    "CAUSERIE_MEDIA_NEW_ACCOUNT_MINUTES": "0",
    "CAUSERIE_MEDIA_BANK_CHECK_SECONDS": "0.5",
    "CAUSERIE_MEDIA_UPLOADS_PER_MINUTE": "600",
    "CAUSERIE_MEDIA_UPLOAD_BURST": "100",
}
ADMIN_PASSWORD = "correct horse battery staple 42"


@dataclass
class MediaServer:
    server: LiveServer
    admin_token: str

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def folder(self) -> Path:
        return self.server.folder

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=10
        )

    @contextlib.asynccontextmanager
    async def offline(self) -> AsyncIterator[Services]:
        """The services on the server's database, in this process (as the CLI uses them)."""
        async with offline_services(Settings(database_url=self.server.database_url)) as services:
            yield services


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    import asyncio

    server = LiveServer(tmp_path_factory.mktemp("media"), env=MEDIA_ENV)
    server.start()

    async def make_admin() -> str:
        async with offline_services(Settings(database_url=server.database_url)) as services:
            await services.moderation.create_admin("admin@example.org", "Gardien", ADMIN_PASSWORD)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            r = await http.post(
                "/api/v1/session/login", json={"login": "admin@example.org", "password": ADMIN_PASSWORD}
            )
            assert r.status_code == 200, r.text
            token: str = r.json()["token"]
            return token

    try:
        yield MediaServer(server, asyncio.run(make_admin()))
    finally:
        server.stop()


Users = Callable[..., Awaitable[Client]]


@pytest.fixture
async def people(media_server: MediaServer) -> AsyncIterator[Users]:
    opened: list[Client] = []

    async def make(prefix: str = "u", **fields: Any) -> Client:
        client = await Client.enter(media_server.base_url, nick(prefix), **fields)
        opened.append(client)
        return client

    try:
        yield make
    finally:
        for client in opened:
            with contextlib.suppress(Exception):
                await client.close()
