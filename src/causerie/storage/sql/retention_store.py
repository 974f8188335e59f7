"""Legal holds, the retention purge and connection records on SQLAlchemy Core (SQLite and PostgreSQL).

May import: stdlib, sqlalchemy, ``causerie.storage.retention``, ``causerie.storage.sql``,
``causerie.domain``, ``causerie.ids``.

It shares ``SqlStore``'s engines (on SQLite: its single writer). Each ``purge`` call is one
transaction that selects at most one batch of expired, unheld rows and deletes them; picture and
quarantine files are written to ``retention_tombstones`` in the same transaction (the service
removes the files, then the tombstones). Audit entries are deleted as a whole prefix of the chain:
``audit_head.base_id/base_hash`` records the last deleted entry, from which the chain still verifies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from causerie.domain.audit import AuditDraft
from causerie.storage.retention import (
    Batch,
    ConnectionOpened,
    DataKind,
    Held,
    Hold,
    HoldKind,
    Tombstone,
)
from causerie.storage.sql.moderation_store import SqlModerationStore
from causerie.storage.sql.schema import (
    accounts,
    appeals,
    audit_head,
    audit_log,
    cases,
    closed_identities,
    connection_records,
    legal_holds,
    media_items,
    media_quarantine,
    messages,
    misuse_strikes,
    moderation_actions,
    report_context,
    reports,
    retention_runs,
    retention_tombstones,
    rooms,
    sanctions,
    statements,
)
from causerie.storage.sql.store import SqlStore, SqlStoreExtension

DIRECT = "direct"


def _not_held(column: sa.ColumnElement[Any], values: frozenset[int] | frozenset[str]) -> sa.ColumnElement[bool]:
    """``column`` is NULL or not one of ``values`` (a bare NOT IN would drop the NULLs)."""
    if not values:
        return sa.true()
    return sa.or_(column.is_(None), column.not_in(sorted(values)))


def _ids(rows: Sequence[Row[Any]]) -> list[Any]:
    return [r[0] for r in rows]


async def _delete_oldest(
    conn: AsyncConnection, key: sa.Column[Any], *where: sa.ColumnElement[bool], limit: int
) -> list[Any]:
    """Delete at most ``limit`` rows of ``key``'s table that match ``where``, lowest keys first;
    returns their keys (the batch every purge of a single table is)."""
    ids = _ids((await conn.execute(sa.select(key).where(*where).order_by(key).limit(limit))).all())
    if ids:
        await conn.execute(key.table.delete().where(key.in_(ids)))
    return ids


class SqlRetentionStore(SqlStoreExtension):
    def __init__(self, store: SqlStore) -> None:
        super().__init__(store)
        self._mod = SqlModerationStore(store)  # its audit append, inside our transactions

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
        async with self._tx() as conn:
            existing = (
                await conn.execute(
                    sa.select(legal_holds)
                    .where(legal_holds.c.target_kind == kind.value)
                    .where(legal_holds.c.target_id == target_id)
                    .where(legal_holds.c.source == source)
                    .where(legal_holds.c.released_at.is_(None))
                    .where(sa.or_(legal_holds.c.expires_at.is_(None), legal_holds.c.expires_at > now))
                    .limit(1)
                )
            ).first()
            if existing is not None:
                return _hold(existing), False
            result = await conn.execute(
                legal_holds.insert().values(
                    target_kind=kind.value,
                    target_id=target_id,
                    reason=reason,
                    source=source,
                    created_at=now,
                    expires_at=expires_at,
                    created_by=created_by,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            hold_id = int(pk[0])
            await self._mod._audit(conn, replace(audit, details={**audit.details, "hold": hold_id}), now)
            row = (await conn.execute(sa.select(legal_holds).where(legal_holds.c.id == hold_id))).one()
        return _hold(row), True

    async def release_hold(self, hold_id: int, by: int | None, now: float, audit: AuditDraft) -> Hold | None:
        async with self._tx() as conn:
            done = await conn.execute(
                legal_holds.update()
                .where(legal_holds.c.id == hold_id)
                .where(legal_holds.c.released_at.is_(None))
                .values(released_at=now, released_by=by)
            )
            if done.rowcount != 1:
                return None
            await self._mod._audit(conn, audit, now)
            row = (await conn.execute(sa.select(legal_holds).where(legal_holds.c.id == hold_id))).one()
        return _hold(row)

    async def get_hold(self, hold_id: int) -> Hold | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(legal_holds).where(legal_holds.c.id == hold_id))).first()
        return _hold(row) if row is not None else None

    async def list_holds(self, *, active_only: bool, now: float, limit: int) -> list[Hold]:
        query = sa.select(legal_holds).order_by(legal_holds.c.id.desc()).limit(limit)
        if active_only:
            query = query.where(legal_holds.c.released_at.is_(None)).where(
                sa.or_(legal_holds.c.expires_at.is_(None), legal_holds.c.expires_at > now)
            )
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        return [_hold(r) for r in rows]

    async def held(self, now: float) -> Held:
        async with self._ro() as conn:
            return await self._held(conn, now)

    async def _held(self, conn: AsyncConnection, now: float) -> Held:
        rows = (
            await conn.execute(
                sa.select(legal_holds.c.target_kind, legal_holds.c.target_id)
                .where(legal_holds.c.released_at.is_(None))
                .where(sa.or_(legal_holds.c.expires_at.is_(None), legal_holds.c.expires_at > now))
            )
        ).all()
        found: dict[str, set[str]] = {}
        for kind, target in rows:
            found.setdefault(str(kind), set()).add(str(target))

        def numbers(kind: HoldKind) -> frozenset[int]:
            return frozenset(int(t) for t in found.get(kind.value, ()) if t.isascii() and t.isdigit())

        return Held(
            accounts=numbers(HoldKind.ACCOUNT),
            rooms=numbers(HoldKind.ROOM),
            cases=numbers(HoldKind.CASE),
            quarantine=frozenset(found.get(HoldKind.QUARANTINE.value, ())),
        )

    # -- purge ----------------------------------------------------------------------------------

    async def purge(self, kind: DataKind, cutoff: float, now: float, held: Held, limit: int) -> Batch:
        async with self._tx() as conn:
            # the holds are read again inside the transaction: a hold placed since the run began counts
            held = _union(held, await self._held(conn, now))
            if kind is DataKind.ROOM_MESSAGES:
                return await self._messages(conn, cutoff, held, limit, direct=False)
            if kind is DataKind.DIRECT_MESSAGES:
                return await self._messages(conn, cutoff, held, limit, direct=True)
            if kind is DataKind.PICTURES:
                return await self._pictures(conn, cutoff, held, limit)
            if kind is DataKind.QUARANTINE:
                return await self._quarantine(conn, cutoff, held, limit)
            if kind is DataKind.CASES:
                return await self._cases(conn, cutoff, held, limit)
            if kind is DataKind.MODERATION:
                batch = await self._moderation(conn, cutoff, now, held, limit)
                return replace(batch, deleted=batch.deleted + await self._strikes(conn, cutoff, held, limit))
            if kind is DataKind.AUDIT:
                return await self._audit_prefix(conn, cutoff, held, limit)
            if kind is DataKind.CONNECTION_RECORDS:
                return await self._connections(conn, cutoff, held, limit)
            batch = await self._accounts(conn, cutoff, held, limit)
            return replace(batch, deleted=batch.deleted + await self._identities(conn, now, held, limit))

    async def _strikes(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> int:
        """Art. 23 misuse strikes older than the moderation retention (they only count within a window)."""
        ids = await _delete_oldest(
            conn,
            misuse_strikes.c.id,
            misuse_strikes.c.created_at < cutoff,
            _not_held(misuse_strikes.c.account_id, held.accounts),
            _not_held(misuse_strikes.c.case_id, held.cases),
            limit=limit,
        )
        return len(ids)

    async def _identities(self, conn: AsyncConnection, now: float, held: Held, limit: int) -> int:
        """Identification data of deleted accounts (GDPR erasure) once their legal keep-until date passed."""
        ids = await _delete_oldest(
            conn,
            closed_identities.c.account_id,
            closed_identities.c.keep_until < now,
            _not_held(closed_identities.c.account_id, held.accounts),
            limit=limit,
        )
        return len(ids)

    async def _held_messages(self, conn: AsyncConnection, held: Held) -> frozenset[int]:
        """Messages a held case is about."""
        if not held.cases:
            return frozenset()
        rows = (
            await conn.execute(
                sa.select(cases.c.message_id)
                .where(cases.c.id.in_(sorted(held.cases)))
                .where(cases.c.message_id.is_not(None))
            )
        ).all()
        return frozenset(int(r[0]) for r in rows)

    async def _messages(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int, *, direct: bool) -> Batch:
        query = (
            sa.select(messages.c.id)
            .join(rooms, rooms.c.id == messages.c.room_id)
            .where(messages.c.created_at < cutoff)
            .where(_not_held(messages.c.room_id, held.rooms))
            .where(_not_held(messages.c.author_id, held.accounts))
            .where(_not_held(messages.c.id, await self._held_messages(conn, held)))
            .order_by(messages.c.id)
            .limit(limit)
        )
        if direct:
            query = (
                query.where(rooms.c.kind == DIRECT)
                .where(_not_held(rooms.c.dm_a, held.accounts))
                .where(_not_held(rooms.c.dm_b, held.accounts))
            )
        else:
            query = query.where(rooms.c.kind != DIRECT)
        ids = _ids((await conn.execute(query)).all())
        if ids:
            await conn.execute(messages.delete().where(messages.c.id.in_(ids)))
        return Batch(deleted=len(ids))

    async def _pictures(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> Batch:
        doomed: list[Any] = []
        after = ""
        while len(doomed) < limit:
            candidates = (
                await conn.execute(
                    sa.select(
                        media_items.c.id, media_items.c.account_id, media_items.c.sha256, media_items.c.thumb_sha256
                    )
                    .where(media_items.c.created_at < cutoff)
                    .where(media_items.c.id > after)
                    .where(_not_held(media_items.c.account_id, held.accounts))
                    .order_by(media_items.c.id)
                    .limit(limit)
                )
            ).all()
            if not candidates:
                break
            after = str(candidates[-1].id)
            # a picture stays while a kept message shows it (a held room, a held case, a younger message)
            shown: set[str] = set()
            authors = sorted({int(c.account_id) for c in candidates})
            rows = (
                await conn.execute(
                    sa.select(messages.c.media)
                    .where(messages.c.author_id.in_(authors))
                    .where(messages.c.media.is_not(None))
                )
            ).all()
            for (media,) in rows:
                value = json.loads(media) if isinstance(media, str) else media
                if isinstance(value, dict) and value.get("id"):
                    shown.add(str(value["id"]))
            doomed += [c for c in candidates if str(c.id) not in shown][: limit - len(doomed)]
        if not doomed:
            return Batch()
        await conn.execute(media_items.delete().where(media_items.c.id.in_([c.id for c in doomed])))
        files = sorted({str(c.sha256) for c in doomed} | {str(c.thumb_sha256) for c in doomed})
        return Batch(deleted=len(doomed), files=await self._tombstones(conn, "blob", files))

    async def _quarantine(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> Batch:
        ids = await _delete_oldest(
            conn,
            media_quarantine.c.id,
            media_quarantine.c.created_at < cutoff,
            _not_held(media_quarantine.c.account_id, held.accounts),
            _not_held(media_quarantine.c.id, held.quarantine),
            limit=limit,
        )
        if not ids:
            return Batch()
        return Batch(deleted=len(ids), files=await self._tombstones(conn, "quarantine", [str(i) for i in ids]))

    async def _cases(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> Batch:
        ids = _ids(
            (
                await conn.execute(
                    sa.select(cases.c.id)
                    .where(cases.c.status == "closed")
                    .where(cases.c.closed_at < cutoff)
                    .where(_not_held(cases.c.id, held.cases))
                    .where(_not_held(cases.c.account_id, held.accounts))
                    .where(_not_held(cases.c.room_id, held.rooms))
                    .order_by(cases.c.id)
                    .limit(limit)
                )
            ).all()
        )
        if not ids:
            return Batch()
        report_ids = sa.select(reports.c.id).where(reports.c.case_id.in_(ids))
        await conn.execute(report_context.delete().where(report_context.c.report_id.in_(report_ids)))
        await conn.execute(reports.delete().where(reports.c.case_id.in_(ids)))
        await conn.execute(cases.delete().where(cases.c.id.in_(ids)))
        return Batch(deleted=len(ids))

    async def _moderation(self, conn: AsyncConnection, cutoff: float, now: float, held: Held, limit: int) -> Batch:
        in_force = (
            sa.select(sanctions.c.action_id)
            .where(sanctions.c.lifted_at.is_(None))
            .where(sa.or_(sanctions.c.until.is_(None), sanctions.c.until > now))
        )
        ids = _ids(
            (
                await conn.execute(
                    sa.select(moderation_actions.c.id)
                    .where(moderation_actions.c.created_at < cutoff)
                    .where(moderation_actions.c.id.not_in(in_force))
                    .where(_not_held(moderation_actions.c.account_id, held.accounts))
                    .where(_not_held(moderation_actions.c.room_id, held.rooms))
                    .where(_not_held(moderation_actions.c.case_id, held.cases))
                    .order_by(moderation_actions.c.id)
                    .limit(limit)
                )
            ).all()
        )
        if not ids:
            return Batch()
        statement_ids = sa.select(statements.c.id).where(statements.c.action_id.in_(ids))
        await conn.execute(appeals.delete().where(appeals.c.statement_id.in_(statement_ids)))
        await conn.execute(statements.delete().where(statements.c.action_id.in_(ids)))
        await conn.execute(sanctions.delete().where(sanctions.c.action_id.in_(ids)))
        await conn.execute(moderation_actions.delete().where(moderation_actions.c.id.in_(ids)))
        return Batch(deleted=len(ids))

    async def _audit_prefix(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> Batch:
        """The oldest entries, up to the first one that is young enough or about held data."""
        head = (
            await conn.execute(
                sa.select(audit_head.c.last_id, audit_head.c.base_id).where(audit_head.c.id == 1).with_for_update()
            )
        ).first()
        if head is None:
            return Batch()
        rows = (
            await conn.execute(
                sa.select(audit_log.c.id, audit_log.c.ts_ms, audit_log.c.target, audit_log.c.hash)
                .where(audit_log.c.id > head.base_id)
                .order_by(audit_log.c.id)
                .limit(limit)
            )
        ).all()
        last: Any = None
        for row in rows:
            # the newest entry stays: the chain's head must remain checkable against audit_head
            if row.ts_ms >= cutoff * 1000 or held.holds_target(str(row.target)) or row.id >= head.last_id:
                break
            last = row
        if last is None:
            return Batch()
        await conn.execute(audit_log.delete().where(audit_log.c.id > head.base_id).where(audit_log.c.id <= last.id))
        await conn.execute(audit_head.update().where(audit_head.c.id == 1).values(base_id=last.id, base_hash=last.hash))
        return Batch(deleted=int(last.id) - int(head.base_id))

    async def _connections(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> Batch:
        ids = await _delete_oldest(
            conn,
            connection_records.c.id,
            sa.func.coalesce(connection_records.c.ended_at, connection_records.c.created_at) < cutoff,
            _not_held(connection_records.c.account_id, held.accounts),
            limit=limit,
        )
        return Batch(deleted=len(ids))

    async def _accounts(self, conn: AsyncConnection, cutoff: float, held: Held, limit: int) -> Batch:
        """Accounts closed (or guests expired) before ``cutoff`` with nothing of theirs left to keep."""
        closed_at = sa.case(
            (accounts.c.closed_at.is_not(None), accounts.c.closed_at),
            (accounts.c.kind == "guest", accounts.c.expires_at),
            else_=None,
        )
        direct_with_messages = (
            sa.select(rooms.c.id)
            .where(rooms.c.kind == DIRECT)
            .where(sa.or_(rooms.c.dm_a == accounts.c.id, rooms.c.dm_b == accounts.c.id))
            .where(sa.exists().where(messages.c.room_id == rooms.c.id))
        )
        ids = _ids(
            (
                await conn.execute(
                    sa.select(accounts.c.id)
                    .where(closed_at < cutoff)
                    .where(_not_held(accounts.c.id, held.accounts))
                    .where(~sa.exists().where(messages.c.author_id == accounts.c.id))
                    .where(~sa.exists().where(media_items.c.account_id == accounts.c.id))
                    .where(~sa.exists(direct_with_messages))
                    .order_by(accounts.c.id)
                    .limit(limit)
                )
            ).all()
        )
        if ids:
            # their sessions, memberships, blocks, friends, roles, connection records and empty direct
            # conversations go with them (foreign keys ON DELETE CASCADE); rooms they owned stay
            await conn.execute(accounts.delete().where(accounts.c.id.in_(ids)))
        return Batch(deleted=len(ids))

    async def _tombstones(self, conn: AsyncConnection, kind: str, refs: Sequence[str]) -> list[Tombstone]:
        out = []
        for ref in refs:
            result = await conn.execute(retention_tombstones.insert().values(kind=kind, ref=ref, created_at=0.0))
            pk = result.inserted_primary_key
            assert pk is not None
            out.append(Tombstone(int(pk[0]), kind, ref))
        return out

    async def tombstones(self, after_id: int, limit: int) -> list[Tombstone]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(retention_tombstones)
                    .where(retention_tombstones.c.id > after_id)
                    .order_by(retention_tombstones.c.id)
                    .limit(limit)
                )
            ).all()
        return [Tombstone(int(r.id), str(r.kind), str(r.ref)) for r in rows]

    async def blob_referenced(self, sha256: str) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(media_items.c.id)
                    .where(sa.or_(media_items.c.sha256 == sha256, media_items.c.thumb_sha256 == sha256))
                    .limit(1)
                )
            ).first()
        return row is not None

    async def drop_tombstones(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        async with self._tx() as conn:
            await conn.execute(retention_tombstones.delete().where(retention_tombstones.c.id.in_(list(ids))))

    async def start_run(self, now: float) -> int:
        async with self._tx() as conn:
            result = await conn.execute(retention_runs.insert().values(started_at=now, deleted={}))
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    async def finish_run(self, run_id: int, now: float, deleted: dict[str, int], audit: AuditDraft | None) -> None:
        async with self._tx() as conn:
            await conn.execute(
                retention_runs.update().where(retention_runs.c.id == run_id).values(finished_at=now, deleted=deleted)
            )
            if audit is not None:
                await self._mod._audit(conn, audit, now)

    # -- connection records ---------------------------------------------------------------------

    async def write_connections(
        self, opened: Sequence[ConnectionOpened], ended: Sequence[tuple[int, float]]
    ) -> dict[int, int]:
        rows: dict[int, int] = {}
        async with self._tx() as conn:
            if opened:
                values = [
                    {
                        "account_id": c.account_id,
                        "event": "websocket",
                        "ip": c.ip,
                        "port": c.port,
                        "user_agent": (c.user_agent or "")[:256] or None,
                        "device_id": c.device_id,
                        "created_at": c.started_at,
                        "ended_at": c.ended_at,
                    }
                    for c in opened
                ]
                if self._store.is_sqlite:
                    # the writer holds the database's write lock (BEGIN IMMEDIATE): the rows inserted now
                    # get the next rowids, in order; a plain executemany is ten times faster than RETURNING
                    before = (
                        await conn.execute(sa.select(sa.func.coalesce(sa.func.max(connection_records.c.id), 0)))
                    ).scalar_one()
                    await conn.execute(connection_records.insert(), values)
                    ids = (
                        await conn.execute(
                            sa.select(connection_records.c.id)
                            .where(connection_records.c.id > before)
                            .order_by(connection_records.c.id)
                        )
                    ).all()
                else:  # PostgreSQL: other nodes insert at the same time; ids come back in parameter order
                    ids = (
                        await conn.execute(
                            connection_records.insert().returning(
                                connection_records.c.id, sort_by_parameter_order=True
                            ),
                            values,
                        )
                    ).all()
                for c, row in zip(opened, ids, strict=True):
                    rows[c.key] = int(row[0])
            if ended:
                await conn.execute(
                    connection_records.update()
                    .where(connection_records.c.id == sa.bindparam("row_id"))
                    .values(ended_at=sa.bindparam("at")),
                    [{"row_id": row_id, "at": at} for row_id, at in ended],
                )
        return rows


def _union(a: Held, b: Held) -> Held:
    return Held(
        accounts=a.accounts | b.accounts,
        rooms=a.rooms | b.rooms,
        cases=a.cases | b.cases,
        quarantine=a.quarantine | b.quarantine,
    )


def _hold(row: Row[Any]) -> Hold:
    return Hold(
        id=int(row.id),
        kind=HoldKind(str(row.target_kind)),
        target_id=str(row.target_id),
        reason=str(row.reason),
        source=str(row.source),
        created_at=float(row.created_at),
        expires_at=float(row.expires_at) if row.expires_at is not None else None,
        created_by=int(row.created_by) if row.created_by is not None else None,
        released_at=float(row.released_at) if row.released_at is not None else None,
        released_by=int(row.released_by) if row.released_by is not None else None,
    )
