"""Rooms: seeding, the directory, creation, invitations, and who may enter or read a room.

May import: ``causerie.domain``, ``causerie.storage.base``, ``causerie.protocol``, ``causerie.clock``,
``causerie.config``, ``causerie.errors``, ``causerie.ids``.

``access_room`` is the only way services load a room for a user: it applies the age gate, the
invitation list and direct-conversation membership, one condition per line.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path

from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.entities import Account, DmState, Room, RoomCategory, RoomKind, dm_slug
from causerie.domain.text import sanitize_line, skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.protocol.messages import Member, RoomInfo
from causerie.services.presence import PresenceService
from causerie.storage.base import Store

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return _SLUG_CHARS.sub("-", ascii_name).strip("-")[:60] or "salon"


def member_of(account: Account) -> Member:
    return Member(
        id=account.id,
        nick=account.nickname,
        age=account.age,
        gender=account.gender,
        region=account.region,
        registered=account.registered,
    )


class RoomService:
    def __init__(self, store: Store, settings: Settings, clock: Clock, presence: PresenceService) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._presence = presence
        self._by_slug: dict[str, Room] = {}
        self._by_id: dict[RoomId, Room] = {}
        # extra conditions to enter or read a room (moderation: kicks, bans, closed rooms); each raises
        self.entry_checks: list[Callable[[Account, Room], None]] = []

    # -- loading --------------------------------------------------------------------------------

    async def seed(self, path: Path | None = None) -> int:
        """Create the rooms listed in the rooms file that do not exist; update the others."""
        data = tomllib.loads((path or self._settings.rooms_file).read_text(encoding="utf-8"))
        created = 0
        for position, spec in enumerate(data.get("rooms", [])):
            slug = str(spec["slug"])
            category = RoomCategory(spec.get("category", "topic"))
            min_age = int(spec.get("min_age", 18))
            max_age = int(spec["max_age"]) if "max_age" in spec else None
            existing = await self._store.get_room_by_slug(slug)
            if existing is None:
                await self._store.create_room(
                    slug=slug,
                    name=str(spec["name"]),
                    name_skel=skeleton(str(spec["name"])),
                    category=category,
                    kind=RoomKind.PUBLIC,
                    topic=str(spec.get("topic", "")),
                    min_age=min_age,
                    max_age=max_age,
                    owner_id=None,
                    position=position,
                    created_at=self._clock.now(),
                )
                created += 1
            else:
                await self._store.update_room_seed(
                    slug,
                    name=str(spec["name"]),
                    topic=str(spec.get("topic", "")),
                    category=category,
                    min_age=min_age,
                    max_age=max_age,
                    position=position,
                )
        await self.load()
        return created

    async def load(self) -> None:
        for room in await self._store.list_rooms(include_kinds=(RoomKind.PUBLIC, RoomKind.INVITE)):
            self._remember(room)

    def _remember(self, room: Room) -> Room:
        self._by_slug[room.slug] = room
        self._by_id[room.id] = room
        return room

    async def get(self, slug: str) -> Room:
        room = self._by_slug.get(slug)
        if room is None:
            if len(slug) > 96:
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            found = await self._store.get_room_by_slug(slug)
            if found is None:
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            room = self._remember(found)
        return room

    async def by_id(self, room_id: RoomId) -> Room:
        room = self._by_id.get(room_id)
        if room is None:
            found = await self._store.get_room(room_id)
            if found is None:
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            room = self._remember(found)
        return room

    def cached(self, room_id: RoomId) -> Room | None:
        return self._by_id.get(room_id)

    def refresh(self, room: Room) -> None:
        self._remember(room)

    # -- access ---------------------------------------------------------------------------------

    async def access_room(self, account: Account, slug: str) -> Room:
        """Load a room the account may enter and read, or raise the reason it may not."""
        room = await self.get(slug)
        if room.kind is RoomKind.DIRECT:
            if not room.is_dm_participant(account.id):
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)  # do not reveal that it exists
            return room
        room.check_age(account.age)
        if room.kind is RoomKind.INVITE and not await self._store.is_room_member(room.id, account.id):
            raise CauserieError(ErrorCode.ROOM_INVITE_ONLY)
        for check in self.entry_checks:
            check(account, room)
        return room

    # -- views ----------------------------------------------------------------------------------

    def info(self, room: Room) -> RoomInfo:
        return RoomInfo(
            slug=room.slug,
            name=room.name,
            category=room.category.value,
            kind=room.kind.value,
            topic=room.topic,
            min_age=room.min_age,
            max_age=room.max_age,
            members=self._presence.count(room.id),
        )

    def dm_info(self, room: Room, me: AccountId, peer: Account) -> RoomInfo:
        return RoomInfo(
            slug=room.slug,
            name=peer.nickname,
            category=RoomCategory.DIRECT.value,
            kind=RoomKind.DIRECT.value,
            min_age=0,
            peer=member_of(peer),
            state=room.dm_state_for(me).value,
        )

    async def directory(self, account: Account) -> list[RoomInfo]:
        rooms = [r for r in self._by_slug.values() if r.kind is RoomKind.PUBLIC]
        rooms += await self._store.rooms_of_member(account.id)
        return [self.info(r) for r in rooms]

    # -- actions --------------------------------------------------------------------------------

    async def create(
        self, owner: Account, *, name: str, topic: str, kind: RoomKind, min_age: int = 18, max_age: int | None = None
    ) -> Room:
        s = self._settings
        clean_name = sanitize_line(name, max_combining=s.max_combining_marks)
        if not s.room_name_min_chars <= len(clean_name) <= s.room_name_max_chars:
            raise CauserieError(ErrorCode.ROOM_NAME_LENGTH)
        name_skel = skeleton(clean_name)
        if not name_skel:
            raise CauserieError(ErrorCode.ROOM_NAME_CHARS)
        clean_topic = sanitize_line(topic, max_combining=s.max_combining_marks)
        if len(clean_topic) > s.room_topic_max_chars:
            raise CauserieError(ErrorCode.ROOM_TOPIC_LENGTH)
        if kind is RoomKind.DIRECT:
            raise CauserieError(ErrorCode.BAD_REQUEST, "kind must be public or invite")
        if min_age < s.min_age or (max_age is not None and max_age < min_age):
            raise CauserieError(ErrorCode.INVALID_AGE)
        if await self._store.count_rooms_owned(owner.id) >= s.max_rooms_created:
            raise CauserieError(ErrorCode.TOO_MANY_ROOMS_CREATED)
        base = slugify(clean_name)
        slug = base
        for n in range(2, 50):
            if await self._store.get_room_by_slug(slug) is None:
                break
            slug = f"{base}-{n}"
        room = await self._store.create_room(
            slug=slug,
            name=clean_name,
            name_skel=name_skel,
            category=RoomCategory.USER,
            kind=kind,
            topic=clean_topic,
            min_age=min_age,
            max_age=max_age,
            owner_id=owner.id,
            position=10_000,
            created_at=self._clock.now(),
        )
        return self._remember(room)

    async def invite(self, owner: Account, slug: str, invitee: Account) -> None:
        room = await self.get(slug)
        if room.owner_id != owner.id:
            raise CauserieError(ErrorCode.NOT_ROOM_OWNER)
        await self._store.add_room_member(room.id, invitee.id, "member", self._clock.now())

    async def open_dm(self, sender: Account, recipient: Account, *, recipient_state: DmState) -> tuple[Room, bool]:
        room, created = await self._store.get_or_create_dm(
            sender.id,
            recipient.id,
            slug=dm_slug(sender.id, recipient.id),
            state_a=DmState.ACCEPTED,
            state_b=recipient_state,
            now=self._clock.now(),
        )
        return self._remember(room), created
