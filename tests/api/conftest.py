"""Fixtures for the API tests: connected users on the shared live server, closed after each test."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from support.client import Client
from support.names import nick
from support.server import LiveServer

Users = Callable[..., Awaitable[Client]]


@pytest.fixture
async def users(live_server: LiveServer) -> AsyncIterator[Users]:
    """``await users("al", age=40)``: a new guest with a unique nickname, connected to the WebSocket."""
    opened: list[Client] = []

    async def make(prefix: str = "u", base_url: str | None = None, **fields: Any) -> Client:
        client = await Client.enter(base_url or live_server.base_url, nick(prefix), **fields)
        opened.append(client)
        return client

    try:
        yield make
    finally:
        for client in opened:
            with contextlib.suppress(Exception):
                await client.close()
