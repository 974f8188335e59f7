"""The media tables on SQLAlchemy Core (SQLite and PostgreSQL).

May import: stdlib, sqlalchemy, ``causerie.storage.media``, ``causerie.storage.sql``, ``causerie.domain``,
``causerie.ids``, ``causerie.errors``.

It shares ``SqlStore``'s engines (on SQLite: its single writer connection). A match is recorded in
one transaction: the quarantine row, the match rows, the restriction, the legal holds and the
report bundle appear together or not at all.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

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
    UploadScope,
    best_hit,
)
from causerie.ids import AccountId
from causerie.storage.media import BundleRow, ImportProgress
from causerie.storage.sql.schema import (
    account_restrictions,
    hash_bank_entries,
    hash_bank_imports,
    hash_banks,
    legal_holds,
    media_items,
    media_matches,
    media_quarantine,
    report_bundles,
)
from causerie.storage.sql.store import SqlStoreExtension

_IN_BATCH = 500  # values per IN (…) list


class SqlMediaRecords(SqlStoreExtension):
    """Picture, bank, match and quarantine records, on the same database as ``SqlStore``."""

    # -- pictures -------------------------------------------------------------------------------

    async def add_media(self, record: MediaRecord) -> None:
        async with self._tx() as conn:
            await conn.execute(
                media_items.insert().values(
                    id=record.id,
                    account_id=record.account_id,
                    sha256=record.sha256,
                    thumb_sha256=record.thumb_sha256,
                    content_type=record.content_type,
                    thumb_content_type=record.thumb_content_type,
                    width=record.width,
                    height=record.height,
                    thumb_width=record.thumb_width,
                    thumb_height=record.thumb_height,
                    bytes=record.bytes,
                    orig_sha256=record.orig_sha256,
                    orig_md5=record.orig_md5,
                    pdq=record.pdq,
                    pdq_quality=record.pdq_quality,
                    scanned=record.scanned,
                    scope=record.scope.value,
                    state=record.state.value,
                    ip=record.ip,
                    port=record.port,
                    created_at=record.created_at,
                )
            )

    async def get_media(self, media_id: str) -> MediaRecord | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(media_items).where(media_items.c.id == media_id))).first()
        return _media(row) if row is not None else None

    async def set_media_state(self, media_id: str, state: MediaState) -> MediaRecord | None:
        async with self._tx() as conn:
            await conn.execute(media_items.update().where(media_items.c.id == media_id).values(state=state.value))
        return await self.get_media(media_id)

    async def blob_in_use(self, sha256: str) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(media_items.c.id)
                    .where(sa.or_(media_items.c.sha256 == sha256, media_items.c.thumb_sha256 == sha256))
                    .where(media_items.c.state == MediaState.VISIBLE.value)
                    .limit(1)
                )
            ).first()
        return row is not None

    # -- restrictions ---------------------------------------------------------------------------

    async def is_restricted(self, account_id: AccountId, kind: RestrictionKind) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(account_restrictions.c.id)
                    .where(account_restrictions.c.account_id == account_id)
                    .where(account_restrictions.c.kind == kind.value)
                    .where(account_restrictions.c.lifted_at.is_(None))
                    .limit(1)
                )
            ).first()
        return row is not None

    # -- hash banks -----------------------------------------------------------------------------

    async def list_banks(self) -> list[HashBank]:
        async with self._ro() as conn:
            rows = (await conn.execute(sa.select(hash_banks).order_by(hash_banks.c.name))).all()
            counts = (
                await conn.execute(
                    sa.select(hash_bank_entries.c.bank_id, hash_bank_entries.c.kind, sa.func.count()).group_by(
                        hash_bank_entries.c.bank_id, hash_bank_entries.c.kind
                    )
                )
            ).all()
        per: dict[tuple[int, str], int] = {(int(r[0]), str(r[1])): int(r[2]) for r in counts}
        return [_bank(r, per.get((int(r.id), "md5"), 0), per.get((int(r.id), "pdq"), 0)) for r in rows]

    async def get_bank(self, name: str) -> HashBank | None:
        for bank in await self.list_banks():
            if bank.name == name:
                return bank
        return None

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
        changes: dict[str, Any] = {
            k: v
            for k, v in {
                "pdq_threshold": pdq_threshold,
                "match_mirrored": match_mirrored,
                "description": description,
                "enabled": enabled,
            }.items()
            if v is not None
        }
        async with self._tx() as conn:
            row = (await conn.execute(sa.select(hash_banks.c.id).where(hash_banks.c.name == name))).first()
            if row is None:
                await conn.execute(
                    hash_banks.insert().values(name=name, created_at=now, updated_at=now, revision=1, **changes)
                )
            elif changes:
                await conn.execute(
                    hash_banks.update()
                    .where(hash_banks.c.id == row.id)
                    .values(updated_at=now, revision=hash_banks.c.revision + 1, **changes)
                )
        bank = await self.get_bank(name)
        assert bank is not None
        return bank

    async def remove_bank(self, name: str) -> bool:
        async with self._tx() as conn:
            row = (await conn.execute(sa.select(hash_banks.c.id).where(hash_banks.c.name == name))).first()
            if row is None:
                return False
            await conn.execute(hash_bank_entries.delete().where(hash_bank_entries.c.bank_id == row.id))
            await conn.execute(hash_bank_imports.delete().where(hash_bank_imports.c.bank_id == row.id))
            await conn.execute(hash_banks.delete().where(hash_banks.c.id == row.id))
        return True

    async def import_progress(self, bank_id: int, digest: str) -> ImportProgress | None:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(hash_bank_imports)
                    .where(hash_bank_imports.c.bank_id == bank_id)
                    .where(hash_bank_imports.c.digest == digest)
                )
            ).first()
        if row is None:
            return None
        return ImportProgress(
            bank_id=int(row.bank_id),
            digest=str(row.digest),
            lines_done=int(row.lines_done),
            added=int(row.added),
            invalid=int(row.invalid),
            finished=row.finished_at is not None,
        )

    async def _new_entries(
        self, conn: AsyncConnection, bank_id: int, entries: Sequence[tuple[HashKind, str]]
    ) -> list[tuple[str, str]]:
        wanted = list(dict.fromkeys((k.value, v) for k, v in entries))
        existing: set[tuple[str, str]] = set()
        for kind in {k for k, _ in wanted}:
            values = [v for k, v in wanted if k == kind]
            for i in range(0, len(values), _IN_BATCH):
                rows = (
                    await conn.execute(
                        sa.select(hash_bank_entries.c.value)
                        .where(hash_bank_entries.c.bank_id == bank_id)
                        .where(hash_bank_entries.c.kind == kind)
                        .where(hash_bank_entries.c.value.in_(values[i : i + _IN_BATCH]))
                    )
                ).all()
                existing.update((kind, str(r.value)) for r in rows)
        return [e for e in wanted if e not in existing]

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
        async with self._tx() as conn:
            new = await self._new_entries(conn, bank_id, entries)
            if new:
                await conn.execute(
                    hash_bank_entries.insert(), [{"bank_id": bank_id, "kind": k, "value": v} for k, v in new]
                )
                await conn.execute(
                    hash_banks.update()
                    .where(hash_banks.c.id == bank_id)
                    .values(revision=hash_banks.c.revision + 1, updated_at=now)
                )
            progress = (
                await conn.execute(
                    sa.select(hash_bank_imports.c.id)
                    .where(hash_bank_imports.c.bank_id == bank_id)
                    .where(hash_bank_imports.c.digest == digest)
                )
            ).first()
            values: dict[str, Any] = {
                "lines_done": lines_done,
                "invalid": invalid,
                "updated_at": now,
                "finished_at": now if finished else None,
            }
            if progress is None:
                await conn.execute(
                    hash_bank_imports.insert().values(
                        bank_id=bank_id, digest=digest, source=source[:400], added=len(new), created_at=now, **values
                    )
                )
            else:
                await conn.execute(
                    hash_bank_imports.update()
                    .where(hash_bank_imports.c.id == progress.id)
                    .values(added=hash_bank_imports.c.added + len(new), **values)
                )
        return len(new)

    async def add_bank_entry(self, bank_id: int, kind: HashKind, value: str, now: float) -> bool:
        async with self._tx() as conn:
            if not await self._new_entries(conn, bank_id, [(kind, value)]):
                return False
            await conn.execute(hash_bank_entries.insert().values(bank_id=bank_id, kind=kind.value, value=value))
            await conn.execute(
                hash_banks.update()
                .where(hash_banks.c.id == bank_id)
                .values(revision=hash_banks.c.revision + 1, updated_at=now)
            )
        return True

    async def banks_fingerprint(self) -> str:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        sa.func.count(hash_banks.c.id),
                        sa.func.coalesce(sa.func.sum(hash_banks.c.revision), 0),
                        sa.func.coalesce(sa.func.max(hash_banks.c.id), 0),
                    )
                )
            ).one()
        return f"{int(row[0])}:{int(row[1])}:{int(row[2])}"

    async def bank_entries(
        self, bank_ids: Iterable[int], page: int = 50_000
    ) -> AsyncIterator[list[tuple[int, str, str]]]:
        ids = sorted(set(bank_ids))
        if not ids:
            return
        query = (
            sa.select(hash_bank_entries.c.bank_id, hash_bank_entries.c.kind, hash_bank_entries.c.value)
            .where(hash_bank_entries.c.bank_id.in_(ids))
            .execution_options(yield_per=page)
        )
        async with self._ro() as conn:
            result = await conn.stream(query)
            async for part in result.partitions(page):
                yield [(int(r[0]), str(r[1]), str(r[2])) for r in part]

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
        best = best_hit(list(hits))
        async with self._tx() as conn:
            await conn.execute(
                media_quarantine.insert().values(
                    id=quarantine.id,
                    account_id=account_id,
                    sha256=quarantine.sha256,
                    md5=quarantine.md5,
                    bytes=quarantine.bytes,
                    declared_type=(quarantine.declared_type or "")[:100] or None,
                    filename=(quarantine.filename or "")[:256] or None,
                    legal_hold=True,
                    created_at=now,
                )
            )
            best_id = 0
            for hit in hits:
                result = await conn.execute(
                    media_matches.insert().values(
                        quarantine_id=quarantine.id,
                        account_id=account_id,
                        bank_id=hit.bank_id,
                        bank_name=hit.bank_name,
                        kind=hit.kind.value,
                        matched_hash=hit.matched_hash,
                        distance=hit.distance,
                        threshold=hit.threshold,
                        mirrored=hit.mirrored,
                        sha256=hashes.sha256,
                        md5=hashes.md5,
                        pdq=hashes.pdq,
                        pdq_quality=hashes.pdq_quality,
                        ip=meta.ip,
                        port=meta.port,
                        user_agent=(meta.user_agent or "")[:256] or None,
                        created_at=now,
                    )
                )
                pk = result.inserted_primary_key
                assert pk is not None
                if hit is best:
                    best_id = int(pk[0])
            source = f"media_match:{best_id}"
            restricted = (
                await conn.execute(
                    sa.select(account_restrictions.c.id)
                    .where(account_restrictions.c.account_id == account_id)
                    .where(account_restrictions.c.kind == RestrictionKind.MEDIA_UPLOAD.value)
                    .where(account_restrictions.c.lifted_at.is_(None))
                )
            ).first()
            if restricted is None:
                await conn.execute(
                    account_restrictions.insert().values(
                        account_id=account_id,
                        kind=RestrictionKind.MEDIA_UPLOAD.value,
                        reason="hash_match",
                        source=source,
                        created_at=now,
                    )
                )
            reason = f"upload matched hash bank {best.bank_name!r} ({best.kind.value}, distance {best.distance})"
            for target_kind, target_id in (("account", str(int(account_id))), ("quarantine", quarantine.id)):
                held = (
                    await conn.execute(
                        sa.select(legal_holds.c.id)
                        .where(legal_holds.c.target_kind == target_kind)
                        .where(legal_holds.c.target_id == target_id)
                        .where(legal_holds.c.released_at.is_(None))
                    )
                ).first()
                if held is None:
                    await conn.execute(
                        legal_holds.insert().values(
                            target_kind=target_kind, target_id=target_id, reason=reason, source=source, created_at=now
                        )
                    )
            result = await conn.execute(
                report_bundles.insert().values(
                    kind="apparent_csam_hash_match",
                    match_id=best_id,
                    quarantine_id=quarantine.id,
                    account_id=account_id,
                    status="ready",
                    payload={**bundle, "match_id": best_id},
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            bundle_id = int(pk[0])
        return MatchRecord(
            id=best_id,
            account_id=account_id,
            bank_id=best.bank_id,
            bank_name=best.bank_name,
            kind=best.kind,
            matched_hash=best.matched_hash,
            distance=best.distance,
            threshold=best.threshold,
            mirrored=best.mirrored,
            sha256=hashes.sha256,
            md5=hashes.md5,
            pdq=hashes.pdq,
            pdq_quality=hashes.pdq_quality,
            quarantine_id=quarantine.id,
            created_at=now,
            ip=meta.ip,
            port=meta.port,
            user_agent=meta.user_agent,
            bundle_id=bundle_id,
        )

    async def set_match_case(self, quarantine_id: str, case_id: int) -> None:
        async with self._tx() as conn:
            await conn.execute(
                media_matches.update().where(media_matches.c.quarantine_id == quarantine_id).values(case_id=case_id)
            )
            rows = (
                await conn.execute(
                    sa.select(report_bundles.c.id, report_bundles.c.payload).where(
                        report_bundles.c.quarantine_id == quarantine_id
                    )
                )
            ).all()
            for row in rows:
                payload = dict(row.payload)
                payload["case_id"] = case_id
                await conn.execute(report_bundles.update().where(report_bundles.c.id == row.id).values(payload=payload))

    async def matches(self, limit: int, account_id: AccountId | None = None) -> list[MatchRecord]:
        query = sa.select(media_matches).order_by(media_matches.c.id.desc()).limit(limit)
        if account_id is not None:
            query = query.where(media_matches.c.account_id == account_id)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
            bundles = {}
            if rows:
                ids = [int(r.id) for r in rows]
                bundles = {
                    int(b.match_id): int(b.id)
                    for b in (
                        await conn.execute(
                            sa.select(report_bundles.c.id, report_bundles.c.match_id).where(
                                report_bundles.c.match_id.in_(ids)
                            )
                        )
                    ).all()
                }
        return [_match(r, bundles.get(int(r.id))) for r in rows]

    async def get_quarantine(self, quarantine_id: str) -> QuarantineRecord | None:
        async with self._ro() as conn:
            row = (
                await conn.execute(sa.select(media_quarantine).where(media_quarantine.c.id == quarantine_id))
            ).first()
        if row is None:
            return None
        return QuarantineRecord(
            id=str(row.id),
            account_id=AccountId(row.account_id),
            sha256=str(row.sha256),
            md5=str(row.md5),
            bytes=int(row.bytes),
            declared_type=row.declared_type,
            filename=row.filename,
            created_at=float(row.created_at),
            legal_hold=bool(row.legal_hold),
        )

    async def bundles(self, status: str | None, limit: int) -> list[BundleRow]:
        query = sa.select(report_bundles).order_by(report_bundles.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(report_bundles.c.status == status)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        return [
            BundleRow(
                id=int(r.id),
                kind=str(r.kind),
                match_id=int(r.match_id) if r.match_id is not None else None,
                quarantine_id=r.quarantine_id,
                account_id=AccountId(r.account_id),
                status=str(r.status),
                payload=dict(r.payload),
                created_at=float(r.created_at),
            )
            for r in rows
        ]

    async def mark_quarantine_viewed(self, quarantine_id: str) -> None:
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    sa.select(report_bundles.c.id, report_bundles.c.payload).where(
                        report_bundles.c.quarantine_id == quarantine_id
                    )
                )
            ).all()
            for row in rows:
                payload = dict(row.payload)
                file = dict(payload.get("file") or {})
                if file.get("viewed_by_staff"):
                    continue
                file["viewed_by_staff"] = True
                payload["file"] = file
                await conn.execute(report_bundles.update().where(report_bundles.c.id == row.id).values(payload=payload))

    async def legal_holds(self, target_kind: str, target_id: str, now: float | None = None) -> int:
        """Active holds on a target: not released, and not past their end date (``now``: the clock's time;
        the system time when not given). ``services.retention.LegalHolds`` places and lists them."""
        at = time.time() if now is None else now
        async with self._ro() as conn:
            count = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(legal_holds)
                    .where(legal_holds.c.target_kind == target_kind)
                    .where(legal_holds.c.target_id == target_id)
                    .where(legal_holds.c.released_at.is_(None))
                    .where(sa.or_(legal_holds.c.expires_at.is_(None), legal_holds.c.expires_at > at))
                )
            ).scalar_one()
        return int(count)


def _media(row: Row[Any]) -> MediaRecord:
    return MediaRecord(
        id=str(row.id),
        account_id=AccountId(row.account_id),
        sha256=str(row.sha256),
        thumb_sha256=str(row.thumb_sha256),
        content_type=str(row.content_type),
        width=int(row.width),
        height=int(row.height),
        bytes=int(row.bytes),
        thumb_width=int(row.thumb_width),
        thumb_height=int(row.thumb_height),
        thumb_content_type=str(row.thumb_content_type),
        orig_sha256=str(row.orig_sha256),
        orig_md5=str(row.orig_md5),
        pdq=row.pdq,
        pdq_quality=int(row.pdq_quality),
        scanned=bool(row.scanned),
        scope=UploadScope(row.scope),
        state=MediaState(row.state),
        created_at=float(row.created_at),
        ip=row.ip,
        port=row.port,
    )


def _bank(row: Row[Any], md5_count: int, pdq_count: int) -> HashBank:
    return HashBank(
        id=int(row.id),
        name=str(row.name),
        pdq_threshold=int(row.pdq_threshold),
        match_mirrored=bool(row.match_mirrored),
        enabled=bool(row.enabled),
        description=str(row.description),
        revision=int(row.revision),
        created_at=float(row.created_at),
        updated_at=float(row.updated_at),
        md5_count=md5_count,
        pdq_count=pdq_count,
    )


def _match(row: Row[Any], bundle_id: int | None) -> MatchRecord:
    return MatchRecord(
        id=int(row.id),
        account_id=AccountId(row.account_id),
        bank_id=int(row.bank_id),
        bank_name=str(row.bank_name),
        kind=HashKind(row.kind),
        matched_hash=str(row.matched_hash),
        distance=int(row.distance),
        threshold=int(row.threshold),
        mirrored=bool(row.mirrored),
        sha256=str(row.sha256),
        md5=str(row.md5),
        pdq=row.pdq,
        pdq_quality=int(row.pdq_quality),
        quarantine_id=str(row.quarantine_id),
        created_at=float(row.created_at),
        ip=row.ip,
        port=row.port,
        user_agent=row.user_agent,
        case_id=int(row.case_id) if row.case_id is not None else None,
        bundle_id=bundle_id,
    )
