"""The remaining limits of docs/limits.md that no other test covered: lengths, counts, lifetimes,
keep-alive pings and resume size. Small values come from the ``hardened`` and ``timeouts`` servers."""

from __future__ import annotations

import asyncio
import json
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx

from support.client import Client, enter_guest
from support.names import nick
from support.rawws import PING, RawWebSocket
from support.server import LiveServer

from .conftest import enter, xff

PASSWORD = "une phrase de passe assez longue"


def registration(name: str) -> dict[str, Any]:
    return {
        "email": f"{name}@example.org",
        "password": PASSWORD,
        "nickname": name,
        "age": 30,
        "gender": "f",
        "region": "75",
        "accept_rules": True,
    }


def cookieless(base_url: str, **kwargs: Any) -> httpx.AsyncClient:
    """A client that keeps no cookie: each request says how it authenticates."""
    http = httpx.AsyncClient(base_url=base_url, **kwargs)
    http.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return http


async def test_password_room_name_and_topic_lengths(live_server: LiveServer) -> None:
    async with cookieless(live_server.base_url) as http:
        for password, status in (("a1b2c3d4e5f6g7h", 201), ("abcd" * 64 + "e", 400), ("abcd" * 64, 201)):
            response = await http.post("/api/v1/accounts", json={**registration(nick("Pw")), "password": password})
            assert response.status_code == status, (len(password), response.text)  # 15 and 256 fit, 257 does not
            if status == 400:
                assert response.json()["error"]["code"] == "password_weak"
        short = await http.post("/api/v1/accounts", json={**registration(nick("Pw")), "password": "a1b2c3d4e5f6g7"})
        assert short.status_code == 400 and short.json()["error"]["code"] == "password_weak"
    owner = await Client.enter(live_server.base_url, nick("tp"))
    try:
        async with owner.http() as http:
            too_long = await http.post("/api/v1/rooms", json={"name": nick("Salon "), "topic": "t" * 201})
            assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "room_topic_length"
            fits = await http.post("/api/v1/rooms", json={"name": nick("Salon "), "topic": "t" * 200})
            assert fits.status_code == 201
            long_name = await http.post("/api/v1/rooms", json={"name": "Salon " + "n" * 35})  # 41 code points
            assert long_name.status_code == 400 and long_name.json()["error"]["code"] == "room_name_length"
    finally:
        await owner.close()


async def test_rooms_joined_blocks_and_friends_are_capped(hardened: LiveServer) -> None:
    """hardened: 2 rooms per connection, 1 block, 1 friend."""
    alice, bob, carol = [await enter(hardened.base_url, p) for p in ("ja", "jb", "jc")]
    try:
        async with alice.http() as http:
            rooms = [r["slug"] for r in (await http.get("/api/v1/rooms")).json()["rooms"] if r.get("max_age") is None]
        await alice.join(rooms[0])
        await alice.join(rooms[1])
        await alice.send({"type": "join", "room": rooms[2], "ref": "third"})
        assert (await alice.expect("error", ref="third"))["code"] == "too_many_rooms_joined"
        async with alice.http() as http:
            assert (await http.put(f"/api/v1/blocks/{bob.nick}")).status_code == 204
            second = await http.put(f"/api/v1/blocks/{carol.nick}")
            assert second.status_code == 429 and second.json()["error"]["code"] == "too_many_blocks"
            assert (await http.delete(f"/api/v1/blocks/{bob.nick}")).status_code == 204
            assert (await http.put(f"/api/v1/friends/{bob.nick}")).status_code == 200
            more = await http.put(f"/api/v1/friends/{carol.nick}")
            assert more.status_code == 429 and more.json()["error"]["code"] == "too_many_friends"
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_resume_is_capped_and_says_there_is_more(hardened: LiveServer) -> None:
    """hardened: at most 3 messages replayed on resume."""
    alice = await enter(hardened.base_url, "ra")
    bob = await enter(hardened.base_url, "rb")
    try:
        async with alice.http() as http:
            room = (await http.post("/api/v1/rooms", json={"name": nick("Reprise ")})).json()["slug"]
        await alice.join(room)
        for i in range(5):
            assert (await alice.say(room, f"m{i}"))["type"] == "ack"
        await bob.send({"type": "join", "room": room, "since": 0, "ref": "r"})
        await bob.expect("joined", ref="r")
        replay = await bob.expect("history", ref="r")
        assert replay["resume"] is True and replay["more"] is True
        assert len(replay["messages"]) == 3
    finally:
        await alice.close()
        await bob.close()


async def test_reports_are_capped_in_size_and_per_hour(live_server: LiveServer, hardened: LiveServer) -> None:
    """report_details_max_chars (2,000 by default) and reports_per_hour (hardened: 2)."""
    for server, details, address, expected in (
        (live_server, "d" * 2001, "203.0.113.60", [(400, "bad_request")]),
        (hardened, "spam", "203.0.113.61", [(201, None), (201, None), (429, "too_many_reports")]),
    ):
        target = (await enter_guest(server.base_url, nick("tg")))["me"]["nick"]
        body = {"category": "scam_spam", "good_faith": True, "details": details, "user": target}
        async with cookieless(server.base_url, headers=xff(address)) as http:
            got = []
            for _ in expected:
                response = await http.post("/api/v1/reports/public", json=body)
                got.append((response.status_code, response.json().get("error", {}).get("code")))
        assert got == expected


async def test_guest_and_registered_sessions_expire(timeouts: LiveServer) -> None:
    """timeouts: guest_ttl_hours and session_ttl_days of about one second."""
    async with cookieless(timeouts.base_url) as http:
        guest = (await http.post("/api/v1/session/guest", json=registration(nick("Ex")))).json()["token"]
        member = (await http.post("/api/v1/accounts", json=registration(nick("Ex")))).json()["token"]
        await asyncio.sleep(1.5)
        for token in (guest, member):
            response = await http.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401


async def test_a_peer_that_answers_no_ping_is_closed(timeouts: LiveServer) -> None:
    """timeouts: a ping every 0.5 s, 0.5 s to answer. The raw socket never answers."""
    token = (await enter_guest(timeouts.base_url, nick("pg")))["token"]
    dead = await RawWebSocket.connect(timeouts.port)
    await dead.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
    alive = Client(timeouts.base_url, token, {"nick": "pg"})
    await alive.connect()  # the websockets client answers pings by itself
    started = time.monotonic()
    pings = 0
    try:
        while dead.closed_with is None:
            opcode, _ = await dead.recv_frame(timeout=5)
            pings += opcode == PING
        assert dead.closed_with == 1011 and pings >= 1
        assert time.monotonic() - started < 3
        await asyncio.sleep(max(0.0, 1.5 - (time.monotonic() - started)))
        await alive.send({"type": "ping", "ref": "still"})
        await alive.expect("pong", ref="still")
    finally:
        dead.close()
        await alive.close()
