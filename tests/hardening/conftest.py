"""Helpers for the hardening tests, and ``hardened``: one server for this folder with small limits.

Starting a server costs seconds, so most limits are tested on one shared server configured with
small values. Per-address limits apply to the address a trusted proxy reports (the test client,
127.0.0.1, is a trusted proxy by default), so each test claims its own documentation address in
``X-Forwarded-For`` and has buckets of its own; loopback itself stays exempt, as by default. Limits
that would disturb other tests (timeouts, concurrency, send buffers, trusted proxies) get a
``fresh_server`` of their own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.client import Client
from support.names import nick
from support.rawws import HandshakeRefused, RawWebSocket
from support.server import LiveServer

HARDENED_ENV = {
    "CAUSERIE_WS_MAX_CONNECTIONS_PER_IP": "3",
    "CAUSERIE_WS_NEW_CONNECTIONS_PER_IP": "4",
    "CAUSERIE_WS_NEW_CONNECTIONS_WINDOW": "600",
    "CAUSERIE_WS_MAX_CONNECTIONS_PER_ACCOUNT": "2",
    "CAUSERIE_MAX_SESSIONS_PER_ACCOUNT": "2",
    "CAUSERIE_WS_FRAME_BURST": "10",
    "CAUSERIE_WS_FRAMES_PER_SECOND": "0.001",
    "CAUSERIE_WS_MAX_REFUSED_FRAMES": "5",
    "CAUSERIE_REGISTRATIONS_PER_IP_PER_HOUR": "2",
    "CAUSERIE_GUEST_ENTRIES_PER_IP_PER_HOUR": "3",
    "CAUSERIE_COOKIE_SECURE": "true",
    "CAUSERIE_LOG_LEVEL": "info",  # the log test reads what an operator would keep
    "CAUSERIE_LOG_JSON": "true",
    "CAUSERIE_MAX_ROOMS_JOINED": "2",
    "CAUSERIE_MAX_BLOCKS": "1",
    "CAUSERIE_MAX_FRIENDS": "1",
    "CAUSERIE_RESUME_MAX_MESSAGES": "3",
    "CAUSERIE_REPORTS_PER_HOUR": "2",
    # the hourly login bucket per address (one token per 6 minutes) decides the 11th attempt, so a loaded
    # machine that takes more than 6 s for ten dummy Argon2 checks cannot refill the minute bucket in time
    "CAUSERIE_LOGIN_PER_IP_PER_HOUR": "10",
}

# Deadlines short enough to be watched in a test; no session lives long there either.
TIMEOUTS_ENV = {
    "CAUSERIE_HTTP_KEEP_ALIVE_SECONDS": "1",
    "CAUSERIE_HTTP_LIMIT_CONCURRENCY": "8",
    "CAUSERIE_WS_HELLO_TIMEOUT": "0.5",
    "CAUSERIE_WS_PING_INTERVAL": "0.5",
    "CAUSERIE_WS_PING_TIMEOUT": "0.5",
    "CAUSERIE_GUEST_TTL_HOURS": "0.0003",  # about 1 s
    "CAUSERIE_SESSION_TTL_DAYS": "0.0000125",  # about 1 s
}


@pytest.fixture(scope="session")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("hardened"), env=HARDENED_ENV)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def timeouts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("timeouts"), env=TIMEOUTS_ENV)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def log_text(server: LiveServer) -> str:
    return Path(server.log_path).read_text(encoding="utf-8", errors="replace")


def xff(address: str) -> dict[str, str]:
    """Headers of a request relayed by the (trusted, loopback) proxy for ``address``."""
    return {"X-Forwarded-For": address}


async def raw_open(port: int, **kwargs: Any) -> RawWebSocket:
    return await RawWebSocket.connect(port, **kwargs)


async def raw_refused(port: int, **kwargs: Any) -> HandshakeRefused:
    try:
        ws = await RawWebSocket.connect(port, **kwargs)
    except HandshakeRefused as refused:
        return refused
    ws.close()
    raise AssertionError("the upgrade was accepted")


def error_of(refused: HandshakeRefused) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(refused.body)
    return dict(body["error"])


async def hello(ws: RawWebSocket, token: str) -> dict[str, Any]:
    await ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
    first = json.loads((await ws.events())[0])
    return dict(first)


async def enter(base_url: str, prefix: str = "h", **fields: Any) -> Client:
    return await Client.enter(base_url, nick(prefix), **fields)


async def eventually(check: Any, timeout: float = 5.0, every: float = 0.05) -> None:
    """Wait until ``await check()`` is true (for effects the server applies asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(every)


async def metric(base_url: str, name: str) -> float:
    async with httpx.AsyncClient(base_url=base_url) as http:
        text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")
