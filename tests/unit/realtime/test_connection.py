"""The WebSocket session's error mapping, with a fake outbound connection (no server)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from causerie.domain.entities import Account, AccountKind
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, ConnectionId
from causerie.protocol.messages import Ping
from causerie.realtime.connection import Session
from causerie.realtime.hub import Hub


class FakeOutbound:
    conn_id = ConnectionId(1)
    account_id = AccountId(1)

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    def push(self, payload: bytes) -> None:
        self.events += [json.loads(line) for line in payload.split(b"\n")]

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def session(max_bad_frames: int = 10) -> tuple[Session, FakeOutbound]:
    services: Any = SimpleNamespace(settings=SimpleNamespace(ws_max_bad_frames=max_bad_frames))
    account = Account(AccountId(1), AccountKind.GUEST, "Hugo", 31, "m", "75", 0.0)
    out = FakeOutbound()
    return Session(services, Hub(), account, out, "en"), out  # type: ignore[arg-type]


async def test_a_refusal_becomes_an_error_event_with_the_ref() -> None:
    s, out = session()

    async def refuse(frame: Ping) -> None:
        raise CauserieError(ErrorCode.RATE_LIMITED, retry_after=1.5)

    s._handlers = {Ping: refuse}
    await s.handle('{"type": "ping", "ref": "p1"}')
    assert out.events == [
        {"type": "error", "code": "rate_limited", "message": "Slow down.", "ref": "p1", "retry_after": 1.5}
    ]
    assert out.closed is None


async def test_an_unexpected_exception_is_a_bare_internal_error_and_the_session_goes_on() -> None:
    s, out = session()

    async def broken(frame: Ping) -> None:
        raise RuntimeError("secret detail")

    s._handlers = {Ping: broken}
    await s.handle('{"type": "ping", "ref": "p1"}')
    assert out.events == [{"type": "error", "code": "internal_error", "message": "Internal error.", "ref": "p1"}]
    assert "secret" not in json.dumps(out.events)
    assert out.closed is None


async def test_malformed_frames_are_counted_then_the_connection_is_closed() -> None:
    s, out = session(max_bad_frames=2)
    for _ in range(2):
        await s.handle(b"{")
    assert [e["code"] for e in out.events] == ["bad_frame", "bad_frame"]
    assert out.closed is None
    await s.handle(b"\xff")
    assert out.closed is not None and out.closed[0] == 1008
