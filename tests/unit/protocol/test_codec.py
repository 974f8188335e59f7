"""The wire codec: every client frame and server event survives a round trip, and no input crashes it.

``decode_frame`` must turn *any* bytes into either a client frame or ``CauserieError(BAD_FRAME)``:
the WebSocket session relies on that to answer a malformed frame with an error event instead of
dying. Server frames hold one or more events separated by ``\\n``; ``decode_events`` splits them.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causerie.errors import CauserieError, ErrorCode
from causerie.protocol import messages as m
from causerie.protocol.codec import decode_events, decode_frame, encode_event

# -- strategies -------------------------------------------------------------------------------
#
# Built from the structs' own field types, so that a frame or event added to the protocol is
# covered without editing this file.

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
TEXT = st.text(max_size=40)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def from_type(tp: Any) -> st.SearchStrategy[Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        base, *metadata = args
        if base is int:
            bounds = [meta for meta in metadata if isinstance(meta, msgspec.Meta)]
            low = max([b.ge for b in bounds if b.ge is not None], default=-(2**63))
            high = min([b.le for b in bounds if b.le is not None], default=2**63 - 1)
            return st.integers(min_value=low, max_value=high)
        return from_type(base)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(from_type(a) for a in args))
    if origin is list:
        return st.lists(from_type(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(from_type(args[0]), from_type(args[1]), max_size=3)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        type(None): st.none(),
        str: TEXT,
        int: INT64,
        float: FLOATS,
        bool: st.booleans(),
    }
    if tp in simple:
        return simple[tp]
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return struct(tp)
    raise TypeError(f"no strategy for {tp!r}")


def struct(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    return st.builds(cls, **{f.name: from_type(f.type) for f in msgspec.structs.fields(cls)})


CLIENT_FRAME_TYPES: tuple[type[msgspec.Struct], ...] = typing.get_args(m.ClientFrame)
SERVER_EVENT_TYPES: tuple[type[msgspec.Struct], ...] = typing.get_args(m.ServerEvent)
any_client_frame = st.one_of(*(struct(t) for t in CLIENT_FRAME_TYPES))
any_server_event = st.one_of(*(struct(t) for t in SERVER_EVENT_TYPES))

# JSON documents of every shape, to hit the validation paths rather than only the JSON parser.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | FLOATS | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)
TAGS = sorted({t.__struct_config__.tag for t in CLIENT_FRAME_TYPES} | {"welcome", "nope"})
FIELDS = sorted({f.name for t in CLIENT_FRAME_TYPES for f in msgspec.structs.fields(t)})
frame_like = st.builds(
    lambda tag, fields: {"type": tag, **fields},
    st.sampled_from(TAGS) | json_values,
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=5),
)


def encode_frame(frame: Any) -> bytes:
    return msgspec.json.encode(frame)


def refused(raw: bytes | str) -> CauserieError:
    with pytest.raises(CauserieError) as info:
        decode_frame(raw)
    assert info.value.code is ErrorCode.BAD_FRAME
    return info.value


# -- client frames ----------------------------------------------------------------------------


def test_the_protocol_has_the_documented_frames() -> None:
    tags = {t.__struct_config__.tag for t in CLIENT_FRAME_TYPES}
    assert {"hello", "join", "leave", "send", "typing", "history", "dm_accept", "dm_ignore", "ping"} <= tags
    core = {"message", "welcome", "ack", "error", "joined", "left", "presence", "typing", "mention", "history"}
    core |= {"dm_request", "dm_state", "counts", "pong", "notice", "friend"}
    assert core <= {t.__struct_config__.tag for t in SERVER_EVENT_TYPES}


@given(any_client_frame)
@settings(max_examples=300)
def test_client_frame_round_trip(frame: Any) -> None:
    raw = encode_frame(frame)
    assert decode_frame(raw) == frame
    assert decode_frame(raw.decode()) == frame  # text frames arrive as str


@given(any_client_frame)
def test_client_frame_is_tagged_by_type(frame: Any) -> None:
    doc = json.loads(encode_frame(frame))
    assert doc["type"] == type(frame).__struct_config__.tag


def test_minimal_frames_take_their_defaults() -> None:
    assert decode_frame(b'{"type":"hello"}') == m.Hello(v=1)
    assert decode_frame(b'{"type":"history","room":"musique"}') == m.HistoryRequest(room="musique", limit=50)
    assert decode_frame('{"type":"ping"}') == m.Ping()


# -- anything else is a bad frame, never a crash ------------------------------------------------


def decodes_or_refuses(raw: bytes | str) -> None:
    error: CauserieError | None = None
    try:
        frame = decode_frame(raw)
    except CauserieError as exc:
        error = exc
    else:
        assert isinstance(frame, CLIENT_FRAME_TYPES)
        return
    assert error.code is ErrorCode.BAD_FRAME
    assert error.text()  # a safe explanation to show


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_any_bytes_decode_or_bad_frame(raw: bytes) -> None:
    decodes_or_refuses(raw)


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_any_text_decodes_or_bad_frame(raw: str) -> None:
    decodes_or_refuses(raw)


@given(frame_like)
@settings(max_examples=300)
def test_any_json_object_decodes_or_bad_frame(doc: Any) -> None:
    decodes_or_refuses(json.dumps(doc))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00",
        b"null",
        b"[]",
        b"[" * 100_000,
        b'{"type": "send"',
        b'"\\ud800"',
        b'{"room": "musique"}',  # no type
        b'{"type": "welcome", "v": 1}',  # a server event is not a client frame
        b'{"type": "SEND", "room": "a", "text": "b", "client_id": "c"}',
        b'{"type": "send", "room": "a", "text": 5, "client_id": "c"}',  # wrong type
        b'{"type": "send", "room": "a", "client_id": "c"}',  # missing text
        b'{"type": "join", "room": "a", "since": "12"}',
        b'{"type": "join", "room": "a", "since": 1e400}',
        b'{"type": "join", "room": "a", "since": 100000000000000000000000000}',  # beyond 64 bits
        b'{"type": "history", "room": "a", "before": 9223372036854775808}',
        b'{"type": "send", "room": "a", "text": "b", "client_id": "c", "reply_to": -9223372036854775809}',
        b'{"type": "hello", "v": 1, "lang": "de"}',
        b'{"type": "history", "room": "a", "limit": true}',
    ],
)
def test_malformed_frames_are_bad_frame(raw: bytes) -> None:
    refused(raw)


@given(any_client_frame)
def test_unknown_fields_are_refused(frame: Any) -> None:
    doc = json.loads(encode_frame(frame))
    assert decode_frame(json.dumps(doc)) == frame
    exc = refused(json.dumps({**doc, "colour": "blue"}))
    assert "colour" in exc.text()


def test_unknown_type_is_refused() -> None:
    refused(b'{"type": "shout", "room": "a"}')


# -- server events ----------------------------------------------------------------------------


@given(any_server_event)
@settings(max_examples=300)
def test_server_event_round_trip(event: Any) -> None:
    raw = encode_event(event)
    assert b"\n" not in raw  # one event per line
    assert decode_events(raw) == [event]
    assert decode_events(raw.decode()) == [event]


@given(st.lists(any_server_event, min_size=1, max_size=6))
@settings(max_examples=200)
def test_multi_event_frames_split_on_newline_in_order(events: list[Any]) -> None:
    frame = b"\n".join(encode_event(e) for e in events)
    assert decode_events(frame) == events
    assert decode_events(frame + b"\n") == events  # a trailing separator adds nothing


def test_text_with_newlines_stays_on_one_line() -> None:
    event = m.Error(code="x", message="line 1\nline 2\r\n")
    frame = encode_event(event) + b"\n" + encode_event(m.Pong(ref="p\n"))
    assert decode_events(frame) == [event, m.Pong(ref="p\n")]


def test_server_events_omit_defaults() -> None:
    ack = json.loads(encode_event(m.Ack(ref="c1", room="r", seq=1, id=2, ts=3)))
    assert ack == {"type": "ack", "ref": "c1", "room": "r", "seq": 1, "id": 2, "ts": 3}
    duplicate = json.loads(encode_event(m.Ack(ref="c1", room="r", seq=1, id=2, ts=3, duplicate=True)))
    assert duplicate["duplicate"] is True
    author = m.Member(id=1, nick="Hugo", age=31, gender="m", region="75")
    msg = json.loads(encode_event(m.Message(room="r", seq=1, id=1, ts=1, author=author, text="salut")))
    assert set(msg) == {"type", "room", "seq", "id", "ts", "author", "text"}
    assert msg["author"] == {"id": 1, "nick": "Hugo", "age": 31, "gender": "m", "region": "75"}


def test_clients_ignore_unknown_fields_in_server_events() -> None:
    (pong,) = decode_events(b'{"type": "pong", "ref": "p1", "added_in_v1_1": true}')
    assert pong == m.Pong(ref="p1")
