"""Pictures as pure rules: hash formats, hash banks, match results, when pictures unlock, and the
report bundle prepared after a match against a list of known abuse material.

May import: stdlib, ``causerie.ids``, ``causerie.errors``.

Hashes are lower-case hexadecimal text everywhere (MD5: 32 characters, PDQ: 64 characters = 256
bits, SHA-256: 64 characters). A PDQ match is a Hamming distance at or below a bank's threshold
(default 31, the threshold Meta's PDQ documentation calls a confident match); an MD5 match is
equality. Nothing here does I/O or reads a clock.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from causerie.ids import AccountId

PDQ_BITS = 256
DEFAULT_PDQ_THRESHOLD = 31
MAX_PDQ_THRESHOLD = 63  # the index guarantees exact recall up to here (multi-index hashing, 16 chunks)
MIN_PDQ_QUALITY = 50  # below, PDQ is unreliable (flat images): threatexchange's PdqSignal uses 50 too
BANK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_HEX = re.compile(r"^[0-9a-f]+$")


class HashKind(enum.StrEnum):
    MD5 = "md5"
    PDQ = "pdq"


class MediaState(enum.StrEnum):
    VISIBLE = "visible"
    REMOVED = "removed"  # by a moderator or the retention purge: no longer served


class UploadScope(enum.StrEnum):
    """Where an upload may go. ``private``: direct conversations only (see ``media_scan_private``)."""

    PUBLIC = "public"
    PRIVATE = "private"


class RestrictionKind(enum.StrEnum):
    MEDIA_UPLOAD = "media_upload"  # no further uploads, no pictures in messages


# Names under which hash lists name their signal types (threatexchange, HMA, CSV exports).
KIND_ALIASES: Mapping[str, HashKind] = {
    "md5": HashKind.MD5,
    "photo_md5": HashKind.MD5,
    "video_md5": HashKind.MD5,
    "hash_md5": HashKind.MD5,
    "hash_photo_md5": HashKind.MD5,
    "pdq": HashKind.PDQ,
    "hash_pdq": HashKind.PDQ,
    "photo_pdq": HashKind.PDQ,
}


def kind_from_name(name: str) -> HashKind | None:
    return KIND_ALIASES.get(name.strip().lower())


def normalize_hash(kind: HashKind, value: str) -> str:
    """The canonical text of a hash; ``ValueError`` if it is not one."""
    text = value.strip().lower()
    size = 32 if kind is HashKind.MD5 else 64
    if len(text) != size or not _HEX.match(text):
        raise ValueError(f"not a {kind.value} hash: {value[:80]!r}")
    if kind is HashKind.PDQ and (text == "0" * 64 or text == "f" * 64):
        raise ValueError("degenerate PDQ hash (all bits equal)")
    return text


def guess_kind(value: str) -> HashKind | None:
    """A bare hash's kind from its length (32 hex: MD5, 64 hex: PDQ)."""
    text = value.strip().lower()
    if not _HEX.match(text or "x"):
        return None
    return {32: HashKind.MD5, 64: HashKind.PDQ}.get(len(text))


def hamming(a: str, b: str) -> int:
    """Hamming distance of two hex hashes of equal length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def check_bank_name(name: str) -> str:
    text = name.strip().lower()
    if not BANK_NAME_RE.match(text):
        raise ValueError("a bank name is 1-64 characters: a-z, 0-9, '_', '.', '-' (starting with a letter or digit)")
    return text


def check_threshold(threshold: int) -> int:
    if not 0 <= threshold <= MAX_PDQ_THRESHOLD:
        raise ValueError(f"a PDQ threshold is between 0 and {MAX_PDQ_THRESHOLD}")
    return threshold


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A picture attached to a message: what a client needs to lay it out."""

    id: str
    width: int
    height: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "w": self.width, "h": self.height}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> MediaRef | None:
        if not data:
            return None
        return cls(id=str(data["id"]), width=int(data["w"]), height=int(data["h"]))


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """What is computed for every upload. ``md5``/``sha256`` are of the bytes as uploaded (what hash
    lists hold); ``pdq`` of the decoded, orientation-corrected pixels; ``pdq_mirror`` of their mirror
    image (for banks that match mirrored copies)."""

    sha256: str
    md5: str
    pdq: str | None = None
    pdq_quality: int = 0
    pdq_mirror: str | None = None

    @property
    def pdq_usable(self) -> bool:
        return self.pdq is not None and self.pdq_quality >= MIN_PDQ_QUALITY


@dataclass(frozen=True, slots=True)
class HashBank:
    id: int
    name: str
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD
    match_mirrored: bool = False
    enabled: bool = True
    description: str = ""
    revision: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    md5_count: int = 0
    pdq_count: int = 0


@dataclass(frozen=True, slots=True)
class BankHit:
    bank_id: int
    bank_name: str
    kind: HashKind
    matched_hash: str
    distance: int  # 0 for MD5
    threshold: int  # the bank's PDQ threshold (0 for MD5)
    mirrored: bool = False


def best_hit(hits: list[BankHit]) -> BankHit:
    """The most telling hit: an exact MD5 first, then the smallest PDQ distance."""
    return min(hits, key=lambda h: (h.kind is not HashKind.MD5, h.distance, h.bank_name))


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """A stored (re-encoded) picture. ``id`` is random and unguessable: it is the capability to see it."""

    id: str
    account_id: AccountId
    sha256: str  # of the stored, re-encoded file (content address)
    thumb_sha256: str
    content_type: str
    width: int
    height: int
    bytes: int
    thumb_width: int
    thumb_height: int
    thumb_content_type: str
    orig_sha256: str
    orig_md5: str
    pdq: str | None
    pdq_quality: int
    scanned: bool
    scope: UploadScope
    state: MediaState
    created_at: float
    ip: str | None = None
    port: int | None = None

    def ref(self) -> MediaRef:
        return MediaRef(self.id, self.width, self.height)


@dataclass(frozen=True, slots=True)
class UploadMeta:
    """Where an upload came from (kept with a match: décret 2021-1362 art. 5, NCMEC ipCaptureEvent)."""

    ip: str | None = None
    port: int | None = None
    user_agent: str | None = None
    filename: str | None = None
    declared_type: str | None = None
    scope: UploadScope = UploadScope.PUBLIC


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    id: str
    account_id: AccountId
    sha256: str
    md5: str
    bytes: int
    declared_type: str | None
    filename: str | None
    created_at: float
    legal_hold: bool = True


@dataclass(frozen=True, slots=True)
class MatchRecord:
    id: int
    account_id: AccountId
    bank_id: int
    bank_name: str
    kind: HashKind
    matched_hash: str
    distance: int
    threshold: int
    mirrored: bool
    sha256: str
    md5: str
    pdq: str | None
    pdq_quality: int
    quarantine_id: str
    created_at: float
    ip: str | None = None
    port: int | None = None
    user_agent: str | None = None
    case_id: int | None = None
    bundle_id: int | None = None


def pictures_unlock_at(account_created_at: float, delay_minutes: float) -> float:
    """When a new account may send pictures."""
    return account_created_at + max(0.0, delay_minutes) * 60.0


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).isoformat(timespec="milliseconds")


BUNDLE_FORMAT = "causerie.report_bundle/1"


def report_bundle(
    *,
    hits: list[BankHit],
    hashes: ImageHashes,
    meta: UploadMeta,
    quarantine: QuarantineRecord,
    account: Mapping[str, Any],
    detected_at: float,
    detected_format: str | None,
    service: str,
) -> dict[str, Any]:
    """A report prepared for the authorities after a hash match, ready for the compliance export.

    It holds what NCMEC's CyberTipline report (incident, reported person with an IP capture event,
    uploaded file with its hashes and whether staff viewed it) and France's PHAROS form (date and
    time, pseudonym and identifiers, technical data, nature of the content) ask for. The file itself
    is referenced by its quarantine id (encrypted at rest); the export attaches it.
    """
    best = best_hit(hits)
    return {
        "format": BUNDLE_FORMAT,
        "kind": "apparent_csam_hash_match",
        "service": service,
        "incident": {
            "type": "apparent child sexual abuse material (match against a hash list)",
            "ncmec_incident_type": "Child Pornography (possession, manufacture, and distribution)",
            "french_offence": "art. 227-23 code pénal (counsel to confirm)",
            "detected_at": _iso(detected_at),
            "detected_at_epoch": detected_at,
            "detection": {
                "method": "hash_list_match",
                "automated": True,
                "human_reviewed": False,
                "best": _hit_json(best),
                "all": [_hit_json(h) for h in hits],
            },
            "delivered_to_anyone": False,
            "publicly_available": False,
        },
        "reported_person": dict(account),
        "ip_capture_event": {
            "event": "upload",
            "ip": meta.ip,
            "port": meta.port,
            "at": _iso(detected_at),
            "user_agent": meta.user_agent,
        },
        "file": {
            "quarantine_id": quarantine.id,
            "original_filename": meta.filename,
            "declared_content_type": meta.declared_type,
            "detected_format": detected_format,
            "bytes": quarantine.bytes,
            "sha256": hashes.sha256,
            "md5": hashes.md5,
            "pdq": hashes.pdq,
            "pdq_quality": hashes.pdq_quality if hashes.pdq else None,
            "encrypted_at_rest": "AES-256-GCM",
            "viewed_by_staff": False,
            "exif_viewed_by_staff": False,
        },
        "legal": {
            "legal_hold": True,
            "destinations": ["PHAROS (internet-signalement.gouv.fr)", "NCMEC CyberTipline (US providers)"],
        },
    }


def _hit_json(hit: BankHit) -> dict[str, Any]:
    return {
        "bank": hit.bank_name,
        "hash_kind": hit.kind.value,
        "matched_hash": hit.matched_hash,
        "distance": hit.distance,
        "threshold": hit.threshold,
        "mirrored": hit.mirrored,
    }
