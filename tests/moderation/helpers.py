"""Small helpers shared by the moderation tests (HTTP calls as a given user, rooms, close codes)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import websockets

from support.client import Client
from support.names import nick


async def call(client: Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with client.http() as http:
        return await http.request(method, path, **kwargs)


async def ok(client: Client, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    response = await call(client, method, path, **kwargs)
    assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def refused(client: Client, method: str, path: str, code: str, status: int, **kwargs: Any) -> dict[str, Any]:
    response = await call(client, method, path, **kwargs)
    assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


async def new_room(owner: Client, **fields: Any) -> str:
    body = await ok(owner, "POST", "/api/v1/rooms", 201, json={"name": nick("Salon "), **fields})
    slug: str = body["slug"]
    return slug


async def act(moderator: Client, status: int = 201, **body: Any) -> Any:
    return await ok(moderator, "POST", "/api/v1/moderation/actions", status, json=body)


async def report(reporter: Client, **body: Any) -> dict[str, Any]:
    body.setdefault("good_faith", True)
    result: dict[str, Any] = await ok(reporter, "POST", "/api/v1/reports", 201, json=body)
    return result


async def say_many(client: Client, room: str, texts: list[str]) -> list[dict[str, Any]]:
    ids = [f"m-{uuid.uuid4().hex[:10]}" for _ in texts]
    for client_id, text in zip(ids, texts, strict=True):
        await client.send({"type": "send", "room": room, "text": text, "client_id": client_id})
    acks = [await client.expect_reply(i, timeout=10) for i in ids]
    assert all(a["type"] == "ack" for a in acks), acks
    return acks


async def close_code(client: Client, timeout: float = 5.0) -> int | None:
    """Read until the server closes the connection; its close code."""
    assert client.ws is not None
    try:
        async with asyncio.timeout(timeout):
            while True:
                raw = await client.ws.recv()
                text = raw.decode() if isinstance(raw, bytes) else raw
                for line in text.split("\n"):
                    if line:
                        client.events.append(json.loads(line))
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None
    raise AssertionError("unreachable")


async def barrier(client: Client, room: str, sender: Client) -> None:
    """``sender`` posts a marker; once ``client`` got it, anything sent before it would have arrived too."""
    marker = f"barrier-{uuid.uuid4().hex[:8]}"
    ack = await sender.say(room, marker)
    assert ack["type"] == "ack", ack
    await client.expect("message", room=room, seq=ack["seq"])


def texts(client: Client, room: str) -> list[str]:
    return [e["text"] for e in client.events if e.get("type") == "message" and e.get("room") == room]
