"""WebSocket frames: rate per connection, nesting depth, size, and protocol-level abuse.

The ``hardened`` server gives each connection a bucket of 10 frames that practically never refills,
and closes a connection after 5 refusals in a row.
"""

from __future__ import annotations

import json
import time

from support.client import Client
from support.rawws import BINARY, CONT, PING, TEXT, RawWebSocket
from support.server import LiveServer

from .conftest import enter


async def close_code_of(client: Client) -> int | None:
    import websockets

    assert client.ws is not None
    try:
        while True:
            await client.ws.recv()
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None


async def test_frame_rate_per_connection_then_close_1008(hardened: LiveServer) -> None:
    alice = await enter(hardened.base_url)
    bob = await enter(hardened.base_url)
    try:
        for i in range(10):  # the burst
            await alice.send({"type": "ping", "ref": f"p{i}"})
        for i in range(10):
            await alice.expect("pong", ref=f"p{i}")
        # the next frames are not processed: rate_limited, with the frame's own ref
        await alice.send({"type": "send", "room": "accueil", "text": "hop", "client_id": "over-1"})
        refused = await alice.expect("error", ref="over-1")
        assert refused["code"] == "rate_limited" and refused["retry_after"] > 100
        for i in range(4):
            await alice.send({"type": "ping", "ref": f"q{i}"})
            assert (await alice.expect("error", ref=f"q{i}"))["code"] == "rate_limited"
        assert not alice.received("pong", ref="q0")
        # a sixth refusal in a row: a flooder
        await alice.send({"type": "ping", "ref": "last"})
        assert (await alice.expect("error"))["code"] == "frame_flood"
        assert await close_code_of(alice) == 1008
        # the bucket is per connection: another user is not affected
        await bob.send({"type": "ping", "ref": "b"})
        await bob.expect("pong", ref="b")
    finally:
        await alice.close()
        await bob.close()


async def test_deeply_nested_frames_are_bad_frames(live_server: LiveServer) -> None:
    """Client frames are flat structs: nesting anywhere is refused at once, the session goes on."""
    alice = await Client.enter(live_server.base_url)
    try:
        deep = "[" * 30_000 + "]" * 30_000  # about 60 KB: under the 64 KiB frame limit
        frames = [
            deep,
            '{"type": "ping", "ref": ' + deep + "}",
            '{"type": "send", "room": "accueil", "client_id": "c", "text": ' + deep + "}",
            '{"type": "ping", "extra": ' + deep + "}",
            '{"type": "join", "room": ' + '{"a": ' * 5_000 + "1" + "}" * 5_001,
            '{"type": ' + deep + "}",
        ]
        for raw in frames:
            started = time.monotonic()
            assert alice.ws is not None
            await alice.ws.send(raw)
            error = await alice.expect("error")
            assert error["code"] == "bad_frame"
            assert time.monotonic() - started < 1.0
        await alice.send({"type": "ping", "ref": "alive"})
        await alice.expect("pong", ref="alive")
    finally:
        await alice.close()


async def test_protocol_violations_close_the_connection(live_server: LiveServer) -> None:
    """Raw frames the library would never send: each closes that connection with the right code."""
    client = await Client.enter(live_server.base_url)
    hello = json.dumps({"type": "hello", "v": 1, "token": client.token}).encode()
    await client.close()
    cases = [
        ("invalid UTF-8 in a text frame", {"opcode": TEXT, "payload": b'{"type":"ping","ref":"\xff\xfe"}'}, 1007),
        ("unmasked client frame", {"opcode": TEXT, "payload": b'{"type":"ping"}', "mask": False}, 1002),
        ("reserved bits", {"opcode": TEXT, "payload": b'{"type":"ping"}', "rsv": 0b100}, 1002),
        ("fragmented ping", {"opcode": PING, "payload": b"x", "fin": False}, 1002),
        ("control frame over 125 bytes", {"opcode": PING, "payload": b"x" * 126}, 1002),
        ("continuation without a start", {"opcode": CONT, "payload": b"x"}, 1002),
        ("unknown opcode", {"opcode": 0x3, "payload": b""}, 1002),
    ]
    for name, frame, expected in cases:
        ws = await RawWebSocket.connect(live_server.port)
        await ws.send_frame(TEXT, hello)
        await ws.events()  # welcome
        await ws.send_frame(**frame)  # type: ignore[arg-type]
        assert await ws.close_code() == expected, name
        ws.close()
    # a binary frame is read as a frame (valid JSON in it is a valid frame), not a crash
    ws = await RawWebSocket.connect(live_server.port)
    await ws.send_frame(BINARY, hello)
    assert json.loads((await ws.events())[0])["type"] == "welcome"
    await ws.send_frame(BINARY, b'{"type":"ping","ref":"bin"}')
    assert json.loads((await ws.events())[0]) == {"type": "pong", "ref": "bin"}
    ws.close()


async def test_one_byte_over_the_frame_limit_closes_with_1009(live_server: LiveServer) -> None:
    client = await Client.enter(live_server.base_url)
    hello = json.dumps({"type": "hello", "v": 1, "token": client.token}).encode()
    await client.close()
    for size, expected in ((65_536, None), (65_537, 1009)):
        ws = await RawWebSocket.connect(live_server.port)
        await ws.send_frame(TEXT, hello)
        await ws.events()
        ping = b'{"type":"ping","ref":"' + b"r" * (size - 24) + b'"}'
        assert len(ping) == size
        if expected is None:
            await ws.send_frame(TEXT, ping)
            assert json.loads((await ws.events())[0])["type"] == "pong"
        else:
            # the server refuses on the frame's declared length, before the payload: send the header
            # and a first slice only, so its close frame is not lost to a TCP reset caused by the rest
            # of our payload arriving after it closed
            frame = ws.frame(TEXT, ping)
            await ws.send_raw(frame[:1024])
            assert await ws.close_code() == expected
        ws.close()
