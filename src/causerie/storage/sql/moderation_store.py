"""The moderation storage port on SQLAlchemy Core (SQLite and PostgreSQL).

May import: stdlib, sqlalchemy, ``causerie.storage.moderation``, ``causerie.storage.sql``,
``causerie.domain``, ``causerie.ids``, ``causerie.errors``.

It shares ``SqlStore``'s engines (on SQLite: its single writer connection), so a moderation action,
the messages it hides and its audit entry are one transaction. The audit trail is serialised by the
one row of ``audit_head`` (locked with ``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), which gives contiguous ids and a linear chain even
with several nodes writing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from causerie.domain.audit import GENESIS_HASH, AuditDraft, AuditEntry, seal
from causerie.domain.entities import RoomKind
from causerie.domain.moderation import (
    ROOM_MODERATOR,
    ROOM_OWNER,
    ActionKind,
    ActionRecord,
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    ContextMessage,
    NewReport,
    Outcome,
    QueueSummary,
    Report,
    ReportCategory,
    Role,
    RoomSafety,
    Sanction,
    SanctionKind,
    Source,
    Statement,
    StrikeKind,
    TargetKind,
    most_severe,
)
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.storage.moderation import ActionPlan, Committed, Lift, UserHistory
from causerie.storage.sql.schema import (
    account_roles,
    accounts,
    appeals,
    audit_head,
    audit_log,
    cases,
    connection_records,
    messages,
    misuse_strikes,
    moderation_actions,
    operator_state,
    report_context,
    reports,
    room_members,
    room_safety,
    rooms,
    sanctions,
    statements,
)
from causerie.storage.sql.store import SqlStoreExtension


async def _sharing(
    conn: AsyncConnection, column: sa.Column[Any], account_id: int, limit: int
) -> tuple[sa.Select[Any], Sequence[Any]]:
    """The account's own values of a connection-record ``column`` (a query), and the other accounts
    (id, nickname) seen with one of them: the same address, the same device."""
    mine = sa.select(column).where(connection_records.c.account_id == account_id).where(column.is_not(None))
    others = (
        await conn.execute(
            sa.select(accounts.c.id, accounts.c.nickname)
            .where(
                accounts.c.id.in_(sa.select(connection_records.c.account_id).where(column.in_(mine.scalar_subquery())))
            )
            .where(accounts.c.id != account_id)
            .order_by(accounts.c.id.desc())
            .limit(limit)
        )
    ).all()
    return mine, others


class SqlModerationStore(SqlStoreExtension):
    """Moderation persistence, on the same database and writer as ``SqlStore``."""

    # -- audit (used inside other transactions) ---------------------------------------------------

    async def _audit(self, conn: AsyncConnection, draft: AuditDraft, now: float) -> AuditEntry:
        head = (
            await conn.execute(
                sa.select(audit_head.c.last_id, audit_head.c.last_hash).where(audit_head.c.id == 1).with_for_update()
            )
        ).first()
        if head is None:  # migration 0002 creates the row; a schema made by create_all() may lack it
            try:
                async with conn.begin_nested():
                    await conn.execute(audit_head.insert().values(id=1, last_id=0, last_hash=GENESIS_HASH))
            except IntegrityError:
                pass  # another node created it first
            head = (
                await conn.execute(
                    sa.select(audit_head.c.last_id, audit_head.c.last_hash)
                    .where(audit_head.c.id == 1)
                    .with_for_update()
                )
            ).one()
        last_id, last_hash = int(head.last_id), str(head.last_hash)
        entry = seal(draft, id=last_id + 1, ts_ms=int(now * 1000), prev_hash=last_hash)
        await conn.execute(
            audit_log.insert().values(
                id=entry.id,
                ts_ms=entry.ts_ms,
                actor_id=entry.actor_id,
                action=entry.action,
                target=entry.target,
                reason=entry.reason,
                details=entry.details,
                prev_hash=entry.prev_hash,
                hash=entry.hash,
            )
        )
        await conn.execute(
            audit_head.update().where(audit_head.c.id == 1).values(last_id=entry.id, last_hash=entry.hash)
        )
        return entry

    async def append_audit(self, draft: AuditDraft, now: float) -> AuditEntry:
        async with self._tx() as conn:
            return await self._audit(conn, draft, now)

    async def audit_entries(self, after_id: int, limit: int) -> list[AuditEntry]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(audit_log).where(audit_log.c.id > after_id).order_by(audit_log.c.id).limit(limit)
                )
            ).all()
        return [
            AuditEntry(
                id=int(r.id),
                ts_ms=int(r.ts_ms),
                actor_id=int(r.actor_id) if r.actor_id is not None else None,
                action=r.action,
                target=r.target,
                reason=r.reason,
                details=r.details,
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in rows
        ]

    async def audit_head(self) -> tuple[int, str]:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(audit_head.c.last_id, audit_head.c.last_hash))).first()
        return (int(row.last_id), str(row.last_hash)) if row is not None else (0, GENESIS_HASH)

    async def audit_base(self) -> tuple[int, str]:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(audit_head.c.base_id, audit_head.c.base_hash))).first()
        return (int(row.base_id), str(row.base_hash)) if row is not None else (0, GENESIS_HASH)

    # -- roles ----------------------------------------------------------------------------------

    async def roles_of(self, account_id: AccountId) -> tuple[set[Role], set[RoomId], set[RoomId]]:
        async with self._ro() as conn:
            roles = (
                await conn.execute(sa.select(account_roles.c.role).where(account_roles.c.account_id == account_id))
            ).all()
            owned = (
                await conn.execute(
                    sa.select(rooms.c.id)
                    .where(rooms.c.owner_id == account_id)
                    .where(rooms.c.kind != RoomKind.DIRECT.value)
                )
            ).all()
            moderated = (
                await conn.execute(
                    sa.select(room_members.c.room_id)
                    .where(room_members.c.account_id == account_id)
                    .where(room_members.c.role == ROOM_MODERATOR)
                )
            ).all()
        return (
            {Role(r[0]) for r in roles if r[0] in Role._value2member_map_},
            {RoomId(r[0]) for r in owned},
            {RoomId(r[0]) for r in moderated},
        )

    async def list_staff(self) -> list[tuple[AccountId, str, Role]]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(account_roles.c.account_id, accounts.c.nickname, account_roles.c.role)
                    .join(accounts, accounts.c.id == account_roles.c.account_id)
                    .order_by(account_roles.c.role, accounts.c.nickname)
                )
            ).all()
        return [(AccountId(r[0]), str(r[1]), Role(r[2])) for r in rows]

    async def set_role(
        self, account_id: AccountId, role: Role, grant: bool, actor: AccountId | None, now: float, audit: AuditDraft
    ) -> bool:
        async with self._tx() as conn:
            exists = (
                await conn.execute(
                    sa.select(account_roles.c.role)
                    .where(account_roles.c.account_id == account_id)
                    .where(account_roles.c.role == role.value)
                )
            ).first()
            if grant == (exists is not None):
                return False
            if grant:
                await conn.execute(
                    account_roles.insert().values(
                        account_id=account_id, role=role.value, granted_by=actor, granted_at=now
                    )
                )
            else:
                await conn.execute(
                    account_roles.delete()
                    .where(account_roles.c.account_id == account_id)
                    .where(account_roles.c.role == role.value)
                )
            await self._audit(conn, audit, now)
        return True

    async def set_room_moderator(
        self, room_id: RoomId, account_id: AccountId, grant: bool, now: float, audit: AuditDraft
    ) -> bool:
        async with self._tx() as conn:
            kind = (await conn.execute(sa.select(rooms.c.kind).where(rooms.c.id == room_id))).scalar_one_or_none()
            if kind is None:
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            row = (
                await conn.execute(
                    sa.select(room_members.c.role)
                    .where(room_members.c.room_id == room_id)
                    .where(room_members.c.account_id == account_id)
                )
            ).first()
            where = sa.and_(room_members.c.room_id == room_id, room_members.c.account_id == account_id)
            current = row.role if row is not None else None
            if current == ROOM_OWNER:
                return False  # the owner moderates already
            if grant:
                if current == ROOM_MODERATOR:
                    return False
                if current is None:
                    await conn.execute(
                        room_members.insert().values(
                            room_id=room_id, account_id=account_id, role=ROOM_MODERATOR, created_at=now
                        )
                    )
                else:
                    await conn.execute(room_members.update().where(where).values(role=ROOM_MODERATOR))
            else:
                if current != ROOM_MODERATOR:
                    return False
                if kind == RoomKind.INVITE.value:  # stays invited
                    await conn.execute(room_members.update().where(where).values(role="member"))
                else:
                    await conn.execute(room_members.delete().where(where))
            await self._audit(conn, audit, now)
        return True

    async def all_room_moderators(self) -> dict[RoomId, set[AccountId]]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(room_members.c.room_id, room_members.c.account_id).where(
                        room_members.c.role == ROOM_MODERATOR
                    )
                )
            ).all()
        out: dict[RoomId, set[AccountId]] = {}
        for r in rows:
            out.setdefault(RoomId(r[0]), set()).add(AccountId(r[1]))
        return out

    async def room_moderators(self, room_id: RoomId) -> list[AccountId]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(room_members.c.account_id)
                    .where(room_members.c.room_id == room_id)
                    .where(room_members.c.role == ROOM_MODERATOR)
                )
            ).all()
        return [AccountId(r[0]) for r in rows]

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
    ) -> None:
        # one row, one transaction: on SQLite in one thread hop (SqlStore.insert_row), as entries are
        await self._store.insert_row(
            connection_records,
            {
                "account_id": account_id,
                "event": event,
                "ip": ip,
                "port": port,
                "user_agent": (user_agent or "")[:256] or None,
                "created_at": now,
                "device_id": device_id,
            },
        )

    async def devices_of(self, account_id: AccountId, limit: int) -> list[str]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(connection_records.c.device_id, sa.func.max(connection_records.c.id).label("last"))
                    .where(connection_records.c.account_id == account_id)
                    .where(connection_records.c.device_id.is_not(None))
                    .group_by(connection_records.c.device_id)
                    .order_by(sa.desc("last"))
                    .limit(limit)
                )
            ).all()
        return [str(r[0]) for r in rows]

    # -- DSA art. 23 strikes --------------------------------------------------------------------

    async def count_strikes(self, kind: StrikeKind, account_id: AccountId | None, ip: str | None, since: float) -> int:
        if account_id is None and not ip:
            return 0
        query = (
            sa.select(sa.func.count())
            .select_from(
                misuse_strikes.outerjoin(moderation_actions, moderation_actions.c.id == misuse_strikes.c.action_id)
            )
            .where(misuse_strikes.c.kind == kind.value)
            .where(misuse_strikes.c.created_at >= since)
            .where(moderation_actions.c.reversed_by.is_(None))
        )
        if account_id is not None:
            query = query.where(misuse_strikes.c.account_id == account_id)
        else:
            query = query.where(misuse_strikes.c.account_id.is_(None)).where(misuse_strikes.c.ip == ip)
        async with self._ro() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def strike_totals(self, since: float) -> dict[str, int]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(misuse_strikes.c.kind, sa.func.count())
                    .where(misuse_strikes.c.created_at >= since)
                    .group_by(misuse_strikes.c.kind)
                )
            ).all()
            suspensions = (
                await conn.execute(
                    sa.select(moderation_actions.c.rule, sa.func.count())
                    .where(moderation_actions.c.created_at >= since)
                    .where(moderation_actions.c.rule.in_(["dsa.misuse_notices", "dsa.misuse_content"]))
                    .where(moderation_actions.c.kind.in_([ActionKind.SUSPEND_REPORTS.value, ActionKind.BAN.value]))
                    .group_by(moderation_actions.c.rule)
                )
            ).all()
        out = {f"strikes_{r[0]}": int(r[1]) for r in rows}
        for rule, count in suspensions:
            out["suspensions_" + ("notice" if rule == "dsa.misuse_notices" else "content")] = int(count)
        return out

    async def visible_messages_in_room(self, account_id: AccountId, room_id: RoomId, limit: int) -> int:
        inner = (
            sa.select(messages.c.id)
            .where(messages.c.room_id == room_id)
            .where(messages.c.author_id == account_id)
            .where(messages.c.state == "visible")
            .limit(limit)
            .subquery()
        )
        async with self._ro() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(inner))).scalar_one())

    async def last_ip(self, account_id: AccountId) -> str | None:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(connection_records.c.ip)
                    .where(connection_records.c.account_id == account_id)
                    .where(connection_records.c.ip.is_not(None))
                    .order_by(connection_records.c.id.desc())
                    .limit(1)
                )
            ).first()
        return str(row.ip) if row is not None else None

    # -- messages seen by moderation ------------------------------------------------------------

    def _context_query(self) -> sa.Select[Any]:
        return sa.select(
            messages.c.id,
            messages.c.room_id,
            messages.c.seq,
            messages.c.author_id,
            accounts.c.nickname,
            messages.c.text,
            messages.c.created_at,
            messages.c.state,
        ).join(accounts, accounts.c.id == messages.c.author_id)

    async def message_meta(self, message_id: int) -> ContextMessage | None:
        async with self._ro() as conn:
            row = (await conn.execute(self._context_query().where(messages.c.id == message_id))).first()
        return _context(row) if row is not None else None

    async def message_at(self, room_id: RoomId, seq: int) -> ContextMessage | None:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    self._context_query().where(messages.c.room_id == room_id).where(messages.c.seq == seq)
                )
            ).first()
        return _context(row) if row is not None else None

    async def messages_meta(self, ids: Sequence[int]) -> list[ContextMessage]:
        if not ids:
            return []
        async with self._ro() as conn:
            rows = (
                await conn.execute(self._context_query().where(messages.c.id.in_(list(ids))).order_by(messages.c.id))
            ).all()
        return [_context(r) for r in rows]

    async def context_messages(self, room_id: RoomId, seq: int, before: int, after: int) -> list[ContextMessage]:
        query = self._context_query().where(messages.c.room_id == room_id)
        async with self._ro() as conn:
            older = (
                await conn.execute(query.where(messages.c.seq <= seq).order_by(messages.c.seq.desc()).limit(before + 1))
            ).all()
            newer = (await conn.execute(query.where(messages.c.seq > seq).order_by(messages.c.seq).limit(after))).all()
        out = [_context(r, target_seq=seq) for r in reversed(older)]
        out += [_context(r, target_seq=seq) for r in newer]
        return out

    async def recent_messages_of(
        self, account_id: AccountId, since: float, limit: int, *, include_direct: bool
    ) -> list[ContextMessage]:
        query = (
            self._context_query()
            .where(messages.c.author_id == account_id)
            .where(messages.c.created_at >= since)
            .where(messages.c.state != "removed")
        )
        if not include_direct:
            query = query.where(
                messages.c.room_id.in_(sa.select(rooms.c.id).where(rooms.c.kind != RoomKind.DIRECT.value))
            )
        async with self._ro() as conn:
            rows = (await conn.execute(query.order_by(messages.c.id.desc()).limit(limit))).all()
        return [_context(r) for r in rows]

    # -- reports and cases ----------------------------------------------------------------------

    async def add_flag(self, case_id: int) -> None:
        async with self._tx() as conn:
            await conn.execute(cases.update().where(cases.c.id == case_id).values(flags=cases.c.flags + 1))

    async def file_report(
        self, report: NewReport, key: str, priority: int, context: Sequence[ContextMessage]
    ) -> tuple[Report, Case, bool]:
        for attempt in range(2):
            try:
                return await self._file_report_once(report, key, priority, context)
            except IntegrityError:  # a concurrent first report opened the case: merge into it
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    async def _file_report_once(
        self, report: NewReport, key: str, priority: int, context: Sequence[ContextMessage]
    ) -> tuple[Report, Case, bool]:
        now = report.created_at
        async with self._tx() as conn:
            row = (await conn.execute(sa.select(cases).where(cases.c.open_key == key))).first()
            merged = row is not None
            if row is None:
                result = await conn.execute(
                    cases.insert().values(
                        open_key=key,
                        target_kind=report.target_kind.value,
                        message_id=report.message_id,
                        account_id=report.account_id,
                        room_id=report.room_id,
                        status=CaseStatus.OPEN.value,
                        category=report.category.value,
                        priority=priority,
                        reporters=0,
                        reports=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
                case_id = _pk(result)
                category = report.category
            else:
                case_id = int(row.id)
                category = most_severe([ReportCategory(row.category), report.category])
            result = await conn.execute(
                reports.insert().values(
                    case_id=case_id,
                    reporter_id=report.reporter_id,
                    reporter_name=report.reporter_name,
                    reporter_email=report.reporter_email,
                    reporter_ip=report.reporter_ip,
                    category=report.category.value,
                    details=report.details,
                    good_faith=report.good_faith,
                    target_kind=report.target_kind.value,
                    message_id=report.message_id,
                    account_id=report.account_id,
                    room_id=report.room_id,
                    created_at=now,
                )
            )
            report_id = _pk(result)
            if context:
                await conn.execute(
                    report_context.insert(),
                    [
                        {
                            "report_id": report_id,
                            "message_id": m.message_id,
                            "room_id": m.room_id,
                            "seq": m.seq,
                            "author_id": m.author_id,
                            "author_nick": m.author_nick,
                            "text": m.text,
                            "state": m.state,
                            "is_target": m.is_target,
                            "created_at": m.created_at,
                        }
                        for m in context
                    ],
                )
            reporters = await self._count_reporters(conn, case_id)
            count = (
                await conn.execute(sa.select(sa.func.count()).select_from(reports).where(reports.c.case_id == case_id))
            ).scalar_one()
            await conn.execute(
                cases.update()
                .where(cases.c.id == case_id)
                .values(reporters=reporters, reports=int(count), category=category.value, updated_at=now)
            )
            case_row = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))).one()
            report_row = (await conn.execute(sa.select(reports).where(reports.c.id == report_id))).one()
        return _report(report_row), _case(case_row), merged

    async def _count_reporters(self, conn: AsyncConnection, case_id: int) -> int:
        named = (
            await conn.execute(
                sa.select(sa.func.count(sa.distinct(reports.c.reporter_id)))
                .where(reports.c.case_id == case_id)
                .where(reports.c.reporter_id.is_not(None))
            )
        ).scalar_one()
        anonymous = (
            await conn.execute(
                sa.select(sa.func.count(sa.distinct(sa.func.coalesce(reports.c.reporter_ip, ""))))
                .where(reports.c.case_id == case_id)
                .where(reports.c.reporter_id.is_(None))
            )
        ).scalar_one()
        return int(named) + int(anonymous)

    async def reporter_records(self, reporter_ids: Iterable[AccountId]) -> dict[AccountId, tuple[int, int]]:
        wanted = list(set(reporter_ids))
        if not wanted:
            return {}
        actioned = sa.func.sum(sa.case((reports.c.outcome == Outcome.ACTION_TAKEN.value, 1), else_=0))
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(reports.c.reporter_id, actioned, sa.func.count())
                    .where(reports.c.reporter_id.in_(wanted))
                    .where(reports.c.outcome.is_not(None))
                    .group_by(reports.c.reporter_id)
                )
            ).all()
        out = dict.fromkeys(wanted, (0, 0))
        for r in rows:
            out[AccountId(r[0])] = (int(r[1] or 0), int(r[2]))
        return out

    async def recent_reports_by(self, reporter_id: AccountId | None, ip: str | None, since: float) -> int:
        query = sa.select(sa.func.count()).select_from(reports).where(reports.c.created_at >= since)
        if reporter_id is not None:
            query = query.where(reports.c.reporter_id == reporter_id)
        elif ip is not None:
            query = query.where(reports.c.reporter_id.is_(None)).where(reports.c.reporter_ip == ip)
        else:
            return 0
        async with self._ro() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def case_reports(self, case_id: int) -> list[Report]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(sa.select(reports).where(reports.c.case_id == case_id).order_by(reports.c.id))
            ).all()
        return [_report(r) for r in rows]

    async def update_case(self, case_id: int, *, priority: int, reporters: int, category: ReportCategory) -> None:
        async with self._tx() as conn:
            await conn.execute(
                cases.update()
                .where(cases.c.id == case_id)
                .values(priority=priority, reporters=reporters, category=category.value)
            )

    async def get_case(self, case_id: int) -> Case | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))).first()
        return _case(row) if row is not None else None

    async def list_cases(
        self,
        *,
        status: str | None,
        category: ReportCategory | None,
        room_ids: set[RoomId] | None,
        escalated: bool | None,
        limit: int,
    ) -> list[Case]:
        query = sa.select(cases)
        if status is not None:
            query = query.where(cases.c.status == status)
        if category is not None:
            query = query.where(cases.c.category == category.value)
        if room_ids is not None:
            if not room_ids:
                return []
            query = query.where(cases.c.room_id.in_(list(room_ids)))
        if escalated is not None:
            query = query.where(cases.c.escalated == escalated)
        query = query.order_by(cases.c.priority.desc(), cases.c.created_at, cases.c.id).limit(limit)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        return [_case(r) for r in rows]

    async def queue_summary(self, room_ids: set[RoomId] | None) -> list[QueueSummary]:
        query = (
            sa.select(cases.c.category, sa.func.count(), sa.func.min(cases.c.created_at))
            .where(cases.c.status == CaseStatus.OPEN.value)
            .group_by(cases.c.category)
        )
        if room_ids is not None:
            if not room_ids:
                return []
            query = query.where(cases.c.room_id.in_(list(room_ids)))
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        out = [QueueSummary(ReportCategory(r[0]), int(r[1]), float(r[2])) for r in rows]
        return sorted(out, key=lambda q: q.oldest_at)

    async def report_context(self, report_ids: Sequence[int]) -> dict[int, list[ContextMessage]]:
        if not report_ids:
            return {}
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(report_context)
                    .where(report_context.c.report_id.in_(list(report_ids)))
                    .order_by(report_context.c.report_id, report_context.c.seq)
                )
            ).all()
        out: dict[int, list[ContextMessage]] = {int(i): [] for i in report_ids}
        for r in rows:
            out[int(r.report_id)].append(
                ContextMessage(
                    message_id=int(r.message_id),
                    room_id=RoomId(r.room_id),
                    seq=int(r.seq),
                    author_id=AccountId(r.author_id),
                    author_nick=r.author_nick,
                    text=r.text,
                    created_at=float(r.created_at),
                    state=r.state,
                    is_target=bool(r.is_target),
                )
            )
        return out

    async def assign_case(
        self,
        case_id: int,
        assignee: AccountId | None,
        *,
        only_if_free_for: AccountId | None,
        now: float,
        audit: AuditDraft,
    ) -> Case:
        async with self._tx() as conn:
            row = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))).first()
            if row is None:
                raise CauserieError(ErrorCode.CASE_NOT_FOUND)
            if row.status != CaseStatus.OPEN.value:
                raise CauserieError(ErrorCode.CASE_CLOSED)
            if only_if_free_for is not None and row.assigned_to is not None and row.assigned_to != only_if_free_for:
                raise CauserieError(ErrorCode.CASE_CLAIMED)
            await conn.execute(cases.update().where(cases.c.id == case_id).values(assigned_to=assignee))
            await self._audit(conn, audit, now)
            row = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))).one()
        return _case(row)

    async def reports_by(self, reporter_id: AccountId) -> list[Report]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(reports)
                    .where(reports.c.reporter_id == reporter_id)
                    .order_by(reports.c.id.desc())
                    .limit(200)
                )
            ).all()
        return [_report(r) for r in rows]

    async def user_history(self, account_id: AccountId, limit: int) -> UserHistory:
        async with self._ro() as conn:
            case_rows = (
                await conn.execute(
                    sa.select(cases).where(cases.c.account_id == account_id).order_by(cases.c.id.desc()).limit(limit)
                )
            ).all()
            action_rows = (
                await conn.execute(
                    sa.select(moderation_actions)
                    .where(moderation_actions.c.account_id == account_id)
                    .order_by(moderation_actions.c.id.desc())
                    .limit(limit)
                )
            ).all()
            sanction_rows = (
                await conn.execute(
                    sa.select(sanctions)
                    .where(sanctions.c.account_id == account_id)
                    .where(sanctions.c.lifted_at.is_(None))
                    .order_by(sanctions.c.id.desc())
                    .limit(limit)
                )
            ).all()
            filed = (
                await conn.execute(
                    sa.select(sa.func.count()).select_from(reports).where(reports.c.reporter_id == account_id)
                )
            ).scalar_one()
            mine, others = await _sharing(conn, connection_records.c.ip, account_id, limit)
            last = (await conn.execute(mine.order_by(connection_records.c.id.desc()).limit(1))).first()
            my_devices, same_device = await _sharing(conn, connection_records.c.device_id, account_id, limit)
            device_rows = (await conn.execute(my_devices.distinct().limit(limit))).all()
        return UserHistory(
            account_id=account_id,
            cases=[_case(r) for r in case_rows],
            actions=[_action(r) for r in action_rows],
            sanctions=[_sanction(r) for r in sanction_rows],
            reports_filed=int(filed),
            other_nicknames=[(AccountId(r[0]), str(r[1])) for r in others],
            last_ip=str(last.ip) if last is not None else None,
            device_nicknames=[(AccountId(r[0]), str(r[1])) for r in same_device],
            devices=[str(r[0]) for r in device_rows],
        )

    # -- actions and sanctions ------------------------------------------------------------------

    async def commit_action(self, plan: ActionPlan) -> Committed:
        now = plan.created_at
        async with self._tx() as conn:
            if plan.case_id is not None:
                case_row = (await conn.execute(sa.select(cases.c.status).where(cases.c.id == plan.case_id))).first()
                if case_row is None:
                    raise CauserieError(ErrorCode.CASE_NOT_FOUND)
                if plan.close_case is not None and case_row.status != CaseStatus.OPEN.value:
                    raise CauserieError(ErrorCode.CASE_CLOSED)
            if plan.appeal is not None:
                appeal_id, status, reason = plan.appeal
                done = await conn.execute(
                    appeals.update()
                    .where(appeals.c.id == appeal_id)
                    .where(appeals.c.status == AppealStatus.OPEN.value)
                    .values(status=status.value, decided_by=plan.actor_id, decided_at=now, decision_reason=reason)
                )
                if done.rowcount != 1:
                    raise CauserieError(ErrorCode.APPEAL_DECIDED)
            result = await conn.execute(
                moderation_actions.insert().values(
                    kind=plan.kind.value,
                    actor_id=plan.actor_id,
                    case_id=plan.case_id,
                    account_id=plan.account_id,
                    room_id=plan.room_id,
                    message_ids=list(plan.message_ids) or None,
                    ip_range=plan.ip_range,
                    until=plan.until,
                    reason=plan.reason,
                    rule=plan.rule,
                    automated=plan.automated,
                    reverses=plan.reverses,
                    created_at=now,
                )
            )
            action_id = _pk(result)
            for s in plan.sanctions:
                await conn.execute(
                    sanctions.insert().values(
                        action_id=action_id,
                        kind=s.kind.value,
                        account_id=s.account_id,
                        room_id=s.room_id,
                        ip_range=s.ip_range,
                        device_id=s.device_id,
                        starts_at=s.starts_at,
                        until=s.until,
                    )
                )
            for strike in plan.strikes:
                await conn.execute(
                    misuse_strikes.insert().values(
                        kind=strike.kind.value,
                        account_id=strike.account_id,
                        ip=strike.ip,
                        report_id=strike.report_id,
                        action_id=action_id,
                        case_id=strike.case_id,
                        created_at=strike.created_at,
                    )
                )
            for lift in plan.lifts:
                await conn.execute(
                    sanctions.update().where(_lift_condition(lift, now)).values(lifted_at=now, lifted_by=plan.actor_id)
                )
            if plan.message_state is not None and plan.message_ids:
                await conn.execute(
                    messages.update()
                    .where(messages.c.id.in_(list(plan.message_ids)))
                    .values(state=plan.message_state.value)
                )
            if plan.room_safety is not None and plan.room_id is not None:
                await self._put_room_safety(conn, plan.room_id, plan.room_safety, plan.actor_id, now)
            if plan.reverses is not None:
                await conn.execute(
                    moderation_actions.update()
                    .where(moderation_actions.c.id == plan.reverses)
                    .values(reversed_by=action_id)
                )
            statement: Statement | None = None
            if plan.statement is not None:
                st = plan.statement
                result = await conn.execute(
                    statements.insert().values(
                        action_id=action_id,
                        account_id=st.account_id,
                        lang=st.lang,
                        kind=st.kind.value,
                        decision=st.decision,
                        scope=st.scope,
                        until=st.until,
                        facts=st.facts,
                        source=st.source.value,
                        automated=st.automated,
                        ground=st.ground,
                        rule=st.rule,
                        redress=st.redress,
                        appeal_until=st.appeal_until,
                        created_at=st.created_at,
                    )
                )
                row = (await conn.execute(sa.select(statements).where(statements.c.id == _pk(result)))).one()
                statement = _statement(row)
            if plan.escalate_case and plan.case_id is not None:
                await conn.execute(
                    cases.update().where(cases.c.id == plan.case_id).values(escalated=True, updated_at=now)
                )
            decided: list[Report] = []
            if plan.close_case is not None and plan.case_id is not None:
                resolution, outcome = plan.close_case
                await conn.execute(
                    cases.update()
                    .where(cases.c.id == plan.case_id)
                    .values(
                        status=CaseStatus.CLOSED.value,
                        open_key=None,
                        resolution=resolution,
                        closed_at=now,
                        updated_at=now,
                    )
                )
                await conn.execute(
                    reports.update()
                    .where(reports.c.case_id == plan.case_id)
                    .where(reports.c.outcome.is_(None))
                    .values(outcome=outcome.value, outcome_at=now)
                )
                rows = (
                    await conn.execute(
                        sa.select(reports).where(reports.c.case_id == plan.case_id).where(reports.c.outcome_at == now)
                    )
                ).all()
                decided = [_report(r) for r in rows]
            details = {**plan.audit.details, "action_id": action_id}
            if statement is not None:
                details["statement_id"] = statement.id
            draft = replace(plan.audit, details=details)
            entry = await self._audit(conn, draft, now)
            action_row = (
                await conn.execute(sa.select(moderation_actions).where(moderation_actions.c.id == action_id))
            ).one()
        return Committed(action=_action(action_row), statement=statement, reports=tuple(decided), audit_id=entry.id)

    async def active_sanctions(self, now: float) -> list[Sanction]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(sanctions)
                    .where(sanctions.c.lifted_at.is_(None))
                    .where(sa.or_(sanctions.c.until.is_(None), sanctions.c.until > now))
                )
            ).all()
        return [_sanction(r) for r in rows]

    async def get_action(self, action_id: int) -> ActionRecord | None:
        async with self._ro() as conn:
            row = (
                await conn.execute(sa.select(moderation_actions).where(moderation_actions.c.id == action_id))
            ).first()
        return _action(row) if row is not None else None

    async def actions_of_case(self, case_id: int) -> list[ActionRecord]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(moderation_actions)
                    .where(moderation_actions.c.case_id == case_id)
                    .order_by(moderation_actions.c.id)
                )
            ).all()
        return [_action(r) for r in rows]

    # -- statements and appeals -----------------------------------------------------------------

    async def statements_of(self, account_id: AccountId) -> list[Statement]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(statements).where(statements.c.account_id == account_id).order_by(statements.c.id.desc())
                )
            ).all()
        return [_statement(r) for r in rows]

    async def get_statement(self, statement_id: int) -> Statement | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(statements).where(statements.c.id == statement_id))).first()
        return _statement(row) if row is not None else None

    async def create_appeal(
        self, statement: Statement, text: str, acted_by: AccountId | None, now: float, audit: AuditDraft
    ) -> Appeal:
        async with self._tx() as conn:
            try:
                result = await conn.execute(
                    appeals.insert().values(
                        statement_id=statement.id,
                        action_id=statement.action_id,
                        account_id=statement.account_id,
                        text=text,
                        status=AppealStatus.OPEN.value,
                        acted_by=acted_by,
                        created_at=now,
                    )
                )
            except IntegrityError:
                raise CauserieError(ErrorCode.APPEAL_EXISTS) from None
            appeal_id = _pk(result)
            await self._audit(conn, replace(audit, details={**audit.details, "appeal_id": appeal_id}), now)
            row = (await conn.execute(sa.select(appeals).where(appeals.c.id == appeal_id))).one()
        return _appeal(row)

    async def get_appeal(self, appeal_id: int) -> Appeal | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(appeals).where(appeals.c.id == appeal_id))).first()
        return _appeal(row) if row is not None else None

    async def list_appeals(self, status: AppealStatus | None, limit: int) -> list[Appeal]:
        query = sa.select(appeals).order_by(appeals.c.id).limit(limit)
        if status is not None:
            query = query.where(appeals.c.status == status.value)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        return [_appeal(r) for r in rows]

    async def appeals_of(self, account_id: AccountId) -> list[Appeal]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(sa.select(appeals).where(appeals.c.account_id == account_id).order_by(appeals.c.id))
            ).all()
        return [_appeal(r) for r in rows]

    async def close_appeal(
        self, appeal_id: int, status: AppealStatus, by: AccountId, reason: str, now: float, audit: AuditDraft
    ) -> Appeal:
        async with self._tx() as conn:
            done = await conn.execute(
                appeals.update()
                .where(appeals.c.id == appeal_id)
                .where(appeals.c.status == AppealStatus.OPEN.value)
                .values(status=status.value, decided_by=by, decided_at=now, decision_reason=reason)
            )
            if done.rowcount != 1:
                raise CauserieError(ErrorCode.APPEAL_DECIDED)
            await self._audit(conn, audit, now)
            row = (await conn.execute(sa.select(appeals).where(appeals.c.id == appeal_id))).one()
        return _appeal(row)

    # -- room safety and operator state ---------------------------------------------------------

    async def all_room_safety(self) -> dict[RoomId, RoomSafety]:
        async with self._ro() as conn:
            rows = (await conn.execute(sa.select(room_safety.c.room_id, room_safety.c.settings))).all()
        return {RoomId(r[0]): RoomSafety.from_json(_json(r[1])) for r in rows}

    async def _put_room_safety(
        self, conn: AsyncConnection, room_id: RoomId, safety: RoomSafety, actor: AccountId | None, now: float
    ) -> None:
        exists = (await conn.execute(sa.select(room_safety.c.room_id).where(room_safety.c.room_id == room_id))).first()
        values = {"settings": safety.to_json(), "updated_by": actor, "updated_at": now}
        if exists is None:
            await conn.execute(room_safety.insert().values(room_id=room_id, **values))
        else:
            await conn.execute(room_safety.update().where(room_safety.c.room_id == room_id).values(**values))

    async def set_room_safety(
        self, room_id: RoomId, safety: RoomSafety, actor: AccountId | None, now: float, audit: AuditDraft
    ) -> None:
        async with self._tx() as conn:
            await self._put_room_safety(conn, room_id, safety, actor, now)
            await self._audit(conn, audit, now)

    async def get_operator_state(self, key: str) -> dict[str, Any] | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(operator_state.c.value).where(operator_state.c.key == key))).first()
        return _json(row[0]) if row is not None else None

    async def set_operator_state(
        self, key: str, value: dict[str, Any], actor: AccountId | None, now: float, audit: AuditDraft
    ) -> None:
        async with self._tx() as conn:
            exists = (await conn.execute(sa.select(operator_state.c.key).where(operator_state.c.key == key))).first()
            values = {"value": value, "updated_by": actor, "updated_at": now}
            if exists is None:
                await conn.execute(operator_state.insert().values(key=key, **values))
            else:
                await conn.execute(operator_state.update().where(operator_state.c.key == key).values(**values))
            await self._audit(conn, audit, now)


# ---------------------------------------------------------------------------------------------


def _pk(result: Any) -> int:
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value)
        return loaded
    return dict(value)


def _lift_condition(lift: Lift, now: float) -> sa.ColumnElement[bool]:
    conditions: list[sa.ColumnElement[bool]] = [
        sanctions.c.lifted_at.is_(None),
        sa.or_(sanctions.c.until.is_(None), sanctions.c.until > now),
    ]
    if lift.action_id is not None:
        conditions.append(sanctions.c.action_id == lift.action_id)
    if lift.kind is not None:
        conditions.append(sanctions.c.kind == lift.kind.value)
    if lift.account_id is not None:
        conditions.append(sanctions.c.account_id == lift.account_id)
    if lift.room_id is not None:
        conditions.append(sanctions.c.room_id == lift.room_id)
    if lift.ip_range is not None:
        conditions.append(sanctions.c.ip_range == lift.ip_range)
    if lift.device_id is not None:
        conditions.append(sanctions.c.device_id == lift.device_id)
    return sa.and_(*conditions)


def _context(row: Row[Any], target_seq: int | None = None) -> ContextMessage:
    return ContextMessage(
        message_id=int(row.id),
        room_id=RoomId(row.room_id),
        seq=int(row.seq),
        author_id=AccountId(row.author_id),
        author_nick=row.nickname,
        text=row.text,
        created_at=float(row.created_at),
        state=row.state,
        is_target=target_seq is not None and int(row.seq) == target_seq,
    )


def _report(row: Row[Any]) -> Report:
    return Report(
        id=int(row.id),
        case_id=int(row.case_id),
        category=ReportCategory(row.category),
        target_kind=TargetKind(row.target_kind),
        created_at=float(row.created_at),
        details=row.details,
        good_faith=bool(row.good_faith),
        reporter_id=AccountId(row.reporter_id) if row.reporter_id is not None else None,
        reporter_name=row.reporter_name,
        reporter_email=row.reporter_email,
        message_id=int(row.message_id) if row.message_id is not None else None,
        account_id=AccountId(row.account_id) if row.account_id is not None else None,
        room_id=RoomId(row.room_id) if row.room_id is not None else None,
        outcome=Outcome(row.outcome) if row.outcome else None,
        outcome_at=float(row.outcome_at) if row.outcome_at is not None else None,
        reporter_ip=row.reporter_ip,
    )


def _case(row: Row[Any]) -> Case:
    return Case(
        id=int(row.id),
        target_kind=TargetKind(row.target_kind),
        status=CaseStatus(row.status),
        category=ReportCategory(row.category),
        priority=int(row.priority),
        reporters=int(row.reporters),
        reports=int(row.reports),
        created_at=float(row.created_at),
        updated_at=float(row.updated_at),
        message_id=int(row.message_id) if row.message_id is not None else None,
        account_id=AccountId(row.account_id) if row.account_id is not None else None,
        room_id=RoomId(row.room_id) if row.room_id is not None else None,
        assigned_to=AccountId(row.assigned_to) if row.assigned_to is not None else None,
        escalated=bool(row.escalated),
        flags=int(row.flags),
        resolution=row.resolution,
        closed_at=float(row.closed_at) if row.closed_at is not None else None,
    )


def _action(row: Row[Any]) -> ActionRecord:
    ids = row.message_ids
    if isinstance(ids, str):
        ids = json.loads(ids)
    return ActionRecord(
        id=int(row.id),
        kind=ActionKind(row.kind),
        actor_id=AccountId(row.actor_id) if row.actor_id is not None else None,
        reason=row.reason,
        rule=row.rule,
        created_at=float(row.created_at),
        case_id=int(row.case_id) if row.case_id is not None else None,
        account_id=AccountId(row.account_id) if row.account_id is not None else None,
        room_id=RoomId(row.room_id) if row.room_id is not None else None,
        message_ids=tuple(int(i) for i in ids or ()),
        ip_range=row.ip_range,
        until=float(row.until) if row.until is not None else None,
        automated=bool(row.automated),
        reverses=int(row.reverses) if row.reverses is not None else None,
        reversed_by=int(row.reversed_by) if row.reversed_by is not None else None,
    )


def _sanction(row: Row[Any]) -> Sanction:
    return Sanction(
        id=int(row.id),
        action_id=int(row.action_id),
        kind=SanctionKind(row.kind),
        starts_at=float(row.starts_at),
        until=float(row.until) if row.until is not None else None,
        account_id=AccountId(row.account_id) if row.account_id is not None else None,
        room_id=RoomId(row.room_id) if row.room_id is not None else None,
        ip_range=row.ip_range,
        device_id=row.device_id,
    )


def _statement(row: Row[Any]) -> Statement:
    return Statement(
        id=int(row.id),
        action_id=int(row.action_id),
        account_id=AccountId(row.account_id),
        lang=row.lang,
        kind=ActionKind(row.kind),
        decision=row.decision,
        facts=row.facts,
        source=Source(row.source),
        automated=bool(row.automated),
        ground=row.ground,
        redress=row.redress,
        rule=row.rule,
        created_at=float(row.created_at),
        appeal_until=float(row.appeal_until),
        until=float(row.until) if row.until is not None else None,
        scope=row.scope,
    )


def _appeal(row: Row[Any]) -> Appeal:
    return Appeal(
        id=int(row.id),
        statement_id=int(row.statement_id),
        action_id=int(row.action_id),
        account_id=AccountId(row.account_id),
        text=row.text,
        created_at=float(row.created_at),
        status=AppealStatus(row.status),
        acted_by=AccountId(row.acted_by) if row.acted_by is not None else None,
        decided_by=AccountId(row.decided_by) if row.decided_by is not None else None,
        decided_at=float(row.decided_at) if row.decided_at is not None else None,
        decision_reason=row.decision_reason,
    )
