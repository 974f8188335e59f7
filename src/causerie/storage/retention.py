"""The records port: legal holds, the retention purge and connection records (issue 7, part A).

May import: stdlib, ``causerie.domain``, ``causerie.ids``.

Adapter: ``storage.sql.retention_store.SqlRetentionStore`` (same database and writer as ``SqlStore``).
Every purge method deletes at most one batch in one transaction and returns what it deleted: a purge
killed between two batches has lost nothing and left nothing half-done, and running it again goes on
where it stopped. Files are never deleted in the transaction: their names go to a tombstone list in
the same transaction as the rows, and the service removes the files afterwards.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from causerie.domain.audit import AuditDraft


class HoldKind(enum.StrEnum):
    ACCOUNT = "account"
    ROOM = "room"
    CASE = "case"
    QUARANTINE = "quarantine"  # a quarantined upload (placed by a hash match)


class DataKind(enum.StrEnum):
    """The kinds of data the purge deletes, in the order it deletes them (docs/privacy.md)."""

    ROOM_MESSAGES = "room_messages"
    DIRECT_MESSAGES = "direct_messages"
    PICTURES = "pictures"
    QUARANTINE = "quarantine"
    CASES = "cases"
    MODERATION = "moderation"
    AUDIT = "audit"
    CONNECTION_RECORDS = "connection_records"
    CLOSED_ACCOUNTS = "closed_accounts"


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    kind: HoldKind
    target_id: str
    reason: str
    source: str
    created_at: float
    expires_at: float | None = None
    created_by: int | None = None
    released_at: float | None = None
    released_by: int | None = None

    def active(self, now: float) -> bool:
        return self.released_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class Held:
    """What is under an active legal hold at one moment (the purge reads it once per run)."""

    accounts: frozenset[int] = frozenset()
    rooms: frozenset[int] = frozenset()
    cases: frozenset[int] = frozenset()
    quarantine: frozenset[str] = frozenset()

    def holds_target(self, target: str) -> bool:
        """Whether an audit entry's target ("account:12", "room:3", "case:7") is held."""
        kind, _, ident = target.partition(":")
        if not (ident.isascii() and ident.isdigit()):
            return False
        value = int(ident)
        return (
            (kind == "account" and value in self.accounts)
            or (kind == "room" and value in self.rooms)
            or (kind == "case" and value in self.cases)
        )


@dataclass(frozen=True, slots=True)
class Tombstone:
    id: int
    kind: str  # blob | quarantine
    ref: str


@dataclass(slots=True)
class Batch:
    deleted: int = 0
    files: list[Tombstone] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ConnectionOpened:
    """A WebSocket connection to record (written in batches by ``services.records``)."""

    key: int  # the recorder's own number for it, to match the close
    account_id: int
    ip: str | None
    port: int | None
    user_agent: str | None
    device_id: str | None
    started_at: float
    ended_at: float | None = None  # known already when it closed before its row was written


class RetentionStore(Protocol):
    # -- legal holds ----------------------------------------------------------------------------

    async def add_hold(
        self,
        kind: HoldKind,
        target_id: str,
        *,
        reason: str,
        source: str,
        now: float,
        expires_at: float | None,
        created_by: int | None,
        audit: AuditDraft,
    ) -> tuple[Hold, bool]:
        """Place a hold and its audit entry in one transaction; (the active hold, whether it is new).

        An active hold on the same target from the same source is reused (automatic triggers run
        more than once)."""
        ...

    async def release_hold(self, hold_id: int, by: int | None, now: float, audit: AuditDraft) -> Hold | None:
        """Release an active hold (audited); None when there is no such active hold."""
        ...

    async def get_hold(self, hold_id: int) -> Hold | None: ...

    async def list_holds(self, *, active_only: bool, now: float, limit: int) -> list[Hold]: ...

    async def held(self, now: float) -> Held: ...

    # -- purge ----------------------------------------------------------------------------------

    async def purge(self, kind: DataKind, cutoff: float, now: float, held: Held, limit: int) -> Batch:
        """Delete at most ``limit`` expired rows of one kind (older than ``cutoff``), nothing held."""
        ...

    async def tombstones(self, after_id: int, limit: int) -> list[Tombstone]: ...

    async def blob_referenced(self, sha256: str) -> bool:
        """Whether a picture row (any state) still uses this file."""
        ...

    async def drop_tombstones(self, ids: Sequence[int]) -> None: ...

    async def start_run(self, now: float) -> int: ...

    async def finish_run(self, run_id: int, now: float, deleted: dict[str, int], audit: AuditDraft | None) -> None:
        """Close a run; its audit entry (when something was deleted) in the same transaction."""
        ...

    # -- connection records ---------------------------------------------------------------------

    async def write_connections(
        self, opened: Sequence[ConnectionOpened], ended: Sequence[tuple[int, float]]
    ) -> dict[int, int]:
        """One transaction: insert the opened connections, set ``ended_at`` of rows ``(row id, time)``;
        the row id given to each opened key."""
        ...
