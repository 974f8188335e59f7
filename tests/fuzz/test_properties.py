"""Property tests (Hypothesis) for what the fuzzers hit: the frame decoder on hostile JSON shapes,
the per-connection frame gate, address buckets, and sequence/resume delivery through the hub.

tests/unit/protocol/test_codec.py already feeds the decoder random bytes, text and flat JSON; here
the inputs are the hostile shapes: deep nesting anywhere (including before the ``type`` tag),
huge numbers and strings, wrong types in every field.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, ConnectionId, RoomId
from causerie.protocol import messages as m
from causerie.protocol.codec import decode_frame
from causerie.realtime.flood import FrameGate
from causerie.realtime.hub import Hub
from causerie.services.throttle import address_bucket

VALID = [
    {"type": "hello", "v": 1, "token": "t"},
    {"type": "join", "room": "accueil", "since": 3, "ref": "j"},
    {"type": "leave", "room": "accueil"},
    {"type": "send", "room": "accueil", "text": "salut", "client_id": "c1", "reply_to": 2},
    {"type": "typing", "room": "accueil"},
    {"type": "history", "room": "accueil", "before": 9, "limit": 10, "ref": "h"},
    {"type": "dm_accept", "room": "dm-1-2"},
    {"type": "ping", "ref": "p"},
]
CLIENT_TYPES = tuple(m.ClientFrame.__args__)  # type: ignore[attr-defined]


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return '{"a":[' * depth + "0" + "]}" * depth


def decodes_or_bad_frame(raw: str | bytes) -> None:
    try:
        frame = decode_frame(raw)
    except CauserieError as exc:
        error = exc
    else:
        assert isinstance(frame, CLIENT_TYPES)
        return
    assert error.code is ErrorCode.BAD_FRAME and error.text()


@given(
    base=st.sampled_from(VALID),
    depth=st.integers(1, 20_000),
    kind=st.sampled_from(["array", "object", "mixed"]),
    where=st.sampled_from(["value", "new_key", "type", "first", "top"]),
    data=st.data(),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_deep_nesting_anywhere_is_a_bad_frame(
    base: dict[str, Any], depth: int, kind: str, where: str, data: Any
) -> None:
    deep = nested(depth, kind)
    fields = {k: json.dumps(v) for k, v in base.items()}
    if where == "value":
        key = data.draw(st.sampled_from([k for k in base if k != "type"] or ["type"]))
        fields[key] = deep
    elif where == "new_key":
        fields["extra"] = deep
    elif where == "type":
        fields["type"] = deep
    elif where == "first":  # before the tag: the decoder has to skip it to find the type
        fields = {"zz": deep, **fields}
    raw = deep if where == "top" else "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}"
    decodes_or_bad_frame(raw)
    decodes_or_bad_frame(raw.encode())


hostile_values = st.one_of(
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.just("\ud800"),  # a lone surrogate
    st.just("x" * 70_000),
)


@given(base=st.sampled_from(VALID), data=st.data())
@settings(max_examples=300, deadline=None)
def test_wrong_types_and_huge_values_in_any_field_are_bad_frames(base: dict[str, Any], data: Any) -> None:
    doc = dict(base)
    for key in data.draw(st.lists(st.sampled_from(sorted(doc)), min_size=1, max_size=3, unique=True)):
        doc[key] = data.draw(hostile_values)
    try:
        raw = json.dumps(doc, allow_nan=True)
    except (UnicodeEncodeError, ValueError):
        return
    decodes_or_bad_frame(raw)
    decodes_or_bad_frame(raw.encode("utf-8", "surrogatepass"))


# -- the frame gate -----------------------------------------------------------------------------------


@given(
    burst=st.integers(1, 50),
    rate=st.floats(0.01, 100),
    gaps=st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=300),
    window=st.floats(0.1, 30),
)
@settings(max_examples=300, deadline=None)
def test_frames_admitted_in_any_window_are_at_most_burst_plus_rate_times_window(
    burst: int, rate: float, gaps: list[float], window: float
) -> None:
    gate = FrameGate(burst, rate, max_refused=10**9)
    now = 0.0
    admitted: list[float] = []
    for gap in gaps:
        now += gap
        if gate.admit(now) is None:
            admitted.append(now)
    for i, start in enumerate(admitted):
        inside = sum(1 for t in admitted[i:] if t - start <= window)
        assert inside <= burst + rate * window + 1e-6


@given(st.integers(1, 30), st.integers(0, 10))
def test_a_flood_is_declared_after_max_refused_in_a_row(burst: int, max_refused: int) -> None:
    gate = FrameGate(burst, 0.0001, max_refused)
    codes = []
    for _ in range(burst + max_refused + 1):
        refusal = gate.admit(0.0)
        codes.append(None if refusal is None else refusal.code)
    assert codes[:burst] == [None] * burst
    assert codes[burst:-1] == [ErrorCode.RATE_LIMITED] * max_refused
    assert codes[-1] is ErrorCode.FRAME_FLOOD


# -- address buckets ----------------------------------------------------------------------------------


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**64 - 1))
def test_ipv6_addresses_share_a_bucket_exactly_per_64(address: int, other_low: int) -> None:
    a = ipaddress.IPv6Address(address)
    if a.ipv4_mapped is not None:
        return
    same_64 = ipaddress.IPv6Address((address >> 64 << 64) | other_low)
    next_64 = ipaddress.IPv6Address(((address >> 64) ^ 1) << 64 | other_low)
    if same_64.ipv4_mapped is None:
        assert address_bucket(str(a)) == address_bucket(str(same_64))
    if next_64.ipv4_mapped is None:
        assert address_bucket(str(a)) != address_bucket(str(next_64))


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_ipv4_addresses_each_have_a_bucket(a: int, b: int) -> None:
    one, two = str(ipaddress.IPv4Address(a)), str(ipaddress.IPv4Address(b))
    assert (address_bucket(one) == address_bucket(two)) == (a == b)
    assert address_bucket("::ffff:" + one) == address_bucket(one)


# -- sequence and resume: what the hub delivers -------------------------------------------------------

ROOM = RoomId(1)
AUTHOR = AccountId(9)


class Recorder:
    _ids = iter(range(1, 10**9))

    def __init__(self) -> None:
        self.conn_id = ConnectionId(next(self._ids))
        self.account_id = AccountId(1)
        self.lines: list[bytes] = []

    def push(self, payload: bytes) -> None:
        self.lines.extend(payload.split(b"\n"))

    def close(self, code: int, reason: str) -> None:
        pass


def payload(seq: int) -> bytes:
    return b"m%d" % seq


@st.composite
def broker_runs(draw: Any) -> tuple[int, list[int], int, int]:
    """(messages stored, what the broker delivers in order: lost, duplicated, reordered,
    when a second member joins, the seq it resumes from)."""
    total = draw(st.integers(1, 40))
    delivered = [s for s in range(1, total + 1) if draw(st.booleans()) or draw(st.booleans())]
    delivered += draw(st.lists(st.integers(1, total), max_size=10))  # duplicates, late copies
    order = draw(st.permutations(delivered))
    # mostly in order, as the broker is: sort a random prefix
    cut = draw(st.integers(0, len(order)))
    order = sorted(order[:cut]) + list(order[cut:])
    join_at = draw(st.integers(0, len(order)))
    since = draw(st.integers(0, total))
    return total, order, join_at, since


async def run_hub(total: int, order: list[int], join_at: int, since: int) -> tuple[list[bytes], list[bytes], int]:
    async def from_db(room: RoomId, after: int, upto: int) -> list[tuple[int, AccountId, bytes]]:
        await asyncio.sleep(0)
        return [(s, AUTHOR, payload(s)) for s in range(after + 1, min(upto, total) + 1)]

    hub = Hub(from_db)
    first = Recorder()
    hub.add_connection(first, ())
    assert hub.open_channel(ROOM)
    hub.init_channel(ROOM, 0)
    hub.begin_join(first, ROOM)
    hub.finish_join(first, ROOM)
    second = Recorder()
    hub.add_connection(second, ())
    resumed_from = 0
    for i, seq in enumerate(order):
        if i == join_at:
            upto = hub.begin_join(second, ROOM)
            resumed_from = min(since, upto)
            await asyncio.sleep(0)  # the replay reads the database meanwhile; live events are held
            replay = [payload(s) for s in range(resumed_from + 1, upto + 1)]
            hub.finish_join(second, ROOM, [b"\n".join(replay)] if replay else [])
        hub.deliver_room(ROOM, seq, AUTHOR, payload(seq))
        if i % 3 == 0:
            await asyncio.sleep(0)
    if join_at >= len(order):
        upto = hub.begin_join(second, ROOM)
        resumed_from = min(since, upto)
        replay = [payload(s) for s in range(resumed_from + 1, upto + 1)]
        hub.finish_join(second, ROOM, [b"\n".join(replay)] if replay else [])
    for _ in range(200):
        hub.catch_up(ROOM, total)  # the periodic check against the database (every gap_check_seconds)
        await asyncio.sleep(0)
        if len(first.lines) >= total and hub.channel_seq(ROOM) == total:
            break
    await asyncio.sleep(0)
    return first.lines, second.lines, resumed_from


@given(broker_runs())
@settings(max_examples=200, deadline=None)
def test_every_member_gets_every_message_once_in_order_despite_loss_and_duplicates(
    run: tuple[int, list[int], int, int],
) -> None:
    total, order, join_at, since = run
    note(f"total={total} order={order} join_at={join_at} since={since}")
    first, second, resumed_from = asyncio.run(run_hub(total, order, join_at, since))
    assert first == [payload(s) for s in range(1, total + 1)]
    # the resumed member: exactly what came after its last seen seq, no hole, no duplicate
    assert second == [payload(s) for s in range(resumed_from + 1, total + 1)]
