"""Connection limits: sockets per client address (IPv4 /32, IPv6 /64), new sockets per window,
sockets per account, sessions per account, and who may say what the client address is.

The ``hardened`` server allows 3 sockets per address, 4 new ones per 10 minutes, 2 per account.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from support.rawws import RawWebSocket
from support.server import LiveServer

from .conftest import enter, error_of, hello, raw_open, raw_refused, xff


@contextlib.asynccontextmanager
async def opened(port: int, count: int, address: str | None = None) -> AsyncIterator[list[RawWebSocket]]:
    headers = xff(address) if address else {}
    sockets = [await raw_open(port, headers=headers) for _ in range(count)]
    try:
        yield sockets
    finally:
        for ws in sockets:
            ws.close()
        await asyncio.sleep(0.2)  # let the server see the closes before the next step


async def test_concurrent_sockets_per_address(hardened: LiveServer) -> None:
    port = hardened.port
    async with opened(port, 3, "203.0.113.10") as sockets:
        refused = await raw_refused(port, headers={**xff("203.0.113.10"), "Accept-Language": "en"})
        assert refused.status == 429
        error = error_of(refused)
        assert error["code"] == "too_many_connections" and "connections" in error["message"]
        assert int(refused.headers["retry-after"]) >= 1
        # closing one frees its slot (once the server has seen the close)
        sockets.pop().close()
        await asyncio.sleep(0.2)
        (await raw_open(port, headers=xff("203.0.113.10"))).close()


async def test_new_sockets_per_address_per_window(hardened: LiveServer) -> None:
    port = hardened.port
    async with opened(port, 2, "203.0.113.11"):
        pass
    async with opened(port, 2, "203.0.113.11"):
        pass
    refused = await raw_refused(port, headers=xff("203.0.113.11"))
    assert refused.status == 429 and error_of(refused)["code"] == "too_many_connections"
    # 4 per 600 s: one token every 150 s, and the client is told so
    assert 100 <= int(refused.headers["retry-after"]) <= 150
    assert 100 <= error_of(refused)["retry_after"] <= 150


async def test_a_trusted_proxy_gives_the_address_and_ipv6_shares_a_bucket_per_64(hardened: LiveServer) -> None:
    """The test client is 127.0.0.1, a trusted proxy by default: its X-Forwarded-For is believed."""
    port = hardened.port
    async with opened(port, 3, "203.0.113.12"):
        assert (await raw_refused(port, headers=xff("203.0.113.12"))).status == 429
        async with opened(port, 1, "203.0.113.13"):  # another IPv4 address: a bucket of its own
            pass
    async with opened(port, 1, "2001:db8:12::1"), opened(port, 2, "2001:db8:12::2"):
        assert (await raw_refused(port, headers=xff("2001:db8:12::ffff:3"))).status == 429
        async with opened(port, 3, "2001:db8:12:1::1"):  # the next /64
            pass
    # an IPv4-mapped IPv6 address is the IPv4 address
    async with opened(port, 3, "::ffff:198.51.100.12"):
        assert (await raw_refused(port, headers=xff("198.51.100.12"))).status == 429


async def test_loopback_is_exempt_by_default(hardened: LiveServer) -> None:
    async with opened(hardened.port, 6):  # over both the concurrency and the new-socket limits
        pass


async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(fresh_server: LiveServer) -> None:
    # 127.0.0.1 is no longer a trusted proxy, and 198.51.100.0/24 is exempt from the limits
    fresh_server.start(
        CAUSERIE_TRUSTED_PROXIES='["192.0.2.1"]',
        CAUSERIE_IP_LIMITS_EXEMPT='["198.51.100.0/24"]',
        CAUSERIE_WS_MAX_CONNECTIONS_PER_IP="2",
        # the hourly bucket (one token per 6 minutes) makes the 11th refusal independent of how slowly
        # a loaded machine runs the ten dummy Argon2 checks (the minute bucket refills every 6 s)
        CAUSERIE_LOGIN_PER_IP_PER_HOUR="10",
    )
    port = fresh_server.port
    async with opened(port, 1, "203.0.113.1"), opened(port, 1, "203.0.113.2"):
        # every socket counts for 127.0.0.1, whatever the header says...
        assert (await raw_refused(port, headers=xff("203.0.113.3"))).status == 429
        # ... and a forged header cannot claim an exempt address either
        assert (await raw_refused(port, headers=xff("198.51.100.7"))).status == 429
    # the same holds for login throttling by address (10 per hour per address here)
    async with httpx.AsyncClient(base_url=fresh_server.base_url) as http:
        statuses = [
            (
                await http.post(
                    "/api/v1/session/login",
                    json={"login": f"nobody{i}@example.org", "password": "x" * 20},
                    headers=xff(f"203.0.113.{i}"),
                )
            ).status_code
            for i in range(11)
        ]
    assert statuses == [401] * 10 + [429]


async def test_sockets_per_account(hardened: LiveServer) -> None:
    alice = await enter(hardened.base_url)  # one socket
    try:
        second = await raw_open(hardened.port)
        assert (await hello(second, alice.token))["type"] == "welcome"
        third = await raw_open(hardened.port)
        refusal = await hello(third, alice.token)
        assert refusal["type"] == "error" and refusal["code"] == "too_many_connections"
        assert await third.close_code() == 1008
        third.close()
        # another account is not affected
        bob = await enter(hardened.base_url)
        await bob.close()
        # closing one lets a new one in
        second.close()
        await asyncio.sleep(0.2)
        fourth = await raw_open(hardened.port)
        assert (await hello(fourth, alice.token))["type"] == "welcome"
        fourth.close()
    finally:
        await alice.close()


async def test_sessions_per_account_end_the_oldest(hardened: LiveServer) -> None:
    """``max_sessions_per_account`` is 2: a third login ends the oldest session."""
    password = "une phrase de passe assez longue"
    async with httpx.AsyncClient(base_url=hardened.base_url) as http:
        registered = await http.post(
            "/api/v1/accounts",
            json={
                "email": "sessions@example.org",
                "password": password,
                "nickname": "Sessionniste",
                "age": 30,
                "gender": "f",
                "region": "75",
                "accept_rules": True,
            },
        )
        assert registered.status_code == 201, registered.text
        tokens = [registered.json()["token"]]
        for _ in range(2):
            login = await http.post(
                "/api/v1/session/login", json={"login": "sessions@example.org", "password": password}
            )
            assert login.status_code == 200, login.text
            tokens.append(login.json()["token"])
        http.cookies.clear()
        alive = [
            (await http.get("/api/v1/session", headers={"Authorization": f"Bearer {t}"})).status_code for t in tokens
        ]
    assert alive == [401, 200, 200]
