"""Sending messages (rooms and private), group commit, history and resume.

May import: ``causerie.domain``, ``causerie.safety``, ``causerie.storage.base``, ``causerie.broker.base``,
``causerie.protocol``, ``causerie.clock``, ``causerie.config``, ``causerie.errors``, ``causerie.ids``.

The hot path, in order:
1. ``check_send`` — text rules, target, permissions, rate limit, then the pluggable pre-send chain
   (later: rules engine, media verdicts). Microseconds; a refusal raises ``CauserieError``.
2. The message joins the group committer's queue. One writer task stores everything queued since
   its last transaction in ONE transaction (``Store.insert_messages``): concurrent sends share the
   fsync, so durability does not cost throughput.
3. After the commit, still in the writer task and in sequence order, each new message is encoded
   once and published to the broker; then the sender's future resolves and the ``ack`` goes out.
   An ack therefore always follows the commit.
4. Post-send hooks (risk analysers) run off the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from causerie.broker.base import Broker, RateLimiter
from causerie.clock import Clock, ms
from causerie.config import Settings
from causerie.domain.entities import (
    Account,
    DmState,
    InsertResult,
    MessageView,
    NewMessage,
    Room,
    dm_slug,
)
from causerie.domain.media import MediaRef
from causerie.domain.text import find_mentions, sanitize_message, skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import Ack, DmRequest, MediaInfo, Member, Mention, Message, ReplyRef
from causerie.services.flood import FloodControl
from causerie.services.presence import PresenceService
from causerie.services.rooms import RoomService, member_of
from causerie.services.social import SocialService
from causerie.storage.base import Store

log = logging.getLogger(__name__)

MAX_CLIENT_ID = 64
REPLY_EXCERPT_CHARS = 120


@dataclass(slots=True)
class SendContext:
    """Everything the pre-send checks and post-send hooks may look at."""

    account: Account
    room: Room
    text: str
    recipient: Account | None = None  # private messages
    mentions: list[Member] = field(default_factory=list)
    hidden: bool = False  # set by the moderation check: the author is shadow-hidden (only they see it)
    held: bool = False  # set by the safety check: held for review (only the author sees it until restored)
    verdict: object | None = None  # the safety engine's pre-send verdict, for the post-send analysers
    media: MediaRef | None = None  # a picture (services.media checked it)


PreSendCheck = Callable[[SendContext], None]
DmCheck = Callable[[Account, Account, DmState], None]  # sender, recipient, the recipient's state
MediaResolver = Callable[[SendContext, str], Awaitable[MediaRef]]
PostSendHook = Callable[[SendContext, InsertResult], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class _Pending:
    new: NewMessage
    ctx: SendContext
    reply: ReplyRef | None
    future: asyncio.Future[InsertResult]


AFTER_SEND_SLICE = 0.002  # seconds of post-send analysis between two turns of the event loop


class PendingAck:
    """A queued message's ack. Await it, or (the WebSocket path) add a callback to ``future`` and
    build the ack with ``MessageService.ack_now``: no task per message."""

    __slots__ = ("client_id", "future", "messages", "room")

    def __init__(
        self, messages: MessageService, future: asyncio.Future[InsertResult], room: Room, client_id: str
    ) -> None:
        self.messages = messages
        self.future = future
        self.room = room
        self.client_id = client_id

    def __await__(self) -> Generator[Any, None, Ack]:
        return self.messages._ack(self.future, self.room, self.client_id).__await__()


class MessageService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        broker: Broker,
        rooms: RoomService,
        social: SocialService,
        presence: PresenceService,
        limiter: RateLimiter,
    ) -> None:
        self._limiter = limiter
        self._store = store
        self._settings = settings
        self._clock = clock
        self._broker = broker
        self._rooms = rooms
        self._social = social
        self._presence = presence
        self.pre_send: list[PreSendCheck] = []
        self.media_resolver: MediaResolver | None = None  # services.media.MediaService.attach
        # a room's display window in seconds (0: everything): older messages are kept for the law but no
        # longer shown to users (issue 7; the room setting ``display_window_hours``)
        self.display_window: Callable[[RoomId], float] = lambda _room: 0.0
        self.flood: FloodControl | None = None  # per-address and new-people buckets, repeats (issue 5)
        self.dm_checks: list[DmCheck] = []  # before a private conversation is opened (privileges)
        self.post_send: list[PostSendHook] = []
        self._queue: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.stored = 0
        self.batches = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="group-commit")

    async def stop(self) -> None:
        """Finish what is queued, then stop the writer."""
        if self._writer is None:
            return
        for _ in range(500):  # at most 5 s
            if not self._queue:
                break
            await asyncio.sleep(0.01)
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        self._writer = None
        if self._background:  # the post-send hooks of the last batches (they may still read the database)
            await asyncio.wait(set(self._background), timeout=5)

    # -- checks ---------------------------------------------------------------------------------

    def clean_text(self, text: str, allow_empty: bool = False) -> str:
        cleaned = sanitize_message(text, max_combining=self._settings.max_combining_marks)
        if not cleaned and not allow_empty:
            raise CauserieError(ErrorCode.MESSAGE_EMPTY)
        if len(cleaned) > self._settings.max_message_chars:
            raise CauserieError(
                ErrorCode.MESSAGE_TOO_LONG, data={"max": self._settings.max_message_chars, "length": len(cleaned)}
            )
        return cleaned

    async def check_rate(self, account: AccountId) -> None:
        """The per-user message bucket (shared by every node when Redis is configured)."""
        wait = await self._limiter.take(
            f"msg:{account}", self._settings.rate_message_burst, self._settings.rate_message_per_second
        )
        if wait > 0:
            raise CauserieError(ErrorCode.RATE_LIMITED, retry_after=round(wait, 2))

    @staticmethod
    def check_client_id(client_id: str) -> None:
        if not 1 <= len(client_id) <= MAX_CLIENT_ID:
            raise CauserieError(ErrorCode.BAD_FRAME, "client_id must have 1 to 64 characters")

    # -- sending --------------------------------------------------------------------------------

    async def send_to_room(
        self,
        account: Account,
        room: Room,
        text: str,
        client_id: str,
        reply_to: int | None,
        *,
        joined: bool,
        media: str | None = None,
        host: str | None = None,
    ) -> Ack:
        """Send and wait for the commit: ``submit_to_room`` then await its ack."""
        return await (
            await self.submit_to_room(account, room, text, client_id, reply_to, joined=joined, media=media, host=host)
        )

    async def send_direct(
        self,
        account: Account,
        recipient: Account,
        text: str,
        client_id: str,
        reply_to: int | None,
        media: str | None = None,
        host: str | None = None,
    ) -> Ack:
        return await (await self.submit_direct(account, recipient, text, client_id, reply_to, media=media, host=host))

    async def submit_to_room(
        self,
        account: Account,
        room: Room,
        text: str,
        client_id: str,
        reply_to: int | None,
        *,
        joined: bool,
        media: str | None = None,
        host: str | None = None,
    ) -> PendingAck:
        """Check a message for a room (or a direct conversation by slug) and queue it for commit.

        Returns once the message is queued, in the order of calls, with an awaitable of its ack: a
        connection can have several messages in flight and their sequence numbers keep its order.
        """
        self.check_client_id(client_id)
        if room.is_direct:
            if not room.is_dm_participant(account.id):
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            peer = await self._store.get_account(room.dm_peer(account.id))
            if peer is None:
                raise CauserieError(ErrorCode.USER_NOT_FOUND)
            return await self.submit_direct(account, peer, text, client_id, reply_to, media=media, host=host)
        if not joined:
            raise CauserieError(ErrorCode.NOT_IN_ROOM)
        cleaned = self.clean_text(text, allow_empty=media is not None)
        await self.check_rate(account.id)
        if self.flood is not None:
            await self.flood.message(account.id, host, cleaned, new_dm=False)
        ctx = SendContext(account=account, room=room, text=cleaned, mentions=self._mentions(room, cleaned))
        reply = await self._reply(room, reply_to)
        await self._attach(ctx, media)
        for check in self.pre_send:
            check(ctx)
        return self._commit(ctx, client_id, reply)

    async def submit_direct(
        self,
        account: Account,
        recipient: Account,
        text: str,
        client_id: str,
        reply_to: int | None,
        media: str | None = None,
        host: str | None = None,
    ) -> PendingAck:
        self.check_client_id(client_id)
        cleaned = self.clean_text(text, allow_empty=media is not None)
        existing = await self._store.get_room_by_slug(dm_slug(account.id, recipient.id))
        state = await self._social.check_dm(account, recipient, existing)
        for dm_check in self.dm_checks:  # before anything is stored: no empty request is left behind
            dm_check(account, recipient, state)
        await self.check_rate(account.id)
        if self.flood is not None:  # a conversation with someone never exchanged with: "new people"
            await self.flood.message(account.id, host, cleaned, new_dm=existing is None)
        room, created = await self._rooms.open_dm(account, recipient, recipient_state=state)
        if not created and state is DmState.ACCEPTED and room.dm_state_for(recipient.id) is not DmState.ACCEPTED:
            room = await self._store.set_dm_state(room.id, recipient.id, DmState.ACCEPTED)  # became friends
            self._rooms.refresh(room)
        if room.dm_state_for(account.id) is not DmState.ACCEPTED:  # writing back accepts the conversation
            room = await self._store.set_dm_state(room.id, account.id, DmState.ACCEPTED)
            self._rooms.refresh(room)
        ctx = SendContext(account=account, room=room, text=cleaned, recipient=recipient)
        reply = await self._reply(room, reply_to)
        await self._attach(ctx, media)
        for check in self.pre_send:
            check(ctx)
        if created and room.dm_state_for(recipient.id) is DmState.REQUEST and not ctx.hidden:
            info = self._rooms.dm_info(room, recipient.id, account)
            self._broker.publish_accounts([recipient.id], account.id, encode_event(DmRequest(room=info)))
        return self._commit(ctx, client_id, reply)

    async def _attach(self, ctx: SendContext, media: str | None) -> None:
        """A picture: checked and resolved by the media service (docs/protocol.md, "Pictures")."""
        if media is None:
            return
        if self.media_resolver is None:
            raise CauserieError(ErrorCode.PICTURES_DISABLED)
        ctx.media = await self.media_resolver(ctx, media)

    def media_info(self, media: MediaRef | None, room: Room, recipient: AccountId | None) -> MediaInfo | None:
        """A picture as sent to clients. In a private conversation the recipient has not accepted it
        is ``blurred`` (the recipient's client blurs it until they choose to see it)."""
        if media is None:
            return None
        base = f"{self._settings.media_public_url.rstrip('/')}/media/{media.id}"
        blurred = room.is_direct and recipient is not None and room.dm_state_for(recipient) is not DmState.ACCEPTED
        return MediaInfo(
            id=media.id, width=media.width, height=media.height, url=base, thumb=f"{base}/thumb", blurred=blurred
        )

    def _mentions(self, room: Room, text: str) -> list[Member]:
        if "@" not in text:
            return []
        wanted = {skeleton(n) for n in find_mentions(text)}
        return [m for m in self._presence.members(room.id) if skeleton(m.nick) in wanted]

    async def _reply(self, room: Room, reply_to: int | None) -> ReplyRef | None:
        if reply_to is None:
            return None
        original = await self._store.message_by_seq(room.id, reply_to)
        if original is None or original.state != "visible":
            raise CauserieError(ErrorCode.REPLY_NOT_FOUND)
        return ReplyRef(seq=original.seq, nick=original.author.nick, excerpt=original.text[:REPLY_EXCERPT_CHARS])

    def _commit(self, ctx: SendContext, client_id: str, reply: ReplyRef | None) -> PendingAck:
        if self._writer is None:
            raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
        loop = asyncio.get_running_loop()
        pending = _Pending(
            new=NewMessage(
                room_id=ctx.room.id,
                author_id=ctx.account.id,
                client_id=client_id,
                text=ctx.text,
                created_at=self._clock.now(),
                reply_seq=reply.seq if reply else None,
                state="held" if ctx.held else ("shadow" if ctx.hidden else "visible"),
                media=ctx.media,
            ),
            ctx=ctx,
            reply=reply,
            future=loop.create_future(),
        )
        self._queue.append(pending)
        self._wakeup.set()
        return PendingAck(self, pending.future, ctx.room, client_id)

    @staticmethod
    def ack_now(result: InsertResult, pending: PendingAck) -> Ack | None:
        """The ack of a committed message, or None when it needs the async path (``await pending``):
        a client_id first used in another room repeats that room's ack."""
        if result.room_id != pending.room.id:
            return None
        return Ack(
            ref=pending.client_id,
            room=pending.room.slug,
            seq=result.seq,
            id=result.id,
            ts=ms(result.created_at),
            duplicate=result.duplicate,
        )

    async def _ack(self, future: asyncio.Future[InsertResult], room: Room, client_id: str) -> Ack:
        result = await future
        slug = room.slug
        if result.room_id != room.id:  # a client_id first used in another room: repeat the original ack
            slug = (await self._rooms.by_id(result.room_id)).slug
        return Ack(
            ref=client_id,
            room=slug,
            seq=result.seq,
            id=result.id,
            ts=ms(result.created_at),
            duplicate=result.duplicate,
        )

    async def _write_loop(self) -> None:
        limit = self._settings.group_commit_max_batch
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch, self._queue = self._queue[:limit], self._queue[limit:]
            try:
                results = await self._store.insert_messages([p.new for p in batch])
            except CauserieError as exc:
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            except Exception as exc:  # never let the writer die: fail this batch, keep going
                log.exception("group commit failed")
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(CauserieError(ErrorCode.SERVICE_UNAVAILABLE))
                del exc
                continue
            self.batches += 1
            published: list[tuple[SendContext, InsertResult]] = []
            for p, result in zip(batch, results, strict=True):
                if not result.duplicate:
                    self.stored += 1
                    self._publish(p, result)
                    published.append((p.ctx, result))
                if not p.future.done():
                    p.future.set_result(result)
            if published and self.post_send:
                # one task per batch, not one per message and hook: the hooks are off the hot path
                task = asyncio.get_running_loop().create_task(self._after_send(published))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def _after_send(self, published: list[tuple[SendContext, InsertResult]]) -> None:
        # The hooks rarely wait for anything: without a pause, a batch of 500 messages would hold
        # the event loop for its whole analysis (tens of ms) and every delivery would wait.
        clock = time.perf_counter
        since = clock()
        for ctx, result in published:
            for hook in self.post_send:
                try:
                    await hook(ctx, result)
                except Exception:  # one failing hook must not stop the others
                    log.exception("post-send hook failed")
            if clock() - since > AFTER_SEND_SLICE:
                await asyncio.sleep(0)  # let the loop deliver and read between slices
                since = clock()

    def _publish(self, p: _Pending, result: InsertResult) -> None:
        ctx = p.ctx
        event = Message(
            room=ctx.room.slug,
            seq=result.seq,
            id=result.id,
            ts=ms(result.created_at),
            author=member_of(ctx.account),
            text=ctx.text,
            reply=p.reply,
            mentions=[m.nick for m in ctx.mentions],
            to=ctx.recipient.nickname if ctx.recipient is not None else None,
            media=self.media_info(ctx.media, ctx.room, ctx.recipient.id if ctx.recipient is not None else None),
        )
        payload = encode_event(event)
        author = ctx.account.id
        if ctx.hidden:
            # shadow-hidden author: only they get it; the room's sequence advances with an empty payload
            if ctx.recipient is None:
                self._broker.publish_room(ctx.room.id, result.seq, author, b"")
            self._broker.publish_accounts([author], author, payload)
        elif ctx.recipient is not None:
            targets = [author]
            if ctx.room.dm_state_for(ctx.recipient.id) is not DmState.IGNORED:
                targets.append(ctx.recipient.id)
            self._broker.publish_accounts(targets, author, payload)
        else:
            self._presence.flush(ctx.room.id)  # a join waiting for its batch goes first
            self._broker.publish_room(ctx.room.id, result.seq, author, payload)
            for member in ctx.mentions:
                if member.id != author:
                    mention = Mention(room=ctx.room.slug, seq=result.seq, id=result.id, by=ctx.account.nickname)
                    self._broker.publish_accounts([AccountId(member.id)], author, encode_event(mention))

    # -- reading --------------------------------------------------------------------------------

    def render(self, view: MessageView, room: Room, to: str | None = None) -> Message:
        reply = None
        if view.reply_seq is not None and view.reply_nick is not None:
            reply = ReplyRef(
                seq=view.reply_seq, nick=view.reply_nick, excerpt=(view.reply_text or "")[:REPLY_EXCERPT_CHARS]
            )
        return Message(
            room=room.slug,
            seq=view.seq,
            id=view.id,
            ts=ms(view.created_at),
            author=Member(
                id=view.author.id,
                nick=view.author.nick,
                age=view.author.age,
                gender=view.author.gender,
                region=view.author.region,
                registered=view.author.registered,
            ),
            text=view.text,
            reply=reply,
            to=to,
            media=self.media_info(view.media, room, room.dm_peer(view.author.id) if room.is_direct else None),
        )

    async def _dm_to(self, room: Room, views: Sequence[MessageView]) -> dict[AccountId, str]:
        if not room.is_direct:
            return {}
        assert room.dm_a is not None and room.dm_b is not None
        accounts = await self._store.get_accounts([room.dm_a, room.dm_b])
        # a message's recipient is the participant who is not its author
        return {
            room.dm_a: accounts[room.dm_b].nickname if room.dm_b in accounts else "",
            room.dm_b: accounts[room.dm_a].nickname if room.dm_a in accounts else "",
        }

    async def history(
        self, room: Room, before: int | None, limit: int, blocked: set[AccountId], viewer: AccountId | None = None
    ) -> tuple[list[Message], bool]:
        limit = max(1, min(limit, self._settings.history_page_max))
        views, more = await self._store.messages_before(room.id, before, limit, blocked, viewer)
        views, more = self._windowed(room, views, more)
        to = await self._dm_to(room, views)
        return [self.render(v, room, to.get(v.author.id)) for v in views], more

    def _windowed(self, room: Room, views: list[MessageView], more: bool) -> tuple[list[MessageView], bool]:
        """Only what the room's display window shows (oldest first: the hidden ones are a prefix)."""
        window = self.display_window(room.id)
        if window <= 0:
            return views, more
        oldest = self._clock.now() - window
        shown = [v for v in views if v.created_at >= oldest]
        return shown, more and len(shown) == len(views)

    async def replay(
        self, room: Room, since: int, upto: int, blocked: set[AccountId], viewer: AccountId | None = None
    ) -> tuple[list[Message], bool]:
        # the NEWEST messages after ``since``: when there are more than resume_max_messages, the
        # client shows the latest and pages back with ``history`` (``more`` says so)
        views, older = await self._store.messages_before(
            room.id, upto + 1, self._settings.resume_max_messages, blocked, viewer
        )
        views = [v for v in views if v.seq > since]
        more = older and bool(views) and views[0].seq > since + 1
        views, more = self._windowed(room, views, more)
        to = await self._dm_to(room, views)
        return [self.render(v, room, to.get(v.author.id)) for v in views], more

    async def fill_gap(self, room_id: RoomId, after: int, upto: int) -> list[tuple[int, AccountId, bytes]]:
        """For the hub: messages a node missed on the broker, encoded, from the database."""
        room = await self._rooms.by_id(room_id)
        out: list[tuple[int, AccountId, bytes]] = []
        cursor = after
        while cursor < upto:
            views, more = await self._store.messages_between(room_id, cursor, upto, 1000, all_states=True)
            if not views:
                break
            for v in views:
                # removed or shadow-hidden: the sequence number alone (an empty payload is not delivered)
                payload = encode_event(self.render(v, room)) if v.state == "visible" else b""
                out.append((v.seq, v.author.id, payload))
            cursor = views[-1].seq
            if not more:
                break
        return out
