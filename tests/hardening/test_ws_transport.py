"""The WebSocket transports on a live server: the fast one (default, ``ws_transport = "fast"``) at the
protocol level — handshake checks, fragmentation, ping/pong, the close handshake, other upgrade paths
— and the ASGI fallback (``ws_transport = "asgi"``) still serving a chat."""

from __future__ import annotations

import asyncio
import json
import struct

import pytest

from support.client import Client, enter_guest
from support.names import nick
from support.rawws import CLOSE, CONT, PING, PONG, TEXT, HandshakeRefused, RawWebSocket
from support.server import LiveServer


async def opened(server: LiveServer) -> RawWebSocket:
    token = (await enter_guest(server.base_url, nick("ft")))["token"]
    ws = await RawWebSocket.connect(server.port)
    await ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
    assert json.loads((await ws.events())[0])["type"] == "welcome"
    return ws


async def raw_upgrade(port: int, head: str) -> tuple[int, dict[str, str]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode("latin-1"))
        response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    finally:
        writer.close()
    status_line, *lines = response.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    return int(status_line.split(" ")[1]), headers


async def test_fragments_pings_in_between_and_the_close_handshake(live_server: LiveServer) -> None:
    ws = await opened(live_server)
    try:
        # a ping frame (event) in three fragments, with a control ping between the first two
        text = json.dumps({"type": "ping", "ref": "frag-é"}).encode()
        await ws.send_raw(
            ws.frame(TEXT, text[:5], fin=False)
            + ws.frame(PING, b"hb")
            + ws.frame(CONT, text[5:9], fin=False)
            + ws.frame(CONT, text[9:])
        )
        assert await ws.recv_frame() == (PONG, b"hb")  # control frames are answered at once
        assert json.loads((await ws.events())[0]) == {"type": "pong", "ref": "frag-é"}
        # the client closes: the server answers with the same code, then ends the TCP connection
        await ws.send_frame(CLOSE, struct.pack("!H", 1000) + b"bye")
        assert await ws.close_code() == 1000
        assert await asyncio.wait_for(ws.reader.read(), 5) == b""
    finally:
        ws.close()


async def test_handshake_errors_and_other_paths(live_server: LiveServer) -> None:
    port = live_server.port
    base = f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    # RFC 6455's own example: the accept value is fixed by the key
    status, headers = await raw_upgrade(port, base + key + "Sec-WebSocket-Version: 13\r\n\r\n")
    assert status == 101 and headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert "sec-websocket-extensions" not in headers and "sec-websocket-protocol" not in headers
    assert (await raw_upgrade(port, base + "Sec-WebSocket-Version: 13\r\n\r\n"))[0] == 400  # no key
    status, headers = await raw_upgrade(port, base + key + "Sec-WebSocket-Version: 8\r\n\r\n")
    assert status == 426 and headers["sec-websocket-version"] == "13"
    # an upgrade on any other path is the ASGI app's: it has no WebSocket route there
    with pytest.raises(HandshakeRefused) as refused:
        await RawWebSocket.connect(port, path="/elsewhere")
    assert refused.value.status == 403


async def test_the_fast_transport_sends_one_frame_per_payload_to_everyone(live_server: LiveServer) -> None:
    """Two members get the same message; each frame holds whole events (one JSON object per line)."""
    alice = await Client.enter(live_server.base_url, nick("fa"))
    bob = await Client.enter(live_server.base_url, nick("fb"))
    try:
        await alice.join("accueil")
        await bob.join("accueil")
        ack = await alice.say("accueil", "une fois encodé, une fois tramé")
        got = [await c.expect("message", seq=ack["seq"]) for c in (alice, bob)]
        assert got[0] == got[1] and got[0]["text"] == "une fois encodé, une fois tramé"
        assert alice.ws is not None and not alice.ws.protocol.extensions  # fast: no permessage-deflate
    finally:
        await alice.close()
        await bob.close()


async def test_the_asgi_transport_is_the_fallback(fresh_server: LiveServer) -> None:
    fresh_server.start(CAUSERIE_WS_TRANSPORT="asgi")
    alice = await Client.enter(fresh_server.base_url, nick("aa"))
    bob = await Client.enter(fresh_server.base_url, nick("ab"))
    try:
        assert alice.ws is not None and alice.ws.protocol.extensions  # uvicorn's websockets: deflate
        await alice.join("accueil")
        await bob.join("accueil")
        ack = await alice.say("accueil", "par le chemin ASGI")
        assert (await bob.expect("message", seq=ack["seq"]))["text"] == "par le chemin ASGI"
        await bob.send({"type": "ping", "ref": "asgi"})
        await bob.expect("pong", ref="asgi")
    finally:
        await alice.close()
        await bob.close()
