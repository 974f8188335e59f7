"""A bounded WebSocket fuzz run against a live server while two honest users chat.

Several fuzzers, each with a fixed seed (so a failure can be replayed), send hostile input over raw
sockets: malformed and random JSON, wrong types, huge and deeply nested values, binary frames,
invalid UTF-8, over-size frames, protocol violations (unmasked, reserved bits, bad control frames,
garbage bytes), odd but valid requests (negative or huge numbers, unknown rooms and users). When
the server closes a fuzzer, it reconnects and goes on. Meanwhile two honest clients exchange
messages. At the end: the server is up, it logged no unhandled exception, and every honest message
was acknowledged and delivered to the other user.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import string
from typing import Any

import httpx

from support.client import Client, enter_guest
from support.names import nick
from support.rawws import BINARY, CLOSE, CONT, PING, PONG, TEXT, HandshakeRefused, RawWebSocket
from support.server import LiveServer

FUZZERS = 6
FRAMES_PER_FUZZER = 150
HONEST_MESSAGES = 60
BASE_SEED = int(os.environ.get("CAUSERIE_FUZZ_SEED", "20260"))  # another seed explores further
SEEDS = [BASE_SEED + i for i in range(FUZZERS)]
TYPES = ["hello", "join", "leave", "send", "typing", "history", "dm_accept", "dm_ignore", "ping", "welcome", "x"]
FIELDS = ["v", "token", "lang", "room", "since", "ref", "client_id", "text", "to", "reply_to", "before", "limit"]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, rng.randint(-1000, 1000)])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e308, 1e-320])
    if kind == 4:
        return "".join(rng.choice(string.printable + "éàü€\u202e\u200b𝕏") for _ in range(rng.randrange(20)))
    if kind == 5:
        return rng.choice(["", "accueil", "musique", "dm-1-2", "x" * 300, "../../etc/passwd", "' OR 1=1 --"])
    if kind == 6:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(FIELDS): random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def odd_but_valid(rng: random.Random) -> dict[str, Any]:
    room = rng.choice(["accueil", "musique", "nulle-part", "dm-1-2", "dm-999999-1000000", "18-25-ans"])
    number = rng.choice([-(2**63), -1, 0, 1, 5, 10**6, 2**63 - 1])
    return rng.choice(
        [
            {"type": "join", "room": room, "since": number, "ref": "j"},
            {"type": "leave", "room": room},
            {
                "type": "send",
                "room": room,
                "text": random_json(rng) if False else "fuzz " * rng.randrange(1, 5),
                "client_id": f"f{rng.randrange(10**6)}",
                "reply_to": number,
            },
            {"type": "send", "to": rng.choice(["nobody-here", "Admin", ""]), "text": "salut", "client_id": "d"},
            {"type": "send", "text": "no target", "client_id": "n"},
            {"type": "send", "room": room, "text": "", "client_id": ""},
            {"type": "send", "room": room, "text": "é" * 1001, "client_id": "long"},
            {"type": "history", "room": room, "before": number, "limit": number, "ref": "h"},
            {"type": "typing", "room": room},
            {"type": "dm_accept", "room": room},
            {"type": "dm_ignore", "room": room},
            {"type": "ping", "ref": "x" * rng.randrange(300)},
            {"type": "hello", "v": number, "token": "t"},
        ]
    )


async def send_hostile(ws: RawWebSocket, rng: random.Random) -> None:
    choice = rng.randrange(16)
    if choice == 0:  # random bytes in a text frame (mostly invalid UTF-8)
        await ws.send_frame(TEXT, rng.randbytes(rng.randrange(1, 200)))
    elif choice == 1:  # any JSON document
        await ws.send_text(json.dumps(random_json(rng)))
    elif choice == 2:  # a frame-shaped object with random fields and values
        doc = {"type": rng.choice(TYPES), **{rng.choice(FIELDS): random_json(rng) for _ in range(rng.randrange(5))}}
        await ws.send_text(json.dumps(doc))
    elif choice == 3:  # a huge string
        await ws.send_text(
            json.dumps(
                {"type": "send", "room": "accueil", "client_id": "h", "text": "x" * rng.randrange(10_000, 65_000)}
            )
        )
    elif choice == 4:  # deep nesting, anywhere
        depth = rng.randrange(100, 30_000)
        deep = "[" * depth + "]" * depth
        await ws.send_text(
            rng.choice([deep, '{"ref":' + deep + ',"type":"ping"}', '{"type":"ping","ref":' + deep + "}"])
        )
    elif choice == 5:  # binary frames
        await ws.send_frame(BINARY, rng.choice([rng.randbytes(50), json.dumps(odd_but_valid(rng)).encode()]))
    elif choice == 6:  # over the frame size limit
        await ws.send_frame(TEXT, b'{"type":"ping","ref":"' + b"a" * 70_000 + b'"}')
    elif choice == 7:  # not a frame at all
        await ws.send_raw(rng.randbytes(rng.randrange(1, 64)))
    elif choice == 8:  # protocol violations
        violation = rng.randrange(4)
        if violation == 0:
            await ws.send_frame(TEXT, b'{"type":"ping"}', mask=False)
        elif violation == 1:
            await ws.send_frame(TEXT, b'{"type":"ping"}', rsv=rng.randrange(1, 8))
        elif violation == 2:
            await ws.send_frame(PING, b"p" * 200)
        else:
            await ws.send_frame(CONT, b"orphan")
    elif choice == 9:  # a legitimately fragmented message
        data = json.dumps({"type": "ping", "ref": "frag"}).encode()
        await ws.send_frame(TEXT, data[:5], fin=False)
        await ws.send_frame(CONT, data[5:])
    elif choice == 10:  # control frames
        await ws.send_frame(rng.choice([PING, PONG]), rng.randbytes(rng.randrange(126)))
    elif choice == 11:  # a close with any code and reason
        await ws.send_frame(CLOSE, rng.randrange(0, 70_000).to_bytes(3, "big")[-2:] + rng.randbytes(rng.randrange(20)))
    else:  # odd but valid requests
        await ws.send_text(json.dumps(odd_but_valid(rng)))


async def drain(ws: RawWebSocket) -> None:
    with contextlib.suppress(Exception):
        while ws.closed_with is None:
            await ws.recv_frame(timeout=60)


async def fuzzer(server: LiveServer, seed: int) -> int:
    """Send FRAMES_PER_FUZZER hostile frames, reconnecting whenever the server closes the socket."""
    rng = random.Random(seed)
    token = (await enter_guest(server.base_url, nick("fz")))["token"]
    sent = connections = 0
    while sent < FRAMES_PER_FUZZER:
        try:
            ws = await RawWebSocket.connect(server.port)
        except (TimeoutError, HandshakeRefused, OSError):
            await asyncio.sleep(0.05)
            continue
        connections += 1
        reader = asyncio.create_task(drain(ws))
        try:
            if rng.random() < 0.85:
                await ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
            while sent < FRAMES_PER_FUZZER and not reader.done():
                sent += 1
                await send_hostile(ws, rng)
                if rng.random() < 0.2:
                    await asyncio.sleep(0.005)
        except (ConnectionError, OSError):
            pass
        finally:
            ws.close()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    return connections


async def chat(me: Client, room: str, count: int, tag: str) -> list[dict[str, Any]]:
    acks = []
    for i in range(count):
        acks.append(await me.say(room, f"{tag} {i}"))
        await asyncio.sleep(0.01)
    return acks


def texts_from(client: Client, author: str) -> list[str]:
    return [e["text"] for e in client.events if e.get("type") == "message" and e["author"]["nick"] == author]


async def test_the_server_survives_a_fuzz_run_and_honest_users_lose_nothing(fresh_server: LiveServer) -> None:
    fresh_server.start()
    alice = await Client.enter(fresh_server.base_url, nick("fa"))
    bob = await Client.enter(fresh_server.base_url, nick("fb"))
    try:
        for client in (alice, bob):
            await client.join("accueil")
        fuzz = asyncio.gather(*(fuzzer(fresh_server, seed) for seed in SEEDS))
        acks_a, acks_b, connections = await asyncio.gather(
            chat(alice, "accueil", HONEST_MESSAGES, "alice"), chat(bob, "accueil", HONEST_MESSAGES, "bob"), fuzz
        )
        assert sum(connections) >= FUZZERS  # the fuzzers did get in (and were thrown out and came back)
        for acks in (acks_a, acks_b):
            assert [a["type"] for a in acks] == ["ack"] * HONEST_MESSAGES, [a for a in acks if a["type"] != "ack"][:3]
        # every honest message reached the other user, in order
        for reader, author, tag in ((bob, alice, "alice"), (alice, bob, "bob")):
            want = [f"{tag} {i}" for i in range(HONEST_MESSAGES)]
            for _ in range(50):
                if texts_from(reader, author.nick) == want:
                    break
                await reader.drain(0.1)
            assert texts_from(reader, author.nick) == want
        # the server is up and healthy, and logged no unhandled exception
        assert fresh_server.proc is not None and fresh_server.proc.poll() is None
        async with httpx.AsyncClient(base_url=fresh_server.base_url) as http:
            assert (await http.get("/readyz")).status_code == 200
        ack = await alice.say("accueil", "still here")
        await bob.expect("message", seq=ack["seq"])
    finally:
        await alice.close()
        await bob.close()
    log = fresh_server.log_path.read_text(errors="replace")
    for sign in ("Traceback", "Exception in ASGI application", "unhandled error"):
        assert sign not in log, log[log.find(sign) - 500 : log.find(sign) + 3000]
