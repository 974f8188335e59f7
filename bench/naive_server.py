"""The "naive Python broadcast" reference server: the floor the benchmark compares Causerie with.

What a first version of a chat server in Python looks like: the ``websockets`` library on the
standard asyncio event loop, JSON with the standard library, rooms as sets of connections, and
every message sent to every member with one send per recipient (``websockets.broadcast``, which
writes one frame per connection without waiting). No persistence, no authentication, no limits.

It speaks the subset of the Causerie protocol (docs/protocol.md) that the load generator uses, so
the same client code drives both: ``hello`` → ``welcome``, ``join`` → ``joined``,
``send`` → ``ack`` to the sender and ``message`` to everyone in the room (the sender included).

    python bench/naive_server.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
import time
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve

ROOMS: dict[str, set[ServerConnection]] = defaultdict(set)
SEQ: dict[str, int] = defaultdict(int)
IDS = itertools.count(1)


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


async def handler(ws: ServerConnection) -> None:
    nick = "anon"
    joined: set[str] = set()
    try:
        async for raw in ws:
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "send":
                room = msg["room"]
                if room not in joined:
                    await ws.send(dumps({"type": "error", "code": "not_in_room", "ref": msg.get("client_id")}))
                    continue
                SEQ[room] += 1
                seq, mid, ts = SEQ[room], next(IDS), int(time.time() * 1000)
                await ws.send(
                    dumps({"type": "ack", "ref": msg["client_id"], "room": room, "seq": seq, "id": mid, "ts": ts})
                )
                event = {
                    "type": "message",
                    "room": room,
                    "seq": seq,
                    "id": mid,
                    "ts": ts,
                    "author": {"nick": nick},
                    "text": msg["text"],
                }
                broadcast(ROOMS[room], dumps(event))
            elif kind == "hello":
                nick = str(msg.get("token") or nick)
                await ws.send(dumps({"type": "welcome", "v": 1, "me": {"nick": nick}}))
            elif kind == "join":
                room = msg["room"]
                ROOMS[room].add(ws)
                joined.add(room)
                await ws.send(
                    dumps(
                        {"type": "joined", "room": {"slug": room}, "members": len(ROOMS[room]), "ref": msg.get("ref")}
                    )
                )
            elif kind == "ping":
                await ws.send(dumps({"type": "pong", "ref": msg.get("ref")}))
    except Exception:
        pass  # the peer went away
    finally:
        for room in joined:
            ROOMS[room].discard(ws)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(handler, host, port, max_size=65536, backlog=4096):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
