"""Retention: the purge of expired data, and legal holds that keep data beyond it (issue 7, part A).

May import: ``causerie.domain``, ``causerie.storage.retention``, ``causerie.storage.media``,
``causerie.storage.moderation``, ``causerie.storage.base``, ``causerie.clock``, ``causerie.config``,
``causerie.errors``, ``causerie.ids``, ``causerie.observability``.

The policy is in the settings (``retention_*_days``, documented against the law in docs/privacy.md).
``RetentionService.run`` deletes, kind by kind, in batches of ``retention_batch_size`` rows, each batch
its own transaction; picture and quarantine files are removed after their rows, through tombstones
written with the deletion, so a purge killed at any point and run again finishes the job without
deleting anything twice or leaving a file behind. Data under an active legal hold (an account, a
room, a case, a quarantined upload) is never selected. Audit entries go as a whole prefix of the
hash chain; ``causerie audit verify`` checks the rest from the recorded purge point.

``LegalHolds`` places, lists and releases holds (audited), by an administrator or automatically: a
hash match holds the uploader (``services.media``), a child-safety case holds the case and its target
account (``on_case``). Whether something is held is asked of ``MediaRecords.legal_holds`` — the one
place — or read in bulk by the purge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.audit import AuditDraft
from causerie.domain.entities import Account
from causerie.domain.moderation import CHILD_SAFETY, Case
from causerie.domain.text import skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.observability import RETENTION_DELETED, RETENTION_RUNS
from causerie.storage.base import Store
from causerie.storage.media import MediaStore, QuarantineStore
from causerie.storage.moderation import ModerationStore
from causerie.storage.retention import Batch, DataKind, Hold, HoldKind, RetentionStore, Tombstone

log = logging.getLogger(__name__)

DAY = 86400.0
TOMBSTONE_PAGE = 500

AfterBatch = Callable[[DataKind, Batch], Awaitable[None]]


def policy(settings: Settings) -> dict[DataKind, int]:
    """Days each kind of data is kept (0: kept until deleted otherwise)."""
    return {
        DataKind.ROOM_MESSAGES: settings.retention_room_messages_days,
        DataKind.DIRECT_MESSAGES: settings.retention_direct_messages_days,
        DataKind.PICTURES: settings.retention_pictures_days,
        DataKind.QUARANTINE: settings.retention_quarantine_days,
        DataKind.CASES: settings.retention_cases_days,
        DataKind.MODERATION: settings.retention_moderation_days,
        DataKind.AUDIT: settings.retention_audit_days,
        DataKind.CONNECTION_RECORDS: settings.retention_connection_records_days,
        DataKind.CLOSED_ACCOUNTS: settings.retention_closed_accounts_days,
    }


class RetentionService:
    def __init__(
        self,
        store: RetentionStore,
        settings: Settings,
        clock: Clock,
        files: MediaStore | None = None,
        quarantine: QuarantineStore | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._files = files
        self._quarantine = quarantine
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def run(self, *, after_batch: AfterBatch | None = None) -> dict[str, int]:
        """Purge everything expired now; counts per kind. ``after_batch`` runs after each committed batch
        (progress output; tests use it to interrupt the purge midway)."""
        async with self._lock:
            return await self._run(after_batch)

    async def _run(self, after_batch: AfterBatch | None) -> dict[str, int]:
        now = self._clock.now()
        started = time.monotonic()
        run_id = await self._store.start_run(now)
        deleted: dict[str, int] = {kind.value: 0 for kind in DataKind}
        files = await self._finish_tombstones()  # left by an interrupted run
        held = await self._store.held(now)
        size = max(1, self._settings.retention_batch_size)
        errors = 0
        for kind, days in policy(self._settings).items():
            if days <= 0:
                continue
            cutoff = now - days * DAY
            while True:
                try:
                    batch = await self._store.purge(kind, cutoff, now, held, size)
                except Exception:  # one kind failing (a constraint added later…) does not stop the others
                    log.exception("retention purge of %s failed; the next run tries again", kind.value)
                    errors += 1
                    break
                if batch.files:
                    files += await self._remove_files(batch.files)
                if batch.deleted:
                    deleted[kind.value] += batch.deleted
                    RETENTION_DELETED.labels(kind.value).inc(batch.deleted)
                if after_batch is not None:
                    await after_batch(kind, batch)
                if batch.deleted < size:
                    break
        total = sum(deleted.values())
        audit = None
        if total:
            audit = AuditDraft(
                action="retention.purge",
                target=f"retention_run:{run_id}",
                reason="retention policy (docs/privacy.md)",
                details={"deleted": {k: v for k, v in deleted.items() if v}, "files": files},
            )
        await self._store.finish_run(run_id, self._clock.now(), {**deleted, "files": files, "errors": errors}, audit)
        RETENTION_RUNS.inc()
        log.info(
            "retention purge %s: %d rows, %d files in %.1f s %s",
            run_id,
            total,
            files,
            time.monotonic() - started,
            {k: v for k, v in deleted.items() if v},
        )
        return {**deleted, "files": files, "errors": errors}

    async def _finish_tombstones(self) -> int:
        removed = 0
        after = 0
        while True:
            page = await self._store.tombstones(after, TOMBSTONE_PAGE)
            if not page:
                return removed
            removed += await self._remove_files(page)
            after = page[-1].id

    async def _remove_files(self, tombstones: list[Tombstone]) -> int:
        """Remove the files, then their tombstones (a crash in between: removed again, harmlessly)."""
        removed = 0
        done: list[int] = []
        for stone in tombstones:
            if stone.kind == "blob" and self._files is not None:
                # content-addressed: another picture (or a new upload of the same bytes) may share the file
                if not await self._store.blob_referenced(stone.ref):
                    await self._files.delete(stone.ref)
                    removed += 1
                done.append(stone.id)
            elif stone.kind == "quarantine" and self._quarantine is not None:
                await self._quarantine.delete(stone.ref)
                removed += 1
                done.append(stone.id)
        await self._store.drop_tombstones(done)  # without a file store: kept for a run that has one
        return removed

    # -- scheduled inside the server -----------------------------------------------------------

    def start(self) -> None:
        if self._task is None and self._settings.retention_enabled:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.retention_run_interval)
            try:
                await self.run()
            except Exception:
                log.exception("retention purge failed (the next run goes on where it stopped)")


class LegalHolds:
    """Holds on accounts, rooms and cases (and quarantined uploads), with a reason and an optional end."""

    def __init__(
        self,
        store: RetentionStore,
        accounts: Store,
        moderation: ModerationStore,
        clock: Clock,
        is_held: Callable[[str, str, float], Awaitable[int]] | None = None,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._mod = moderation
        self._clock = clock
        self._is_held = is_held  # MediaRecords.legal_holds: the one place that answers "is this held?"

    async def resolve(self, kind: HoldKind, target: str) -> tuple[str, str]:
        """(target id, a label) for an account id or nickname, a room id or slug, a case id."""
        value = target.strip()
        number = int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
        if kind is HoldKind.ACCOUNT:
            account = None
            if number is not None:
                account = await self._accounts.get_account(AccountId(number))
            if account is None:
                account = await self._accounts.find_account_by_skeleton(skeleton(value))
            if account is None:
                raise CauserieError(ErrorCode.NOT_FOUND, f"no account {value!r}")
            return str(int(account.id)), account.nickname
        if kind is HoldKind.ROOM:
            room = await self._accounts.get_room(RoomId(number)) if number is not None else None
            if room is None:
                room = await self._accounts.get_room_by_slug(value)
            if room is None:
                raise CauserieError(ErrorCode.NOT_FOUND, f"no room {value!r}")
            return str(int(room.id)), room.slug
        if kind is HoldKind.CASE:
            case = await self._mod.get_case(number) if number is not None else None
            if case is None:
                raise CauserieError(ErrorCode.NOT_FOUND, f"no case {value!r}")
            return str(case.id), f"case {case.id}"
        raise CauserieError(ErrorCode.BAD_REQUEST, "holds are placed on an account, a room or a case")

    async def place(
        self,
        kind: HoldKind,
        target: str,
        reason: str,
        *,
        actor: Account | None,
        expires_at: float | None = None,
        source: str | None = None,
        resolved: bool = False,
    ) -> tuple[Hold, bool]:
        """Hold a target (audited). ``target`` is resolved (nickname, slug …) unless ``resolved``."""
        reason = reason.strip()
        if not reason:
            raise CauserieError(ErrorCode.BAD_REQUEST, "a legal hold needs a reason")
        now = self._clock.now()
        if expires_at is not None and expires_at <= now:
            raise CauserieError(ErrorCode.BAD_REQUEST, "the end of a hold must be in the future")
        target_id, label = (target, target) if resolved else await self.resolve(kind, target)
        source = source or (f"admin:{int(actor.id)}" if actor is not None else "operator")
        audit = AuditDraft(
            action="legal.hold",
            target=f"{kind.value}:{target_id}",
            actor_id=actor.id if actor is not None else None,
            reason=reason[:1000],
            details={"label": label, "source": source, "expires_at": expires_at},
        )
        hold, new = await self._store.add_hold(
            kind,
            target_id,
            reason=reason[:1000],
            source=source,
            now=now,
            expires_at=expires_at,
            created_by=int(actor.id) if actor is not None else None,
            audit=audit,
        )
        if new:
            log.info("legal hold %s placed on %s:%s (%s)", hold.id, kind.value, target_id, source)
        return hold, new

    async def release(self, hold_id: int, actor: Account | None, reason: str = "") -> Hold:
        hold = await self._store.get_hold(hold_id)
        if hold is None or hold.released_at is not None:
            raise CauserieError(ErrorCode.NOT_FOUND, "no such active hold")
        audit = AuditDraft(
            action="legal.release",
            target=f"{hold.kind.value}:{hold.target_id}",
            actor_id=actor.id if actor is not None else None,
            reason=reason.strip()[:1000],
            details={"hold": hold.id, "placed_reason": hold.reason, "source": hold.source},
        )
        released = await self._store.release_hold(hold_id, int(actor.id) if actor else None, self._clock.now(), audit)
        if released is None:
            raise CauserieError(ErrorCode.NOT_FOUND, "no such active hold")
        log.info("legal hold %s released", hold_id)
        return released

    async def list(self, *, active_only: bool = True, limit: int = 200) -> list[Hold]:
        return await self._store.list_holds(active_only=active_only, now=self._clock.now(), limit=limit)

    async def is_held(self, kind: HoldKind, target_id: str) -> bool:
        now = self._clock.now()
        if self._is_held is not None:
            return await self._is_held(kind.value, target_id, now) > 0
        return any(h.kind is kind and h.target_id == target_id for h in await self.list(limit=100_000))

    async def on_case(self, case: Case) -> None:
        """A child-safety case (child sexual abuse, a minor at risk) holds itself and its target account."""
        if case.category not in CHILD_SAFETY:
            return
        source = f"case:{case.id}"
        reason = f"child-safety case {case.id} ({case.category.value}): evidence kept for the authorities"
        targets: list[tuple[HoldKind, str]] = [(HoldKind.CASE, str(case.id))]
        if case.account_id is not None:
            targets.append((HoldKind.ACCOUNT, str(int(case.account_id))))
        for kind, target_id in targets:
            try:
                await self.place(kind, target_id, reason, actor=None, source=source, resolved=True)
            except Exception:  # the report is filed: failing it now would only make the reporter retry
                log.exception("automatic legal hold on %s:%s failed (place it by hand)", kind.value, target_id)


def hold_json(hold: Hold) -> dict[str, Any]:
    """A hold as the API and the CLI show it (times in ms since the epoch)."""

    def ms(value: float | None) -> int | None:
        return int(value * 1000) if value is not None else None

    return {
        "id": hold.id,
        "kind": hold.kind.value,
        "target_id": hold.target_id,
        "reason": hold.reason,
        "source": hold.source,
        "created_at": ms(hold.created_at),
        "expires_at": ms(hold.expires_at),
        "created_by": hold.created_by,
        "released_at": ms(hold.released_at),
        "released_by": hold.released_by,
    }
