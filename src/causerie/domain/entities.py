"""Entities and pure rules: accounts, rooms, messages, private-message policy, rate limits.

May import: stdlib, ``causerie.ids``, ``causerie.errors``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from causerie.domain.media import MediaRef
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId


class AccountKind(enum.StrEnum):
    GUEST = "guest"
    REGISTERED = "registered"


class RoomKind(enum.StrEnum):
    PUBLIC = "public"
    INVITE = "invite"
    DIRECT = "direct"


class RoomCategory(enum.StrEnum):
    TOPIC = "topic"
    REGION = "region"
    AGE = "age"
    USER = "user"  # created by a user
    DIRECT = "direct"


class DmState(enum.StrEnum):
    ACCEPTED = "accepted"
    REQUEST = "request"
    IGNORED = "ignored"


class DmPolicyMode(enum.StrEnum):
    EVERYONE = "everyone"
    NOBODY = "nobody"
    FILTERED = "filtered"


@dataclass(frozen=True, slots=True)
class DmPolicy:
    """Who may send me a private message. Friends always pass; blocks always refuse."""

    mode: DmPolicyMode = DmPolicyMode.EVERYONE
    genders: frozenset[str] = frozenset()
    age_min: int | None = None
    age_max: int | None = None

    def admits(self, sender_age: int, sender_gender: str) -> bool:
        if self.mode is DmPolicyMode.EVERYONE:
            return True
        if self.mode is DmPolicyMode.NOBODY:
            return False
        if self.genders and sender_gender not in self.genders:
            return False
        if self.age_min is not None and sender_age < self.age_min:
            return False
        return not (self.age_max is not None and sender_age > self.age_max)


@dataclass(frozen=True, slots=True)
class Account:
    id: AccountId
    kind: AccountKind
    nickname: str
    age: int
    gender: str
    region: str
    created_at: float
    email: str | None = None
    lang: str = "fr"
    dm_policy: DmPolicy = field(default_factory=DmPolicy)

    @property
    def registered(self) -> bool:
        return self.kind is AccountKind.REGISTERED


@dataclass(frozen=True, slots=True)
class Room:
    id: RoomId
    slug: str
    name: str
    category: RoomCategory
    kind: RoomKind
    topic: str = ""
    min_age: int = 18
    max_age: int | None = None
    owner_id: AccountId | None = None
    # direct conversations only: the two accounts (a < b) and each side's state
    dm_a: AccountId | None = None
    dm_b: AccountId | None = None
    dm_state_a: DmState | None = None
    dm_state_b: DmState | None = None

    @property
    def is_direct(self) -> bool:
        return self.kind is RoomKind.DIRECT

    def check_age(self, age: int) -> None:
        """Age gate: a declared age outside the room's range cannot enter."""
        if age < self.min_age or (self.max_age is not None and age > self.max_age):
            raise CauserieError(ErrorCode.ROOM_AGE_GATE)

    def dm_peer(self, me: AccountId) -> AccountId:
        assert self.dm_a is not None and self.dm_b is not None
        return self.dm_b if me == self.dm_a else self.dm_a

    def dm_state_for(self, me: AccountId) -> DmState:
        state = self.dm_state_a if me == self.dm_a else self.dm_state_b
        return state or DmState.ACCEPTED

    def is_dm_participant(self, account: AccountId) -> bool:
        return account in (self.dm_a, self.dm_b)


def dm_slug(a: AccountId, b: AccountId) -> str:
    lo, hi = sorted((int(a), int(b)))
    return f"dm-{lo}-{hi}"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    room_id: RoomId
    seq: int
    author_id: AccountId
    text: str
    created_at: float
    reply_seq: int | None = None


@dataclass(slots=True)
class TokenBucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` per second (monotonic clock).

    ``take(now)`` returns 0.0 when a token was taken, else the seconds to wait for one. Stored in any
    window of length w: at most capacity + rate × w (the property the tests check).
    """

    capacity: float
    rate: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float, cost: float = 1.0) -> float:
        if self.tokens < 0:  # first use: full bucket
            self.tokens = self.capacity
            self.updated = now
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        if self.rate <= 0:
            return float("inf")
        return (cost - self.tokens) / self.rate


@dataclass(frozen=True, slots=True)
class AuthorView:
    """What other users may see of an author."""

    id: AccountId
    nick: str
    age: int
    gender: str
    region: str
    registered: bool = False


@dataclass(frozen=True, slots=True)
class MessageView:
    """A stored message with what is needed to show it (author, replied-to excerpt)."""

    id: int
    room_id: RoomId
    seq: int
    author: AuthorView
    text: str
    created_at: float
    reply_seq: int | None = None
    reply_nick: str | None = None
    reply_text: str | None = None
    state: str = "visible"  # visible | removed | shadow (moderation: domain.moderation.MessageState)
    media: MediaRef | None = None  # a picture (issue 6)


@dataclass(frozen=True, slots=True)
class NewMessage:
    room_id: RoomId
    author_id: AccountId
    client_id: str
    text: str
    created_at: float
    reply_seq: int | None = None
    state: str = "visible"  # "shadow" when the author is shadow-hidden (seen by the author only)
    media: MediaRef | None = None  # a picture (issue 6)


@dataclass(frozen=True, slots=True)
class InsertResult:
    id: int
    room_id: RoomId
    seq: int
    created_at: float
    duplicate: bool = False


def author_view(account: Account) -> AuthorView:
    return AuthorView(
        id=account.id,
        nick=account.nickname,
        age=account.age,
        gender=account.gender,
        region=account.region,
        registered=account.registered,
    )
