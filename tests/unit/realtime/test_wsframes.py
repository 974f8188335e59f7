"""The fast transport's frame parser and server framing (``realtime.wsframes``), checked against an
independent implementation: the ``websockets`` sans-I/O client builds the client frames we parse and
parses the server frames we build."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN, Protocol, Side

from causerie.realtime.wsframes import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    FrameParser,
    ProtocolError,
    close_frame,
    frame,
    parse_close,
    text_frame,
)

LIMIT = 65_536


def client() -> Protocol:
    """The client side of websockets' sans-I/O protocol, open (no handshake needed for frames)."""
    return Protocol(Side.CLIENT, state=OPEN, max_size=None)


def sent(protocol: Protocol) -> bytes:
    return b"".join(protocol.data_to_send())


def raw(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
    """A client frame built by hand, for what a library would never send."""
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, (0x80 if mask else 0) | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
    else:
        head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def feed_in_pieces(parser: FrameParser, data: bytes, cuts: list[int]) -> list[tuple[int, str | bytes]]:
    items: list[tuple[int, str | bytes]] = []
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        items += parser.feed(data[start:cut])
        start = cut
    return items


def failure(data: bytes, max_size: int = LIMIT) -> ProtocolError:
    parser = FrameParser(max_size)
    parser.feed(data)
    assert parser.error is not None
    return parser.error


# -- client frames in ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(max_size=300), min_size=1, max_size=4),
    binary=st.binary(max_size=70_000),
    cuts=st.lists(st.integers(min_value=0, max_value=200_000), max_size=8),
)
def test_masked_messages_in_any_pieces(texts: list[str], binary: bytes, cuts: list[int]) -> None:
    """Whatever the TCP segmentation, the same messages come out, in order, unmasked."""
    ws = client()
    for text in texts:
        ws.send_text(text.encode())
    ws.send_binary(binary)
    items = feed_in_pieces(FrameParser(LIMIT * 2), sent(ws), cuts)
    assert items == [(TEXT, t) for t in texts] + [(BINARY, binary)]


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(min_size=1, max_size=500),
    pieces=st.integers(min_value=2, max_value=6),
    cuts=st.lists(st.integers(min_value=0, max_value=5_000), max_size=6),
)
def test_fragmented_text_with_a_ping_in_between(text: str, pieces: int, cuts: list[int]) -> None:
    """Fragments are joined (UTF-8 may be cut inside a character); a control frame may come between."""
    data = text.encode()
    step = max(1, len(data) // pieces)
    chunks = [data[i : i + step] for i in range(0, len(data), step)]
    ws = client()
    ws.send_text(chunks[0], fin=len(chunks) == 1)
    for i, chunk in enumerate(chunks[1:], start=2):
        if i == 2:
            ws.send_ping(b"between")
        ws.send_continuation(chunk, fin=i == len(chunks))
    items = feed_in_pieces(FrameParser(LIMIT), sent(ws), cuts)
    expected: list[tuple[int, str | bytes]] = [(PING, b"between")] if len(chunks) > 1 else []
    assert items == [*expected, (TEXT, text)]


def test_ping_pong_and_close_frames_come_out_as_they_are() -> None:
    ws = client()
    ws.send_ping(b"p1")
    ws.send_pong(b"p2")
    ws.send_close(1000, "bye")
    assert FrameParser(LIMIT).feed(sent(ws)) == [(PING, b"p1"), (PONG, b"p2"), (CLOSE, b"\x03\xe8bye")]


def test_one_byte_over_the_limit_is_refused_on_the_declared_length() -> None:
    exact = raw(TEXT, b"a" * 100)
    parser = FrameParser(100)
    assert parser.feed(exact) == [(TEXT, "a" * 100)] and parser.error is None
    # the header and a first slice of a 101-byte frame: refused before the payload arrives
    assert failure(raw(TEXT, b"a" * 101)[:20], max_size=100).code == 1009
    # fragments count together
    fragments = raw(TEXT, b"a" * 60, fin=False) + raw(CONT, b"a" * 41)
    assert failure(fragments, max_size=100).code == 1009


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("unmasked", raw(TEXT, b"{}", mask=False), 1002),
        ("reserved bits", raw(TEXT, b"{}", rsv=0b100), 1002),
        ("opcode 0x3", raw(0x3, b""), 1002),
        ("opcode 0xB", raw(0xB, b""), 1002),
        ("fragmented ping", raw(PING, b"x", fin=False), 1002),
        ("ping over 125 bytes", raw(PING, b"x" * 126), 1002),
        ("continuation without a start", raw(CONT, b"x"), 1002),
        ("a new message inside a fragmented one", raw(TEXT, b"a", fin=False) + raw(TEXT, b"b"), 1002),
        ("invalid UTF-8", raw(TEXT, b'{"x":"\xff\xfe"}'), 1007),
        ("invalid UTF-8 across fragments", raw(TEXT, b"\xc3", fin=False) + raw(CONT, b"("), 1007),
        ("close with one byte", raw(CLOSE, b"\x03"), 1002),
        ("close code 1005 on the wire", raw(CLOSE, struct.pack("!H", 1005)), 1002),
        ("close code 999", raw(CLOSE, struct.pack("!H", 999)), 1002),
        ("close reason not UTF-8", raw(CLOSE, struct.pack("!H", 1000) + b"\xff"), 1007),
    ],
)
def test_protocol_violations(name: str, data: bytes, code: int) -> None:
    assert failure(data).code == code, name


def test_items_before_a_violation_are_kept_and_nothing_after_it() -> None:
    parser = FrameParser(LIMIT)
    items = parser.feed(raw(TEXT, b"ok") + raw(TEXT, b"x", mask=False) + raw(TEXT, b"after"))
    assert items == [(TEXT, "ok")] and parser.error is not None and parser.error.code == 1002
    assert parser.feed(raw(TEXT, b"later")) == []


def test_binary_is_not_checked_for_utf8_and_empty_messages_are_messages() -> None:
    parser = FrameParser(LIMIT)
    assert parser.feed(raw(BINARY, b"\xff\xfe") + raw(TEXT, b"")) == [(BINARY, b"\xff\xfe"), (TEXT, "")]


def test_close_payloads() -> None:
    assert parse_close(b"") == (1005, "")
    assert parse_close(struct.pack("!H", 4001) + "au revoir é".encode()) == (4001, "au revoir é")
    assert parse_close(struct.pack("!H", 3000)) == (3000, "")


# -- server frames out --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 200_000])
def test_server_frames_are_read_by_a_real_client(size: int) -> None:
    payload = (b"x" * size).replace(b"x", b"\xc3\xa9", 1)[:size] if size > 1 else b"y" * size
    ws = client()
    ws.receive_data(text_frame(payload) + frame(BINARY, payload) + frame(PING, b"hb"))
    events = ws.events_received()
    assert [(e.opcode, e.data) for e in events if isinstance(e, Frame)] == [
        (Opcode.TEXT, payload),
        (Opcode.BINARY, payload),
        (Opcode.PING, b"hb"),
    ]
    assert ws.parser_exc is None


def test_server_close_frames() -> None:
    ws = client()
    ws.receive_data(close_frame(1013, "slow_consumer"))
    (event,) = ws.events_received()
    assert isinstance(event, Frame) and event.opcode is Opcode.CLOSE
    assert event.data == struct.pack("!H", 1013) + b"slow_consumer"
    assert close_frame(1005) == b"\x88\x00"  # no status: an empty close frame
    long_reason = close_frame(1008, "é" * 100)  # cut at 123 bytes, on a character boundary
    assert len(long_reason) == 2 + 2 + 122 and long_reason[4:].decode("utf-8") == "é" * 61
