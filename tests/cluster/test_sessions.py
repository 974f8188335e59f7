"""A session that ends on one node ends on every node at once: a logout, or the oldest session pushed
out by ``max_sessions_per_account``, is refused on the other node without waiting for its session
cache (5 s), and the sockets opened with that token there are closed with 4001."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from moderation.helpers import close_code
from support.client import Client
from support.names import nick

from .conftest import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PASSWORD = "une phrase de passe assez longue"
ENV = {"CAUSERIE_MAX_SESSIONS_PER_ACCOUNT": "2", "CAUSERIE_LOGIN_PER_ACCOUNT_PER_MINUTE": "100"}


async def status_on(base_url: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def seconds_until_refused(base_url: str, token: str, within: float = 3.0) -> float:
    """From now, how long until ``token`` gets 401 on this node (polled every 20 ms)."""
    started = time.monotonic()
    while await status_on(base_url, token) != 401:
        assert time.monotonic() - started < within, "still accepted"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def login(base_url: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/v1/session/login", json={"login": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def test_a_session_ended_on_one_node_is_refused_at_once_on_the_other(cluster: Cluster) -> None:
    a_node, b_node = cluster.start_node(**ENV), cluster.start_node(**ENV)
    name = nick("Se")
    email = f"{name.lower()}@example.org"
    async with httpx.AsyncClient(base_url=a_node.base_url) as http:
        body = {"email": email, "password": PASSWORD, "nickname": name, "age": 30, "gender": "f", "region": "75"}
        registered = await http.post("/api/v1/accounts", json={**body, "accept_rules": True})
    assert registered.status_code == 201, registered.text
    first, me = registered.json()["token"], registered.json()["me"]
    second = await login(a_node.base_url, email)
    # node b knows both sessions (cached) and holds a socket for each
    on_b = {token: Client(b_node.base_url, token, me) for token in (first, second)}
    for token, client in on_b.items():
        assert await status_on(b_node.base_url, token) == 200
        await client.connect()
    try:
        # 1. a logout on node a
        async with httpx.AsyncClient(base_url=a_node.base_url) as http:
            out = await http.delete("/api/v1/session", headers={"Authorization": f"Bearer {first}"})
        assert out.status_code == 204
        assert await seconds_until_refused(b_node.base_url, first) < 1.0  # not the 5 s of the cache
        assert await close_code(on_b[first]) == 4001
        assert await status_on(b_node.base_url, second) == 200  # only that session ended
        await on_b[second].send({"type": "ping", "ref": "still"})
        await on_b[second].expect("pong", ref="still")

        # 2. two more logins on node a: the oldest session (second) is pushed out, everywhere
        await login(a_node.base_url, email)
        await login(a_node.base_url, email)
        assert await seconds_until_refused(b_node.base_url, second) < 1.0
        assert await close_code(on_b[second]) == 4001
    finally:
        for client in on_b.values():
            await client.close()
