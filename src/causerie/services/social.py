"""Blocks, friends, "who may message me", and the state of private conversations.

May import: ``causerie.domain``, ``causerie.storage.base``, ``causerie.broker.base``, ``causerie.protocol``,
``causerie.clock``, ``causerie.config``, ``causerie.errors``, ``causerie.ids``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from causerie.broker.base import Broker
from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.entities import Account, DmPolicy, DmState, Room
from causerie.domain.text import skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId
from causerie.protocol.codec import encode_event
from causerie.protocol.messages import DmState as DmStateEvent
from causerie.protocol.messages import FriendEvent, Member, RoomInfo
from causerie.services.presence import PresenceService
from causerie.services.rooms import RoomService, member_of
from causerie.storage.base import Store

BlocksListener = Callable[[AccountId, set[AccountId]], None]


class SocialService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        broker: Broker,
        rooms: RoomService,
        presence: PresenceService,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._broker = broker
        self._rooms = rooms
        self._presence = presence
        self._blocks_listeners: list[BlocksListener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        presence.on_online_change(self._announce_online)

    def on_blocks_changed(self, listener: BlocksListener) -> None:
        self._blocks_listeners.append(listener)

    async def find_user(self, nickname: str) -> Account:
        if not nickname or len(nickname) > 64:
            raise CauserieError(ErrorCode.USER_NOT_FOUND)
        holder = await self._store.nickname_holder(skeleton(nickname), self._clock.now())
        account = await self._store.get_account(holder) if holder is not None else None
        if account is None:
            raise CauserieError(ErrorCode.USER_NOT_FOUND)
        return account

    # -- blocks ---------------------------------------------------------------------------------

    async def block(self, me: Account, nickname: str) -> None:
        target = await self.find_user(nickname)
        if target.id == me.id:
            raise CauserieError(ErrorCode.DM_SELF)
        await self._store.add_block(me.id, target.id, self._clock.now(), self._settings.max_blocks)
        await self._blocks_changed(me.id)

    async def unblock(self, me: Account, nickname: str) -> None:
        target = await self.find_user(nickname)
        await self._store.remove_block(me.id, target.id)
        await self._blocks_changed(me.id)

    async def blocked(self, me: AccountId) -> set[AccountId]:
        return await self._store.blocked_by(me)

    async def blocked_members(self, me: AccountId) -> list[Member]:
        accounts = await self._store.get_accounts(await self._store.blocked_by(me))
        return [member_of(a) for a in accounts.values()]

    async def _blocks_changed(self, me: AccountId) -> None:
        blocked = await self._store.blocked_by(me)
        for listener in self._blocks_listeners:
            listener(me, blocked)

    # -- friends --------------------------------------------------------------------------------

    async def befriend(self, me: Account, nickname: str) -> bool:
        target = await self.find_user(nickname)
        if target.id == me.id:
            raise CauserieError(ErrorCode.DM_SELF)
        if await self._store.is_blocked_either_way(me.id, target.id):
            raise CauserieError(ErrorCode.BLOCKED)
        now_friends = await self._store.friend_request(me.id, target.id, self._clock.now(), self._settings.max_friends)
        event = FriendEvent(action="accepted" if now_friends else "request", member=member_of(me))
        self._broker.publish_accounts([target.id], me.id, encode_event(event))
        if now_friends:
            self._broker.publish_accounts(
                [me.id], target.id, encode_event(FriendEvent(action="accepted", member=member_of(target)))
            )
        return now_friends

    async def unfriend(self, me: Account, nickname: str) -> None:
        target = await self.find_user(nickname)
        await self._store.remove_friend(me.id, target.id)
        self._broker.publish_accounts(
            [target.id], me.id, encode_event(FriendEvent(action="removed", member=member_of(me)))
        )

    async def friends(self, me: AccountId) -> tuple[list[tuple[Member, bool]], list[Member], list[Member]]:
        """(friends with online flag, incoming requests, outgoing requests)."""
        rows = await self._store.friendships(me)
        others = {r if r != me else t for r, t, _ in rows}
        accounts = await self._store.get_accounts(others)
        friends: list[tuple[Member, bool]] = []
        incoming: list[Member] = []
        outgoing: list[Member] = []
        for requester, target, accepted in rows:
            other = target if requester == me else requester
            account = accounts.get(other)
            if account is None:
                continue
            if accepted:
                friends.append((member_of(account), self._presence.is_online(other)))
            elif requester == me:
                outgoing.append(member_of(account))
            else:
                incoming.append(member_of(account))
        return friends, incoming, outgoing

    def _announce_online(self, account: AccountId, online: bool) -> None:
        """Tell an account's friends when it comes online or goes offline (best effort)."""

        async def announce() -> None:
            try:
                me = await self._store.get_account(account)
                if me is None:
                    return
                rows = await self._store.friendships(account)
                targets = [t if r == account else r for r, t, ok in rows if ok]
                if targets:
                    event = FriendEvent(action="online" if online else "offline", member=member_of(me))
                    self._broker.publish_accounts(targets, account, encode_event(event))
            except CauserieError:
                pass

        task = asyncio.get_running_loop().create_task(announce())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- privacy --------------------------------------------------------------------------------

    async def set_dm_policy(self, me: Account, policy: DmPolicy) -> None:
        await self._store.set_dm_policy(me.id, policy)

    async def check_dm(self, sender: Account, recipient: Account, room: Room | None) -> DmState:
        """May ``sender`` message ``recipient``? Returns the state the conversation has for the recipient.

        Blocks always refuse. A conversation the recipient accepted, or a friendship, always passes.
        Otherwise the recipient's "who may message me" policy decides, and the conversation is a
        message request until accepted.
        """
        if sender.id == recipient.id:
            raise CauserieError(ErrorCode.DM_SELF)
        if await self._store.is_blocked_either_way(sender.id, recipient.id):
            raise CauserieError(ErrorCode.BLOCKED)
        if room is not None:
            state = room.dm_state_for(recipient.id)
            if state is DmState.ACCEPTED:
                return state
        else:
            state = DmState.REQUEST
        if await self._store.are_friends(sender.id, recipient.id):
            return DmState.ACCEPTED
        if not recipient.dm_policy.admits(sender.age, sender.gender):
            raise CauserieError(ErrorCode.DM_REFUSED)
        return state

    async def set_dm_state(self, me: Account, slug: str, state: DmState) -> RoomInfo:
        room = await self._rooms.access_room(me, slug)
        if not room.is_direct:
            raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
        room = await self._store.set_dm_state(room.id, me.id, state)
        self._rooms.refresh(room)
        peer = await self._store.get_account(room.dm_peer(me.id))
        assert peer is not None
        info = self._rooms.dm_info(room, me.id, peer)
        self._broker.publish_accounts([me.id], me.id, encode_event(DmStateEvent(room=info)))
        return info

    async def conversations(self, me: Account) -> list[tuple[RoomInfo, int]]:
        """Direct conversations (not ignored ones), newest first, with their last sequence number."""
        rows = await self._store.list_dms(me.id)
        peers = await self._store.get_accounts(room.dm_peer(me.id) for room, _ in rows)
        blocked = await self._store.blocked_by(me.id)
        out: list[tuple[RoomInfo, int]] = []
        for room, last_seq in rows:
            self._rooms.refresh(room)
            peer_id = room.dm_peer(me.id)
            peer = peers.get(peer_id)
            if peer is None or peer_id in blocked or room.dm_state_for(me.id) is DmState.IGNORED:
                continue
            out.append((self._rooms.dm_info(room, me.id, peer), last_seq))
        return out
