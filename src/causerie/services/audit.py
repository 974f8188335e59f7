"""The audit trail: reading it, verifying its hash chain, and appending entries that are not actions.

May import: ``causerie.domain``, ``causerie.storage.moderation``, ``causerie.clock``, ``causerie.config``,
``causerie.errors``, ``causerie.ids``.

Moderation actions write their own entries, in their own transaction (``ModerationStore``); this
service is for everything else: verification (``causerie audit verify``), the admin listing, and
entries such as "a moderator viewed quarantined material" (the media issue calls ``record``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from causerie.clock import Clock
from causerie.domain.audit import AuditDraft, AuditEntry, ChainReport, verify_chain
from causerie.storage.moderation import ModerationStore

PAGE = 1000


class AuditService:
    def __init__(self, store: ModerationStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def record(self, draft: AuditDraft) -> AuditEntry:
        """Append one entry on its own (not part of a moderation action)."""
        return await self._store.append_audit(draft, self._clock.now())

    async def entries(self, after_id: int = 0, limit: int = 100) -> list[AuditEntry]:
        return await self._store.audit_entries(after_id, limit)

    async def head(self) -> tuple[int, str]:
        """(id, hash) of the last entry: record it outside the database to make rewrites detectable."""
        return await self._store.audit_head()

    async def _all(self) -> AsyncIterator[AuditEntry]:
        after = 0
        while True:
            page = await self._store.audit_entries(after, PAGE)
            for entry in page:
                yield entry
            if len(page) < PAGE:
                return
            after = page[-1].id

    async def verify(self) -> ChainReport:
        """Check the whole chain, page by page; the report names the first broken entry."""
        base = await self._store.audit_base()  # after a retention purge: the last deleted entry
        entries = [e async for e in self._all()]
        return verify_chain(entries, head=await self._store.audit_head(), base=base)
