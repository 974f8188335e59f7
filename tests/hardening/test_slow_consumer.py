"""Slow consumers: a client that stops reading is cut off with 1013 once its send buffer
(``ws_send_queue_bytes``) overflows; nobody else waits for it and server memory stays bounded.

The slow clients use a raw socket with a 4 KiB receive buffer and stop reading, so the server's
writes really block (the ``websockets`` client would keep reading in the background).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from support.client import Client, enter_guest
from support.rawws import RawWebSocket
from support.server import LiveServer

from .conftest import eventually, metric

TEXT = "x" * 7_900  # about 8 KB per event
# More than the kernel may buffer for one socket (tcp_wmem max, 4 MiB by default) plus our queue.
WMEM_MAX = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
MESSAGES = ((WMEM_MAX + 2 * 2**20) // 8_000 // 20 + 1) * 20  # sent in batches of 20


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def slow_consumers(server: LiveServer) -> float:
    try:
        return await metric(server.base_url, 'causerie_errors_total{code="slow_consumer"}')
    except AssertionError:  # not counted yet
        return 0.0


async def stalled_member(server: LiveServer, room: str) -> RawWebSocket:
    """A member of ``room`` that will not read anything after its ``joined``."""
    token = (await enter_guest(server.base_url))["token"]
    ws = await RawWebSocket.connect(server.port, rcvbuf=4096)
    await ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
    await ws.events()  # welcome
    await ws.send_text(json.dumps({"type": "join", "room": room}))
    while not any(json.loads(e)["type"] == "joined" for e in await ws.events()):
        pass
    return ws


async def test_a_client_that_stops_reading_is_closed_with_1013_and_others_go_on(fresh_server: LiveServer) -> None:
    fresh_server.start(
        CAUSERIE_WS_SEND_QUEUE_BYTES="262144",
        CAUSERIE_MAX_MESSAGE_CHARS="8000",
        CAUSERIE_WS_CLOSE_TIMEOUT="5",
    )
    assert fresh_server.proc is not None
    room = "accueil"
    writer = await Client.enter(fresh_server.base_url)
    reader = await Client.enter(fresh_server.base_url)
    await writer.join(room)
    await reader.join(room)
    resumer = await stalled_member(fresh_server, room)  # will read again after the flood
    sleeper = await stalled_member(fresh_server, room)  # will never read again
    assert await metric(fresh_server.base_url, "causerie_connections") == 4
    rss_before = rss_kib(fresh_server.proc.pid)
    try:

        async def read_all() -> list[int]:
            return [(await reader.expect("message", room=room, timeout=30))["seq"] for _ in range(MESSAGES)]

        async def resume_once_cut() -> int | None:
            """Read again once the server has cut both stalled members (within ws_close_timeout)."""
            while await slow_consumers(fresh_server) < 2:
                await asyncio.sleep(0.05)
            return await resumer.close_code(timeout=20)

        reading = asyncio.create_task(read_all())  # an honest member reads as things arrive
        resumed = asyncio.create_task(resume_once_cut())
        acks = []
        for batch in range(0, MESSAGES, 20):
            ids = [f"f{i}" for i in range(batch, batch + 20)]
            for client_id in ids:
                await writer.send({"type": "send", "room": room, "text": TEXT, "client_id": client_id})
            acks += [await writer.expect_reply(client_id, timeout=30) for client_id in ids]
        assert [a["type"] for a in acks] == ["ack"] * MESSAGES
        # the honest reader got every message, in order, while two members stalled
        assert await reading == sorted(a["seq"] for a in acks)

        # the resumer reads again: what was already on its way, then the close frame 1013
        assert await resumed == 1013
        assert resumer.texts and all(json.loads(line) for t in resumer.texts for line in t.split("\n") if line)

        # the sleeper never reads: the server gives up on it after ws_close_timeout
        async def only_two_left() -> bool:
            return await metric(fresh_server.base_url, "causerie_connections") == 2

        await eventually(only_two_left, timeout=15)
        growth = rss_kib(fresh_server.proc.pid) - rss_before
        assert growth < 100_000, f"server memory grew by {growth} KiB"

        # and the room goes on
        ack = await writer.say(room, "encore là")
        await reader.expect("message", room=room, seq=ack["seq"])
        async with httpx.AsyncClient(base_url=fresh_server.base_url) as http:
            assert (await http.get("/healthz")).status_code == 200
    finally:
        resumer.close()
        sleeper.close()
        await writer.close()
        await reader.close()
        await asyncio.sleep(0)
