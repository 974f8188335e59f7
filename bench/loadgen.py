#!/usr/bin/env python3
"""Load generator of the Causerie benchmark (see bench/README.md and docs/performance.md).

One asyncio process (uvloop when installed), raw protocols on ``asyncio.Protocol``: a minimal
WebSocket client (RFC 6455: masked client frames, unmasked server frames, ping/pong, close) for
Causerie and the naive reference server, and a minimal IRC client (NICK/USER, JOIN, PRIVMSG) for
InspIRCd and ngIRCd. Receivers do not decode what they receive: they count the events in each
chunk with ``bytes.count`` (a message event is ``{"type":"message"`` in a WebSocket payload, a
``PRIVMSG #`` line on IRC), so one core of Python can count millions of deliveries per second.
A few "probe" receivers per run also read the send time that every message carries in its text
(``~T<µs>~``, monotonic clock of this process) and give the end-to-end latency.

Everything is on 127.0.0.1, bounded in count and time; the server under test is started by this
script, pinned to core 0 (``taskset -c 0``), and stopped at the end.

    loadgen.py --target causerie --scenario fanout-1x500            # ramp + holds (one figure set)
    loadgen.py --target ngircd --scenario fanout-50x20 --mode ramp
    loadgen.py --target causerie --scenario idle-10k
    loadgen.py --target causerie --scenario durability

Modes: ``ramp`` (raise the offered rate until delivered/offered < 0.95, p99 > 500 ms or a lost
connection: saturation = the best passing step, counting no more deliveries than it offered, so a
step that drains the previous one's backlog does not overstate it), ``hold`` (latency at ``--deliveries`` per second
or at ``--fraction`` of a saturation found by a short ramp), ``full`` (ramp, then hold at 50 % of
saturation, then hold at 50,000 deliveries/s, on the same server), ``idle`` (memory per idle
connection and time to connect, enter and join), ``durability`` (closed-loop senders, acknowledged
messages per second).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HOST = "127.0.0.1"  # loopback only, always
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# --------------------------------------------------------------------------------------------
# Counters shared by every connection (one process, one thread: plain attributes are enough)
# --------------------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.delivered = 0  # message events counted at receivers
        self.acks = 0  # acks counted at senders
        self.errors = 0  # error events counted during the measurement
        self.sent = 0  # messages written to sockets
        self.gen_dropped = 0  # messages not written because a sender's socket buffer was full
        self.lost = 0  # connections that ended while they should have stayed open
        self.lost_reasons: Counter[str] = Counter()
        self.lat: list[int] = []  # probe latencies in µs (current window)
        self.shutting_down = False
        self.rx = 0  # bytes received by all clients


STATS = Stats()
TS_RE = re.compile(rb"~T(\d{16})~")
TS_LEN = 20  # len("~T") + 16 + len("~")


def now_us() -> int:
    return time.monotonic_ns() // 1000


def sustained(w: dict[str, Any]) -> float:
    """What a step shows the server sustains: its deliveries, but never more than were offered in
    it (a step that also drains the previous step's backlog delivers more than it offers)."""
    return float(min(w["deliveries_per_s"], w["offered_deliveries_per_s"]))


def message_text(seq: int, ts: int) -> str:
    # about 60 characters, like a chat line; only letters, digits, spaces and "~" (no escaping)
    return f"bench {seq} ~T{ts:016d}~ lorem ipsum dolor sit amet"


class BoundaryCounter:
    """Counts a marker in a byte stream that arrives in chunks (a marker may straddle two)."""

    __slots__ = ("marker", "n", "tail")

    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.n = len(marker) - 1
        self.tail = b""

    def count(self, data: bytes) -> int:
        c = data.count(self.marker)
        if self.tail:
            c += (self.tail + data[: self.n]).count(self.marker)
        self.tail = data[-self.n :] if len(data) >= self.n else (self.tail + data)[-self.n :]
        return c


class Probe:
    """Reads the send timestamps embedded in message texts: end-to-end latency in µs."""

    __slots__ = ("tail",)

    def __init__(self) -> None:
        self.tail = b""

    def scan(self, data: bytes) -> None:
        t = now_us()
        lat = STATS.lat
        for m in TS_RE.findall(data):
            lat.append(t - int(m))
        if self.tail:
            for m in TS_RE.findall(self.tail + data[: TS_LEN - 1]):
                lat.append(t - int(m))
        self.tail = data[-(TS_LEN - 1) :] if len(data) >= TS_LEN - 1 else (self.tail + data)[-(TS_LEN - 1) :]


# --------------------------------------------------------------------------------------------
# WebSocket client (RFC 6455), just what the benchmark needs
# --------------------------------------------------------------------------------------------

MSG_MARK = b'{"type":"message"'
ACK_MARK = b'{"type":"ack"'
ERR_MARK = b'{"type":"error"'


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One client frame: FIN, opcode, MASK bit and a random masking key (client frames are masked)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    if n:
        mask = (key * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "little") ^ int.from_bytes(mask, "little")).to_bytes(n, "little")
    return head + key + payload


class Client(asyncio.Protocol):
    """Common part of a benchmark client: setup-time waiting, fast-mode counting, loss detection."""

    def __init__(self, target: Target, index: int, nick: str) -> None:
        self.target = target
        self.index = index
        self.nick = nick
        self.token = ""
        self.room = ""
        self.transport: asyncio.Transport | None = None
        self.fast = False
        self.sender = False
        self.probe: Probe | None = None
        self.msg_counter = BoundaryCounter(target.marker)
        self.ack_counter = BoundaryCounter(ACK_MARK)
        self.err_counter = BoundaryCounter(target.error_marker)
        self.waiters: list[tuple[Any, asyncio.Future[Any]]] = []
        self.connected = asyncio.get_running_loop().create_future()
        self.closed_by_us = False
        self.open = False
        self.seq = 0
        self.window = 0  # durability mode: messages kept in flight (0: open loop)
        self.inflight = 0
        self.acked = 0

    # -- setup-time helpers --------------------------------------------------------------------

    def expect(self, predicate: Any) -> asyncio.Future[Any]:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((predicate, fut))
        return fut

    def _offer(self, item: Any) -> None:
        if not self.waiters:
            return
        keep = []
        for pred, fut in self.waiters:
            if fut.done():
                continue
            verdict = pred(item)
            if verdict is None:
                keep.append((pred, fut))
            elif isinstance(verdict, Exception):
                fut.set_exception(verdict)
            else:
                fut.set_result(item)
        self.waiters = keep

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        was_open = self.open
        self.open = False
        reason = getattr(self, "close_reason", "") or f"{exc}"
        err = ConnectionError(f"connection closed: {reason}")
        if not self.connected.done():
            self.connected.set_exception(err)
        for _, fut in self.waiters:
            if not fut.done():
                fut.set_exception(err)
        self.waiters = []
        if was_open and not self.closed_by_us and not STATS.shutting_down:
            STATS.lost += 1
            STATS.lost_reasons[getattr(self, "close_reason", "") or f"eof ({exc})"] += 1

    def close(self) -> None:
        self.closed_by_us = True
        if self.transport is not None:
            self.transport.abort()

    # -- measurement ---------------------------------------------------------------------------

    def count(self, data: bytes) -> None:
        STATS.delivered += self.msg_counter.count(data)
        if ERR_MARK in data or self.target.error_marker in data:
            STATS.errors += self.err_counter.count(data)
            self.note_errors(data)
        else:
            self.err_counter.count(data)
        if self.probe is not None:
            self.probe.scan(data)
        if self.sender and self.target.has_acks:
            n = self.ack_counter.count(data)
            if n:
                STATS.acks += n
                self.acked += n
                self.inflight -= n
                if self.window:
                    self.top_up()

    def note_errors(self, data: bytes) -> None:
        pass

    def send_messages(self, k: int, ts: int) -> None:
        transport = self.transport
        if transport is None or not self.open:
            return
        if transport.get_write_buffer_size() > 4_000_000:
            STATS.gen_dropped += k
            return
        payload = self.target.encode_sends(self, k, ts)
        transport.write(payload)
        self.seq += k
        self.inflight += k
        STATS.sent += k

    def top_up(self) -> None:
        k = self.window - self.inflight
        if k > 0:
            self.send_messages(k, now_us())


class WSClient(Client):
    def __init__(self, target: Target, index: int, nick: str, path: str) -> None:
        super().__init__(target, index, nick)
        self.path = path
        self.handshaken = False
        self.hbuf = bytearray()  # handshake bytes, then unparsed frame bytes (setup mode)
        self.skip = 0  # fast mode: payload bytes still to skip
        self.partial = b""  # fast mode: an incomplete frame header (or control frame)
        self.frag: list[bytes] = []
        self.close_reason = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.key = base64.b64encode(os.urandom(16)).decode()
        req = (
            f"GET {self.path} HTTP/1.1\r\nHost: {HOST}:{self.target.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.transport.write(req.encode())  # type: ignore[union-attr]

    def send_json_text(self, text: str) -> None:
        if self.transport is not None and self.open:
            self.transport.write(ws_frame(text.encode()))

    def data_received(self, data: bytes) -> None:
        STATS.rx += len(data)
        if not self.handshaken:
            self.hbuf += data
            end = self.hbuf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.hbuf[:end])
            rest = bytes(self.hbuf[end + 4 :])
            self.hbuf = bytearray()
            if not head.startswith(b"HTTP/1.1 101"):
                self.close_reason = head.split(b"\r\n", 1)[0].decode(errors="replace")
                if not self.connected.done():
                    self.connected.set_exception(ConnectionError(f"handshake refused: {self.close_reason}"))
                self.close()
                return
            self.handshaken = True
            if not self.connected.done():
                self.connected.set_result(None)
            if not rest:
                return
            data = rest
        if self.fast:
            self.count(data)
            self._walk(data)
        else:
            self._parse(data)

    # setup mode: full parse, text payloads split into lines and offered to waiters
    def _parse(self, data: bytes) -> None:
        buf = self.hbuf
        buf += data
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            ln, hl = b1 & 0x7F, 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln, hl = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln, hl = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if b1 & 0x80:
                hl += 4
            if n - pos < hl + ln:
                break
            payload = bytes(buf[pos + hl : pos + hl + ln])
            pos += hl + ln
            self._frame(b0, payload)
        del buf[:pos]

    def _frame(self, b0: int, payload: bytes) -> None:
        op = b0 & 0x0F
        if op in (0, 1, 2):
            self.frag.append(payload)
            if b0 & 0x80:
                text, self.frag = b"".join(self.frag), []
                for line in text.split(b"\n"):
                    if line:
                        self._offer(line)
        else:
            self._control(op, payload)

    def _control(self, op: int, payload: bytes) -> None:
        if op == 9:  # ping -> pong
            if self.transport is not None and self.open:
                self.transport.write(ws_frame(payload, 0x0A))
        elif op == 8:  # close: answer and let the server close TCP
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.close_reason = f"close {code} {payload[2:].decode(errors='replace')}".strip()
            if self.transport is not None and self.open:
                self.transport.write(ws_frame(payload[:2], 0x08))

    # fast mode: only walk frame headers (to answer pings and see closes); payloads are skipped
    def _walk(self, data: bytes) -> None:
        n = len(data)
        pos = self.skip
        if pos >= n:
            self.skip = pos - n
            return
        if self.partial:
            data = self.partial + data[pos:]
            self.partial = b""
            n, pos = len(data), 0
        while pos < n:
            if n - pos < 2:
                self.partial = data[pos:]
                self.skip = 0
                return
            b0, b1 = data[pos], data[pos + 1]
            ln, hl = b1 & 0x7F, 2
            if ln == 126:
                if n - pos < 4:
                    self.partial = data[pos:]
                    self.skip = 0
                    return
                ln, hl = int.from_bytes(data[pos + 2 : pos + 4], "big"), 4
            elif ln == 127:
                if n - pos < 10:
                    self.partial = data[pos:]
                    self.skip = 0
                    return
                ln, hl = int.from_bytes(data[pos + 2 : pos + 10], "big"), 10
            if b1 & 0x80:
                hl += 4
            op = b0 & 0x0F
            if op >= 8:
                if n - pos < hl + ln:
                    self.partial = data[pos:]
                    self.skip = 0
                    return
                self._control(op, data[pos + hl : pos + hl + ln])
            pos += hl + ln
        self.skip = pos - n

    def go_fast(self) -> None:
        """Switch to counting mode; a frame left half-parsed is handed to the header walker."""
        self.partial = bytes(self.hbuf)
        self.hbuf = bytearray()
        self.skip = 0
        self.fast = True

    def note_errors(self, data: bytes) -> None:
        for m in re.finditer(rb'\{"type":"error","code":"([a-z_]+)"', data):
            ERROR_CODES[m.group(1).decode()] += 1


ERROR_CODES: Counter[str] = Counter()


class IRCClient(Client):
    def __init__(self, target: Target, index: int, nick: str) -> None:
        super().__init__(target, index, nick)
        self.buf = b""
        self.ping_counter = BoundaryCounter(b"PING ")
        self.close_reason = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.transport.write(f"NICK {self.nick}\r\nUSER {self.nick} 0 * :{self.nick}\r\n".encode())  # type: ignore[union-attr]
        if not self.connected.done():
            self.connected.set_result(None)

    def data_received(self, data: bytes) -> None:
        STATS.rx += len(data)
        if self.fast:
            self.count(data)
            if self.ping_counter.count(data) or b"ERROR :" in data:
                self._lines(data, only_control=True)
            return
        self._lines(data, only_control=False)

    def _lines(self, data: bytes, only_control: bool) -> None:
        buf = self.buf + data
        lines = buf.split(b"\r\n")
        self.buf = lines.pop()
        if only_control and len(self.buf) > 4096:
            self.buf = b""
        for line in lines:
            if line.startswith(b"PING "):
                if self.transport is not None and self.open:
                    self.transport.write(b"PONG " + line[5:] + b"\r\n")
            elif line.startswith(b"ERROR "):
                self.close_reason = line.decode(errors="replace")
            elif not only_control:
                self._offer(line)

    def go_fast(self) -> None:
        self.buf = b""
        self.fast = True


# --------------------------------------------------------------------------------------------
# Targets: how to enter, connect, join and send on each server
# --------------------------------------------------------------------------------------------


class Target:
    name = ""
    connect_concurrency = 256  # connects (with entry and join) in flight at once
    marker = MSG_MARK
    error_marker = ERR_MARK
    has_acks = True
    echo = True  # the sender receives its own message (Causerie, naive); IRC does not

    def __init__(self, port: int) -> None:
        self.port = port

    def room_name(self, i: int) -> str:
        return f"bench-{i:02d}"

    def fanout(self, room_size: int) -> int:
        return room_size if self.echo else room_size - 1

    async def enter(self, clients: list[Client], concurrency: int) -> None:
        """Per-client registration before connecting (Causerie: guest entry over HTTP)."""

    def make(self, index: int, nick: str) -> Client:
        raise NotImplementedError

    async def connect(self, client: Client) -> None:
        raise NotImplementedError

    async def join(self, client: Client, room: str) -> None:
        raise NotImplementedError

    def encode_sends(self, client: Client, k: int, ts: int) -> bytes:
        raise NotImplementedError


def _line_type(line: bytes) -> bytes:
    # lines start with {"type":"xxx" (msgspec: tag first; the naive server: json.dumps, type first)
    if line.startswith(b'{"type":"'):
        end = line.find(b'"', 9)
        return line[9:end]
    if line.startswith(b'{"type": "'):
        end = line.find(b'"', 10)
        return line[10:end]
    return b""


def _ws_expect_type(kind: bytes):  # type: ignore[no-untyped-def]
    def pred(line: bytes) -> Any:
        t = _line_type(line)
        if t == kind:
            return True
        if t == b"error":
            return ConnectionError(line.decode(errors="replace")[:300])
        return None

    return pred


class CauserieTarget(Target):
    name = "causerie"
    path = "/ws"

    def make(self, index: int, nick: str) -> Client:
        return WSClient(self, index, nick, self.path)

    async def enter(self, clients: list[Client], concurrency: int) -> None:
        queue: asyncio.Queue[Client] = asyncio.Queue()
        for c in clients:
            queue.put_nowait(c)

        async def worker() -> None:
            reader = writer = None
            while not queue.empty():
                c = queue.get_nowait()
                body = json.dumps(
                    {"nickname": c.nick, "age": 30, "gender": "f", "region": "75", "accept_rules": True, "lang": "fr"}
                ).encode()
                req = (
                    f"POST /api/v1/session/guest HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                for attempt in range(4):
                    try:
                        if writer is None:
                            reader, writer = await asyncio.open_connection(HOST, self.port)
                        assert reader is not None
                        writer.write(req)
                        status = await reader.readline()
                        length, close = 0, False
                        while True:
                            h = await reader.readline()
                            if h in (b"\r\n", b""):
                                break
                            name, _, value = h.decode().partition(":")
                            if name.lower() == "content-length":
                                length = int(value)
                            elif name.lower() == "connection" and "close" in value.lower():
                                close = True
                        payload = await reader.readexactly(length)
                        if close:
                            writer.close()
                            reader = writer = None
                        if not status.startswith(b"HTTP/1.1 201"):
                            raise RuntimeError(f"guest entry for {c.nick}: {status!r} {payload[:200]!r}")
                        c.token = json.loads(payload)["token"]
                        break
                    except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                        if writer is not None:
                            writer.close()
                        reader = writer = None
                        if attempt == 3:
                            raise RuntimeError(f"guest entry for {c.nick} failed: {exc}") from exc
                        await asyncio.sleep(0.05 * (attempt + 1))
            if writer is not None:
                writer.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    def hello(self, client: Client) -> str:
        return json.dumps({"type": "hello", "v": 1, "token": client.token, "lang": "fr"})

    async def connect(self, client: Client) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: client, HOST, self.port)
        await client.connected
        welcome = client.expect(_ws_expect_type(b"welcome"))
        assert isinstance(client, WSClient)
        client.send_json_text(self.hello(client))
        await welcome

    async def join(self, client: Client, room: str) -> None:
        assert isinstance(client, WSClient)
        client.room = room
        joined = client.expect(_ws_expect_type(b"joined"))
        client.send_json_text(json.dumps({"type": "join", "room": room, "ref": "j"}))
        await joined

    def encode_sends(self, client: Client, k: int, ts: int) -> bytes:
        room, seq, nick = client.room, client.seq, client.nick
        return b"".join(
            ws_frame(
                (
                    f'{{"type":"send","room":"{room}","text":"{message_text(seq + i, ts)}",'
                    f'"client_id":"{nick}-{seq + i}"}}'
                ).encode()
            )
            for i in range(k)
        )


class NaiveTarget(CauserieTarget):
    name = "naive"
    path = "/"

    async def enter(self, clients: list[Client], concurrency: int) -> None:
        for c in clients:
            c.token = c.nick


class IRCTarget(Target):
    marker = b" PRIVMSG #"
    connect_concurrency = 256
    error_marker = b"ERROR :"
    has_acks = False
    echo = False

    def room_name(self, i: int) -> str:
        return f"#bench-{i:02d}"

    def make(self, index: int, nick: str) -> Client:
        return IRCClient(self, index, nick)

    async def connect(self, client: Client) -> None:
        loop = asyncio.get_running_loop()
        nick = client.nick.encode()

        def welcome(line: bytes) -> Any:
            parts = line.split(b" ", 3)
            if len(parts) >= 3 and parts[1] == b"001":
                return True
            if len(parts) >= 3 and parts[1] in (b"432", b"433", b"436", b"465"):
                return ConnectionError(line.decode(errors="replace"))
            if line.startswith(b"ERROR"):
                return ConnectionError(line.decode(errors="replace"))
            return None

        fut = client.expect(welcome)
        await loop.create_connection(lambda: client, HOST, self.port)
        await client.connected
        await fut
        del nick

    async def join(self, client: Client, room: str) -> None:
        client.room = room
        chan = room.encode()

        def end_of_names(line: bytes) -> Any:
            parts = line.split(b" ", 4)
            if len(parts) >= 4 and parts[1] == b"366" and parts[3] == chan:
                return True
            if len(parts) >= 2 and parts[1] in (b"403", b"405", b"471", b"473", b"474", b"475"):
                return ConnectionError(line.decode(errors="replace"))
            return None

        fut = client.expect(end_of_names)
        assert client.transport is not None
        client.transport.write(b"JOIN " + chan + b"\r\n")
        await fut

    def encode_sends(self, client: Client, k: int, ts: int) -> bytes:
        room, seq = client.room, client.seq
        return "".join(f"PRIVMSG {room} :{message_text(seq + i, ts)}\r\n" for i in range(k)).encode()


TARGETS: dict[str, type[Target]] = {
    "causerie": CauserieTarget,
    "naive": NaiveTarget,
    "inspircd": type("InspircdTarget", (IRCTarget,), {"name": "inspircd"}),
    # ngIRCd listens with a backlog of 10 (hard-coded): more connects in flight overflow it, the
    # kernel drops SYNs and clients retry after 1, 3, 7, 15, 31 s, which would time TCP, not ngIRCd
    "ngircd": type("NgircdTarget", (IRCTarget,), {"name": "ngircd", "connect_concurrency": 8}),
}

# --------------------------------------------------------------------------------------------
# The server under test: started pinned to core 0, measured from /proc, stopped at the end
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def set_nice(value: int) -> None:
    """Scheduling priority of this process (inherited by the server it starts); < 0 needs root."""
    if value:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, value)


CAUSERIE_BENCH_ENV = {
    # per-user limits raised for the benchmark (one user sends far more than a person can)
    "CAUSERIE_RATE_MESSAGE_BURST": "100000",
    "CAUSERIE_RATE_MESSAGE_PER_SECOND": "100000",
    "CAUSERIE_MAX_ROOMS_JOINED": "50",
    "CAUSERIE_WS_FRAME_BURST": "1000000",
    "CAUSERIE_WS_FRAMES_PER_SECOND": "1000000",
    "CAUSERIE_WS_MAX_REFUSED_FRAMES": "1000000",
    # every client of the benchmark comes from 127.0.0.1 (loopback is exempt by default; be explicit)
    "CAUSERIE_WS_MAX_CONNECTIONS_PER_IP": "1000000",
    "CAUSERIE_WS_NEW_CONNECTIONS_PER_IP": "1000000",
    "CAUSERIE_GUEST_ENTRIES_PER_IP_PER_HOUR": "1000000",
    "CAUSERIE_LOG_LEVEL": "warning",
    "CAUSERIE_PRESENCE_GRACE_SECONDS": "0",
    # a receiver may be handed several MB when the generator falls behind for a moment
    "CAUSERIE_WS_SEND_QUEUE_BYTES": str(64 * 1024 * 1024),
}


class Server:
    def __init__(self, target: str, port: int, workdir: Path, cpu: str, extra_env: dict[str, str]) -> None:
        self.target = target
        self.port = port
        self.workdir = workdir
        self.cpu = cpu
        self.extra_env = extra_env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{target}.log"

    def command(self) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        py = sys.executable
        if self.target == "causerie":
            rooms = self.workdir / "rooms.toml"
            rooms.write_text(
                "".join(
                    f'[[rooms]]\nslug = "bench-{i:02d}"\nname = "Bench {i:02d}"\ncategory = "topic"\ntopic = "benchmark"\n\n'
                    for i in range(64)
                )
            )
            env.update(CAUSERIE_BENCH_ENV)
            env["CAUSERIE_ROOMS_FILE"] = str(rooms)
            env["CAUSERIE_CONFIG"] = str(self.workdir / "none.toml")
            env.update(self.extra_env)
            db = f"sqlite:///{self.workdir / 'bench.db'}"
            cmd = [py, "-m", "causerie", "serve", "--host", HOST, "--port", str(self.port), "--database", db]
            return ["taskset", "-c", self.cpu, *cmd], env
        if self.target == "naive":
            return ["taskset", "-c", self.cpu, py, str(HERE / "naive_server.py"), "--port", str(self.port)], env
        env["BENCH_SERVER_CPU"] = self.cpu
        return [
            "bash",
            str(HERE / "peers.sh"),
            "start",
            self.target,
            str(self.port),
            str(self.workdir / self.target),
        ], env

    def start(self, timeout: float = 60.0) -> None:
        cmd, env = self.command()
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=self.workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_nofile,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} exited at start-up; see {self.log}:\n{self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{self.target} did not listen on {self.port} within {timeout}s")
        if self.target == "causerie":
            time.sleep(0.3)  # lifespan (migrations, seeding) runs before the port opens; settle

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError):
            return 0.0

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) in bytes."""
        out = {"rss": 0, "hwm": 0}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out["rss"] = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    out["hwm"] = int(line.split()[1]) * 1024
        return out

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


# --------------------------------------------------------------------------------------------
# Scenarios and measurement
# --------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    rooms: int
    clients: int
    senders: int
    start_deliveries: float = 20_000  # ramp: first offered rate (deliveries/s)
    window: int = 0  # durability: messages in flight per sender
    probes: int = 10


SCENARIOS = {
    "fanout-1x500": Scenario(rooms=1, clients=500, senders=50),
    "fanout-50x20": Scenario(rooms=50, clients=1000, senders=50),
    "idle-10k": Scenario(rooms=50, clients=10_000, senders=0),
    "durability": Scenario(rooms=20, clients=200, senders=200, window=16),
}


def pct(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k] / 1000.0  # ms


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scn = SCENARIOS[args.scenario]
        if args.clients:
            self.scn.clients = args.clients
        if args.rooms:
            self.scn.rooms = args.rooms
        if args.senders is not None:
            self.scn.senders = args.senders
        if args.window:
            self.scn.window = args.window
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-{args.target}-", dir=args.tmp))
        self.port = args.port or free_port()
        self.target = TARGETS[args.target](self.port)
        extra = dict(kv.split("=", 1) for kv in args.server_env)
        self.server = Server(args.target, self.port, self.workdir, args.server_cpu, extra)
        self.clients: list[Client] = []
        self.senders: list[Client] = []
        self.result: dict[str, Any] = {
            "target": args.target,
            "scenario": args.scenario,
            "mode": args.mode,
            "rooms": self.scn.rooms,
            "clients": self.scn.clients,
            "senders": self.scn.senders,
        }
        self.rate = 0.0  # offered messages per second (open loop)
        self.profiled = False
        self.t0 = time.monotonic()

    def log(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {msg}", flush=True)

    # -- setup -------------------------------------------------------------------------------------

    async def setup(self, measure_memory: bool = False) -> None:
        scn, target = self.scn, self.target
        tag = "".join(random.choices(string.ascii_lowercase, k=4))
        self.clients = [target.make(i, f"b{tag}{i}") for i in range(scn.clients)]
        room_of = [i % scn.rooms for i in range(scn.clients)]
        mem0 = self.server.memory()
        profiler = self.start_profiler("setup", 600)
        t_start = time.monotonic()
        cpu_start = self.server.cpu_seconds()
        try:
            await asyncio.wait_for(target.enter(self.clients, self.args.http_concurrency), self.args.setup_timeout)
        except TimeoutError:
            entered = sum(1 for c in self.clients if c.token)
            raise RuntimeError(
                f"guest entry did not finish within {self.args.setup_timeout:.0f}s ({entered} of {scn.clients} entered)"
            ) from None
        t_entered = time.monotonic()
        cpu_entered = self.server.cpu_seconds()
        mem_entered = self.server.memory()
        if scn.clients >= 1000 or t_entered - t_start > 1:
            self.log(f"entry: {scn.clients} guests in {t_entered - t_start:.2f}s")
        sem = asyncio.Semaphore(self.args.connect_concurrency or target.connect_concurrency)

        progress = {"n": 0, "next": time.monotonic() + 5}

        async def bring_up(c: Client) -> None:
            async with sem:
                await target.connect(c)
                await target.join(c, target.room_name(room_of[c.index]))
            progress["n"] += 1
            if time.monotonic() > progress["next"]:
                progress["next"] = time.monotonic() + 5
                self.log(f"  {progress['n']} clients connected and joined")

        tasks = [asyncio.ensure_future(bring_up(c)) for c in self.clients]
        budget = max(1.0, self.args.setup_timeout - (t_entered - t_start))
        done, pending = await asyncio.wait(tasks, timeout=budget)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        failures = [t.exception() for t in done if t.exception() is not None]
        t_joined = time.monotonic()
        cpu_joined = self.server.cpu_seconds()
        await self.stop_profiler(profiler, early=True)
        if pending:
            ready = [c for c, t in zip(self.clients, tasks, strict=False) if t in done and t.exception() is None]
            for c, t in zip(self.clients, tasks, strict=False):
                if t in pending:
                    c.close()
            self.result["setup_incomplete"] = {
                "joined": len(ready),
                "of": scn.clients,
                "seconds": round(t_joined - t_start, 1),
            }
            self.log(
                f"setup did not finish within {self.args.setup_timeout:.0f}s: {len(ready)} of {scn.clients} joined"
            )
            if not measure_memory:
                raise RuntimeError(f"setup did not finish within {self.args.setup_timeout:.0f}s")
            self.clients = ready
        if failures:
            reasons = Counter(str(f)[:160] for f in failures)
            raise RuntimeError(f"{len(failures)} clients failed to connect/join: {reasons.most_common(5)}")
        self.log(
            f"setup: {scn.clients} clients in {scn.rooms} room(s): entered in {t_entered - t_start:.2f}s, "
            f"connected+joined in {t_joined - t_entered:.2f}s (total {t_joined - t_start:.2f}s)"
        )
        self.result["setup_seconds"] = {
            "enter": round(t_entered - t_start, 3),
            "connect_join": round(t_joined - t_entered, 3),
            "total": round(t_joined - t_start, 3),
            # server CPU (user + system) per client: survives a shared machine better than seconds
            "entry_cpu_ms_per_client": round((cpu_entered - cpu_start) * 1000 / max(1, scn.clients), 3),
            "connect_join_cpu_ms_per_client": round((cpu_joined - cpu_entered) * 1000 / max(1, scn.clients), 3),
        }
        self.log(
            f"server CPU per client: entry {self.result['setup_seconds']['entry_cpu_ms_per_client']} ms, "
            f"connect+join {self.result['setup_seconds']['connect_join_cpu_ms_per_client']} ms"
        )
        if measure_memory:
            self.result["memory_points"] = {"start": mem0, "entered": mem_entered}
        # senders: spread over the rooms; probes: non-senders, spread over the rooms
        by_room: dict[int, list[Client]] = {}
        for c in self.clients:
            by_room.setdefault(room_of[c.index], []).append(c)
        order: list[Client] = []
        depth = max(len(v) for v in by_room.values())
        for d in range(depth):
            for r in range(scn.rooms):
                if d < len(by_room[r]):
                    order.append(by_room[r][d])
        self.senders = order[: scn.senders]
        for c in self.senders:
            c.sender = True
        rest = [c for c in order if not c.sender]
        for c in rest[: min(scn.probes, len(rest))] if scn.senders else []:
            c.probe = Probe()
        self.room_size = scn.clients // scn.rooms
        self.fanout = target.fanout(self.room_size)

    async def settle(self, quiet: float = 1.0, limit: float = 20.0) -> None:
        """Wait until the setup traffic (presence, counts) has been received."""
        await asyncio.sleep(quiet)
        for c in self.clients:
            if isinstance(c, (WSClient, IRCClient)):
                c.go_fast()
        await self.drain(quiet=0.5, limit=limit)

    async def drain(self, quiet: float = 0.5, limit: float = 15.0) -> None:
        """Wait until nothing more arrives for ``quiet`` seconds (a backlog left by a step)."""
        deadline = time.monotonic() + limit
        last = -1
        while time.monotonic() < deadline:
            marks = (STATS.delivered, STATS.acks, self.rx_bytes())
            if marks == last:
                return
            last = marks  # type: ignore[assignment]
            await asyncio.sleep(quiet)

    def rx_bytes(self) -> int:
        return STATS.rx

    # -- open-loop sending -------------------------------------------------------------------------

    async def pump(self, stop: asyncio.Event) -> None:
        """Offer ``self.rate`` messages per second, spread round-robin over the senders."""
        tick = self.args.tick
        senders = self.senders
        ns = len(senders)
        credit = 0.0
        nxt = 0
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(tick)
            now = time.monotonic()
            credit += self.rate * (now - last)
            last = now
            due = int(credit)
            if due <= 0:
                continue
            credit -= due
            ts = now_us()
            base, extra = divmod(due, ns)
            if base == 0:
                for _ in range(extra):
                    senders[nxt].send_messages(1, ts)
                    nxt = (nxt + 1) % ns
            else:
                for i in range(ns):
                    k = base + (1 if (i - nxt) % ns < extra else 0)
                    if k:
                        senders[i].send_messages(k, ts)
                nxt = (nxt + extra) % ns

    def snapshot(self) -> dict[str, float]:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "t": time.monotonic(),
            "delivered": STATS.delivered,
            "sent": STATS.sent,
            "acks": STATS.acks,
            "errors": STATS.errors,
            "dropped": STATS.gen_dropped,
            "lost": STATS.lost,
            "srv_cpu": self.server.cpu_seconds(),
            "gen_cpu": ru.ru_utime + ru.ru_stime,
            "sys_busy": system_busy_seconds(),
        }

    def window_stats(self, a: dict[str, float], b: dict[str, float]) -> dict[str, Any]:
        dt = b["t"] - a["t"]
        sent = (b["sent"] - a["sent"]) / dt
        delivered = (b["delivered"] - a["delivered"]) / dt
        offered = sent * self.fanout
        lat = STATS.lat
        mem = self.server.memory()
        return {
            "seconds": round(dt, 2),
            "msgs_per_s": round(sent, 1),
            "offered_deliveries_per_s": round(offered, 1),
            "deliveries_per_s": round(delivered, 1),
            "ratio": round(delivered / offered, 4) if offered else None,
            "acks_per_s": round((b["acks"] - a["acks"]) / dt, 1),
            "errors": int(b["errors"] - a["errors"]),
            "gen_dropped": int(b["dropped"] - a["dropped"]),
            "lost": int(b["lost"] - a["lost"]),
            "lat_samples": len(lat),
            "p50_ms": round(pct(lat, 50), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "max_ms": round(max(lat) / 1000.0, 2) if lat else None,
            "server_cpu": round((b["srv_cpu"] - a["srv_cpu"]) / dt, 3),
            # deliveries per second of server CPU: the figure that survives a busy machine
            "deliveries_per_cpu_s": round((b["delivered"] - a["delivered"]) / max(1e-9, b["srv_cpu"] - a["srv_cpu"])),
            "gen_cpu": round((b["gen_cpu"] - a["gen_cpu"]) / dt, 3),
            # CPU used by anything else on the machine meanwhile (other processes disturb the figures)
            "other_cpu": round(
                max(
                    0.0, (b["sys_busy"] - a["sys_busy"]) - (b["srv_cpu"] - a["srv_cpu"]) - (b["gen_cpu"] - a["gen_cpu"])
                )
                / dt,
                3,
            ),
            "server_rss_mb": round(mem["rss"] / 2**20, 1),
            "server_peak_rss_mb": round(mem["hwm"] / 2**20, 1),
        }

    async def measure(self, deliveries_per_s: float, warmup: float, seconds: float) -> dict[str, Any]:
        """One measurement window at an offered rate; measured again (at most ``--remeasure`` times)
        when other processes took more than ``--max-other-cpu`` cores meanwhile."""
        self.rate = deliveries_per_s / self.fanout
        await asyncio.sleep(warmup)
        for attempt in range(self.args.remeasure + 1):
            STATS.lat = []
            a = self.snapshot()
            await asyncio.sleep(seconds)
            b = self.snapshot()
            w = self.window_stats(a, b)
            w["attempts"] = attempt + 1
            if w["other_cpu"] <= self.args.max_other_cpu or attempt == self.args.remeasure:
                return w
            self.log(f"   (other processes used {w['other_cpu']:.2f} cores: measuring again)")
        raise AssertionError("unreachable")

    def passed(self, w: dict[str, Any]) -> bool:
        return (
            w["ratio"] is not None
            and w["ratio"] >= self.args.min_ratio
            and (w["p99_ms"] == w["p99_ms"] and w["p99_ms"] <= self.args.max_p99_ms)
            and w["lost"] == 0
            and self.server.alive()
        )

    def show(self, label: str, w: dict[str, Any]) -> None:
        flag = " GEN-BOUND" if w["gen_cpu"] >= 0.9 else ""
        self.log(
            f"{label:>14} offered {w['offered_deliveries_per_s']:>10,.0f}/s delivered {w['deliveries_per_s']:>10,.0f}/s "
            f"ratio {w['ratio'] if w['ratio'] is not None else float('nan'):.3f} p50 {w['p50_ms']:.1f} ms p99 {w['p99_ms']:.1f} ms "
            f"srv cpu {w['server_cpu']:.2f} gen cpu {w['gen_cpu']:.2f} other {w['other_cpu']:.2f} rss {w['server_rss_mb']:.0f} MB "
            f"lost {w['lost']} err {w['errors']} dropped {w['gen_dropped']}{flag}"
        )

    async def ramp(self, budget: float) -> dict[str, Any]:
        args = self.args
        steps: list[dict[str, Any]] = []
        rate = self.scn.start_deliveries if not args.start else args.start
        best: dict[str, Any] | None = None
        fail: dict[str, Any] | None = None
        t_end = time.monotonic() + budget  # a hard cap; re-measured windows make steps longer
        for _ in range(args.max_steps):
            if time.monotonic() > t_end:
                break
            w = await self.measure(rate, args.step_warmup, args.step_seconds)
            w["target_deliveries_per_s"] = rate
            steps.append(w)
            ok = self.passed(w)
            self.show("ramp " + ("ok" if ok else "FAIL"), w)
            if not ok:
                fail = w
                break
            if best is None or sustained(w) > sustained(best):
                best = w
            rate *= args.growth
        # the first step failed: search downwards (halving) for a passing rate
        low = fail["target_deliveries_per_s"] / 2 if fail is not None and best is None else 0
        while best is None and low >= args.min_rate and self.server.alive():
            self.rate = 0
            await self.drain()
            w = await self.measure(low, args.step_warmup, args.step_seconds)
            w["target_deliveries_per_s"] = low
            steps.append(w)
            ok = self.passed(w)
            self.show("down " + ("ok" if ok else "FAIL"), w)
            if ok:
                best = w
            else:
                fail = w
                low /= 2
        # refine between the last passing and the failing rate (after draining the backlog)
        if fail is not None and best is not None:
            lo, hi = best["target_deliveries_per_s"], fail["target_deliveries_per_s"]
            for _ in range(args.refine):
                if time.monotonic() > t_end + 10 or not self.server.alive():
                    break
                self.rate = 0
                await self.drain()
                mid = (lo + hi) / 2
                w = await self.measure(mid, args.step_warmup, args.step_seconds)
                w["target_deliveries_per_s"] = mid
                steps.append(w)
                ok = self.passed(w)
                self.show("refine " + ("ok" if ok else "FAIL"), w)
                if ok:
                    lo = mid
                    if sustained(w) > sustained(best):
                        best = w
                else:
                    hi = mid
        self.rate = 0
        if fail is None:
            self.log("ramp ended without a failing step (step or time limit): saturation is at least the best step")
        saturation = sustained(best) if best else 0.0
        out = {
            "saturation_deliveries_per_s": round(saturation, 0),
            "saturation_msgs_per_s": round(saturation / self.fanout, 1),
            "at_saturation": best,
            "first_failure": fail,
            "peak_delivered_per_s": round(max((s["deliveries_per_s"] for s in steps), default=0), 0),
            "reached_failure": fail is not None,
            "generator_bound": any(s["gen_cpu"] >= 0.9 for s in steps if s is best or s is fail),
            "steps": steps,
        }
        self.log(f"saturation: {saturation:,.0f} deliveries/s ({saturation / self.fanout:,.0f} messages/s)")
        return out

    async def hold(self, deliveries: float, seconds: float, label: str) -> dict[str, Any]:
        self.rate = 0
        await self.drain()
        profiler = self.start_profiler("hold", seconds + 1)
        w = await self.measure(deliveries, 1.0, seconds)
        await self.stop_profiler(profiler)
        w["target_deliveries_per_s"] = deliveries
        self.show(label, w)
        self.rate = 0
        return w

    def start_profiler(self, phase: str, seconds: float) -> subprocess.Popen[bytes] | None:
        """py-spy on the server (only the threads holding the GIL, by function), if asked for this phase."""
        if not self.args.pyspy or self.profiled or self.args.pyspy_phase != phase:
            return None
        self.profiled = True
        return subprocess.Popen(
            [
                "taskset",
                "-c",
                self.args.gen_cpu or "1",
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(self.server.pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "250",
                "--nonblocking",
                "--gil",
                "--function",
                "--format",
                "raw",
                "--output",
                self.args.pyspy,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def stop_profiler(self, profiler: subprocess.Popen[bytes] | None, early: bool = False) -> None:
        if profiler is None:
            return
        if early and profiler.poll() is None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
        await asyncio.get_running_loop().run_in_executor(None, profiler.wait)
        self.log(f"py-spy profile (collapsed stacks) written to {self.args.pyspy}")

    # -- modes -------------------------------------------------------------------------------------

    async def run_load(self) -> None:
        args = self.args
        await self.setup()
        await self.settle()
        stop = asyncio.Event()
        pump = asyncio.get_running_loop().create_task(self.pump(stop))
        try:
            if args.mode in ("ramp", "full"):
                self.result["ramp"] = await self.ramp(args.ramp_budget)
            if args.mode == "full":
                sat = self.result["ramp"]["saturation_deliveries_per_s"]
                self.result["hold_half_saturation"] = await self.hold(sat * 0.5, args.hold_seconds, "hold 50% sat")
                self.result["hold_fixed"] = await self.hold(
                    args.deliveries, args.hold_seconds, f"hold {args.deliveries:,.0f}"
                )
            if args.mode == "hold":
                if args.deliveries:
                    rate = args.deliveries
                else:
                    sat = args.saturation or (await self.ramp(args.ramp_budget))["saturation_deliveries_per_s"]
                    rate = sat * args.fraction
                self.result["hold"] = await self.hold(rate, args.hold_seconds, f"hold {rate:,.0f}")
        finally:
            stop.set()
            await pump

    async def run_durability(self) -> None:
        args = self.args
        if not self.target.has_acks:
            self.result["skipped"] = "no acknowledgement in this protocol (nothing is persisted)"
            self.log("durability: not applicable to this target (no acks, no persistence)")
            return
        await self.setup()
        await self.settle()
        for c in self.senders:
            c.window = self.scn.window
            c.top_up()
        profiler = self.start_profiler("hold", args.step_warmup + 1.0 + args.hold_seconds)
        w = await self.measure(0, args.step_warmup + 1.0, args.hold_seconds)
        await self.stop_profiler(profiler, early=True)
        for c in self.senders:
            c.window = 0
        self.result["durability"] = w
        self.log(
            f"durability: {w['acks_per_s']:,.0f} acknowledged messages/s, {w['deliveries_per_s']:,.0f} deliveries/s, "
            f"server cpu {w['server_cpu']:.2f}, errors {w['errors']}, lost {w['lost']}"
        )

    async def run_idle(self) -> None:
        await self.setup(measure_memory=True)
        await self.settle(quiet=1.0, limit=30)
        await asyncio.sleep(self.args.idle_seconds)
        mem_idle = self.server.memory()
        points = self.result["memory_points"]
        points["idle"] = mem_idle
        n = len(self.clients)
        per_conn = (mem_idle["rss"] - points["entered"]["rss"]) / n
        per_client = (mem_idle["rss"] - points["start"]["rss"]) / n
        self.result["idle"] = {
            "connections": n,
            "open_after_idle": sum(1 for c in self.clients if c.open),
            "lost": STATS.lost,
            "bytes_per_connection": round(per_conn),
            "bytes_per_client_incl_entry": round(per_client),
            "rss_start_mb": round(points["start"]["rss"] / 2**20, 1),
            "rss_idle_mb": round(mem_idle["rss"] / 2**20, 1),
            "peak_rss_mb": round(mem_idle["hwm"] / 2**20, 1),
            "setup_seconds": self.result["setup_seconds"]["total"],
            "setup_incomplete": self.result.get("setup_incomplete"),
        }
        self.log(
            f"idle: {n} connections, {per_conn / 1024:.1f} KB per connection "
            f"({per_client / 1024:.1f} KB incl. guest entry), RSS {points['start']['rss'] / 2**20:.0f} → "
            f"{mem_idle['rss'] / 2**20:.0f} MB, connect+enter+join {self.result['setup_seconds']['total']:.1f}s, "
            f"lost {STATS.lost}"
        )

    async def wait_quiet(self) -> None:
        """Wait (bounded) until the rest of the machine is nearly idle: other work skews the figures."""
        deadline = time.monotonic() + self.args.wait_quiet
        while True:
            a = system_busy_seconds()
            await asyncio.sleep(1.0)
            busy = system_busy_seconds() - a
            if busy < self.args.quiet_cpu or time.monotonic() > deadline:
                self.result["busy_before_start"] = round(busy, 2)
                if busy >= self.args.quiet_cpu:
                    self.log(f"warning: the machine is busy ({busy:.2f} cores used by other processes)")
                return

    async def run(self) -> dict[str, Any]:
        _raise_nofile()
        if self.args.wait_quiet > 0:
            await self.wait_quiet()
        self.log(
            f"starting {self.args.target} on {HOST}:{self.port} (core {self.args.server_cpu}), workdir {self.workdir}"
        )
        self.server.start()
        try:
            if self.scn.senders == 0 or self.args.mode == "idle":
                await self.run_idle()
            elif self.args.mode == "durability":
                await self.run_durability()
            else:
                await self.run_load()
        finally:
            STATS.shutting_down = True
            mem = self.server.memory()
            self.result["server_peak_rss_mb"] = round(mem["hwm"] / 2**20, 1)
            self.result["lost_connections"] = STATS.lost
            self.result["lost_reasons"] = dict(STATS.lost_reasons.most_common(10))
            self.result["error_codes"] = dict(ERROR_CODES.most_common(10))
            self.result["server_alive_at_end"] = self.server.alive()
            for c in self.clients:
                c.close()
            await asyncio.sleep(0.2)
            self.server.stop()
            if self.server.log.exists():
                tail = self.server.log.read_text(errors="replace")[-4000:]
                if any(w in tail for w in ("Traceback", "ERROR", "error")):
                    self.result["server_log_tail"] = tail[-1500:]
            if not self.args.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
        return self.result


def main() -> None:
    p = argparse.ArgumentParser(
        description="Causerie benchmark load generator", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--target", choices=sorted(TARGETS), default="causerie")
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default="fanout-1x500")
    p.add_argument(
        "--mode",
        choices=["full", "ramp", "hold", "idle", "durability"],
        default=None,
        help="default: idle for idle-10k, durability for durability, full otherwise",
    )
    p.add_argument("--clients", type=int, help="override the scenario's client count")
    p.add_argument("--rooms", type=int, help="override the scenario's room count")
    p.add_argument("--senders", type=int, help="override the scenario's sender count")
    p.add_argument("--window", type=int, help="durability: messages in flight per sender")
    p.add_argument("--deliveries", type=float, default=50_000, help="hold: fixed offered deliveries/s")
    p.add_argument("--fraction", type=float, default=0.5, help="hold without --deliveries: fraction of saturation")
    p.add_argument("--saturation", type=float, help="hold: known saturation (deliveries/s) instead of a ramp")
    p.add_argument("--start", type=float, help="ramp: first offered deliveries/s")
    p.add_argument("--growth", type=float, default=1.4, help="ramp: rate multiplier per step")
    p.add_argument("--min-rate", type=float, default=1000.0, help="ramp: lowest rate tried when the first step fails")
    p.add_argument("--refine", type=int, default=2, help="ramp: bisection steps after the first failure")
    p.add_argument("--step-seconds", type=float, default=1.5)
    p.add_argument("--step-warmup", type=float, default=0.5)
    p.add_argument("--ramp-budget", type=float, default=60.0, help="ramp: seconds at most before refining")
    p.add_argument(
        "--max-steps", type=int, default=16, help="ramp: steps at most before refining (20k × 1.4^15 ≈ 3.1M)"
    )
    p.add_argument("--hold-seconds", type=float, default=8.0)
    p.add_argument("--setup-timeout", type=float, default=240.0, help="entry+connect+join must finish within this")
    p.add_argument("--idle-seconds", type=float, default=5.0)
    p.add_argument("--min-ratio", type=float, default=0.95)
    p.add_argument("--max-other-cpu", type=float, default=0.3, help="re-measure a window when others used more cores")
    p.add_argument("--remeasure", type=int, default=1, help="re-measurements at most per window")
    p.add_argument("--max-p99-ms", type=float, default=500.0)
    p.add_argument("--tick", type=float, default=0.002, help="sending granularity (s)")
    p.add_argument("--http-concurrency", type=int, default=32)
    p.add_argument("--connect-concurrency", type=int, default=0, help="connects in flight (default: per target)")
    p.add_argument("--server-cpu", default="0", help="core(s) the server is pinned to")
    p.add_argument("--gen-cpu", default="1", help="core(s) this generator is pinned to ('' = no pinning)")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE", help="extra server environment")
    p.add_argument("--port", type=int, help="port (default: a free one)")
    p.add_argument("--tmp", default=None, help="parent directory of the work dir (database, configs, logs)")
    p.add_argument("--keep", action="store_true", help="keep the work dir")
    p.add_argument("--json", help="append the result as one JSON line to this file")
    p.add_argument("--no-uvloop", action="store_true")
    p.add_argument(
        "--nice",
        type=int,
        default=int(os.environ.get("BENCH_NICE", "0")),
        help="priority of the generator and the server (e.g. -10 on a machine shared with other work)",
    )
    p.add_argument("--pyspy", metavar="PATH", help="profile the server with py-spy (collapsed stacks, GIL holders)")
    p.add_argument(
        "--pyspy-phase",
        choices=["hold", "setup"],
        default="hold",
        help="when: the first hold, or the setup (guest entry, connect, join)",
    )
    p.add_argument("--wait-quiet", type=float, default=20.0, help="wait up to this long for an idle machine")
    p.add_argument("--quiet-cpu", type=float, default=0.25, help="'idle': other processes use fewer cores than this")
    args = p.parse_args()
    if args.mode is None:
        args.mode = {"idle-10k": "idle", "durability": "durability"}.get(args.scenario, "full")
    if args.gen_cpu:
        os.sched_setaffinity(0, {int(c) for c in args.gen_cpu.split(",")})
    set_nice(args.nice)
    if not args.no_uvloop:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out

    async def go() -> dict[str, Any]:
        return await bench.run()

    try:
        result = asyncio.run(go())
    finally:
        bench.server.stop()
    result["machine"] = machine()
    result["nice"] = args.nice
    result["argv"] = sys.argv[1:]
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    summary = {k: v for k, v in result.items() if k not in ("ramp", "machine")}
    if "ramp" in result:
        summary["ramp"] = {k: v for k, v in result["ramp"].items() if k != "steps"}
    print(json.dumps(summary, indent=1, default=str))


def system_busy_seconds() -> float:
    """CPU seconds spent by the whole machine (all cores) outside idle and iowait, from /proc/stat."""
    with contextlib.suppress(OSError, ValueError):
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        v = [int(x) for x in fields]
        return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK
    return 0.0


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": sys.version.split()[0]}


if __name__ == "__main__":
    main()
