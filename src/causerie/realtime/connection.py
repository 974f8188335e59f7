"""The WebSocket session: reads client frames, calls services, writes events through the hub.

May import: ``causerie.realtime.hub``, ``causerie.realtime.port``, ``causerie.services``,
``causerie.protocol``, ``causerie.domain``, ``causerie.config``, ``causerie.errors``, ``causerie.ids``,
``causerie.observability``.

``AsgiOutbound`` is today's transport behind the ``Outbound`` port: a bounded byte buffer per
connection drained by one writer task, which joins everything queued since its last write into one
WebSocket frame (events separated by ``\\n``). ``Session`` is the protocol driver; each frame type
has one small handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from causerie.domain.entities import Account, DmState, InsertResult, RoomKind
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, ConnectionId, RoomId
from causerie.observability import CONNECTIONS, ERRORS, FRAMES, MESSAGES, SEND_LATENCY
from causerie.protocol.codec import decode_frame, encode_event
from causerie.protocol.messages import (
    PROTOCOL_VERSION,
    Ack,
    ClientFrame,
    DmAccept,
    DmIgnore,
    Error,
    Hello,
    History,
    HistoryRequest,
    Join,
    Joined,
    Leave,
    Left,
    Ping,
    Pong,
    Send,
    Typing,
    TypingEvent,
    Welcome,
)
from causerie.realtime.flood import FrameGate, frame_ref
from causerie.realtime.hub import Hub
from causerie.realtime.port import Outbound
from causerie.services.accounts import hash_token
from causerie.services.container import Services
from causerie.services.messages import PendingAck
from causerie.services.records import Peer
from causerie.services.rooms import member_of

log = logging.getLogger(__name__)

_ids = itertools.count(1)
MAX_IN_FLIGHT = 64  # messages of one connection waiting for their commit
_ack_tasks: set[asyncio.Task[None]] = set()  # the rare acks that need a lookup (kept referenced)

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send_ = Callable[[MutableMapping[str, Any]], Awaitable[None]]


_frame_counters: dict[type, Any] = {}


class AsgiOutbound:
    """``Outbound`` over an ASGI WebSocket: bounded buffer, one writer task, one frame per drain."""

    def __init__(self, send: Send_, account_id: AccountId, max_bytes: int, close_timeout: float = 10.0) -> None:
        self.conn_id = ConnectionId(next(_ids))
        self.account_id = account_id
        self._send = send
        self._max = max_bytes
        self._buf: list[bytes] = []
        self._size = 0
        self._ready = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self.closed = False
        # A peer that stops reading blocks the writer in send(). On overflow the writer stops waiting,
        # gives the close frame ``close_timeout`` seconds, then the reader (``reader``, the task
        # running serve()) is stopped too, so the session ends even if the peer never reads again.
        self._close_timeout = close_timeout
        self._writer: asyncio.Task[None] | None = None
        self._sending = False
        self._overflowed = False
        self.reader: asyncio.Task[Any] | None = None
        self.abandoned = False
        self.session: Session | None = None  # set by serve(); moderation reaches the session through it
        self.token_hash: str | None = None  # the session token it authenticated with (closed when it ends)

    def push(self, payload: bytes) -> None:
        if self._close is not None:
            return
        self._buf.append(payload)
        self._size += len(payload)
        if self._size > self._max:
            # a slow consumer: drop its backlog and close; it resumes from its last seq
            self._buf.clear()
            self._size = 0
            ERRORS.labels(ErrorCode.SLOW_CONSUMER.value).inc()
            self.close(ErrorCode.SLOW_CONSUMER.close_code or 1013, ErrorCode.SLOW_CONSUMER.value)
            if self._sending and self._writer is not None:
                self._overflowed = True
                self._writer.cancel()  # it waits for a peer that does not read: stop waiting
            return
        self._ready.set()

    def close(self, code: int, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
            self._ready.set()

    async def run_writer(self) -> None:
        self._writer = asyncio.current_task()
        delivered = False
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self._buf:
                    chunks, self._buf, self._size = self._buf, [], 0
                    data = chunks[0] if len(chunks) == 1 else b"\n".join(chunks)
                    self._sending = True
                    try:
                        await self._send({"type": "websocket.send", "text": data.decode()})
                    except asyncio.CancelledError:
                        if not self._overflowed:
                            raise
                        if self._writer is not None:
                            self._writer.uncancel()  # our own cancel (slow consumer): go on to the close
                    finally:
                        self._sending = False
                if self._close is not None:
                    code, reason = self._close
                    close = {"type": "websocket.close", "code": code, "reason": reason}
                    await asyncio.wait_for(self._send(close), self._close_timeout)
                    delivered = True
                    return
        except Exception:  # the peer went away (the reader notices too), or never took the close frame
            return
        finally:
            self.closed = True
            if self._close is not None:
                self._stop_reader_later(self._close_timeout if delivered else 0.0)

    def _stop_reader_later(self, delay: float) -> None:
        """Stop the reader if it still waits for the peer ``delay`` seconds after our close."""
        reader = self.reader
        if reader is None or reader.done():
            return

        def stop() -> None:
            if not reader.done():
                self.abandoned = True
                reader.cancel()

        asyncio.get_running_loop().call_later(delay, stop)


class Session:
    """One authenticated WebSocket connection speaking protocol version 1."""

    # one per connection: slots, and the rarely used tables created on first use (bytes per idle
    # connection, docs/performance.md)
    __slots__ = (
        "_handlers",
        "_in_flight",
        "_slot",
        "_typing",
        "account",
        "bad_frames",
        "host",
        "hub",
        "lang",
        "out",
        "record",
        "rooms",
        "s",
    )

    def __init__(
        self, services: Services, hub: Hub, account: Account, out: Outbound, lang: str, host: str | None = None
    ) -> None:
        self.s = services
        self.host = host  # the client address (per-address flood buckets)
        self.hub = hub
        self.account = account
        self.out = out
        self.lang = lang
        self.rooms: dict[str, RoomId] = {}  # joined public/invite rooms, by slug
        self.bad_frames = 0
        self.record = 0  # the key of its connection record (services.records), 0: none
        self._in_flight = 0  # messages queued for commit, their ack not yet sent
        self._slot: asyncio.Future[None] | None = None  # set while on_send waits under MAX_IN_FLIGHT
        self._typing: dict[RoomId, float] | None = None  # when it last relayed typing, per room
        # per-session overrides of HANDLERS (tests); the table itself is per class: a dict of bound
        # methods per connection was about 1 KB of each idle connection (docs/performance.md)
        self._handlers: dict[type[Any], Callable[[Any], Awaitable[None]]] | None = None

    def emit(self, event: Any) -> None:
        self.out.push(encode_event(event))

    def refuse(self, exc: CauserieError, ref: str | None) -> None:
        ERRORS.labels(exc.code.value).inc()
        self.emit(
            Error(
                code=exc.code.value,
                message=exc.text(self.lang),
                ref=ref,
                retry_after=exc.retry_after,
                until=_until(exc),
            )
        )

    async def handle(self, raw: str | bytes) -> None:
        try:
            frame: ClientFrame = decode_frame(raw)
        except CauserieError as exc:
            self.bad_frames += 1
            self.refuse(exc, None)
            if self.bad_frames > self.s.settings.ws_max_bad_frames:
                self.out.close(1008, "too many malformed frames")
            return
        counter = _frame_counters.get(type(frame))
        if counter is None:  # bind the labelled child once per frame type (labels() is costly)
            counter = _frame_counters[type(frame)] = FRAMES.labels(type(frame).__name__)
        counter.inc()
        ref = getattr(frame, "client_id", None) or getattr(frame, "ref", None)
        try:
            handler = (self._handlers and self._handlers.get(type(frame))) or getattr(self, HANDLERS[type(frame)])
            await handler(frame)
        except CauserieError as exc:
            self.refuse(exc, ref)
        except Exception:  # a bug, not the client's fault: a bare internal_error, no detail
            log.exception("unhandled error on a %s frame", type(frame).__name__)
            self.refuse(CauserieError(ErrorCode.INTERNAL_ERROR), ref)

    # -- handlers -------------------------------------------------------------------------------

    async def on_hello_again(self, frame: Hello) -> None:
        raise CauserieError(ErrorCode.BAD_FRAME, "hello was already received")

    async def on_ping(self, frame: Ping) -> None:
        self.emit(Pong(ref=frame.ref))

    async def on_join(self, frame: Join) -> None:
        s = self.s
        room = await s.rooms.access_room(self.account, frame.room)
        direct = room.kind is RoomKind.DIRECT
        if not direct and room.slug not in self.rooms and len(self.rooms) >= s.settings.max_rooms_joined:
            raise CauserieError(ErrorCode.TOO_MANY_ROOMS_JOINED)
        if not direct and s.flood is not None:  # joins per account and per address (docs/limits.md)
            await s.flood.join(self.account.id, self.host)
        blocked = await s.social.blocked(self.account.id)
        if direct:
            # direct conversations are delivered per account; join only replays what was missed
            peer = await s.store.get_account(room.dm_peer(self.account.id))
            if peer is None:
                raise CauserieError(ErrorCode.USER_NOT_FOUND)
            last = (await s.store.last_seqs([room.id])).get(room.id, 0)
            info = s.rooms.dm_info(room, self.account.id, peer)
            self.emit(Joined(room=info, members=[member_of(peer)], last_seq=last, ref=frame.ref))
            if frame.since is not None and frame.since < last:
                messages, more = await s.messages.replay(room, frame.since, last, blocked, self.account.id)
                self.emit(History(room=room.slug, messages=messages, more=more, resume=True, ref=frame.ref))
            return
        if self.hub.open_channel(room.id):
            last_seqs = await s.store.last_seqs([room.id])
            self.hub.init_channel(room.id, last_seqs.get(room.id, 0))
        if room.slug in self.rooms and self.hub.in_room(self.out, room.id):
            self.hub.leave(self.out, room.id)
            s.presence.leave(room.id, self.account.id, grace=False)
        upto = self.hub.begin_join(self.out, room.id)
        before_live: list[bytes] = []
        try:  # whatever happens, finish the join: a held connection would otherwise hold forever
            self.rooms[room.slug] = room.id
            s.presence.join(room.id, room.slug, member_of(self.account))
            members = [m for m in s.presence.members(room.id) if AccountId(m.id) not in blocked]
            info = s.rooms.info(room)
            before_live.append(encode_event(Joined(room=info, members=members, last_seq=upto, ref=frame.ref)))
            if frame.since is not None and frame.since < upto:
                messages, more = await s.messages.replay(room, frame.since, upto, blocked, self.account.id)
                before_live.append(
                    encode_event(History(room=room.slug, messages=messages, more=more, resume=True, ref=frame.ref))
                )
        finally:
            self.hub.finish_join(self.out, room.id, before_live)

    async def on_leave(self, frame: Leave) -> None:
        room_id = self.rooms.pop(frame.room, None)
        if room_id is None:
            raise CauserieError(ErrorCode.NOT_IN_ROOM)
        self.hub.leave(self.out, room_id)
        self.s.presence.leave(room_id, self.account.id, grace=False)
        self.emit(Left(room=frame.room))

    async def on_send(self, frame: Send) -> None:
        """Check and queue the message now (in frame order); the ack follows its commit.

        Several messages of one connection can wait for their commit at once (at most
        ``MAX_IN_FLIGHT``), so one connection is not limited to one message per commit.
        """
        started = time.perf_counter()
        s = self.s
        if frame.to is not None:
            recipient = await s.social.find_user(frame.to)
            pending = await s.messages.submit_direct(
                self.account, recipient, frame.text, frame.client_id, frame.reply_to, media=frame.media, host=self.host
            )
        elif frame.room is not None:
            room = await s.rooms.get(frame.room)
            joined = frame.room in self.rooms
            pending = await s.messages.submit_to_room(
                self.account,
                room,
                frame.text,
                frame.client_id,
                frame.reply_to,
                joined=joined,
                media=frame.media,
                host=self.host,
            )
        else:
            raise CauserieError(ErrorCode.BAD_FRAME, "send needs room or to")
        # the ack is sent from a callback on the commit's future: no task per message
        self._in_flight += 1
        pending.future.add_done_callback(functools.partial(self._committed, pending, started))
        if self._in_flight >= MAX_IN_FLIGHT:
            self._slot = asyncio.get_running_loop().create_future()
            await self._slot

    def _committed(self, pending: PendingAck, started: float, future: asyncio.Future[InsertResult]) -> None:
        self._in_flight -= 1
        slot = self._slot
        if slot is not None:
            self._slot = None
            if not slot.done():
                slot.set_result(None)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            if not isinstance(exc, CauserieError):  # the write loop maps its errors; a last resort
                log.error("message commit failed", exc_info=exc)
                exc = CauserieError(ErrorCode.INTERNAL_ERROR)
            self.refuse(exc, pending.client_id)
            return
        ack = self.s.messages.ack_now(future.result(), pending)
        if ack is None:  # a client_id first used in another room: its ack needs a lookup
            task = asyncio.get_running_loop().create_task(self._acknowledge(pending, started))
            _ack_tasks.add(task)
            task.add_done_callback(_ack_tasks.discard)
            return
        self._acked(ack, started)

    async def _acknowledge(self, pending: PendingAck, started: float) -> None:
        try:
            ack = await pending
        except CauserieError as exc:
            self.refuse(exc, pending.client_id)
            return
        self._acked(ack, started)

    def _acked(self, ack: Ack, started: float) -> None:
        self.emit(ack)
        if not ack.duplicate:
            MESSAGES.inc()
        SEND_LATENCY.observe(time.perf_counter() - started)

    async def on_typing(self, frame: Typing) -> None:
        room_id = self.rooms.get(frame.room)
        peer: AccountId | None = None
        if room_id is None and frame.room.startswith("dm-"):
            room = await self.s.rooms.access_room(self.account, frame.room)  # a participant, or refused
            room_id, peer = room.id, room.dm_peer(self.account.id)
        if room_id is None:
            raise CauserieError(ErrorCode.NOT_IN_ROOM)
        now = self.s.clock.monotonic()
        if self._typing is None:
            self._typing = {}
        if now - self._typing.get(room_id, -1e9) < self.s.settings.typing_min_interval:
            return  # relayed recently: drop silently
        self._typing[room_id] = now
        payload = encode_event(TypingEvent(room=frame.room, nick=self.account.nickname))
        if peer is not None:
            self.s.broker.publish_accounts([peer], self.account.id, payload)
        else:
            self.s.broker.publish_room(room_id, None, self.account.id, payload)

    async def on_history(self, frame: HistoryRequest) -> None:
        room = await self.s.rooms.access_room(self.account, frame.room)
        blocked = await self.s.social.blocked(self.account.id)
        messages, more = await self.s.messages.history(room, frame.before, frame.limit, blocked, self.account.id)
        self.emit(History(room=room.slug, messages=messages, more=more, ref=frame.ref))

    async def on_dm_accept(self, frame: DmAccept) -> None:
        await self.s.social.set_dm_state(self.account, frame.room, DmState.ACCEPTED)

    async def on_dm_ignore(self, frame: DmIgnore) -> None:
        await self.s.social.set_dm_state(self.account, frame.room, DmState.IGNORED)

    def force_leave(self, room_id: RoomId) -> None:
        """Moderation (kick, room closed): leave the room now, as if the client had sent ``leave``."""
        for slug, joined in list(self.rooms.items()):
            if joined == room_id:
                del self.rooms[slug]
                self.hub.leave(self.out, room_id)
                self.s.presence.leave(room_id, self.account.id, grace=False)
                self.emit(Left(room=slug))

    # -- end ------------------------------------------------------------------------------------

    def disconnect(self) -> None:
        for room_id in self.rooms.values():
            self.s.presence.leave(room_id, self.account.id, grace=True)
        self.rooms.clear()


# frame type -> the name of its ``Session`` handler
HANDLERS: dict[type[Any], str] = {
    Join: "on_join",
    Leave: "on_leave",
    Send: "on_send",
    Typing: "on_typing",
    HistoryRequest: "on_history",
    DmAccept: "on_dm_accept",
    DmIgnore: "on_dm_ignore",
    Ping: "on_ping",
    Hello: "on_hello_again",
}


def _until(exc: CauserieError) -> int | None:
    """When a sanction ends (ms since the epoch), for refusals that carry it (muted, banned, kicked)."""
    value = exc.data.get("until")
    return value if isinstance(value, int) else None


def _hello_token(raw: str | bytes) -> str | None:
    """The session token an admitted ``hello`` carries, if any."""
    hello = decode_frame(raw)
    return hello.token if isinstance(hello, Hello) and hello.token else None


class Refusal:
    """A ``hello`` that is refused: ``events`` (encoded) are sent, then a close with ``code``/``reason``."""

    __slots__ = ("code", "events", "reason")

    def __init__(self, code: ErrorCode, events: tuple[bytes, ...] = ()) -> None:
        self.code = code.close_code or 1008
        self.reason = code.value
        self.events = events


async def admit(
    services: Services, hub: Hub, raw: str | bytes, account: Account | None, lang: str
) -> tuple[Account, str] | Refusal:
    """Check the first frame of a connection (``hello``), whatever the transport.

    Returns the authenticated account and the language, or the refusal to send. ``account`` comes
    from the session cookie, if any; a token in ``hello`` takes precedence.
    """
    try:
        hello = decode_frame(raw)
    except CauserieError:
        return Refusal(ErrorCode.BAD_FRAME)
    if not isinstance(hello, Hello):
        return Refusal(ErrorCode.NOT_AUTHENTICATED)
    if hello.v != PROTOCOL_VERSION:
        return Refusal(ErrorCode.UNSUPPORTED_VERSION)
    if hello.token:
        account = await services.accounts.authenticate(hello.token)
    if account is None:
        return Refusal(ErrorCode.NOT_AUTHENTICATED)
    lang = hello.lang or lang
    if len(hub.account_connections(account.id)) >= services.settings.ws_max_connections_per_account:
        too_many = Error(code=ErrorCode.TOO_MANY_CONNECTIONS.value, message=ErrorCode.TOO_MANY_CONNECTIONS.text(lang))
        return Refusal(ErrorCode.TOO_MANY_CONNECTIONS, (encode_event(too_many),))
    try:
        services.moderation.check_connect(account)  # banned: say so, and until when
    except CauserieError as exc:
        banned = Error(code=exc.code.value, message=exc.text(lang), until=_until(exc))
        return Refusal(exc.code, (encode_event(banned),))
    return account, lang


async def start_session(
    services: Services,
    hub: Hub,
    account: Account,
    lang: str,
    out: Any,
    host: str | None = None,
    peer: Peer | None = None,
) -> Session:
    """Register an admitted connection (``out``: the transport's ``Outbound``) and say ``welcome``.
    ``host`` is the client address (per-address limits)."""
    session = Session(services, hub, account, out, lang, host)
    out.session = session  # moderation reaches the session through it
    hub.add_connection(out, await services.social.blocked(account.id))
    services.presence.connect(account.id)
    CONNECTIONS.inc()
    if services.records is not None:  # queued, written in batches (issue 7: IP, port, UA, device, times)
        session.record = services.records.opened(account.id, peer)
    settings = services.settings
    session.emit(Welcome(v=PROTOCOL_VERSION, me=member_of(account), limits=settings.public_limits(), lang=lang))
    return session


def end_session(session: Session) -> None:
    """The connection is gone: leave its rooms (with the presence grace) and unregister it."""
    session.disconnect()
    session.hub.remove_connection(session.out)
    session.s.presence.disconnect(session.account.id)
    CONNECTIONS.dec()
    if session.s.records is not None:
        session.s.records.closed(session.record)  # its end time, queued


async def serve(
    services: Services,
    hub: Hub,
    receive: Receive,
    send: Send_,
    account: Account | None,
    lang: str,
    token: str | None = None,
    host: str | None = None,  # the client address (per-address limits)
    peer: Peer | None = None,  # address, port, user agent, device id: the connection record
) -> None:
    """Run one accepted WebSocket until it ends. ``account`` comes from the cookie (``token``), if any."""
    settings = services.settings

    async def close(code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # the peer may be gone already: nothing to report
            await send({"type": "websocket.close", "code": code, "reason": reason})

    # 1. hello, within the deadline
    try:
        message = await asyncio.wait_for(receive(), settings.ws_hello_timeout)
    except TimeoutError:
        await close(ErrorCode.HELLO_TIMEOUT.close_code or 1008, ErrorCode.HELLO_TIMEOUT.value)
        return
    if message["type"] != "websocket.receive":
        return
    first = message.get("text") or message.get("bytes") or b""
    admitted = await admit(services, hub, first, account, lang)
    if isinstance(admitted, Refusal):
        with contextlib.suppress(Exception):
            for event in admitted.events:
                await send({"type": "websocket.send", "text": event.decode()})
        await close(admitted.code, admitted.reason)
        return
    account, lang = admitted

    # 2. register the connection
    out = AsgiOutbound(send, account.id, settings.ws_send_queue_bytes, settings.ws_close_timeout)
    token = _hello_token(first) or token  # as in admit(): a token in hello takes precedence
    out.token_hash = hash_token(token) if token else None
    out.reader = asyncio.current_task()
    session = await start_session(services, hub, account, lang, out, host, peer)
    writer = asyncio.get_running_loop().create_task(out.run_writer())

    # 3. frames until the peer leaves (after the writer closes the socket, receive says so)
    gate = FrameGate(settings.ws_frame_burst, settings.ws_frames_per_second, settings.ws_max_refused_frames)
    try:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                break
            if out.closed:
                continue
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            refusal = gate.admit(services.clock.monotonic())
            if refusal is not None:
                session.refuse(refusal, frame_ref(data))
                if refusal.code is ErrorCode.FRAME_FLOOD:
                    out.close(1008, refusal.code.value)
                continue
            await session.handle(data)
    except asyncio.CancelledError:
        if not out.abandoned:
            raise
        if out.reader is not None:
            out.reader.uncancel()  # our own stop: the peer took no close frame; end quietly
    finally:
        end_session(session)
        if not writer.done():
            out.close(1000, "bye")
            try:
                await asyncio.wait_for(writer, 1.0)
            except (TimeoutError, asyncio.CancelledError):
                writer.cancel()
