"""A protocol-level test client: HTTP entry plus a real WebSocket, with helpers to wait for events."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

_n = itertools.count(1)


def unique_nick(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def enter_guest(base_url: str, nickname: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"nickname": nickname or unique_nick(), "age": 30, "gender": "f", "region": "75", "accept_rules": True}
    body.update(fields)
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/v1/session/guest", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


class Client:
    """One user: a session token and a WebSocket that buffers every event received."""

    def __init__(self, base_url: str, token: str, me: dict[str, Any]) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http", "ws", 1) + "/ws"
        self.token = token
        self.me = me
        self.nick: str = me["nick"]
        self.ws: ClientConnection | None = None
        self.events: list[dict[str, Any]] = []
        self._cursor = 0

    @classmethod
    async def enter(cls, base_url: str, nickname: str | None = None, **fields: Any) -> Client:
        data = await enter_guest(base_url, nickname, **fields)
        client = cls(base_url, data["token"], data["me"])
        await client.connect()
        return client

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    async def connect(self) -> dict[str, Any]:
        self.ws = await websockets.connect(self.ws_url, max_size=None)
        self.events = []
        self._cursor = 0
        await self.send({"type": "hello", "v": 1, "token": self.token})
        return await self.expect("welcome")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def _read(self, timeout: float) -> None:
        assert self.ws is not None
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        if isinstance(raw, bytes):
            raw = raw.decode()
        for line in raw.split("\n"):
            if line:
                self.events.append(json.loads(line))

    async def expect(self, type_: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next not-yet-consumed event of this type (and matching fields), waiting for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i in range(self._cursor, len(self.events)):
                ev = self.events[i]
                if ev.get("type") == type_ and all(ev.get(k) == v for k, v in match.items()):
                    self.events[i] = {"type": "_consumed"}
                    return ev
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [e.get("type") for e in self.events[-20:]]
                raise AssertionError(f"{self.nick}: no {type_} {match} within {timeout}s; last events {seen}")
            await self._read(remaining)

    async def drain(self, seconds: float = 0.2) -> None:
        """Read whatever arrives for a short while (to assert that something did NOT arrive)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                await self._read(remaining)
            except TimeoutError:
                return

    def received(self, type_: str, **match: Any) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == type_ and all(e.get(k) == v for k, v in match.items())]

    async def join(self, room: str, since: int | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "join", "room": room}
        if since is not None:
            frame["since"] = since
        await self.send(frame)
        return await self.expect("joined")

    async def say(self, room: str, text: str, client_id: str | None = None, **extra: Any) -> dict[str, Any]:
        cid = client_id or f"c{next(_n)}-{uuid.uuid4().hex[:6]}"
        await self.send({"type": "send", "room": room, "text": text, "client_id": cid, **extra})
        return await self.expect_reply(cid)

    async def dm(self, to: str, text: str, client_id: str | None = None) -> dict[str, Any]:
        cid = client_id or f"d{next(_n)}-{uuid.uuid4().hex[:6]}"
        await self.send({"type": "send", "to": to, "text": text, "client_id": cid})
        return await self.expect_reply(cid)

    async def expect_reply(self, ref: str, timeout: float = 5.0) -> dict[str, Any]:
        """The ack or the error that answers a frame with this ref/client_id."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i in range(self._cursor, len(self.events)):
                ev = self.events[i]
                if ev.get("type") in ("ack", "error") and ev.get("ref") == ref:
                    self.events[i] = {"type": "_consumed"}
                    return ev
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{self.nick}: no reply to {ref}")
            await self._read(remaining)
