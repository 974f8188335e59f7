"""The media storage ports: picture files (``MediaStore``), the encrypted quarantine
(``QuarantineStore``) and the media tables (``MediaRecords``).

May import: stdlib, ``causerie.domain``, ``causerie.ids``, ``causerie.errors``.

Adapters: ``storage.blobs.FileMediaStore`` (content-addressed files on disk),
``storage.blobs.QuarantineVault`` (AES-256-GCM files in a separate folder) and
``storage.sql.media_store.SqlMediaRecords`` (same database and writer as ``SqlStore``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from causerie.domain.media import (
    BankHit,
    HashBank,
    HashKind,
    ImageHashes,
    MatchRecord,
    MediaRecord,
    MediaState,
    QuarantineRecord,
    RestrictionKind,
    UploadMeta,
)
from causerie.ids import AccountId


class MediaStore(Protocol):
    """Picture files, content-addressed by the SHA-256 of their bytes."""

    async def put(self, sha256: str, data: bytes) -> None:
        """Store (a no-op when this content is already there). Durable when it returns."""
        ...

    async def get(self, sha256: str) -> bytes | None: ...

    async def delete(self, sha256: str) -> None: ...

    async def exists(self, sha256: str) -> bool: ...


class QuarantineStore(Protocol):
    """Original bytes of matched uploads, encrypted at rest, apart from the served pictures."""

    async def put(self, quarantine_id: str, data: bytes) -> None: ...

    async def get(self, quarantine_id: str) -> bytes | None:
        """The decrypted bytes (only for the audited moderator view and the compliance export)."""
        ...

    async def delete(self, quarantine_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ImportProgress:
    bank_id: int
    digest: str
    lines_done: int
    added: int
    invalid: int
    finished: bool


@dataclass(frozen=True, slots=True)
class BundleRow:
    id: int
    kind: str
    match_id: int | None
    quarantine_id: str | None
    account_id: AccountId
    status: str
    payload: dict[str, Any]
    created_at: float


class MediaRecords(Protocol):
    # -- pictures -------------------------------------------------------------------------------

    async def add_media(self, record: MediaRecord) -> None: ...

    async def get_media(self, media_id: str) -> MediaRecord | None: ...

    async def set_media_state(self, media_id: str, state: MediaState) -> MediaRecord | None: ...

    async def blob_in_use(self, sha256: str) -> bool:
        """Whether a visible picture still uses this file (as its picture or its thumbnail)."""
        ...

    # -- restrictions ---------------------------------------------------------------------------

    async def is_restricted(self, account_id: AccountId, kind: RestrictionKind) -> bool: ...

    # -- hash banks -----------------------------------------------------------------------------

    async def list_banks(self) -> list[HashBank]:
        """Every bank with its entry counts."""
        ...

    async def get_bank(self, name: str) -> HashBank | None: ...

    async def save_bank(
        self,
        name: str,
        *,
        now: float,
        pdq_threshold: int | None = None,
        match_mirrored: bool | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> HashBank:
        """Create the bank, or change the given settings of an existing one (bumps its revision)."""
        ...

    async def remove_bank(self, name: str) -> bool: ...

    async def import_progress(self, bank_id: int, digest: str) -> ImportProgress | None: ...

    async def add_bank_entries(
        self,
        bank_id: int,
        entries: Sequence[tuple[HashKind, str]],
        *,
        digest: str,
        source: str,
        lines_done: int,
        invalid: int,
        finished: bool,
        now: float,
    ) -> int:
        """Add entries (those already in the bank are skipped) and record the import's progress, in
        one transaction. Returns how many were new."""
        ...

    async def add_bank_entry(self, bank_id: int, kind: HashKind, value: str, now: float) -> bool: ...

    async def banks_fingerprint(self) -> str:
        """Changes whenever a bank or its entries change (several nodes compare it to reload)."""
        ...

    def bank_entries(self, bank_ids: Iterable[int], page: int = 50_000) -> AsyncIterator[list[tuple[int, str, str]]]:
        """(bank id, kind, value) of the given banks, page by page."""
        ...

    # -- matches --------------------------------------------------------------------------------

    async def record_match(
        self,
        *,
        account_id: AccountId,
        quarantine: QuarantineRecord,
        hits: Sequence[BankHit],
        hashes: ImageHashes,
        meta: UploadMeta,
        bundle: dict[str, Any],
        now: float,
    ) -> MatchRecord:
        """In ONE transaction: the quarantine row, one match row per hit, the account's upload
        restriction, legal holds on the account and the quarantined file, and the report bundle.
        Returns the best hit's match row (with the bundle id)."""
        ...

    async def set_match_case(self, quarantine_id: str, case_id: int) -> None: ...

    async def matches(self, limit: int, account_id: AccountId | None = None) -> list[MatchRecord]: ...

    async def get_quarantine(self, quarantine_id: str) -> QuarantineRecord | None: ...

    async def bundles(self, status: str | None, limit: int) -> list[BundleRow]: ...

    async def mark_quarantine_viewed(self, quarantine_id: str) -> None:
        """Record in its bundles that staff viewed the file (NCMEC asks whether the provider did)."""
        ...

    async def legal_holds(self, target_kind: str, target_id: str, now: float | None = None) -> int:
        """Active legal holds on a target (not released, not past their end date at ``now``)."""
        ...
