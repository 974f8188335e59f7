"""The moderation storage port: roles, reports and cases, actions and sanctions, statements of
reasons, appeals, room safety, operator state, connection records and the audit trail.

May import: stdlib, ``causerie.domain``, ``causerie.ids``, ``causerie.errors``.

``storage.sql.moderation_store.SqlModerationStore`` implements it on the same database (and the same
writer connection) as ``SqlStore``. Every method is one transaction. Each write made by a moderator
or an administrator takes an ``AuditDraft`` and appends it to the hash-chained audit trail **in the
same transaction** as the change itself: there is no action without its audit entry, and no audit
entry for an action that did not happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from causerie.domain.audit import AuditDraft, AuditEntry
from causerie.domain.moderation import (
    ActionKind,
    ActionRecord,
    Appeal,
    AppealStatus,
    Case,
    ContextMessage,
    MessageState,
    NewReport,
    NewSanction,
    NewStatement,
    NewStrike,
    Outcome,
    QueueSummary,
    Report,
    ReportCategory,
    Role,
    RoomSafety,
    Sanction,
    SanctionKind,
    Statement,
    StrikeKind,
)
from causerie.ids import AccountId, RoomId


@dataclass(frozen=True, slots=True)
class Lift:
    """Which sanctions an action lifts: those created by ``action_id``, or those matching the rest."""

    action_id: int | None = None
    kind: SanctionKind | None = None
    account_id: AccountId | None = None
    room_id: RoomId | None = None
    ip_range: str | None = None
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """Everything one moderation action writes, committed in one transaction with its audit entry."""

    kind: ActionKind
    actor_id: AccountId | None
    reason: str
    rule: str
    created_at: float
    audit: AuditDraft
    case_id: int | None = None
    account_id: AccountId | None = None
    room_id: RoomId | None = None
    message_ids: tuple[int, ...] = ()
    ip_range: str | None = None
    until: float | None = None
    automated: bool = False
    reverses: int | None = None  # the action this one reverses (marked reversed_by)
    sanctions: tuple[NewSanction, ...] = ()
    lifts: tuple[Lift, ...] = ()
    message_state: MessageState | None = None  # applied to message_ids
    statement: NewStatement | None = None
    room_safety: RoomSafety | None = None
    close_case: tuple[str, Outcome] | None = None  # (resolution, outcome told to the reporters)
    escalate_case: bool = False
    appeal: tuple[int, AppealStatus, str] | None = None  # (appeal id, decision, reason)
    strikes: tuple[NewStrike, ...] = ()  # DSA art. 23 strikes recorded with the action


@dataclass(frozen=True, slots=True)
class Committed:
    action: ActionRecord
    statement: Statement | None = None
    reports: tuple[Report, ...] = ()  # reports whose outcome was just decided (to tell their reporters)
    audit_id: int = 0


@dataclass(frozen=True, slots=True)
class UserHistory:
    account_id: AccountId
    cases: list[Case] = field(default_factory=list)
    actions: list[ActionRecord] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    reports_filed: int = 0
    other_nicknames: list[tuple[AccountId, str]] = field(default_factory=list)
    last_ip: str | None = None
    device_nicknames: list[tuple[AccountId, str]] = field(default_factory=list)  # same device id
    devices: list[str] = field(default_factory=list)  # the device ids seen for the account


class ModerationStore(Protocol):
    # -- roles ----------------------------------------------------------------------------------

    async def roles_of(self, account_id: AccountId) -> tuple[set[Role], set[RoomId], set[RoomId]]:
        """(global roles, rooms owned, rooms moderated)."""
        ...

    async def list_staff(self) -> list[tuple[AccountId, str, Role]]:
        """(account, nickname, role) for every global role."""
        ...

    async def set_role(
        self, account_id: AccountId, role: Role, grant: bool, actor: AccountId | None, now: float, audit: AuditDraft
    ) -> bool:
        """Grant or revoke a global role; False when nothing changed (no audit entry then)."""
        ...

    async def set_room_moderator(
        self, room_id: RoomId, account_id: AccountId, grant: bool, now: float, audit: AuditDraft
    ) -> bool: ...

    async def room_moderators(self, room_id: RoomId) -> list[AccountId]: ...

    async def all_room_moderators(self) -> dict[RoomId, set[AccountId]]: ...

    # -- connection records ---------------------------------------------------------------------

    async def record_connection(
        self,
        account_id: AccountId,
        event: str,
        ip: str | None,
        port: int | None,
        user_agent: str | None,
        now: float,
        device_id: str | None = None,
    ) -> None: ...

    async def last_ip(self, account_id: AccountId) -> str | None: ...

    async def devices_of(self, account_id: AccountId, limit: int) -> list[str]:
        """The device ids seen for an account, most recent first."""
        ...

    # -- DSA art. 23 strikes --------------------------------------------------------------------

    async def count_strikes(self, kind: StrikeKind, account_id: AccountId | None, ip: str | None, since: float) -> int:
        """Strikes of ``kind`` against an account (or an address) since ``since``, whose action stands."""
        ...

    async def strike_totals(self, since: float) -> dict[str, int]:
        """Transparency: strikes per kind, and suspensions for misuse per kind, since ``since``."""
        ...

    async def visible_messages_in_room(self, account_id: AccountId, room_id: RoomId, limit: int) -> int:
        """How many of an account's messages in a room are visible (counted up to ``limit``)."""
        ...

    # -- messages seen by moderation ------------------------------------------------------------

    async def message_meta(self, message_id: int) -> ContextMessage | None: ...

    async def message_at(self, room_id: RoomId, seq: int) -> ContextMessage | None: ...

    async def messages_meta(self, ids: Sequence[int]) -> list[ContextMessage]: ...

    async def context_messages(self, room_id: RoomId, seq: int, before: int, after: int) -> list[ContextMessage]:
        """The message at ``seq`` and up to ``before``/``after`` around it, every state, oldest first."""
        ...

    async def recent_messages_of(
        self, account_id: AccountId, since: float, limit: int, *, include_direct: bool
    ) -> list[ContextMessage]:
        """An author's not-removed messages created at or after ``since`` (newest first)."""
        ...

    # -- reports and cases ----------------------------------------------------------------------

    async def add_flag(self, case_id: int) -> None:
        """Count one more automated signal on a case (it raises the case's priority)."""
        ...

    async def file_report(
        self, report: NewReport, key: str, priority: int, context: Sequence[ContextMessage]
    ) -> tuple[Report, Case, bool]:
        """Store a report with its frozen context, in the open case of ``key`` or a new one.

        Returns (report, case, merged) where merged is True when the case existed.
        """
        ...

    async def reporter_records(self, reporter_ids: Iterable[AccountId]) -> dict[AccountId, tuple[int, int]]:
        """Per reporter: (reports that led to action, reports decided)."""
        ...

    async def recent_reports_by(self, reporter_id: AccountId | None, ip: str | None, since: float) -> int: ...

    async def case_reports(self, case_id: int) -> list[Report]: ...

    async def update_case(self, case_id: int, *, priority: int, reporters: int, category: ReportCategory) -> None: ...

    async def get_case(self, case_id: int) -> Case | None: ...

    async def list_cases(
        self,
        *,
        status: str | None,
        category: ReportCategory | None,
        room_ids: set[RoomId] | None,
        escalated: bool | None,
        limit: int,
    ) -> list[Case]:
        """Cases by priority (highest first), then oldest first. ``room_ids``: only cases in those rooms."""
        ...

    async def queue_summary(self, room_ids: set[RoomId] | None) -> list[QueueSummary]: ...

    async def report_context(self, report_ids: Sequence[int]) -> dict[int, list[ContextMessage]]: ...

    async def assign_case(
        self,
        case_id: int,
        assignee: AccountId | None,
        *,
        only_if_free_for: AccountId | None,
        now: float,
        audit: AuditDraft,
    ) -> Case:
        """Assign (or release with None). ``only_if_free_for``: refuse when claimed by someone else."""
        ...

    async def reports_by(self, reporter_id: AccountId) -> list[Report]: ...

    async def user_history(self, account_id: AccountId, limit: int) -> UserHistory: ...

    # -- actions and sanctions ------------------------------------------------------------------

    async def commit_action(self, plan: ActionPlan) -> Committed: ...

    async def active_sanctions(self, now: float) -> list[Sanction]: ...

    async def get_action(self, action_id: int) -> ActionRecord | None: ...

    async def actions_of_case(self, case_id: int) -> list[ActionRecord]: ...

    # -- statements and appeals -----------------------------------------------------------------

    async def statements_of(self, account_id: AccountId) -> list[Statement]: ...

    async def get_statement(self, statement_id: int) -> Statement | None: ...

    async def create_appeal(
        self, statement: Statement, text: str, acted_by: AccountId | None, now: float, audit: AuditDraft
    ) -> Appeal: ...

    async def get_appeal(self, appeal_id: int) -> Appeal | None: ...

    async def list_appeals(self, status: AppealStatus | None, limit: int) -> list[Appeal]: ...

    async def appeals_of(self, account_id: AccountId) -> list[Appeal]: ...

    async def close_appeal(
        self, appeal_id: int, status: AppealStatus, by: AccountId, reason: str, now: float, audit: AuditDraft
    ) -> Appeal:
        """Decide an appeal without any other change (the decision stands)."""
        ...

    # -- room safety and operator state ---------------------------------------------------------

    async def all_room_safety(self) -> dict[RoomId, RoomSafety]: ...

    async def set_room_safety(
        self, room_id: RoomId, safety: RoomSafety, actor: AccountId | None, now: float, audit: AuditDraft
    ) -> None: ...

    async def get_operator_state(self, key: str) -> dict[str, Any] | None: ...

    async def set_operator_state(
        self, key: str, value: dict[str, Any], actor: AccountId | None, now: float, audit: AuditDraft
    ) -> None: ...

    # -- audit trail ----------------------------------------------------------------------------

    async def append_audit(self, draft: AuditDraft, now: float) -> AuditEntry:
        """An audit entry on its own (e.g. a moderator viewing quarantined material)."""
        ...

    async def audit_entries(self, after_id: int, limit: int) -> list[AuditEntry]: ...

    async def audit_head(self) -> tuple[int, str]: ...

    async def audit_base(self) -> tuple[int, str]:
        """(id, hash) of the last entry the retention purge deleted; (0, genesis) when none was."""
        ...
