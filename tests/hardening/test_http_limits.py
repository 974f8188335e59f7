"""HTTP limits: request body size (413 before the body is read), deeply nested JSON, keep-alive
timeout, concurrency limit; and the WebSocket handshake deadline (slowloris on /ws)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import httpx

from support.names import nick
from support.rawws import TEXT, RawWebSocket
from support.server import LiveServer

GUEST = "/api/v1/session/guest"


def guest_form(**fields: object) -> dict[str, object]:
    return {"nickname": nick("b"), "age": 30, "gender": "f", "region": "75", "accept_rules": True, **fields}


async def raw_http(port: int, request: bytes, *, read_timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read one HTTP response (status, headers, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), read_timeout)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}
        body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), read_timeout)
        return int(status_line.split()[1]), headers, body
    finally:
        writer.close()


# -- request body size (live server: 64 KiB by default) ---------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        big = await http.post(GUEST, json=guest_form(padding="x" * 70_000), headers={"Accept-Language": "en"})
        assert big.status_code == 413
        assert big.json()["error"]["code"] == "request_too_large"
        assert big.json()["error"]["message"] == "Request body too large."
        # under the limit, the same route answers as usual (here: an unknown field is ignored)
        fine = await http.post(GUEST, json=guest_form(padding="x" * 60_000))
        assert fine.status_code == 201, fine.text


async def test_a_huge_declared_body_is_refused_before_it_is_read(live_server: LiveServer) -> None:
    """1 GB announced, not a byte of it sent: the answer comes at once."""
    request = (
        b"POST /api/v1/session/guest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000000\r\n\r\n{"
    )
    started = time.monotonic()
    status, headers, body = await raw_http(live_server.port, request)
    assert status == 413 and json.loads(body)["error"]["code"] == "request_too_large"
    assert headers["connection"] == "close"
    assert time.monotonic() - started < 2


async def test_a_chunked_body_is_counted_as_it_arrives(live_server: LiveServer) -> None:
    chunk = b"x" * 16_384
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))  # 80 KiB
    request = (
        b"POST /api/v1/session/guest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    status, _, body = await raw_http(live_server.port, request)
    assert status == 413 and json.loads(body)["error"]["code"] == "request_too_large"

    async def small_chunks() -> AsyncIterator[bytes]:  # a legitimate chunked body still reaches the route
        data = json.dumps(guest_form()).encode()
        yield data[:10]
        yield data[10:]

    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        entered = await http.post(GUEST, content=small_chunks(), headers={"Content-Type": "application/json"})
    assert entered.status_code == 201, entered.text


async def test_deeply_nested_json_bodies_are_a_clean_400(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        for depth in (100, 10_000):  # 10,000 levels still fit in the body limit
            nested = "[" * depth + "]" * depth
            for body in (
                f'{{"nickname": {nested}, "age": 30, "gender": "f", "region": "75", "accept_rules": true}}',
                nested,
                '{"a":' * depth + "1" + "}" * depth,
            ):
                response = await http.post(GUEST, content=body, headers={"Content-Type": "application/json"})
                assert response.status_code == 400, (depth, response.text[:200])
                assert response.json()["error"]["code"] == "bad_request"
        assert (await http.get("/healthz")).status_code == 200


# -- timeouts and concurrency (a server of their own) -------------------------------------------------


@contextlib.asynccontextmanager
async def tcp(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def test_an_idle_keep_alive_connection_is_closed(timeouts: LiveServer) -> None:
    async with tcp(timeouts.port) as (reader, writer):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        await reader.readexactly(15)  # {"status":"ok"}
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(1), 5) == b""  # closed by the server
        assert 0.5 < time.monotonic() - started < 3


async def test_concurrency_over_the_limit_gets_503(timeouts: LiveServer) -> None:
    held = []
    try:
        for _ in range(8):  # connections that never finish their request
            _reader, writer = await asyncio.open_connection("127.0.0.1", timeouts.port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            held.append(writer)
        await asyncio.sleep(0.2)
        status, _, _ = await raw_http(timeouts.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 503
    finally:
        for writer in held:
            writer.close()
    await asyncio.sleep(0.3)
    status, _, _ = await raw_http(timeouts.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200


async def test_a_websocket_without_hello_is_closed_at_the_deadline(timeouts: LiveServer) -> None:
    silent = await RawWebSocket.connect(timeouts.port)
    trickler = await RawWebSocket.connect(timeouts.port)
    started = time.monotonic()
    # the trickler sends the first bytes of a hello frame, then one byte at a time
    frame = trickler.frame(TEXT, json.dumps({"type": "hello", "v": 1}).encode())
    await trickler.send_raw(frame[:3])
    for byte in frame[3:8]:
        await asyncio.sleep(0.1)
        await trickler.send_raw(bytes([byte]))
    assert await silent.close_code(timeout=3) == 4008
    assert await trickler.close_code(timeout=3) == 4008
    assert time.monotonic() - started < 2.5
    silent.close()
    trickler.close()
