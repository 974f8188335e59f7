"""The storage port: everything services may ask of persistence.

May import: stdlib, ``causerie.domain``, ``causerie.ids``, ``causerie.errors``.

``storage.sql.store.SqlStore`` implements it for SQLite and PostgreSQL; the contract suite in
``tests/contract`` runs against both. Every method is one transaction. Failures to reach the database
raise ``CauserieError(SERVICE_UNAVAILABLE)`` (retryable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from causerie.domain.entities import (
    Account,
    AccountKind,
    DmPolicy,
    DmState,
    InsertResult,
    MessageView,
    NewMessage,
    Room,
    RoomCategory,
    RoomKind,
)
from causerie.ids import AccountId, RoomId


class Store(Protocol):
    async def close(self) -> None: ...

    async def create_all(self) -> None:
        """Create the schema directly (tests); production uses the Alembic migrations."""
        ...

    async def ping(self) -> bool: ...

    async def create_account(
        self,
        *,
        kind: AccountKind,
        nickname: str,
        nick_skel: str,
        age: int,
        gender: str,
        region: str,
        lang: str,
        created_at: float,
        expires_at: float | None,
        email: str | None = None,
        password_hash: str | None = None,
    ) -> Account:
        """Insert an account; raises ``nickname_taken`` if a live account holds the skeleton."""
        ...

    async def nickname_holder(self, nick_skel: str, now: float) -> AccountId | None:
        """The live account holding this skeleton, if any (expired guests do not hold)."""
        ...

    async def get_account(self, account_id: AccountId) -> Account | None: ...

    async def get_accounts(self, ids: Iterable[AccountId]) -> dict[AccountId, Account]: ...

    async def find_account_by_skeleton(self, nick_skel: str) -> Account | None: ...

    async def find_login(self, *, email: str | None, nick_skel: str | None) -> tuple[Account, str] | None:
        """A registered account by email or nickname skeleton, with its password hash."""
        ...

    async def register_account(self, account_id: AccountId, *, email: str, password_hash: str) -> None:
        """Turn a guest into a registered account (keeps its nickname)."""
        ...

    async def set_password_hash(self, account_id: AccountId, password_hash: str) -> None: ...

    async def extend_guest(self, account_id: AccountId, expires_at: float) -> None: ...

    async def set_dm_policy(self, account_id: AccountId, policy: DmPolicy) -> None: ...

    async def create_session(
        self, token_hash: str, account_id: AccountId, now: float, expires_at: float, max_sessions: int
    ) -> list[str]:
        """Store a session; end the oldest beyond ``max_sessions``, and return their token hashes."""
        ...

    async def create_guest_session(
        self,
        *,
        nickname: str,
        nick_skel: str,
        age: int,
        gender: str,
        region: str,
        lang: str,
        created_at: float,
        expires_at: float,
        token_hash: str,
        session_expires_at: float,
        record: Mapping[str, Any] | None = None,
    ) -> Account:
        """A guest account and its first session in one transaction; ``nickname_taken`` as ``create_account``.

        ``record``: the entry's connection record (a ``connection_records`` row without its account id),
        written in the same transaction.
        """
        ...

    async def session_account(self, token_hash: str, now: float) -> Account | None: ...

    async def touch_session(self, token_hash: str, expires_at: float) -> None: ...

    async def refresh_session(
        self, token_hash: str, expires_at: float, guest_id: AccountId | None, guest_expires_at: float
    ) -> None:
        """``touch_session`` and, when ``guest_id`` is given, ``extend_guest``, in one transaction."""
        ...

    async def delete_session(self, token_hash: str) -> None: ...

    async def create_room(
        self,
        *,
        slug: str,
        name: str,
        name_skel: str | None,
        category: RoomCategory,
        kind: RoomKind,
        topic: str,
        min_age: int,
        max_age: int | None,
        owner_id: AccountId | None,
        position: int,
        created_at: float,
    ) -> Room: ...

    async def get_room(self, room_id: RoomId) -> Room | None: ...

    async def get_room_by_slug(self, slug: str) -> Room | None: ...

    async def list_rooms(self, *, include_kinds: Sequence[RoomKind]) -> list[Room]: ...

    async def update_room_seed(
        self,
        slug: str,
        *,
        name: str,
        topic: str,
        category: RoomCategory,
        min_age: int,
        max_age: int | None,
        position: int,
    ) -> None: ...

    async def count_rooms_owned(self, owner_id: AccountId) -> int: ...

    async def add_room_member(self, room_id: RoomId, account_id: AccountId, role: str, now: float) -> None: ...

    async def is_room_member(self, room_id: RoomId, account_id: AccountId) -> bool: ...

    async def rooms_of_member(self, account_id: AccountId) -> list[Room]: ...

    async def last_seqs(self, room_ids: Iterable[RoomId]) -> dict[RoomId, int]: ...

    async def get_or_create_dm(
        self, a: AccountId, b: AccountId, *, slug: str, state_a: DmState, state_b: DmState, now: float
    ) -> tuple[Room, bool]:
        """The direct conversation of a and b (a < b), created with the given states if new."""
        ...

    async def set_dm_state(self, room_id: RoomId, account_id: AccountId, state: DmState) -> Room: ...

    async def list_dms(self, account_id: AccountId) -> list[tuple[Room, int]]:
        """Direct conversations of an account with their last sequence number."""
        ...

    async def insert_messages(self, batch: Sequence[NewMessage]) -> list[InsertResult]:
        """Store a batch in ONE transaction (group commit); returns one result per input, in order."""
        ...

    async def messages_before(
        self,
        room_id: RoomId,
        before: int | None,
        limit: int,
        exclude_authors: Iterable[AccountId] = (),
        viewer: AccountId | None = None,
    ) -> tuple[list[MessageView], bool]:
        """A page of history, oldest first, and whether older messages exist.

        Removed messages are left out; shadow-hidden ones too, except the ``viewer``'s own.
        """
        ...

    async def messages_between(
        self,
        room_id: RoomId,
        after: int,
        upto: int,
        limit: int,
        exclude_authors: Iterable[AccountId] = (),
        viewer: AccountId | None = None,
        all_states: bool = False,
    ) -> tuple[list[MessageView], bool]:
        """Messages with ``after < seq <= upto`` in order, at most ``limit``; ``more`` if cut.

        Visibility as in ``messages_before``, unless ``all_states`` (every sequence number, for the hub).
        """
        ...

    async def message_by_seq(self, room_id: RoomId, seq: int) -> MessageView | None: ...

    async def messages_by_ids(self, ids: Sequence[int]) -> list[MessageView]: ...

    async def add_block(self, blocker: AccountId, blocked: AccountId, now: float, limit: int) -> None: ...

    async def remove_block(self, blocker: AccountId, blocked: AccountId) -> None: ...

    async def blocked_by(self, blocker: AccountId) -> set[AccountId]:
        """Accounts this account blocks."""
        ...

    async def is_blocked_either_way(self, a: AccountId, b: AccountId) -> bool: ...

    async def friend_request(self, requester: AccountId, target: AccountId, now: float, limit: int) -> bool:
        """Request friendship, or accept the target's pending request. Returns True when now friends."""
        ...

    async def remove_friend(self, a: AccountId, b: AccountId) -> None: ...

    async def friendships(self, account_id: AccountId) -> list[tuple[AccountId, AccountId, bool]]:
        """(requester, target, accepted) rows that involve this account."""
        ...

    async def are_friends(self, a: AccountId, b: AccountId) -> bool: ...
