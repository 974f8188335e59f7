"""The audit trail's hash chain: canonical encoding, entry hashes and chain verification.

May import: stdlib, ``causerie.ids``.

Every moderator or administrator action is an append-only entry. Entry *n* carries the SHA-256 of
entry *n-1* (``prev_hash``) and its own hash over a canonical encoding of all its fields, so that
editing, deleting or reordering any entry breaks the chain from that point. Ids are contiguous
(1, 2, 3, …): a deleted entry shows as a gap.

A chain can be recomputed end to end by someone with write access to the database; the head hash
(``causerie audit head``) should therefore be recorded outside it from time to time (a ticket, an
email to the operator's DPO, a timestamping service), which turns any rewrite into a detectable one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is (floats as Python's repr)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An entry to append; the store gives it its id, time, previous hash and hash."""

    action: str
    target: str
    actor_id: int | None = None
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts_ms: int
    actor_id: int | None
    action: str
    target: str
    reason: str
    details: str  # canonical JSON text, as hashed
    prev_hash: str
    hash: str

    def details_obj(self) -> Any:
        return json.loads(self.details)


def entry_hash(
    *, id: int, ts_ms: int, actor_id: int | None, action: str, target: str, reason: str, details: str, prev_hash: str
) -> str:
    """SHA-256 (hex) of the canonical encoding of an entry's fields, its predecessor's hash included."""
    document = canonical_json(
        {
            "id": id,
            "ts": ts_ms,
            "actor": actor_id,
            "action": action,
            "target": target,
            "reason": reason,
            "details": details,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def seal(draft: AuditDraft, *, id: int, ts_ms: int, prev_hash: str) -> AuditEntry:
    """The complete entry for ``draft`` at position ``id`` after an entry hashed ``prev_hash``."""
    details = canonical_json(dict(draft.details))
    digest = entry_hash(
        id=id,
        ts_ms=ts_ms,
        actor_id=draft.actor_id,
        action=draft.action,
        target=draft.target,
        reason=draft.reason,
        details=details,
        prev_hash=prev_hash,
    )
    return AuditEntry(id, ts_ms, draft.actor_id, draft.action, draft.target, draft.reason, details, prev_hash, digest)


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    broken_id: int | None = None
    problem: str = ""


def verify_chain(
    entries: Iterable[AuditEntry], head: tuple[int, str] | None = None, base: tuple[int, str] = (0, GENESIS_HASH)
) -> ChainReport:
    """Check a whole chain, in id order; name the first broken entry.

    Args:
        entries: every entry, ordered by id.
        head: the (last id, last hash) the store recorded, if it keeps one: catches a truncated tail.
        base: the (id, hash) of the last entry the retention purge deleted (a whole prefix is deleted at
            once): the chain starts after it. ``(0, GENESIS_HASH)`` when nothing was purged.
    """
    expected_id = base[0] + 1
    prev = base[1]
    checked = 0
    for e in entries:
        if e.id != expected_id:
            return ChainReport(False, checked, prev, expected_id, f"entry {expected_id} is missing (found {e.id})")
        if e.prev_hash != prev:
            return ChainReport(False, checked, prev, e.id, "previous-hash link does not match the entry before")
        recomputed = entry_hash(
            id=e.id,
            ts_ms=e.ts_ms,
            actor_id=e.actor_id,
            action=e.action,
            target=e.target,
            reason=e.reason,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        if recomputed != e.hash:
            return ChainReport(False, checked, prev, e.id, "content does not match its hash (entry was modified)")
        prev = e.hash
        expected_id += 1
        checked += 1
    last = base[0] + checked
    if head is not None and head[0] > 0 and (head[0] != last or head[1] != prev):
        return ChainReport(False, checked, prev, last + 1 if head[0] > last else head[0], "chain head does not match")
    return ChainReport(True, checked, prev)
