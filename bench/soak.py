#!/usr/bin/env python3
"""Soak run of the hardening issue: honest users keep chatting while attackers hammer the server.

    bench/soak.py                                  # 200 honest clients, 5 minutes
    bench/soak.py --clients 50 --minutes 1         # a short one
    bench/run.sh soak [soak.py flags]              # the same, pinned like the other benchmarks

One Causerie server on 127.0.0.1 (SQLite in a temporary folder, the default limits), and:

* ``--clients`` honest users (guests, from loopback: exempt from the per-address limits, as users
  behind many addresses would be) in ``--rooms`` rooms, each sending a message every
  ``--interval`` seconds on average (well under the per-user rate limit of 1/s);
* a flood attacker, in a process of its own: every connection from ONE address (claimed through
  ``X-Forwarded-For``, the loopback proxy being trusted, as a reverse proxy would report it), as
  many connections as it can open, each sending ``send`` frames as fast as the socket takes them;
* a garbage sender, in the same process: connections that send malformed frames (invalid JSON,
  random JSON, wrong types, deep nesting, huge values, oversize frames, invalid UTF-8, unmasked and
  reserved-bit frames, garbage instead of ``hello``), from addresses of a /24.

Every minute it reports honest users' end-to-end latency (p50/p99, from the send time carried in
the text to each receiver), the server's RSS (``/proc/PID/status``: flat means no leak) and what
the attackers got (handshake refusals, close codes, error codes). At the end, it stops the server
and reads the SQLite file: every ``client_id`` acknowledged to an honest client must be stored
exactly once. Exit status 1 if one is missing or duplicated.

The raw WebSocket pieces (frame encoding, the protocol client, the server launcher) come from
``bench/loadgen.py``. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402  (bench/ is not a package)
from loadgen import HOST, TS_RE, CauserieTarget, Server, WSClient, free_port, now_us, pct, ws_frame  # noqa: E402

# The server runs with the DEFAULT limits: undo what loadgen's launcher raises for throughput runs.
DEFAULT_LIMITS_ENV = {
    "CAUSERIE_RATE_MESSAGE_BURST": "8",
    "CAUSERIE_RATE_MESSAGE_PER_SECOND": "1",
    "CAUSERIE_MAX_ROOMS_JOINED": "20",
    "CAUSERIE_WS_FRAME_BURST": "100",
    "CAUSERIE_WS_FRAMES_PER_SECOND": "10",
    "CAUSERIE_WS_MAX_REFUSED_FRAMES": "20",
    "CAUSERIE_WS_MAX_CONNECTIONS_PER_IP": "16",
    "CAUSERIE_WS_NEW_CONNECTIONS_PER_IP": "32",
    "CAUSERIE_GUEST_ENTRIES_PER_IP_PER_HOUR": "30",
    "CAUSERIE_WS_SEND_QUEUE_BYTES": "1048576",
}
FLOOD_ADDRESS = "198.51.100.66"
GARBAGE_NET = "203.0.113."


# --------------------------------------------------------------------------------------------
# Honest users: loadgen's protocol client, reading every line once chatting starts
# --------------------------------------------------------------------------------------------


class Honest(WSClient):
    def __init__(self, target: CauserieTarget, index: int, nick: str, book: Book) -> None:
        super().__init__(target, index, nick, target.path)
        self.book = book
        self.live = False

    def _offer(self, item: Any) -> None:
        if not self.live:
            super()._offer(item)
            return
        line: bytes = item
        if line.startswith(b'{"type":"message"'):
            m = TS_RE.search(line)
            if m is not None:
                self.book.latencies.append(now_us() - int(m.group(1)))
        elif line.startswith(b'{"type":"ack"'):
            self.book.acked.add(json.loads(line)["ref"])  # ref: the client_id acknowledged
        elif line.startswith(b'{"type":"error"'):
            self.book.errors[json.loads(line).get("code", "?")] += 1

    def data_received(self, data: bytes) -> None:
        try:
            super().data_received(data)
        except Exception as exc:  # a bug here would silently close the socket: say it
            self.book.errors[f"client bug: {exc!r}"[:80]] += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self.open and not self.closed_by_us:
            self.book.dropped[self.close_reason or "eof"] += 1
        super().connection_lost(exc)

    def say(self) -> None:
        cid = f"{self.nick}-{self.seq}"
        text = loadgen.message_text(self.seq, now_us())
        self.send_json_text(json.dumps({"type": "send", "room": self.room, "text": text, "client_id": cid}))
        self.seq += 1
        self.book.sent += 1


class Book:
    """What the honest side saw (one window of latencies at a time)."""

    def __init__(self) -> None:
        self.latencies: list[int] = []
        self.acked: set[str] = set()
        self.errors: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.sent = 0


async def honest_users(target: CauserieTarget, args: argparse.Namespace, book: Book) -> list[Honest]:
    clients = [Honest(target, i, f"soak{i:04d}", book) for i in range(args.clients)]
    await target.enter(list(clients), concurrency=16)
    gate = asyncio.Semaphore(32)

    async def ready(c: Honest) -> None:
        async with gate:
            await target.connect(c)
            await target.join(c, target.room_name(c.index % args.rooms))
            c.live = True

    await asyncio.gather(*(ready(c) for c in clients))
    return clients


async def chat(clients: list[Honest], interval: float, until: float) -> None:
    async def one(c: Honest) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        while time.monotonic() < until and c.open:
            c.say()
            await asyncio.sleep(random.uniform(0.5 * interval, 1.5 * interval))

    await asyncio.gather(*(one(c) for c in clients))


# --------------------------------------------------------------------------------------------
# Attackers (run in a child process: their busy loops must not slow the honest clients' timing)
# --------------------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.handshakes: Counter[str] = Counter()  # "101", "429", "403", "error"
        self.closes: Counter[str] = Counter()  # close code and reason, or "eof"
        self.errors: Counter[str] = Counter()  # error event codes
        self.frames_sent = 0
        self.entries: Counter[str] = Counter()

    def as_dict(self) -> dict[str, Any]:
        return {
            "handshakes": dict(self.handshakes),
            "closes": dict(self.closes.most_common(12)),
            "errors": dict(self.errors.most_common(12)),
            "frames_sent": self.frames_sent,
            "guest_entries": dict(self.entries),
        }


async def http_guest(port: int, address: str, nick: str, tally: Tally) -> str | None:
    body = json.dumps({"nickname": nick, "age": 30, "gender": "m", "region": "75", "accept_rules": True}).encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(
            (
                f"POST /api/v1/session/guest HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-For: {address}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        data = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "?"
    tally.entries[status] += 1
    if status != "201":
        return None
    token: str = json.loads(data.split(b"\r\n\r\n", 1)[1])["token"]
    return token


class RawSocket:
    """A WebSocket over asyncio streams with an X-Forwarded-For: what the attackers need."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.close_code = ""

    @classmethod
    async def open(cls, port: int, address: str, tally: Tally) -> RawSocket | None:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            tally.handshakes["error"] += 1
            return None
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nX-Forwarded-For: {address}\r\n\r\n"
            ).encode()
        )
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            tally.handshakes["error"] += 1
            writer.close()
            return None
        status = head.split(b" ", 2)[1].decode()
        tally.handshakes[status] += 1
        if status != "101":
            writer.close()
            return None
        return cls(reader, writer)

    async def read_until_closed(self, tally: Tally) -> None:
        """Read frames (errors counted, pings answered) until the server closes."""
        r = self.reader
        try:
            while True:
                b0, b1 = await r.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(await r.readexactly(2), "big")
                elif n == 127:
                    n = int.from_bytes(await r.readexactly(8), "big")
                payload = await r.readexactly(n)
                op = b0 & 0x0F
                if op == 8:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                    self.close_code = f"{code} {payload[2:].decode(errors='replace')}".strip()
                    with contextlib.suppress(OSError):
                        self.writer.write(ws_frame(payload[:2], 0x08))
                    break
                if op == 9:
                    self.writer.write(ws_frame(payload, 0x0A))
                elif op == 1:
                    for line in payload.split(b"\n"):
                        if line.startswith(b'{"type":"error"'):
                            tally.errors[json.loads(line).get("code", "?")] += 1
        except (asyncio.IncompleteReadError, OSError):
            pass
        tally.closes[self.close_code or "eof"] += 1
        self.writer.close()

    def send(self, raw: bytes) -> bool:
        if self.writer.is_closing():
            return False
        self.writer.write(raw)
        return True


async def flood(port: int, room: str, until: float, tally: Tally, width: int) -> None:
    """Many connections from one address, each sending as fast as its socket buffer allows."""
    tokens = [
        t for t in [await http_guest(port, FLOOD_ADDRESS, f"flood{i}{os.getpid()}", tally) for i in range(4)] if t
    ]
    if not tokens:
        return

    async def connection(slot: int) -> None:
        n = 0
        while time.monotonic() < until:
            ws = await RawSocket.open(port, FLOOD_ADDRESS, tally)
            if ws is None:
                await asyncio.sleep(0.05)  # refused (429): knock again soon
                continue
            reading = asyncio.create_task(ws.read_until_closed(tally))
            ws.send(ws_frame(json.dumps({"type": "hello", "v": 1, "token": tokens[slot % len(tokens)]}).encode()))
            ws.send(ws_frame(json.dumps({"type": "join", "room": room}).encode()))
            while not reading.done() and time.monotonic() < until:
                if ws.writer.transport.get_write_buffer_size() < 65536:
                    batch = b"".join(
                        ws_frame(
                            json.dumps(
                                {
                                    "type": "send",
                                    "room": room,
                                    "text": f"FLOOD {n + i}",
                                    "client_id": f"f{slot}-{n + i}",
                                }
                            ).encode()
                        )
                        for i in range(20)
                    )
                    n += 20
                    tally.frames_sent += 20
                    if not ws.send(batch):
                        break
                await asyncio.sleep(0.002)
            ws.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reading, 2)

    await asyncio.gather(*(connection(i) for i in range(width)))


def garbage_frames(rng: random.Random) -> list[bytes]:
    """One connection's worth of garbage, as raw bytes on the wire."""
    deep = "[" * 5000 + "]" * 5000
    texts = [
        b"{not json",
        b"null",
        b"[]",
        b'{"type":"send"}',
        b'{"type":"send","room":42,"text":["a"],"client_id":{}}',
        b'{"type":"nope","x":1}',
        b'{"type":"join","room":"' + b"a" * 2000 + b'"}',
        json.dumps({"type": "send", "room": "bench-00", "text": deep, "client_id": "x"}).encode(),
        json.dumps({"type": "send", "room": "bench-00", "text": "z" * 9000, "client_id": "y"}).encode(),
        json.dumps({"type": "ping", "ref": {"a": {"b": {"c": [1, 2, {"d": None}]}}}}).encode(),
        bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))).decode("latin-1").encode(),
        json.dumps({rng.choice("abcxyz"): rng.random() for _ in range(rng.randint(0, 30))}).encode(),
        b'{"type":"hello","v":999}',
        b'{"type":"send","room":"bench-00","text":"'
        + "\u202e\u0301\u0301\u0301\u0301".encode() * 100
        + b'","client_id":"z"}',
    ]
    frames = [ws_frame(rng.choice(texts)) for _ in range(rng.randint(5, 30))]
    ending = rng.choice(["none", "oversize", "utf8", "unmasked", "rsv", "binary"])
    if ending == "oversize":
        frames.append(ws_frame(b"x" * 70_000))  # over ws_max_frame_bytes: 1009
    elif ending == "utf8":
        frames.append(ws_frame(b"\xff\xfe\xfd"))  # invalid UTF-8 in a text frame: 1007
    elif ending == "unmasked":
        frames.append(bytes((0x81, 5)) + b"hello")  # client frames must be masked: 1002
    elif ending == "rsv":
        frame = bytearray(ws_frame(b"{}"))
        frame[0] |= 0x40  # a reserved bit without an extension: 1002
        frames.append(bytes(frame))
    elif ending == "binary":
        frames.append(ws_frame(os.urandom(200), 0x02))
    return frames


async def garbage(port: int, until: float, tally: Tally, width: int) -> None:
    """Connections that send malformed frames, from addresses of a /24 (a few guests per address)."""
    rng = random.Random(7)
    tokens: dict[str, str] = {}

    async def connection(slot: int) -> None:
        k = slot
        while time.monotonic() < until:
            address = f"{GARBAGE_NET}{1 + k % 250}"
            k += width
            if address not in tokens:
                token = await http_guest(port, address, f"junk{k}x{os.getpid()}", tally)
                if token is None:
                    await asyncio.sleep(0.1)
                    continue
                tokens[address] = token
            ws = await RawSocket.open(port, address, tally)
            if ws is None:
                await asyncio.sleep(0.05)
                continue
            reading = asyncio.create_task(ws.read_until_closed(tally))
            if rng.random() < 0.8:
                ws.send(ws_frame(json.dumps({"type": "hello", "v": 1, "token": tokens[address]}).encode()))
            for frame in garbage_frames(rng):
                if reading.done() or not ws.send(frame):
                    break
                tally.frames_sent += 1
                await asyncio.sleep(rng.uniform(0.005, 0.05))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(reading), 3)
            ws.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reading, 1)

    await asyncio.gather(*(connection(i) for i in range(width)))


async def attackers(port: int, seconds: float, out: Path, flood_width: int, garbage_width: int) -> None:
    until = time.monotonic() + seconds
    flood_tally, garbage_tally = Tally(), Tally()
    minute: dict[str, Any] = {}

    async def snapshots() -> None:
        while time.monotonic() < until:
            await asyncio.sleep(5)
            minute["flood"], minute["garbage"] = flood_tally.as_dict(), garbage_tally.as_dict()
            out.write_text(json.dumps(minute))

    await asyncio.gather(
        flood(port, "bench-00", until, flood_tally, flood_width),
        garbage(port, until, garbage_tally, garbage_width),
        snapshots(),
    )
    out.write_text(json.dumps({"flood": flood_tally.as_dict(), "garbage": garbage_tally.as_dict(), "done": True}))


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def check_stored(db: Path, acked: set[str]) -> dict[str, int]:
    """Every acknowledged client_id stored exactly once (read from the SQLite file after the stop)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = Counter(cid for (cid,) in conn.execute("SELECT client_id FROM messages WHERE client_id LIKE 'soak%'"))
    finally:
        conn.close()
    missing = sum(1 for cid in acked if counts[cid] == 0)
    duplicated = sum(1 for cid in acked if counts[cid] > 1)
    return {"acked": len(acked), "stored": sum(counts.values()), "missing": missing, "duplicated": duplicated}


async def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="causerie-soak-"))
    port = free_port()
    server = Server("causerie", port, workdir, args.server_cpu, DEFAULT_LIMITS_ENV)
    server.start()
    target = CauserieTarget(port)
    book = Book()
    attack_out = workdir / "attackers.json"
    child: subprocess.Popen[bytes] | None = None
    minutes: list[dict[str, Any]] = []
    try:
        started = time.monotonic()
        clients = await honest_users(target, args, book)
        print(f"{len(clients)} honest clients connected in {time.monotonic() - started:.1f} s", flush=True)
        seconds = args.minutes * 60
        child = (
            None
            if args.no_attack
            else subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--attackers",
                    str(port),
                    "--seconds",
                    str(seconds),
                    "--out",
                    str(attack_out),
                    "--flood-width",
                    str(args.flood_width),
                    "--garbage-width",
                    str(args.garbage_width),
                ]
            )
        )
        until = time.monotonic() + seconds
        chatting = asyncio.create_task(chat(clients, args.interval, until))
        print("min  sent  acked   p50 ms   p99 ms   samples   RSS MB  load   attackers (so far)", flush=True)
        for m in range(1, args.minutes + 1):
            await asyncio.sleep(max(0.0, min(60.0, until - time.monotonic())))
            window, book.latencies = book.latencies, []
            lat = sorted(window)
            mem = server.memory()
            attack = json.loads(attack_out.read_text()) if attack_out.exists() else {}
            row = {
                "minute": m,
                "sent": book.sent,
                "acked": len(book.acked),
                "p50_ms": round(pct(lat, 50), 1) if lat else None,
                "p99_ms": round(pct(lat, 99), 1) if lat else None,
                "samples": len(lat),
                "rss_mb": round(mem["rss"] / 2**20, 1),
                "load": Path("/proc/loadavg").read_text().split()[0],
                "server_alive": server.alive(),
            }
            minutes.append(row)
            fl, ga = attack.get("flood", {}), attack.get("garbage", {})
            print(
                f"{m:>3} {row['sent']:>6} {row['acked']:>6} {row['p50_ms']!s:>8} {row['p99_ms']!s:>8} "
                f"{row['samples']:>9} {row['rss_mb']:>8} {row['load']:>5}   flood {fl.get('handshakes', {})} "
                f"garbage closes {sum(ga.get('closes', {}).values())}",
                flush=True,
            )
        await chatting
        await asyncio.sleep(2)  # the last acks
        if child is not None:
            child.wait(30)
        attack = json.loads(attack_out.read_text()) if attack_out.exists() else {}
        for c in clients:
            c.close()
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(10)
        peak = server.memory()
        server.stop()
    stored = check_stored(workdir / "bench.db", book.acked)
    result = {
        "scenario": "soak",
        "clients": args.clients,
        "attack": not args.no_attack,
        "rooms": args.rooms,
        "interval_s": args.interval,
        "minutes": minutes,
        "rss_peak_mb": round(peak["hwm"] / 2**20, 1),
        "honest_errors": dict(book.errors),
        "honest_dropped": dict(book.dropped),
        "attackers": attack,
        "stored": stored,
        "loadavg_end": Path("/proc/loadavg").read_text().split()[:3],
        "cpus": os.cpu_count(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    ok = stored["missing"] == 0 and stored["duplicated"] == 0 and all(r["server_alive"] for r in minutes)
    print("OK: no acknowledged message lost or duplicated" if ok else "FAILED", flush=True)
    return 0 if ok else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=200, help="honest clients (default 200)")
    p.add_argument("--minutes", type=int, default=5, help="length of the run (default 5)")
    p.add_argument("--rooms", type=int, default=10, help="rooms the honest clients are spread over")
    p.add_argument("--interval", type=float, default=4.0, help="mean seconds between an honest client's messages")
    p.add_argument("--flood-width", type=int, default=32, help="connections the flood attacker keeps trying")
    p.add_argument("--garbage-width", type=int, default=8, help="garbage connections at once")
    p.add_argument("--server-cpu", default="0", help="taskset CPU list for the server (default 0)")
    p.add_argument("--no-attack", action="store_true", help="no attackers: the baseline to compare with")
    p.add_argument("--json", help="append the result to this JSON-lines file")
    p.add_argument("--attackers", type=int, help=argparse.SUPPRESS)  # child process: the server's port
    p.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.attackers:
        asyncio.run(attackers(args.attackers, args.seconds, Path(args.out), args.flood_width, args.garbage_width))
        return
    loadgen.set_nice(int(os.environ.get("BENCH_NICE", "0")))  # inherited by the server and the attackers
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
