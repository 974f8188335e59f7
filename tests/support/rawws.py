"""A raw WebSocket client over a plain TCP socket, for the hardening and fuzz tests.

Unlike ``websockets``, it sends whatever it is told: unmasked or fragmented frames, reserved bits,
invalid UTF-8, oversized payloads, any handshake headers; it can use a tiny receive buffer and stop
reading (a slow consumer). It reads frames back and reports the close code.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from dataclasses import dataclass, field

TEXT, BINARY, CLOSE, PING, PONG, CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


@dataclass
class HandshakeRefused(Exception):
    status: int
    headers: dict[str, str]
    body: bytes

    def __str__(self) -> str:
        return f"handshake refused: HTTP {self.status} {self.body[:200]!r}"


@dataclass
class RawWebSocket:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    closed_with: int | None = None
    texts: list[str] = field(default_factory=list)

    @classmethod
    async def connect(
        cls,
        port: int,
        *,
        host: str = "127.0.0.1",
        path: str = "/ws",
        headers: dict[str, str] | None = None,
        rcvbuf: int | None = None,
        timeout: float = 5.0,
    ) -> RawWebSocket:
        """Open the socket and do the HTTP upgrade; ``HandshakeRefused`` if it is refused."""
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), timeout)
        # a small stream buffer too, so that not reading really stops reading the socket
        reader, writer = await asyncio.open_connection(sock=sock, limit=rcvbuf or 2**16)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        got = {}
        for line in header_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                got[k.strip().lower()] = v.strip()
        if status != 101:
            body = b""
            length = int(got.get("content-length", "0") or 0)
            if length:
                body = await asyncio.wait_for(reader.readexactly(length), timeout)
            writer.close()
            raise HandshakeRefused(status, got, body)
        return cls(reader, writer)

    # -- sending ------------------------------------------------------------------------------------

    def frame(self, opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
        first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", first, (0x80 if mask else 0) | length)
        elif length < 2**16:
            head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, length)
        else:
            head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, length)
        if not mask:
            return head + payload
        key = os.urandom(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if length < 4096 else _mask(payload, key)
        return head + key + masked

    async def send_frame(
        self, opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0
    ) -> None:
        self.writer.write(self.frame(opcode, payload, fin=fin, mask=mask, rsv=rsv))
        await self.writer.drain()

    async def send_text(self, text: str) -> None:
        await self.send_frame(TEXT, text.encode())

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    # -- receiving ----------------------------------------------------------------------------------

    async def recv_frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        """The next frame (opcode, payload); a close frame sets ``closed_with``."""
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        opcode = head[0] & 0x0F
        length = head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await asyncio.wait_for(self.reader.readexactly(2), timeout))
        elif length == 127:
            (length,) = struct.unpack("!Q", await asyncio.wait_for(self.reader.readexactly(8), timeout))
        payload = await asyncio.wait_for(self.reader.readexactly(length), timeout) if length else b""
        if opcode == CLOSE:
            self.closed_with = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        elif opcode == TEXT:
            self.texts.append(payload.decode())
        return opcode, payload

    async def close_code(self, timeout: float = 5.0) -> int | None:
        """Read until the server closes: its close code (1006 if the TCP connection just ended)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.closed_with is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("the server did not close the connection")
            try:
                await self.recv_frame(remaining)
            except (asyncio.IncompleteReadError, ConnectionError):
                return 1006
        return self.closed_with

    async def events(self, timeout: float = 5.0) -> list[str]:
        """Read one text frame and split it into its events (one JSON object per line)."""
        while True:
            opcode, payload = await self.recv_frame(timeout)
            if opcode == TEXT:
                return [line for line in payload.decode().split("\n") if line]
            if opcode == CLOSE:
                raise ConnectionError(f"closed with {self.closed_with}")

    def close(self) -> None:
        self.writer.close()


def _mask(payload: bytes, key: bytes) -> bytes:
    """XOR-mask a large payload quickly (int arithmetic on the whole buffer)."""
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
