"""The legal storage port: evidence collection for the authorities, reports to them (DSA art. 18),
trusted flaggers (art. 22), the transparency figures' raw rows, and the data subject's own data
(GDPR access and erasure).

May import: stdlib, ``causerie.domain``, ``causerie.ids``, ``causerie.errors``.

Rows are plain JSON-ready dicts (column → value): they go into evidence bundles as they are stored.
``storage.sql.legal_store.SqlLegalStore`` implements it on the same database as ``SqlStore``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from causerie.ids import AccountId

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvidenceScope:
    kind: str  # account | room | case
    target: int  # account id, room id or case id
    start: float
    end: float
    context: int  # messages before and after each room message of an account


@dataclass
class Evidence:
    """What an export contains, by file (``accounts`` → accounts.json …)."""

    files: dict[str, list[Row]] = field(default_factory=dict)
    account_ids: list[int] = field(default_factory=list)  # whose identification data is included
    case_ids: list[int] = field(default_factory=list)
    media_ids: list[str] = field(default_factory=list)  # pictures to add (visible or removed)
    quarantine_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Flagger:
    id: int
    name: str
    contact_email: str | None
    key_prefix: str
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an account deletion did (GDPR art. 17)."""

    messages_erased: int
    messages_kept_held: int
    pictures_removed: list[str]  # sha256 of files no longer used by any picture row
    pictures_kept_held: int
    relations_deleted: int
    sessions_deleted: int


class LegalStore(Protocol):
    # -- lookups ------------------------------------------------------------------------------

    async def find_account(self, nick_or_id: str) -> Row | None:
        """An account by id (digits) or exact nickname (most recent first, closed ones included)."""
        ...

    async def find_room(self, slug: str) -> Row | None: ...

    async def get_case(self, case_id: int) -> Row | None: ...

    # -- evidence -----------------------------------------------------------------------------

    async def collect(self, scope: EvidenceScope) -> Evidence: ...

    async def record_export(
        self,
        *,
        request_ref: str,
        scope: str,
        start: float,
        end: float,
        include_quarantine: bool,
        manifest_sha256: str,
        files: int,
        actor_id: int | None,
        now: float,
    ) -> int: ...

    async def list_exports(self, limit: int) -> list[Row]: ...

    # -- reports to the authorities (DSA art. 18) ---------------------------------------------

    async def case_material(self, case_id: int, start: float, end: float) -> dict[str, Any]:
        """Everything an art. 18 report draws on: case, reports (+ source), context, suspect,
        connection records, pictures matched, actions."""
        ...

    async def add_authority_report(
        self, case_id: int, kind: str, authority: str, payload: dict[str, Any], actor_id: int | None, now: float
    ) -> int: ...

    async def authority_reports(self, case_ids: list[int] | None, limit: int) -> list[Row]: ...

    # -- trusted flaggers (DSA art. 22) -------------------------------------------------------

    async def add_flagger(
        self, name: str, contact_email: str | None, key_prefix: str, key_hash: str, actor_id: int | None, now: float
    ) -> Flagger: ...

    async def flaggers(self) -> list[Flagger]: ...

    async def flagger_by_prefix(self, key_prefix: str) -> tuple[Flagger, str] | None:
        """(flagger, key hash) of an active or revoked flagger."""
        ...

    async def revoke_flagger(self, flagger_id: int, actor_id: int | None, now: float) -> Flagger | None: ...

    async def mark_notice(
        self, report_id: int, case_id: int, source: str, flagger_id: int | None, now: float
    ) -> None: ...

    async def trusted_case(self, case_id: int) -> bool:
        """Whether a trusted flagger's notice is in this case."""
        ...

    # -- transparency -------------------------------------------------------------------------

    async def transparency_rows(self, start: float, end: float) -> dict[str, list[Row]]:
        """Raw rows of the period: reports (with source), actions, statements (with case category
        and message media), appeals, misuse suspensions."""
        ...

    # -- the data subject (GDPR) --------------------------------------------------------------

    async def password_hash(self, account_id: AccountId) -> str | None: ...

    async def personal_data(self, account_id: AccountId) -> dict[str, list[Row]]: ...

    async def account_rooms(self, account_id: AccountId) -> list[int]:
        """Rooms the account wrote in (to check holds on them)."""
        ...

    async def erase_account(
        self,
        account_id: AccountId,
        *,
        keep_identity_until: float,
        held_rooms: set[int],
        keep_all: bool,
        now: float,
    ) -> Erasure: ...
