"""Acknowledged means stored: the server is killed with SIGKILL right after acks, then restarted.

Each test runs a server of its own (``fresh_server``), since it kills it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from support.client import Client
from support.names import nick
from support.server import LiveServer

ROOM = "accueil"  # seeded, and empty on a fresh server
BURST = 50


async def fire(client: Client, ids: list[str]) -> None:
    """Send every frame without waiting, like a client resending its unacknowledged messages."""
    assert client.ws is not None
    await asyncio.gather(
        *(client.send({"type": "send", "room": ROOM, "text": f"durable {i}", "client_id": i}) for i in ids)
    )


async def whole_history(client: Client) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    async with client.http() as http:
        while True:
            body = (await http.get(f"/api/v1/rooms/{ROOM}/messages", params=params)).json()
            messages = body["messages"] + messages
            if not body["more"]:
                return messages
            params["before"] = body["messages"][0]["seq"]


async def drop(client: Client) -> None:
    with contextlib.suppress(Exception):
        await client.close()


async def test_every_acknowledged_message_survives_sigkill(fresh_server: LiveServer) -> None:
    fresh_server.start()
    alice = await Client.enter(fresh_server.base_url, nick("du"))
    await alice.join(ROOM)
    ids = [f"k-{i:02d}-{uuid.uuid4().hex[:8]}" for i in range(BURST)]
    await fire(alice, ids)
    acks = {i: await alice.expect_reply(i, timeout=15) for i in ids}
    assert all(a["type"] == "ack" for a in acks.values())
    fresh_server.kill()  # right after the last ack: no shutdown, no flush
    await drop(alice)

    fresh_server.start()
    await alice.connect()
    stored = await whole_history(alice)
    texts = {m["text"] for m in stored}
    assert [m["seq"] for m in stored] == list(range(1, BURST + 1))  # no gap, nothing extra
    assert len(stored) == len(texts) == BURST  # each exactly once
    by_seq = {m["seq"]: m for m in stored}
    for i, ack in acks.items():
        assert by_seq[ack["seq"]]["id"] == ack["id"]
        assert by_seq[ack["seq"]]["text"] == f"durable {i}"

    # the client did not see the acks (say): it resends everything, and nothing is stored twice
    await alice.join(ROOM)
    await fire(alice, ids)
    again = {i: await alice.expect_reply(i, timeout=15) for i in ids}
    for i in ids:
        assert again[i]["type"] == "ack" and again[i]["duplicate"] is True
        assert (again[i]["id"], again[i]["seq"], again[i]["ts"]) == (acks[i]["id"], acks[i]["seq"], acks[i]["ts"])
    assert [m["seq"] for m in await whole_history(alice)] == list(range(1, BURST + 1))
    await alice.close()


async def test_kill_right_after_the_first_ack_of_a_burst(fresh_server: LiveServer) -> None:
    """Acks seen before the crash are stored; the rest is resent and stored once, without gaps."""
    fresh_server.start()
    alice = await Client.enter(fresh_server.base_url, nick("du"))
    await alice.join(ROOM)
    ids = [f"f-{i:02d}-{uuid.uuid4().hex[:8]}" for i in range(BURST)]
    await fire(alice, ids)
    first = await alice.expect("ack", timeout=15)
    fresh_server.kill()
    acked = {first["ref"]: first}
    for event in alice.events:  # whatever else was already read with it
        if event.get("type") == "ack":
            acked[event["ref"]] = event
    await drop(alice)

    fresh_server.start()
    await alice.connect()
    stored = await whole_history(alice)
    n = len(stored)
    assert n >= len(acked)
    assert [m["seq"] for m in stored] == list(range(1, n + 1))
    assert len({m["text"] for m in stored}) == n
    by_seq = {m["seq"]: m for m in stored}
    for i, ack in acked.items():
        assert by_seq[ack["seq"]]["id"] == ack["id"] and by_seq[ack["seq"]]["text"] == f"durable {i}"

    await alice.join(ROOM)
    await fire(alice, ids)
    replies = {i: await alice.expect_reply(i, timeout=15) for i in ids}
    assert all(r["type"] == "ack" for r in replies.values())
    for i, ack in acked.items():
        assert replies[i]["duplicate"] is True and replies[i]["id"] == ack["id"]
    stored_texts = {m["text"] for m in stored}
    for i, reply in replies.items():
        assert reply.get("duplicate", False) is (f"durable {i}" in stored_texts)
    final = await whole_history(alice)
    assert [m["seq"] for m in final] == list(range(1, BURST + 1))
    assert sorted(m["text"] for m in final) == sorted(f"durable {i}" for i in ids)
    await alice.close()
