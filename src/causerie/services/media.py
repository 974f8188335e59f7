"""Pictures: the upload pipeline, matching against hash banks, quarantine and evidence, pictures in
messages, and the hash banks themselves.

May import: ``causerie.domain``, ``causerie.media``, ``causerie.storage.base``, ``causerie.storage.media``,
``causerie.broker.base``, ``causerie.services``, ``causerie.clock``, ``causerie.config``,
``causerie.errors``, ``causerie.ids``, ``causerie.observability``.

An upload, in order (docs/media.md):
1. the account may upload (pictures on, account old enough, no emergency pause, rate limit);
2. SHA-256 and MD5 of the bytes as uploaded; MD5 is matched against the banks *before* decoding, so
   a listed file is caught even if it does not decode;
3. the picture is decoded under the limits, hashed with PDQ (and its mirror image), re-encoded
   without metadata and thumbnailed (``media.imaging``), in a worker thread;
4. PDQ is matched (if its quality is good enough);
5. on any hit: the original bytes are quarantined (encrypted, apart), the match, the restriction, the
   legal holds and the report bundle are recorded in one transaction, a case of the highest
   priority is opened, and the uploader is told only ``upload_failed``: the same answer as for any
   other failure, so nothing tips them off. Nothing is stored where it could be served;
6. otherwise the re-encoded picture and its thumbnail are stored by content address and the upload
   gets a random id, the capability to see it.

Uploads meant for private conversations (``scope=private``) are matched only when
``media_scan_private`` is on (off by default: see config.py and SAFETY.md §4); such pictures can then
be sent in private conversations only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from causerie.broker.base import RateLimiter
from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.audit import AuditDraft
from causerie.domain.entities import Account, Room
from causerie.domain.media import (
    BankHit,
    HashBank,
    HashKind,
    ImageHashes,
    MatchRecord,
    MediaRecord,
    MediaRef,
    MediaState,
    QuarantineRecord,
    RestrictionKind,
    UploadMeta,
    UploadScope,
    best_hit,
    check_bank_name,
    check_threshold,
    normalize_hash,
    pictures_unlock_at,
    report_bundle,
)
from causerie.errors import CauserieError, ErrorCode
from causerie.media.bankfiles import BankRow, read_bank_file
from causerie.media.hashing import byte_hashes
from causerie.media.imaging import ImageLimits, ProcessedImage, configure, process
from causerie.media.index import BankMeta, HashIndex, IndexBuilder
from causerie.observability import MEDIA_DECODE_WAITS, MEDIA_DECODES_PEAK
from causerie.services.audit import AuditService
from causerie.services.messages import SendContext
from causerie.services.moderation import ModerationService, ReportForm
from causerie.storage.media import BundleRow, MediaRecords, MediaStore, QuarantineStore

log = logging.getLogger(__name__)

LOCAL_BANK = "local"  # where moderators' "block everywhere" puts a picture's hashes

CaseOpener = Callable[[Account, MatchRecord], Awaitable[int | None]]
StaffCheck = Callable[[Account], Awaitable[bool]]
AuditRecorder = Callable[[AuditDraft], Awaitable[Any]]
RoomPictures = Callable[[Account, Room], bool]


@dataclass(frozen=True, slots=True)
class ImportReport:
    bank: HashBank
    added: int
    invalid: int
    lines: int
    resumed_from: int
    already_done: bool = False


@dataclass(frozen=True, slots=True)
class _Analysis:
    hashes: ImageHashes
    hits: list[BankHit]
    processed: ProcessedImage | None
    error: CauserieError | None


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class HashBankService:
    """Named lists of MD5 and PDQ hashes: create, change, import (resumable), remove, index."""

    def __init__(self, records: MediaRecords, settings: Settings, clock: Clock) -> None:
        self._records = records
        self._settings = settings
        self._clock = clock

    async def all(self) -> list[HashBank]:
        return await self._records.list_banks()

    async def get(self, name: str) -> HashBank:
        bank = await self._records.get_bank(check_bank_name(name))
        if bank is None:
            raise CauserieError(ErrorCode.BANK_NOT_FOUND)
        return bank

    async def save(
        self,
        name: str,
        *,
        pdq_threshold: int | None = None,
        match_mirrored: bool | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> HashBank:
        try:
            name = check_bank_name(name)
            if pdq_threshold is not None:
                check_threshold(pdq_threshold)
        except ValueError as exc:
            raise CauserieError(ErrorCode.BAD_REQUEST, str(exc)) from None
        if pdq_threshold is None and await self._records.get_bank(name) is None:
            pdq_threshold = check_threshold(self._settings.media_pdq_threshold)
        return await self._records.save_bank(
            name,
            now=self._clock.now(),
            pdq_threshold=pdq_threshold,
            match_mirrored=match_mirrored,
            description=description[:400] if description is not None else None,
            enabled=enabled,
        )

    async def remove(self, name: str) -> bool:
        return await self._records.remove_bank(check_bank_name(name))

    async def add_hash(self, name: str, kind: HashKind, value: str) -> bool:
        bank = await self.save(name)
        return await self._records.add_bank_entry(bank.id, kind, normalize_hash(kind, value), self._clock.now())

    async def import_file(
        self,
        name: str,
        path: Path,
        *,
        pdq_threshold: int | None = None,
        match_mirrored: bool | None = None,
        description: str | None = None,
        default_kind: HashKind | None = None,
        batch: int = 5000,
        progress: Callable[[BankRow, int, int], None] | None = None,
    ) -> ImportReport:
        """Import a hash-list file into a bank (created if new). Idempotent and resumable: progress
        is committed with each batch, keyed by the file's SHA-256; running the same import again
        continues after the last committed row, or does nothing if it finished."""
        bank = await self.save(
            name, pdq_threshold=pdq_threshold, match_mirrored=match_mirrored, description=description
        )
        digest = await asyncio.to_thread(file_digest, path)
        done = await self._records.import_progress(bank.id, digest)
        if done is not None and done.finished:
            return ImportReport(bank, 0, done.invalid, done.lines_done, done.lines_done, already_done=True)
        start = done.lines_done if done is not None else 0
        invalid = done.invalid if done is not None else 0
        added = 0
        pending: list[tuple[HashKind, str]] = []
        last = start
        for row in _rows_after(read_bank_file(path, default_kind), start):
            last = row.line
            if row.kind is None or row.value is None:
                invalid += 1
            else:
                pending.append((row.kind, row.value))
            if len(pending) >= batch:
                added += await self._commit(bank, pending, digest, path, last, invalid, finished=False)
                pending = []
            if progress is not None:
                progress(row, added, invalid)
        added += await self._commit(bank, pending, digest, path, last, invalid, finished=True)
        return ImportReport(await self.get(bank.name), added, invalid, last, start)

    async def _commit(
        self,
        bank: HashBank,
        entries: list[tuple[HashKind, str]],
        digest: str,
        path: Path,
        lines_done: int,
        invalid: int,
        *,
        finished: bool,
    ) -> int:
        return await self._records.add_bank_entries(
            bank.id,
            entries,
            digest=digest,
            source=str(path),
            lines_done=lines_done,
            invalid=invalid,
            finished=finished,
            now=self._clock.now(),
        )

    async def fingerprint(self) -> str:
        return await self._records.banks_fingerprint()

    async def build_index(self) -> tuple[str, HashIndex]:
        """A new index of every enabled bank (and the fingerprint it reflects)."""
        fingerprint = await self._records.banks_fingerprint()
        banks = [b for b in await self._records.list_banks() if b.enabled]
        builder = IndexBuilder(BankMeta(b.id, b.name, min(b.pdq_threshold, 63), b.match_mirrored) for b in banks)
        async for page in self._records.bank_entries([b.id for b in banks]):
            for bank_id, kind, value in page:
                builder.add(bank_id, HashKind(kind), value)
        index = await asyncio.to_thread(builder.build)
        return fingerprint, index


def _rows_after(rows: Iterator[BankRow], start: int) -> Iterator[BankRow]:
    for row in rows:
        if row.line > start:
            yield row


class MediaService:
    def __init__(
        self,
        records: MediaRecords,
        files: MediaStore,
        quarantine: QuarantineStore,
        banks: HashBankService,
        settings: Settings,
        clock: Clock,
        limiter: RateLimiter,
    ) -> None:
        self._records = records
        self._files = files
        self._quarantine = quarantine
        self.banks = banks
        self._settings = settings
        self._clock = clock
        self._limiter = limiter
        self.limits = ImageLimits(
            max_bytes=settings.media_max_bytes,
            max_pixels=settings.media_max_pixels,
            store_max_side=settings.media_store_max_side,
            thumb_side=settings.media_thumb_side,
        )
        configure(self.limits)
        self._decoding = asyncio.Semaphore(max(1, settings.media_decode_concurrency))
        self._decoding_now = 0  # pictures being decoded now, and the most at once (metrics)
        self._decoding_peak = 0
        self._index: HashIndex | None = None
        self._fingerprint: str | None = None
        self._reloading = asyncio.Lock()
        self._checker: asyncio.Task[None] | None = None
        # wired by bootstrap when the moderation service is there
        self.open_case: CaseOpener | None = None
        self.is_global_staff: StaffCheck | None = None
        self.audit: AuditRecorder | None = None
        self.room_pictures: RoomPictures | None = None  # the room's setting (staff may bypass it)
        self.pictures_paused: Callable[[], bool] | None = None  # operator-wide emergency level

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the index (uploads are refused until it is loaded), then watch for bank changes."""
        await self.reload_index()
        if self._checker is None:
            self._checker = asyncio.get_running_loop().create_task(self._watch_banks(), name="media-banks")

    async def stop(self) -> None:
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
            self._checker = None

    async def _watch_banks(self) -> None:
        while True:
            await asyncio.sleep(self._settings.media_bank_check_seconds)
            try:
                if await self.banks.fingerprint() != self._fingerprint:
                    await self.reload_index()
            except Exception:
                log.exception("hash bank check failed; keeping the current index")

    async def reload_index(self) -> dict[str, Any]:
        """Rebuild the index from the database and swap it in (no restart, no pause in matching)."""
        async with self._reloading:
            started = self._clock.monotonic()
            fingerprint, index = await self.banks.build_index()
            self._index, self._fingerprint = index, fingerprint
            stats = self.index_stats()
            stats["seconds"] = round(self._clock.monotonic() - started, 3)
            log.info("hash bank index loaded: %s", stats)
            return stats

    def index_stats(self) -> dict[str, Any]:
        index = self._index
        if index is None:
            return {"loaded": False}
        return {
            "loaded": True,
            "banks": len(index.banks),
            "md5": index.md5_count,
            "pdq": index.pdq_count,
            "bytes": index.nbytes,
            "fingerprint": self._fingerprint,
        }

    # -- who may send pictures ------------------------------------------------------------------

    def check_pictures(self, account: Account) -> None:
        """Pictures on, account old enough, no emergency pause; else ``pictures_disabled``."""
        if not self._settings.media_enabled:
            raise CauserieError(ErrorCode.PICTURES_DISABLED, data={"reason": "off"})
        if self.pictures_paused is not None and self.pictures_paused():
            raise CauserieError(ErrorCode.PICTURES_DISABLED, data={"reason": "emergency"})
        unlock = pictures_unlock_at(account.created_at, self._settings.media_new_account_minutes)
        now = self._clock.now()
        if now < unlock:
            raise CauserieError(
                ErrorCode.PICTURES_DISABLED,
                retry_after=round(unlock - now, 1),
                data={"reason": "account_age", "until": int(unlock * 1000)},
            )

    # -- upload ---------------------------------------------------------------------------------

    async def upload(self, account: Account, data: bytes, meta: UploadMeta) -> MediaRecord:
        s = self._settings
        self.check_pictures(account)
        wait = await self._limiter.take(
            f"upload:{int(account.id)}", s.media_upload_burst, s.media_uploads_per_minute / 60.0
        )
        if wait > 0:
            raise CauserieError(ErrorCode.RATE_LIMITED, retry_after=round(wait, 1))
        index = self._index
        if index is None:
            raise CauserieError(ErrorCode.SERVICE_UNAVAILABLE)
        if len(data) > s.media_max_bytes:
            raise CauserieError(ErrorCode.IMAGE_TOO_LARGE, data={"max_bytes": s.media_max_bytes})
        restricted = await self._records.is_restricted(account.id, RestrictionKind.MEDIA_UPLOAD)
        scan = meta.scope is UploadScope.PUBLIC or s.media_scan_private
        if self._decoding.locked():
            MEDIA_DECODE_WAITS.inc()  # media_decode_concurrency reached: wait for a slot
        async with self._decoding:
            self._decoding_now += 1
            if self._decoding_now > self._decoding_peak:
                self._decoding_peak = self._decoding_now
                MEDIA_DECODES_PEAK.set(self._decoding_peak)
            try:
                analysis = await asyncio.to_thread(self._analyse, data, index, scan)
            finally:
                self._decoding_now -= 1
        if analysis.hits:
            await self._quarantine_upload(account, data, analysis, meta)
            raise CauserieError(ErrorCode.UPLOAD_FAILED)
        if analysis.error is not None:
            raise analysis.error
        if restricted:
            raise CauserieError(ErrorCode.UPLOAD_FAILED)  # the same answer as a match: no tip-off
        processed = analysis.processed
        assert processed is not None
        try:
            await self._files.put(hashlib.sha256(processed.stored.data).hexdigest(), processed.stored.data)
            await self._files.put(hashlib.sha256(processed.thumb.data).hexdigest(), processed.thumb.data)
        except OSError:
            log.exception("could not store a picture")
            raise CauserieError(ErrorCode.UPLOAD_FAILED) from None
        hashes = analysis.hashes
        record = MediaRecord(
            id=secrets.token_urlsafe(16),
            account_id=account.id,
            sha256=hashlib.sha256(processed.stored.data).hexdigest(),
            thumb_sha256=hashlib.sha256(processed.thumb.data).hexdigest(),
            content_type=processed.stored.content_type,
            width=processed.stored.width,
            height=processed.stored.height,
            bytes=len(processed.stored.data),
            thumb_width=processed.thumb.width,
            thumb_height=processed.thumb.height,
            thumb_content_type=processed.thumb.content_type,
            orig_sha256=hashes.sha256,
            orig_md5=hashes.md5,
            pdq=hashes.pdq,
            pdq_quality=hashes.pdq_quality,
            scanned=scan,
            scope=meta.scope,
            state=MediaState.VISIBLE,
            created_at=self._clock.now(),
            ip=meta.ip,
            port=meta.port,
        )
        await self._records.add_media(record)
        return record

    def _analyse(self, data: bytes, index: HashIndex, scan: bool) -> _Analysis:
        """In a worker thread: hashes, matching, decoding and re-encoding."""
        sha256, md5 = byte_hashes(data)
        hashes = ImageHashes(sha256=sha256, md5=md5)
        hits = index.match_md5(md5) if scan else []
        try:
            processed: ProcessedImage | None = process(data, self.limits, pdq=scan, known=hashes)
        except CauserieError as exc:
            return _Analysis(hashes, hits, None, exc)
        assert processed is not None
        hashes = processed.hashes
        if scan and hashes.pdq is not None and hashes.pdq_quality >= self._settings.media_pdq_min_quality:
            hits += index.match_pdq(hashes.pdq, hashes.pdq_mirror)
        return _Analysis(hashes, hits, processed, None)

    async def _quarantine_upload(self, account: Account, data: bytes, analysis: _Analysis, meta: UploadMeta) -> None:
        """Preserve the evidence; never raise (the uploader gets ``upload_failed`` whatever happens)."""
        now = self._clock.now()
        hashes = analysis.hashes
        quarantine = QuarantineRecord(
            id=secrets.token_urlsafe(16),
            account_id=account.id,
            sha256=hashes.sha256,
            md5=hashes.md5,
            bytes=len(data),
            declared_type=meta.declared_type,
            filename=meta.filename,
            created_at=now,
        )
        best = best_hit(analysis.hits)
        try:
            await self._quarantine.put(quarantine.id, data)
        except Exception:
            log.critical("could not write quarantined upload %s to disk", quarantine.id, exc_info=True)
        bundle = report_bundle(
            hits=analysis.hits,
            hashes=hashes,
            meta=meta,
            quarantine=quarantine,
            account=_person(account),
            detected_at=now,
            detected_format=analysis.processed.source_format if analysis.processed else None,
            service="causerie",
        )
        try:
            match = await self._records.record_match(
                account_id=account.id,
                quarantine=quarantine,
                hits=analysis.hits,
                hashes=hashes,
                meta=meta,
                bundle=bundle,
                now=now,
            )
        except Exception:
            log.critical("could not record the hash match of upload %s", quarantine.id, exc_info=True)
            return
        log.warning(
            "upload by account %s matched hash bank %r (%s, distance %s): quarantined as %s, match %s",
            int(account.id),
            best.bank_name,
            best.kind.value,
            best.distance,
            quarantine.id,
            match.id,
        )
        if self.open_case is None:
            return
        try:
            case_id = await self.open_case(account, match)
        except Exception:
            log.exception("could not open a case for hash match %s", match.id)
            return
        if case_id is not None:
            await self._records.set_match_case(quarantine.id, case_id)

    # -- pictures in messages -------------------------------------------------------------------

    async def attach(self, ctx: SendContext, media_id: str) -> MediaRef:
        """The pre-send check of a message with a picture (``MessageService.media_resolver``)."""
        account = ctx.account
        record = await self._records.get_media(media_id[:64])
        if record is None or record.state is not MediaState.VISIBLE or record.account_id != account.id:
            raise CauserieError(ErrorCode.MEDIA_NOT_FOUND)
        if await self._records.is_restricted(account.id, RestrictionKind.MEDIA_UPLOAD):
            raise CauserieError(ErrorCode.UPLOAD_FAILED)
        self.check_pictures(account)
        room = ctx.room
        if not room.is_direct:
            if record.scope is UploadScope.PRIVATE or not record.scanned:
                raise CauserieError(ErrorCode.PICTURES_DISABLED, data={"reason": "private_only"})
            if self.room_pictures is not None and not self.room_pictures(account, room):
                raise CauserieError(ErrorCode.PICTURES_DISABLED, data={"reason": "room"})
        return record.ref()

    # -- serving --------------------------------------------------------------------------------

    async def file(self, media_id: str, thumb: bool) -> tuple[bytes, str]:
        """A visible picture's bytes and content type; ``media_not_found`` otherwise."""
        record = await self._records.get_media(media_id[:64])
        if record is None or record.state is not MediaState.VISIBLE:
            raise CauserieError(ErrorCode.MEDIA_NOT_FOUND)
        sha = record.thumb_sha256 if thumb else record.sha256
        data = await self._files.get(sha)
        if data is None:
            raise CauserieError(ErrorCode.MEDIA_NOT_FOUND)
        return data, record.thumb_content_type if thumb else record.content_type

    # -- staff ----------------------------------------------------------------------------------

    async def require_staff(self, actor: Account) -> None:
        """Global moderators and administrators only (room moderators never see quarantined material)."""
        if self.is_global_staff is None or not await self.is_global_staff(actor):
            raise CauserieError(ErrorCode.FORBIDDEN)

    async def matches(self, actor: Account, limit: int = 100) -> list[MatchRecord]:
        await self.require_staff(actor)
        return await self._records.matches(max(1, min(limit, 500)))

    async def bundles(self, actor: Account, status: str | None = None, limit: int = 100) -> list[BundleRow]:
        await self.require_staff(actor)
        return await self._records.bundles(status, max(1, min(limit, 500)))

    async def view_quarantined(self, actor: Account, quarantine_id: str, reason: str) -> tuple[bytes, str]:
        """The original bytes of a quarantined upload, for a moderator who asked explicitly.

        Audited first (actor, file, reason): no view without its audit entry. The bundle records that
        staff viewed the file (NCMEC's "file viewed by ESP").
        """
        await self.require_staff(actor)
        reason = reason.strip()
        if not reason:
            raise CauserieError(ErrorCode.BAD_REQUEST, "a reason is required to view quarantined material")
        record = await self._records.get_quarantine(quarantine_id[:64])
        if record is None:
            raise CauserieError(ErrorCode.MEDIA_NOT_FOUND)
        if self.audit is None:
            raise CauserieError(ErrorCode.FORBIDDEN)  # no audit trail, no view
        await self.audit(
            AuditDraft(
                action="view_quarantined_media",
                target=f"quarantine:{record.id}",
                actor_id=int(actor.id),
                reason=reason[:1000],
                details={"sha256": record.sha256, "account_id": int(record.account_id)},
            )
        )
        data = await self._quarantine.get(record.id)
        if data is None:
            raise CauserieError(ErrorCode.MEDIA_NOT_FOUND)
        await self._records.mark_quarantine_viewed(record.id)
        return data, _sniff(data)

    async def block_everywhere(self, actor: Account, media_id: str, bank: str = LOCAL_BANK) -> HashBank:
        """Add a picture's hashes to a local bank ("block everywhere"): re-uploads and near-duplicates
        are then refused and quarantined like any match. The picture stops being served."""
        await self.require_staff(actor)
        record = await self._records.get_media(media_id[:64])
        if record is None:
            raise CauserieError(ErrorCode.MEDIA_NOT_FOUND)
        await self.banks.add_hash(bank, HashKind.MD5, record.orig_md5)
        if record.pdq is not None and record.pdq_quality >= self._settings.media_pdq_min_quality:
            await self.banks.add_hash(bank, HashKind.PDQ, record.pdq)
        await self._records.set_media_state(record.id, MediaState.REMOVED)
        if self.audit is not None:
            await self.audit(
                AuditDraft(
                    action="block_media",
                    target=f"media:{record.id}",
                    actor_id=int(actor.id),
                    reason=f"hashes added to bank {bank!r}",
                    details={"md5": record.orig_md5, "pdq": record.pdq, "bank": bank},
                )
            )
        await self.reload_index()
        return await self.banks.get(bank)


def _person(account: Account) -> dict[str, Any]:
    """The reported person, as NCMEC (reportedPerson: screen name, ESP identifier, email) and PHAROS
    (pseudonym, identifiers) ask for it."""
    return {
        "account_id": int(account.id),
        "nickname": account.nickname,
        "account_kind": account.kind.value,
        "email": account.email,
        "declared_age": account.age,
        "declared_gender": account.gender,
        "region": account.region,
        "lang": account.lang,
        "account_created_at": datetime.datetime.fromtimestamp(account.created_at, tz=datetime.UTC).isoformat(
            timespec="seconds"
        ),
    }


def _sniff(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"GIF8"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def moderation_hooks(media: MediaService, moderation: ModerationService, audit: AuditService) -> None:
    """Wire the moderation service: room settings, emergency level, staff roles, audit and cases."""

    def room_pictures(account: Account, room: Room) -> bool:
        return moderation.safety_of(room.id).pictures or moderation.is_room_staff(account.id, room)

    async def is_global_staff(account: Account) -> bool:
        return (await moderation.staff(account)).is_global

    async def open_case(account: Account, match: MatchRecord) -> int | None:
        details = (
            f"Automated: a picture uploaded by this account matched the hash bank {match.bank_name!r} "
            f"({match.kind.value}, distance {match.distance}"
            + (f", threshold {match.threshold}" if match.kind is HashKind.PDQ else "")
            + ("; mirrored" if match.mirrored else "")
            + f"). It was not delivered to anyone. Original quarantined (encrypted) as {match.quarantine_id}, "
            f"match #{match.id}, report bundle #{match.bundle_id}. Uploads are restricted and the account is "
            "under legal hold. Do not warn the user (no tip-off)."
        )
        form = ReportForm(category="child_sexual_abuse", good_faith=True, user=account.nickname, details=details)
        _report, case = await moderation.report(None, form, None)  # no reporter address: it is automated
        return case.id

    media.room_pictures = room_pictures
    media.pictures_paused = lambda: moderation.emergency().pictures_off
    media.is_global_staff = is_global_staff
    media.open_case = open_case
    media.audit = audit.record
