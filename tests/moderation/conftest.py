"""Fixtures for the moderation tests: a server of their own with a first admin made by the CLI,
and helpers to get guests, registered users and moderators connected to it.

The moderation server is separate from the shared ``live_server`` so that sanctions and room
settings decided here cannot disturb the other suites. Tests that change operator-wide state (the
emergency level, bans of address ranges) use ``fresh_server`` or addresses of their own
(``X-Forwarded-For`` from 127.0.0.1, a trusted proxy on test servers).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.client import Client
from support.names import nick
from support.server import LiveServer

PASSWORD = "un mot de passe assez long"
ADMIN_EMAIL = "admin@example.org"
ADMIN_NICK = "Patronne"


def create_admin_cli(db_path: Path, folder: Path, email: str = ADMIN_EMAIL, nickname: str = ADMIN_NICK) -> str:
    """``causerie admin create-admin`` in a subprocess, as an operator runs it; its output."""
    env = {**os.environ, "CAUSERIE_CONFIG": str(folder / "none.toml"), "CAUSERIE_LOG_LEVEL": "warning"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "causerie",
            "admin",
            "create-admin",
            "--email",
            email,
            "--nickname",
            nickname,
            "--password",
            PASSWORD,
            "--database",
            f"sqlite:///{db_path}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def login_token(base_url: str, login: str, password: str = PASSWORD) -> tuple[str, dict[str, Any]]:
    response = httpx.post(f"{base_url}/api/v1/session/login", json={"login": login, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["token"], body["me"]


@dataclass
class ModServer:
    server: LiveServer
    admin_token: str
    admin_me: dict[str, Any]

    @property
    def base_url(self) -> str:
        return self.server.base_url


def start_with_admin(server: LiveServer) -> ModServer:
    server.folder.mkdir(parents=True, exist_ok=True)
    create_admin_cli(server.db_path, server.folder)
    server.start()
    token, me = login_token(server.base_url, ADMIN_EMAIL)
    return ModServer(server, token, me)


@pytest.fixture(scope="session")
def mod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModServer]:
    server = LiveServer(tmp_path_factory.mktemp("moderation"), env={"CAUSERIE_MODERATION_REFRESH_SECONDS": "1"})
    started = start_with_admin(server)
    try:
        yield started
    finally:
        server.stop()


People = Callable[..., Awaitable[Client]]


class Cast:
    """Makes connected users on one server and closes them at the end of the test."""

    def __init__(self, base_url: str, admin_token: str, admin_me: dict[str, Any]) -> None:
        self.base_url = base_url
        self.opened: list[Client] = []
        self.admin_token = admin_token
        self.admin_me = admin_me

    async def guest(self, prefix: str = "u", **fields: Any) -> Client:
        client = await Client.enter(self.base_url, nick(prefix), **fields)
        self.opened.append(client)
        return client

    async def registered(self, prefix: str = "r", **fields: Any) -> Client:
        client = await self.guest(prefix, **fields)
        async with client.http() as http:
            response = await http.post(
                "/api/v1/accounts", json={"email": f"{client.nick.lower()}@example.org", "password": PASSWORD}
            )
        assert response.status_code == 201, response.text
        await client.close()  # a session knows its account as it was at hello: reconnect as registered
        await client.connect()
        return client

    async def moderator(self, prefix: str = "mod") -> Client:
        client = await self.registered(prefix)
        async with self.admin_http() as http:
            response = await http.put(f"/api/v1/moderation/roles/{client.nick}", json={"role": "moderator"})
        assert response.status_code == 200, response.text
        return client

    async def admin(self) -> Client:
        client = Client(self.base_url, self.admin_token, self.admin_me)
        await client.connect()
        self.opened.append(client)
        return client

    def admin_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=10
        )

    async def close(self) -> None:
        for client in self.opened:
            with contextlib.suppress(Exception):  # the server may have closed it already (bans)
                await client.close()


@pytest.fixture
async def cast(mod_server: ModServer) -> AsyncIterator[Cast]:
    people = Cast(mod_server.base_url, mod_server.admin_token, mod_server.admin_me)
    try:
        yield people
    finally:
        await people.close()
