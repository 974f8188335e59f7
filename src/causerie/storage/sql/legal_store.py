"""The legal storage port on SQLAlchemy Core (SQLite and PostgreSQL).

May import: stdlib, sqlalchemy, ``causerie.storage.legal``, ``causerie.storage.sql``, ``causerie.domain``,
``causerie.ids``, ``causerie.errors``.

Evidence is read in one read-only transaction per export (a consistent snapshot on PostgreSQL).
Every query is parameterised (SQLAlchemy Core).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row as SaRow
from sqlalchemy.ext.asyncio import AsyncConnection

from causerie.ids import AccountId
from causerie.storage.legal import Erasure, Evidence, EvidenceScope, Flagger, Row
from causerie.storage.sql.schema import (
    accounts,
    appeals,
    authority_reports,
    blocks,
    cases,
    closed_identities,
    connection_records,
    friends,
    legal_exports,
    legal_holds,
    media_items,
    media_matches,
    media_quarantine,
    messages,
    moderation_actions,
    notice_sources,
    report_bundles,
    report_context,
    reports,
    room_members,
    rooms,
    sessions,
    statements,
    trusted_flaggers,
)
from causerie.storage.sql.store import SqlStoreExtension

_CHUNK = 500  # ids per IN (...) clause


def _row(row: Any) -> Row:
    return dict(row._mapping)


def _account(row: Any) -> Row:
    out = _row(row)
    out.pop("password_hash", None)
    out.pop("nick_skel", None)
    return out


def _chunks(ids: Iterable[Any]) -> list[list[Any]]:
    values = sorted(set(ids))
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _message_columns() -> list[Any]:
    return [
        messages.c.id,
        messages.c.room_id,
        rooms.c.slug.label("room_slug"),
        rooms.c.kind.label("room_kind"),
        messages.c.seq,
        messages.c.author_id,
        accounts.c.nickname.label("author_nick"),
        messages.c.text,
        messages.c.reply_seq,
        messages.c.media,
        messages.c.state,
        messages.c.created_at,
    ]


def _message_query() -> sa.Select[Any]:
    return sa.select(*_message_columns()).select_from(
        messages.join(rooms, rooms.c.id == messages.c.room_id).join(accounts, accounts.c.id == messages.c.author_id)
    )


def _flagger(row: SaRow[Any]) -> Flagger:
    return Flagger(
        id=int(row.id),
        name=str(row.name),
        contact_email=row.contact_email,
        key_prefix=str(row.key_prefix),
        created_at=float(row.created_at),
        revoked_at=float(row.revoked_at) if row.revoked_at is not None else None,
    )


def _source(row: Row) -> str:
    """Where a notice came from: trusted flagger (marked), user (signed in), automated (no reporter
    and no address: the rules engine, hash matching), anonymous (the public form)."""
    if row.get("notice_source"):
        return str(row["notice_source"])
    if row.get("reporter_id") is not None:
        return "user"
    if row.get("reporter_ip") is None:
        return "automated"
    return "anonymous"


def _report_query() -> sa.Select[Any]:
    return sa.select(
        reports,
        notice_sources.c.source.label("notice_source"),
        notice_sources.c.flagger_id,
    ).select_from(reports.outerjoin(notice_sources, notice_sources.c.report_id == reports.c.id))


def _with_source(rows: Sequence[Any]) -> list[Row]:
    out = []
    for r in rows:
        row = _row(r)
        row["source"] = _source(row)
        row.pop("notice_source", None)
        out.append(row)
    return out


class SqlLegalStore(SqlStoreExtension):
    # -- lookups ------------------------------------------------------------------------------

    async def find_account(self, nick_or_id: str) -> Row | None:
        value = nick_or_id.strip()
        async with self._ro() as conn:
            if value.isdigit():
                row = (await conn.execute(sa.select(accounts).where(accounts.c.id == int(value)))).first()
                return _account(row) if row else None
            row = (
                await conn.execute(
                    sa.select(accounts)
                    .where(sa.func.lower(accounts.c.nickname) == value.lower())
                    .order_by(accounts.c.closed_at.is_not(None), accounts.c.id.desc())
                    .limit(1)
                )
            ).first()
            if row is not None:
                return _account(row)
            closed = (
                await conn.execute(
                    sa.select(closed_identities.c.account_id)
                    .where(sa.func.lower(closed_identities.c.nickname) == value.lower())
                    .order_by(closed_identities.c.closed_at.desc())
                    .limit(1)
                )
            ).first()
            if closed is None:
                return None
            row = (await conn.execute(sa.select(accounts).where(accounts.c.id == closed.account_id))).first()
            return _account(row) if row else None

    async def find_room(self, slug: str) -> Row | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(rooms).where(rooms.c.slug == slug))).first()
        return _row(row) if row else None

    async def get_case(self, case_id: int) -> Row | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))).first()
        return _row(row) if row else None

    # -- evidence -----------------------------------------------------------------------------

    async def collect(self, scope: EvidenceScope) -> Evidence:
        ev = Evidence()
        t0, t1 = scope.start, scope.end
        async with self._ro() as conn:
            subjects: set[int] = set()
            msgs: dict[int, Row] = {}
            report_rows: dict[int, Any] = {}
            case_rows: dict[int, Row] = {}
            room_ids: set[int] = set()
            if scope.kind == "account":
                subjects.add(scope.target)
            elif scope.kind == "room":
                room_ids.add(scope.target)
                query = (
                    _message_query()
                    .where(messages.c.room_id == scope.target)
                    .where(messages.c.created_at.between(t0, t1))
                    .order_by(messages.c.seq)
                )
                for r in (await conn.execute(query)).all():
                    msgs[int(r.id)] = _row(r)
                subjects |= {int(m["author_id"]) for m in msgs.values()}
            else:
                case = (await conn.execute(sa.select(cases).where(cases.c.id == scope.target))).first()
                if case is not None:
                    case_rows[int(case.id)] = _row(case)
                    if case.account_id is not None:
                        subjects.add(int(case.account_id))
                    if case.room_id is not None and case.target_kind == "room":
                        room_ids.add(int(case.room_id))
                    for r in (await conn.execute(_report_query().where(reports.c.case_id == scope.target))).all():
                        report_rows[int(r.id)] = r
            for account_id in sorted(subjects) if scope.kind != "room" else []:
                await self._account_messages(conn, account_id, t0, t1, scope.context, msgs)
            # reports and cases about the subjects or the room, in the period
            if scope.kind != "case":
                conditions = []
                if subjects and scope.kind == "account":
                    ids = list(subjects)
                    conditions += [reports.c.account_id.in_(ids), reports.c.reporter_id.in_(ids)]
                if room_ids:
                    conditions.append(reports.c.room_id.in_(list(room_ids)))
                if conditions:
                    query = _report_query().where(sa.or_(*conditions)).where(reports.c.created_at.between(t0, t1))
                    for r in (await conn.execute(query)).all():
                        report_rows[int(r.id)] = r
                case_ids = {int(r.case_id) for r in report_rows.values()}
                case_cond = []
                if scope.kind == "account":
                    case_cond.append(cases.c.account_id.in_(list(subjects)))
                if room_ids:
                    case_cond.append(cases.c.room_id.in_(list(room_ids)))
                if case_ids:
                    case_cond.append(cases.c.id.in_(sorted(case_ids)))
                if case_cond:
                    query = sa.select(cases).where(sa.or_(*case_cond))
                    for r in (await conn.execute(query)).all():
                        if int(r.id) in case_ids or t0 <= float(r.created_at) <= t1:
                            case_rows[int(r.id)] = _row(r)
            reports_out = _with_source(list(report_rows.values()))
            contexts: list[Row] = []
            for chunk in _chunks(report_rows):
                query = sa.select(report_context).where(report_context.c.report_id.in_(chunk))
                contexts += [_row(r) for r in (await conn.execute(query.order_by(report_context.c.id))).all()]
            # moderation actions, statements, appeals
            action_cond = []
            if case_rows:
                action_cond.append(moderation_actions.c.case_id.in_(sorted(case_rows)))
            if scope.kind == "account":
                action_cond.append(moderation_actions.c.account_id.in_(list(subjects)))
            if scope.kind == "room":
                action_cond.append(moderation_actions.c.room_id.in_(list(room_ids)))
            actions: list[Row] = []
            if action_cond:
                query = sa.select(moderation_actions).where(sa.or_(*action_cond))
                if scope.kind != "case":
                    query = query.where(moderation_actions.c.created_at.between(t0, t1))
                actions = [_row(r) for r in (await conn.execute(query.order_by(moderation_actions.c.id))).all()]
            action_ids = [int(a["id"]) for a in actions]
            stmts: list[Row] = []
            for chunk in _chunks(action_ids):
                query = sa.select(statements).where(statements.c.action_id.in_(chunk)).order_by(statements.c.id)
                stmts += [_row(r) for r in (await conn.execute(query)).all()]
            appeal_rows: list[Row] = []
            for chunk in _chunks(int(s["id"]) for s in stmts):
                query = sa.select(appeals).where(appeals.c.statement_id.in_(chunk)).order_by(appeals.c.id)
                appeal_rows += [_row(r) for r in (await conn.execute(query)).all()]
            # identification data and connection records of the subjects
            idents: list[Row] = []
            conns: list[Row] = []
            for chunk in _chunks(subjects):
                query = sa.select(accounts).where(accounts.c.id.in_(chunk)).order_by(accounts.c.id)
                idents += [_account(r) for r in (await conn.execute(query)).all()]
                query = sa.select(closed_identities).where(closed_identities.c.account_id.in_(chunk))
                closed = {int(r.account_id): _row(r) for r in (await conn.execute(query)).all()}
                for ident in idents:
                    if int(ident["id"]) in closed:
                        ident["identity_at_closure"] = closed[int(ident["id"])]
                query = (
                    sa.select(connection_records)
                    .where(connection_records.c.account_id.in_(chunk))
                    .where(connection_records.c.created_at.between(t0, t1))
                    .order_by(connection_records.c.created_at, connection_records.c.id)
                )
                conns += [_row(r) for r in (await conn.execute(query)).all()]
            holds: list[Row] = []
            hold_targets = [("account", str(a)) for a in subjects] + [("room", str(r)) for r in room_ids]
            hold_targets += [("case", str(c)) for c in case_rows]
            for kind, target in hold_targets:
                query = sa.select(legal_holds).where(
                    legal_holds.c.target_kind == kind, legal_holds.c.target_id == target
                )
                holds += [_row(r) for r in (await conn.execute(query)).all()]
            # pictures: uploaded by the subjects in the period, and shown in the messages exported
            media_ids = {str(m["media"]["id"]) for m in msgs.values() if isinstance(m.get("media"), dict)}
            pictures: dict[str, Row] = {}
            if scope.kind != "room" and subjects:
                query = (
                    sa.select(media_items)
                    .where(media_items.c.account_id.in_(list(subjects)))
                    .where(media_items.c.created_at.between(t0, t1))
                )
                pictures.update({str(r.id): _row(r) for r in (await conn.execute(query)).all()})
            for chunk in _chunks(media_ids):
                query = sa.select(media_items).where(media_items.c.id.in_(chunk))
                pictures.update({str(r.id): _row(r) for r in (await conn.execute(query)).all()})
            quarantine: list[Row] = []
            matches: list[Row] = []
            bundles: list[Row] = []
            if subjects:
                ids = list(subjects)
                query = (
                    sa.select(media_quarantine)
                    .where(media_quarantine.c.account_id.in_(ids))
                    .where(media_quarantine.c.created_at.between(t0, t1))
                )
                quarantine = [_row(r) for r in (await conn.execute(query)).all()]
                query = sa.select(media_matches).where(media_matches.c.account_id.in_(ids))
                matches = [_row(r) for r in (await conn.execute(query)).all() if t0 <= float(r.created_at) <= t1]
                query = sa.select(report_bundles).where(report_bundles.c.account_id.in_(ids))
                bundles = [_row(r) for r in (await conn.execute(query)).all() if t0 <= float(r.created_at) <= t1]
            authority: list[Row] = []
            for chunk in _chunks(case_rows):
                query = sa.select(authority_reports).where(authority_reports.c.case_id.in_(chunk))
                authority += [_row(r) for r in (await conn.execute(query.order_by(authority_reports.c.id))).all()]
            room_rows: list[Row] = []
            all_rooms = room_ids | {int(m["room_id"]) for m in msgs.values()}
            for chunk in _chunks(all_rooms):
                query = sa.select(rooms).where(rooms.c.id.in_(chunk)).order_by(rooms.c.id)
                room_rows += [_row(r) for r in (await conn.execute(query)).all()]
        ev.files = {
            "accounts": idents,
            "connection_records": conns,
            "rooms": room_rows,
            "messages": sorted(msgs.values(), key=lambda m: (m["created_at"], m["id"])),
            "reports": sorted(reports_out, key=lambda r: int(r["id"])),
            "report_context": contexts,
            "cases": [case_rows[c] for c in sorted(case_rows)],
            "moderation_actions": actions,
            "statements": stmts,
            "appeals": appeal_rows,
            "pictures": [pictures[p] for p in sorted(pictures)],
            "quarantine": quarantine,
            "hash_matches": matches,
            "report_bundles": bundles,
            "authority_reports": authority,
            "legal_holds": holds,
        }
        ev.account_ids = sorted(subjects)
        ev.case_ids = sorted(case_rows)
        ev.media_ids = sorted(pictures)
        ev.quarantine_ids = sorted(str(q["id"]) for q in quarantine)
        return ev

    async def _account_messages(
        self, conn: AsyncConnection, account_id: int, t0: float, t1: float, context: int, out: dict[int, Row]
    ) -> None:
        """An account's messages of the period; whole private conversations; ``context`` around the rest."""
        query = (
            _message_query()
            .where(messages.c.author_id == account_id)
            .where(messages.c.created_at.between(t0, t1))
            .order_by(messages.c.id)
        )
        own = [_row(r) for r in (await conn.execute(query)).all()]
        dm_rooms = [
            int(r.id)
            for r in (
                await conn.execute(
                    sa.select(rooms.c.id).where(sa.or_(rooms.c.dm_a == account_id, rooms.c.dm_b == account_id))
                )
            ).all()
        ]
        for chunk in _chunks(dm_rooms):
            query = (
                _message_query()
                .where(messages.c.room_id.in_(chunk))
                .where(messages.c.created_at.between(t0, t1))
                .order_by(messages.c.id)
            )
            for r in (await conn.execute(query)).all():
                out[int(r.id)] = _row(r)
        by_room: dict[int, list[int]] = {}
        for m in own:
            out[int(m["id"])] = m
            if int(m["room_id"]) not in dm_rooms:
                by_room.setdefault(int(m["room_id"]), []).append(int(m["seq"]))
        if context <= 0:
            return
        for room_id, seqs in by_room.items():
            ranges: list[tuple[int, int]] = []
            for seq in sorted(seqs):
                lo, hi = seq - context, seq + context
                if ranges and lo <= ranges[-1][1] + 1:
                    ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
                else:
                    ranges.append((lo, hi))
            for i in range(0, len(ranges), 100):
                cond = sa.or_(*(messages.c.seq.between(lo, hi) for lo, hi in ranges[i : i + 100]))
                query = _message_query().where(messages.c.room_id == room_id).where(cond)
                for r in (await conn.execute(query)).all():
                    row = _row(r)
                    row["context_only"] = int(r.author_id) != account_id
                    out.setdefault(int(r.id), row)

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
    ) -> int:
        async with self._tx() as conn:
            result = await conn.execute(
                legal_exports.insert().values(
                    request_ref=request_ref,
                    scope=scope,
                    period_from=start,
                    period_to=end,
                    include_quarantine=include_quarantine,
                    manifest_sha256=manifest_sha256,
                    files=files,
                    actor_id=actor_id,
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    async def list_exports(self, limit: int) -> list[Row]:
        async with self._ro() as conn:
            query = sa.select(legal_exports).order_by(legal_exports.c.id.desc()).limit(limit)
            return [_row(r) for r in (await conn.execute(query)).all()]

    # -- reports to the authorities -----------------------------------------------------------

    async def case_material(self, case_id: int, start: float, end: float) -> dict[str, Any]:
        async with self._ro() as conn:
            case = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))).first()
            if case is None:
                return {}
            rep = _with_source((await conn.execute(_report_query().where(reports.c.case_id == case_id))).all())
            report_ids = [int(r["id"]) for r in rep]
            ctx: list[Row] = []
            for chunk in _chunks(report_ids):
                query = sa.select(report_context).where(report_context.c.report_id.in_(chunk))
                ctx += [_row(r) for r in (await conn.execute(query.order_by(report_context.c.id))).all()]
            reporters: dict[int, Row] = {}
            ids = {int(r["reporter_id"]) for r in rep if r.get("reporter_id") is not None}
            for chunk in _chunks(ids):
                query = sa.select(accounts).where(accounts.c.id.in_(chunk))
                reporters.update({int(r.id): _account(r) for r in (await conn.execute(query)).all()})
            suspect: Row | None = None
            conns: list[Row] = []
            quarantine: list[Row] = []
            matches: list[Row] = []
            if case.account_id is not None:
                row = (await conn.execute(sa.select(accounts).where(accounts.c.id == case.account_id))).first()
                suspect = _account(row) if row else None
                closed = (
                    await conn.execute(
                        sa.select(closed_identities).where(closed_identities.c.account_id == case.account_id)
                    )
                ).first()
                if suspect is not None and closed is not None:
                    suspect["identity_at_closure"] = _row(closed)
                query = (
                    sa.select(connection_records)
                    .where(connection_records.c.account_id == case.account_id)
                    .where(connection_records.c.created_at.between(start, end))
                    .order_by(connection_records.c.created_at)
                )
                conns = [_row(r) for r in (await conn.execute(query)).all()]
                query = sa.select(media_matches).where(media_matches.c.account_id == case.account_id)
                matches = [_row(r) for r in (await conn.execute(query)).all()]
                query = sa.select(media_quarantine).where(media_quarantine.c.account_id == case.account_id)
                quarantine = [_row(r) for r in (await conn.execute(query)).all()]
            room = None
            if case.room_id is not None:
                row = (await conn.execute(sa.select(rooms).where(rooms.c.id == case.room_id))).first()
                room = _row(row) if row else None
            acts = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(moderation_actions)
                        .where(moderation_actions.c.case_id == case_id)
                        .order_by(moderation_actions.c.id)
                    )
                ).all()
            ]
        return {
            "case": _row(case),
            "reports": rep,
            "context": ctx,
            "reporters": reporters,
            "suspect": suspect,
            "connections": conns,
            "matches": matches,
            "quarantine": quarantine,
            "room": room,
            "actions": acts,
        }

    async def add_authority_report(
        self, case_id: int, kind: str, authority: str, payload: dict[str, Any], actor_id: int | None, now: float
    ) -> int:
        async with self._tx() as conn:
            result = await conn.execute(
                authority_reports.insert().values(
                    case_id=case_id,
                    kind=kind,
                    authority=authority,
                    payload=payload,
                    created_by=actor_id,
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    async def authority_reports(self, case_ids: list[int] | None, limit: int) -> list[Row]:
        query = sa.select(authority_reports).order_by(authority_reports.c.id.desc()).limit(limit)
        if case_ids is not None:
            query = query.where(authority_reports.c.case_id.in_(case_ids))
        async with self._ro() as conn:
            return [_row(r) for r in (await conn.execute(query)).all()]

    # -- trusted flaggers ---------------------------------------------------------------------

    async def add_flagger(
        self, name: str, contact_email: str | None, key_prefix: str, key_hash: str, actor_id: int | None, now: float
    ) -> Flagger:
        async with self._tx() as conn:
            result = await conn.execute(
                trusted_flaggers.insert().values(
                    name=name,
                    contact_email=contact_email,
                    key_prefix=key_prefix,
                    key_hash=key_hash,
                    created_by=actor_id,
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            row = (await conn.execute(sa.select(trusted_flaggers).where(trusted_flaggers.c.id == pk[0]))).one()
        return _flagger(row)

    async def flaggers(self) -> list[Flagger]:
        async with self._ro() as conn:
            rows = (await conn.execute(sa.select(trusted_flaggers).order_by(trusted_flaggers.c.id))).all()
        return [_flagger(r) for r in rows]

    async def flagger_by_prefix(self, key_prefix: str) -> tuple[Flagger, str] | None:
        async with self._ro() as conn:
            row = (
                await conn.execute(sa.select(trusted_flaggers).where(trusted_flaggers.c.key_prefix == key_prefix))
            ).first()
        return (_flagger(row), str(row.key_hash)) if row else None

    async def revoke_flagger(self, flagger_id: int, actor_id: int | None, now: float) -> Flagger | None:
        async with self._tx() as conn:
            await conn.execute(
                trusted_flaggers.update()
                .where(trusted_flaggers.c.id == flagger_id)
                .where(trusted_flaggers.c.revoked_at.is_(None))
                .values(revoked_at=now, revoked_by=actor_id)
            )
            row = (await conn.execute(sa.select(trusted_flaggers).where(trusted_flaggers.c.id == flagger_id))).first()
        return _flagger(row) if row else None

    async def mark_notice(self, report_id: int, case_id: int, source: str, flagger_id: int | None, now: float) -> None:
        async with self._tx() as conn:
            await conn.execute(
                notice_sources.insert().values(
                    report_id=report_id, source=source, flagger_id=flagger_id, case_id=case_id, created_at=now
                )
            )

    async def trusted_case(self, case_id: int) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(notice_sources.c.report_id)
                    .where(notice_sources.c.case_id == case_id)
                    .where(notice_sources.c.source == "trusted_flagger")
                    .limit(1)
                )
            ).first()
        return row is not None

    # -- transparency -------------------------------------------------------------------------

    async def transparency_rows(self, start: float, end: float) -> dict[str, list[Row]]:
        async with self._ro() as conn:
            rep = _with_source(
                (
                    await conn.execute(
                        _report_query().where(reports.c.created_at.between(start, end)).order_by(reports.c.id)
                    )
                ).all()
            )
            acts = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(moderation_actions, cases.c.category.label("case_category"))
                        .select_from(moderation_actions.outerjoin(cases, cases.c.id == moderation_actions.c.case_id))
                        .where(moderation_actions.c.created_at.between(start, end))
                        .order_by(moderation_actions.c.id)
                    )
                ).all()
            ]
            stmts = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(
                            statements,
                            moderation_actions.c.message_ids,
                            moderation_actions.c.case_id,
                            moderation_actions.c.room_id,
                            cases.c.category.label("case_category"),
                        )
                        .select_from(
                            statements.join(
                                moderation_actions, moderation_actions.c.id == statements.c.action_id
                            ).outerjoin(cases, cases.c.id == moderation_actions.c.case_id)
                        )
                        .where(statements.c.created_at.between(start, end))
                        .order_by(statements.c.id)
                    )
                ).all()
            ]
            # the first report of each case (notice → action time) and whether messages carried pictures
            case_ids = {int(a["case_id"]) for a in acts if a.get("case_id") is not None}
            first_notice: dict[int, float] = {}
            for chunk in _chunks(case_ids):
                query = (
                    sa.select(reports.c.case_id, sa.func.min(reports.c.created_at))
                    .where(reports.c.case_id.in_(chunk))
                    .group_by(reports.c.case_id)
                )
                first_notice.update({int(r[0]): float(r[1]) for r in (await conn.execute(query)).all()})
            for a in acts:
                a["first_notice_at"] = first_notice.get(int(a["case_id"])) if a.get("case_id") is not None else None
            message_ids = {int(i) for s in stmts for i in (s.get("message_ids") or [])}
            with_media: set[int] = set()
            for chunk in _chunks(message_ids):
                query = sa.select(messages.c.id, messages.c.media).where(messages.c.id.in_(chunk))
                with_media |= {int(r.id) for r in (await conn.execute(query)).all() if r.media}
            stmt_cases = {int(s["case_id"]) for s in stmts if s.get("case_id") is not None}
            trusted: set[int] = set()
            human: set[int] = set()
            for chunk in _chunks(stmt_cases):
                query = sa.select(notice_sources.c.case_id).where(notice_sources.c.case_id.in_(chunk))
                trusted |= {int(r.case_id) for r in (await conn.execute(query)).all()}
                query = (
                    sa.select(reports.c.case_id)
                    .where(reports.c.case_id.in_(chunk))
                    .where(sa.or_(reports.c.reporter_id.is_not(None), reports.c.reporter_ip.is_not(None)))
                )
                human |= {int(r.case_id) for r in (await conn.execute(query)).all()}
            for s in stmts:
                ids = [int(i) for i in (s.get("message_ids") or [])]
                s["has_media"] = any(i in with_media for i in ids)
                case_id = s.get("case_id")
                if case_id is None:
                    s["notice_source"] = None
                elif int(case_id) in trusted:
                    s["notice_source"] = "trusted_flagger"
                elif int(case_id) in human:
                    s["notice_source"] = "user"
                else:
                    s["notice_source"] = "automated"
            appeal_rows = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(appeals).where(appeals.c.created_at.between(start, end)).order_by(appeals.c.id)
                    )
                ).all()
            ]
        return {"reports": rep, "actions": acts, "statements": stmts, "appeals": appeal_rows}

    # -- the data subject ---------------------------------------------------------------------

    async def password_hash(self, account_id: AccountId) -> str | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(accounts.c.password_hash).where(accounts.c.id == account_id))).first()
        return row.password_hash if row else None

    async def personal_data(self, account_id: AccountId) -> dict[str, list[Row]]:
        """The account's own data; nothing that identifies someone else beyond what they saw."""
        async with self._ro() as conn:
            acc = [
                _account(r) for r in (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).all()
            ]
            own = (
                await conn.execute(_message_query().where(messages.c.author_id == account_id).order_by(messages.c.id))
            ).all()
            msgs = []
            for r in own:
                row = _row(r)
                row.pop("author_nick", None)
                msgs.append(row)
            memberships = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(
                            room_members.c.room_id,
                            rooms.c.slug,
                            rooms.c.name,
                            room_members.c.role,
                            room_members.c.created_at,
                        )
                        .select_from(room_members.join(rooms, rooms.c.id == room_members.c.room_id))
                        .where(room_members.c.account_id == account_id)
                    )
                ).all()
            ]
            owned = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(rooms.c.id, rooms.c.slug, rooms.c.name, rooms.c.topic, rooms.c.created_at).where(
                            rooms.c.owner_id == account_id
                        )
                    )
                ).all()
            ]
            friend_rows = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(
                            friends.c.requester_id, friends.c.target_id, friends.c.accepted, friends.c.created_at
                        ).where(sa.or_(friends.c.requester_id == account_id, friends.c.target_id == account_id))
                    )
                ).all()
            ]
            block_rows = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(blocks.c.blocked_id, blocks.c.created_at).where(blocks.c.blocker_id == account_id)
                    )
                ).all()
            ]
            conns = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(connection_records)
                        .where(connection_records.c.account_id == account_id)
                        .order_by(connection_records.c.created_at)
                    )
                ).all()
            ]
            pics = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(
                            media_items.c.id,
                            media_items.c.content_type,
                            media_items.c.width,
                            media_items.c.height,
                            media_items.c.bytes,
                            media_items.c.scope,
                            media_items.c.state,
                            media_items.c.created_at,
                        ).where(media_items.c.account_id == account_id)
                    )
                ).all()
            ]
            filed = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(
                            reports.c.id,
                            reports.c.category,
                            reports.c.details,
                            reports.c.target_kind,
                            reports.c.message_id,
                            reports.c.room_id,
                            reports.c.outcome,
                            reports.c.outcome_at,
                            reports.c.created_at,
                        ).where(reports.c.reporter_id == account_id)
                    )
                ).all()
            ]
            stmts = [
                _row(r)
                for r in (await conn.execute(sa.select(statements).where(statements.c.account_id == account_id))).all()
            ]
            appeal_rows = [
                _row(r)
                for r in (
                    await conn.execute(
                        sa.select(
                            appeals.c.id,
                            appeals.c.statement_id,
                            appeals.c.text,
                            appeals.c.status,
                            appeals.c.decided_at,
                            appeals.c.decision_reason,
                            appeals.c.created_at,
                        ).where(appeals.c.account_id == account_id)
                    )
                ).all()
            ]
        return {
            "account": acc,
            "messages": msgs,
            "rooms_joined": memberships,
            "rooms_owned": owned,
            "friends": friend_rows,
            "blocks": block_rows,
            "connection_records": conns,
            "pictures": pics,
            "reports_filed": filed,
            "statements_of_reasons": stmts,
            "appeals": appeal_rows,
        }

    async def account_rooms(self, account_id: AccountId) -> list[int]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(sa.select(messages.c.room_id).where(messages.c.author_id == account_id).distinct())
            ).all()
        return sorted(int(r.room_id) for r in rows)

    async def erase_account(
        self,
        account_id: AccountId,
        *,
        keep_identity_until: float,
        held_rooms: set[int],
        keep_all: bool,
        now: float,
    ) -> Erasure:
        async with self._tx() as conn:
            acc = (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).one()
            sessions_deleted = (
                await conn.execute(sessions.delete().where(sessions.c.account_id == account_id))
            ).rowcount
            if keep_all:  # under legal hold: closed (no sign-in), nothing erased
                await conn.execute(
                    accounts.update().where(accounts.c.id == account_id).values(closed_at=now, nick_skel=None)
                )
                held = (
                    await conn.execute(
                        sa.select(sa.func.count()).select_from(messages).where(messages.c.author_id == account_id)
                    )
                ).scalar_one()
                pic_count = (
                    await conn.execute(
                        sa.select(sa.func.count())
                        .select_from(media_items)
                        .where(media_items.c.account_id == account_id)
                    )
                ).scalar_one()
                return Erasure(0, int(held), [], int(pic_count), 0, int(sessions_deleted or 0))
            existing = (
                await conn.execute(sa.select(closed_identities).where(closed_identities.c.account_id == account_id))
            ).first()
            if existing is None:
                await conn.execute(
                    closed_identities.insert().values(
                        account_id=account_id,
                        kind=acc.kind,
                        nickname=acc.nickname,
                        email=acc.email,
                        age=acc.age,
                        gender=acc.gender,
                        region=acc.region,
                        created_at=acc.created_at,
                        closed_at=now,
                        keep_until=keep_identity_until,
                    )
                )
            await conn.execute(
                accounts.update()
                .where(accounts.c.id == account_id)
                .values(
                    nickname=f"deleted-{int(account_id)}",
                    nick_skel=None,
                    email=None,
                    password_hash=None,
                    dm_policy=None,
                    gender="x",
                    region="XX",
                    closed_at=now,
                    expires_at=None,
                )
            )
            erase = messages.update().where(messages.c.author_id == account_id)
            kept_query = sa.select(sa.func.count()).select_from(messages).where(messages.c.author_id == account_id)
            if held_rooms:
                erase = erase.where(messages.c.room_id.not_in(sorted(held_rooms)))
                kept = (await conn.execute(kept_query.where(messages.c.room_id.in_(sorted(held_rooms))))).scalar_one()
            else:
                kept = 0
            erased = (await conn.execute(erase.values(text="", media=None, state="removed"))).rowcount
            relations = 0
            relations += (
                await conn.execute(room_members.delete().where(room_members.c.account_id == account_id))
            ).rowcount
            relations += (
                await conn.execute(
                    friends.delete().where(
                        sa.or_(friends.c.requester_id == account_id, friends.c.target_id == account_id)
                    )
                )
            ).rowcount
            relations += (
                await conn.execute(
                    blocks.delete().where(sa.or_(blocks.c.blocker_id == account_id, blocks.c.blocked_id == account_id))
                )
            ).rowcount
            # pictures: shown in a kept (held) message stay; the others go, files when no row uses them
            held_media: set[str] = set()
            if held_rooms:
                query = (
                    sa.select(messages.c.media)
                    .where(messages.c.author_id == account_id)
                    .where(messages.c.room_id.in_(sorted(held_rooms)))
                )
                held_media = {
                    str(r.media["id"]) for r in (await conn.execute(query)).all() if isinstance(r.media, dict)
                }
            pics = (
                await conn.execute(
                    sa.select(media_items.c.id, media_items.c.sha256, media_items.c.thumb_sha256).where(
                        media_items.c.account_id == account_id
                    )
                )
            ).all()
            gone = [p for p in pics if str(p.id) not in held_media]
            shas: set[str] = set()
            for chunk in _chunks(str(p.id) for p in gone):
                await conn.execute(media_items.delete().where(media_items.c.id.in_(chunk)))
            for p in gone:
                shas |= {str(p.sha256), str(p.thumb_sha256)}
            unused = []
            for sha in sorted(shas):
                used = (
                    await conn.execute(
                        sa.select(media_items.c.id)
                        .where(sa.or_(media_items.c.sha256 == sha, media_items.c.thumb_sha256 == sha))
                        .limit(1)
                    )
                ).first()
                if used is None:
                    unused.append(sha)
        return Erasure(
            messages_erased=int(erased or 0),
            messages_kept_held=int(kept),
            pictures_removed=unused,
            pictures_kept_held=len(pics) - len(gone),
            relations_deleted=int(relations or 0),
            sessions_deleted=int(sessions_deleted or 0),
        )
