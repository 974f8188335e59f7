"""The fast WebSocket transport: one ``asyncio.Protocol`` per upgraded connection, no ASGI, no task.

May import: stdlib, ``causerie.realtime.*``, ``causerie.services``, ``causerie.domain``,
``causerie.errors``, ``causerie.ids``, ``causerie.observability``.

``FastConnection`` is both the socket's protocol and the connection's ``Outbound``. Client bytes go
through the sans-I/O ``FrameParser``; messages reach the same ``Session`` handlers as the ASGI path
(``connection.admit`` / ``start_session`` / ``end_session``), in order: a short-lived task drains
the frames that arrived while a handler awaited, and none exists while the connection is idle.
``push`` frames the payload (once per payload: the hub hands every member the same ``bytes``, and
``FastContext.framed`` remembers the last one) and keeps it in the connection's output list; once
per event-loop turn ``FastContext`` writes each connection's list to its transport as one buffer,
so the acks, the room events and the private events a connection gets in one turn cost one
``write`` (one system call) instead of one each. A close frame is written after what is pending.
When the transport's buffer passes its high-water mark (``pause_writing``), each flush checks its
size against ``ws_send_queue_bytes``; over it, the slow consumer gets close 1013 ``slow_consumer``
after what is already buffered and is dropped ``ws_close_timeout`` seconds later if it still does
not read.

One keepalive sweep per server pings every connection each ``ws_ping_interval`` and closes with
1011 those whose pong is ``ws_ping_timeout`` late (checked at each sweep).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any

from causerie.domain.entities import Account
from causerie.errors import ErrorCode
from causerie.ids import AccountId, ConnectionId
from causerie.observability import ERRORS
from causerie.realtime import connection as _connection
from causerie.realtime.connection import Refusal, Session, _hello_token, admit, end_session, start_session
from causerie.realtime.flood import FrameGate, frame_ref
from causerie.realtime.hub import Hub
from causerie.realtime.wsframes import (
    BINARY,
    CLOSE,
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
from causerie.services.accounts import hash_token
from causerie.services.container import Services
from causerie.services.records import Peer

log = logging.getLogger(__name__)

# connection states
HELLO, OPENING, OPEN, CLOSING, CLOSED = range(5)
INBOX_PAUSE = 16  # frames waiting for their handler before the socket stops being read
INBOX_RESUME = 4


class FastContext:
    """What the fast connections of one server share: services, hub, settings, keepalive, frame cache."""

    def __init__(self, services: Services, hub: Hub) -> None:
        self.services = services
        self.hub = hub
        settings = services.settings
        self.max_message = settings.ws_max_frame_bytes
        self.send_limit = settings.ws_send_queue_bytes
        self.close_timeout = settings.ws_close_timeout
        self.hello_timeout = settings.ws_hello_timeout
        self.ping_interval = settings.ws_ping_interval
        self.ping_timeout = settings.ws_ping_timeout
        self.live: set[FastConnection] = set()  # connections the keepalive sweep visits
        self.server_connections: set[Any] | None = None  # uvicorn's, for graceful shutdown
        self.tasks: set[asyncio.Task[Any]] = set()
        self._last_payload: bytes | None = None
        self._last_frame = b""
        self._sweep: asyncio.TimerHandle | None = None
        self._dirty: list[FastConnection] = []  # connections with output pending this turn
        self._flush_scheduled = False

    def dirty(self, conn: FastConnection) -> None:
        """``conn`` has output to write: once per loop turn, every such connection is flushed."""
        self._dirty.append(conn)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_all)

    def _flush_all(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.flush()

    def framed(self, payload: bytes) -> bytes:
        """The text frame of ``payload``, built once for consecutive pushes of the same object."""
        if payload is self._last_payload:
            return self._last_frame
        framed = text_frame(payload)
        self._last_payload = payload
        self._last_frame = framed
        return framed

    def spawn(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def track(self, conn: FastConnection) -> None:
        self.live.add(conn)
        if self.server_connections is not None:
            self.server_connections.add(conn)
        if self._sweep is None and self.ping_interval > 0:
            self._sweep = asyncio.get_running_loop().call_later(self.ping_interval, self._keepalive)

    def untrack(self, conn: FastConnection) -> None:
        self.live.discard(conn)
        if self.server_connections is not None:
            self.server_connections.discard(conn)

    def _keepalive(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for conn in list(self.live):
            conn.keepalive(now, self.ping_timeout)
        self._sweep = loop.call_later(self.ping_interval, self._keepalive) if self.live else None


class FastConnection(asyncio.Protocol):
    """One upgraded WebSocket: parser, ``Outbound`` and session driver."""

    __slots__ = (
        "_busy",
        "_cookie_account",
        "_cookie_token",
        "_ended",
        "_failed",
        "_gate",
        "_host",
        "_inbox",
        "_lang",
        "_on_gone",
        "_out",
        "_parser",
        "_paused",
        "_peer",
        "_ping_at",
        "_reading_paused",
        "_state",
        "_timer",
        "account_id",
        "conn_id",
        "ctx",
        "session",
        "token_hash",
        "transport",
    )

    def __init__(
        self,
        ctx: FastContext,
        transport: asyncio.Transport,
        account: Account | None,
        lang: str,
        on_gone: Callable[[], None],
        token: str | None = None,
        host: str | None = None,
        peer: Peer | None = None,
    ) -> None:
        """``account``/``token``: from the session cookie, if any; ``host``: the client address
        (per-address limits); ``peer``: what the connection record keeps of where it comes from."""
        self.ctx = ctx
        self.transport = transport
        self.conn_id = ConnectionId(next(_connection._ids))
        self.account_id = AccountId(0)  # set once hello is admitted (before the hub sees it)
        self.session: Session | None = None
        self._state = HELLO
        self._parser = FrameParser(ctx.max_message)
        self._cookie_account = account
        self._cookie_token = token if account is not None else None
        self._host = host
        self._peer = peer
        self.token_hash: str | None = None  # the session token it authenticated with (closed when it ends)
        self._lang = lang
        self._on_gone: Callable[[], None] | None = on_gone
        self._inbox: collections.deque[str | bytes] | None = None
        self._busy = False  # a task (hello or the frame drain) is running for this connection
        self._gate: FrameGate | None = None
        self._timer: asyncio.TimerHandle | None = None  # hello deadline, then close deadline
        self._ping_at = 0.0  # when the unanswered ping was sent (0: none)
        self._paused = False  # the transport's buffer is over its high-water mark
        self._reading_paused = False
        self._ended = False
        self._failed = False
        self._out: list[bytes] | None = None  # frames pushed this loop turn, written by flush()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Called once the 101 response is written and this is the transport's protocol."""
        high = max(1024, min(self.ctx.send_limit, 65536))
        self.transport.set_write_buffer_limits(high=high, low=high // 4)
        self.ctx.track(self)
        self._timer = asyncio.get_running_loop().call_later(self.ctx.hello_timeout, self._hello_late)

    def _hello_late(self) -> None:
        self._timer = None
        if self._state == HELLO:
            self.close(ErrorCode.HELLO_TIMEOUT.close_code or 1008, ErrorCode.HELLO_TIMEOUT.value)

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = CLOSED
        self._out = None
        self.ctx.untrack(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._inbox = None
        if not self._busy:  # else the running task ends the session when its handler returns
            self._end()
        if self._on_gone is not None:
            on_gone, self._on_gone = self._on_gone, None
            on_gone()

    def _end(self) -> None:
        if self.session is not None and not self._ended:
            self._ended = True
            end_session(self.session)

    def shutdown(self) -> None:
        """Server shutdown (uvicorn calls it on every connection): close 1012, then the socket."""
        if self._state < CLOSING:
            self._write_pending()
            self.transport.write(close_frame(1012, "server restarting"))
        self._state = CLOSING
        self.transport.close()

    def eof_received(self) -> bool | None:
        return None  # the peer is gone: close our side too

    # -- output (Outbound) ----------------------------------------------------------------------

    def push(self, payload: bytes) -> None:
        if self._state >= CLOSING:
            return
        out = self._out
        if out is None:
            self._out = [self.ctx.framed(payload)]
            self.ctx.dirty(self)
        else:
            out.append(self.ctx.framed(payload))

    def flush(self) -> None:
        """Write what was pushed since the last flush, as one buffer (called once per loop turn)."""
        if self._write_pending() and self._paused and self.transport.get_write_buffer_size() > self.ctx.send_limit:
            # a slow consumer: no more events; the close frame follows what it already has
            ERRORS.labels(ErrorCode.SLOW_CONSUMER.value).inc()
            self.close(ErrorCode.SLOW_CONSUMER.close_code or 1013, ErrorCode.SLOW_CONSUMER.value)

    def _write_pending(self) -> bool:
        """Write the pending output, if any, before a control frame that must follow it."""
        out = self._out
        if out is None:
            return False
        self._out = None
        if self._state >= CLOSING:
            return False
        self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        return True

    def close(self, code: int, reason: str) -> None:
        if self._state >= CLOSING:
            return
        self._write_pending()
        self._state = CLOSING
        self.transport.write(close_frame(code, reason))
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.ctx.close_timeout, self.transport.abort)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False

    def keepalive(self, now: float, timeout: float) -> None:
        """Called by the sweep: ping, or close 1011 if the previous ping is still unanswered."""
        if self._state >= CLOSING:
            return
        if self._ping_at:
            if now - self._ping_at >= timeout:
                self.close(1011, "keepalive ping timeout")
            return
        self._ping_at = now
        self.transport.write(_PING)

    # -- input ----------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        for opcode, payload in parser.feed(data):
            if opcode in (TEXT, BINARY):
                self._message(payload)
            elif opcode == PING:
                if self._state < CLOSING:
                    assert isinstance(payload, bytes)
                    self.transport.write(frame(PONG, payload))
            elif opcode == PONG:
                self._ping_at = 0.0
            elif opcode == CLOSE:
                assert isinstance(payload, bytes)
                self._peer_closed(payload)
                return
        if parser.error is not None and not self._failed:
            self._failed = True
            self._fail(parser.error)

    def _peer_closed(self, payload: bytes) -> None:
        """The peer's close frame: answer it (unless we started the close), then end the socket."""
        if self._state < CLOSING:
            code, _reason = parse_close(payload)
            self._write_pending()
            self.transport.write(close_frame(code))
        self._state = CLOSING
        self.transport.close()

    def _fail(self, error: ProtocolError) -> None:
        """A protocol violation: close frame with its code, no more reading, half-close."""
        if self._state < CLOSING:
            self._write_pending()
            self._state = CLOSING
            self.transport.write(close_frame(error.code, error.reason))
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(self.ctx.close_timeout, self.transport.abort)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        else:  # pragma: no cover - TCP transports can
            self.transport.close()

    def _message(self, data: str | bytes) -> None:
        state = self._state
        if state == OPEN:
            if self._inbox is None:
                self._inbox = collections.deque()
            self._inbox.append(data)
            if not self._busy:
                self._busy = True
                self.ctx.spawn(self._drain())
            elif len(self._inbox) >= INBOX_PAUSE and not self._reading_paused:
                self._reading_paused = True
                self.transport.pause_reading()
        elif state == HELLO:
            self._state = OPENING
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._busy = True
            self.ctx.spawn(self._open(data))
        elif state == OPENING:  # frames sent right after hello wait for the session
            if self._inbox is None:
                self._inbox = collections.deque()
            self._inbox.append(data)
        # CLOSING: the connection is ending; frames are no longer processed

    async def _open(self, raw: str | bytes) -> None:
        ctx = self.ctx
        services = ctx.services
        try:
            admitted = await admit(services, ctx.hub, raw, self._cookie_account, self._lang)
            if self._state != OPENING:
                return
            if isinstance(admitted, Refusal):
                self._refuse(admitted)
                return
            account, lang = admitted
            self.account_id = account.id
            token = _hello_token(raw) or self._cookie_token  # as in admit(): hello's token first
            self.token_hash = hash_token(token) if token else None
            self._cookie_account = self._cookie_token = None  # not needed any more
            self._gate = FrameGate(
                services.settings.ws_frame_burst,
                services.settings.ws_frames_per_second,
                services.settings.ws_max_refused_frames,
            )
            self.session = await start_session(services, ctx.hub, account, lang, self, self._host, self._peer)
            self._peer = None
            if self._state == OPENING:
                self._state = OPEN
        except Exception:
            log.exception("could not open a session")
            self.close(1011, "internal error")
        finally:
            self._busy = False
        if self._state == CLOSED:
            self._end()
        elif self._inbox and self._state == OPEN:
            self._busy = True
            await self._drain()

    def _refuse(self, refusal: Refusal) -> None:
        for event in refusal.events:
            self.transport.write(text_frame(event))
        self.close(refusal.code, refusal.reason)

    async def _drain(self) -> None:
        """Handle the waiting frames one after the other (a handler may await the database)."""
        session = self.session
        gate = self._gate
        assert session is not None and gate is not None
        clock = self.ctx.services.clock
        try:
            while self._inbox and self._state == OPEN:
                data = self._inbox.popleft()
                if self._reading_paused and len(self._inbox) <= INBOX_RESUME:
                    self._reading_paused = False
                    self.transport.resume_reading()
                refusal = gate.admit(clock.monotonic())
                if refusal is not None:
                    session.refuse(refusal, frame_ref(data))
                    if refusal.code is ErrorCode.FRAME_FLOOD:
                        self.close(1008, refusal.code.value)
                    continue
                await session.handle(data)
        except Exception:  # pragma: no cover - handle() maps its own errors; this is a last resort
            log.exception("frame drain failed")
            self.close(1011, "internal error")
        finally:
            self._busy = False
            self._inbox = None if not self._inbox else self._inbox
            if self._state == CLOSED:
                self._end()


_PING = frame(PING, b"")
