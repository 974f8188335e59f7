"""Legal duties: evidence exports for the authorities, reports to them (DSA art. 18), trusted
flaggers (art. 22), and the data subject's rights (GDPR arts. 15, 17, 20).

May import: ``causerie.domain``, ``causerie.storage.legal``, ``causerie.storage.media``,
``causerie.services``, ``causerie.clock``, ``causerie.config``, ``causerie.errors``, ``causerie.ids``,
argon2, cryptography.

Every legal action is audited (``services.audit``) BEFORE it happens: no export, report, key or
erasure without its entry in the hash-chained trail. Holds are asked of ``MediaRecords.legal_holds``
(the one place that knows what is held).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.audit import AuditDraft
from causerie.domain.entities import Account
from causerie.domain.legal import ART18_CATEGORIES, missing_fields, trusted_priority
from causerie.domain.moderation import CHILD_SAFETY, Report, ReportCategory
from causerie.errors import CauserieError, ErrorCode
from causerie.services.accounts import AccountService
from causerie.services.audit import AuditService
from causerie.services.evidence import (
    Built,
    KeyError_,
    build_bundle,
    iso,
    key_id,
    load_private_key,
    public_pem,
    to_json,
)
from causerie.services.flood import FloodControl
from causerie.services.moderation import ModerationService, ReportForm
from causerie.storage.legal import EvidenceScope, Flagger, LegalStore, Row
from causerie.storage.media import MediaRecords, MediaStore, QuarantineStore

log = logging.getLogger(__name__)
CHILD_SAFETY_CODES = frozenset(c.value for c in CHILD_SAFETY)

KEY_PREFIX = "ctf_"  # trusted flagger API keys: ctf_<prefix>_<secret>
_TIME_KEYS = ("_at", "until", "keep_until", "period_from", "period_to")


def _with_times(value: Any) -> Any:
    """Rows with an ISO 8601 UTC twin of every epoch time (``created_at`` → ``created_at_utc``)."""
    if isinstance(value, list):
        return [_with_times(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k] = _with_times(v)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k.endswith(_TIME_KEYS):
                out[f"{k}_utc"] = iso(float(v))
        return out
    return value


def parse_date(value: str, *, end: bool = False) -> float:
    """A date (YYYY-MM-DD: the whole day, UTC) or an ISO 8601 date-time → epoch seconds."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min, datetime.UTC)
        else:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
    except ValueError:
        raise CauserieError(ErrorCode.BAD_REQUEST, f"not a date: {value!r} (YYYY-MM-DD or ISO 8601)") from None
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class ExportRequest:
    target_kind: str  # account | room | case
    target: str  # nickname or id | slug | case id
    start: float
    end: float
    request_ref: str
    include_quarantine: bool = False


@dataclass(frozen=True, slots=True)
class ExportResult:
    data: bytes
    manifest_sha256: str
    files: int
    export_id: int
    scope: str
    key_id: str


@dataclass(frozen=True, slots=True)
class KeptItem:
    code: str  # identification | connection_records | moderation | quarantine | held_messages | everything
    what: str
    why: str
    until: float | None  # None: while the legal hold lasts


class LegalService:
    def __init__(
        self,
        store: LegalStore,
        settings: Settings,
        clock: Clock,
        audit: AuditService,
        moderation: ModerationService,
        media_records: MediaRecords,
        files: MediaStore,
        quarantine: QuarantineStore,
        accounts: AccountService,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._audit = audit
        self._moderation = moderation
        self._records = media_records
        self._files = files
        self._quarantine = quarantine
        self._accounts = accounts
        self.flood: FloodControl | None = None  # set by bootstrap: the per-key notice bucket
        self._hasher = PasswordHasher()

    # -- roles --------------------------------------------------------------------------------

    async def require_admin(self, actor: Account | None) -> None:
        """Administrators only; ``None`` is the operator on the command line."""
        if actor is not None:
            (await self._moderation.staff(actor)).require_admin()

    # -- signing ------------------------------------------------------------------------------

    def signing_key(self) -> Any:
        s = self._settings
        try:
            if s.legal_signing_key is not None:
                return load_private_key(s.legal_signing_key.get_secret_value())
            if s.legal_signing_key_file is not None:
                return load_private_key(Path(s.legal_signing_key_file).read_bytes())
        except (OSError, KeyError_) as exc:
            log.error("the evidence signing key cannot be read: %s", exc)
            raise CauserieError(ErrorCode.SIGNING_KEY_MISSING) from None
        raise CauserieError(ErrorCode.SIGNING_KEY_MISSING)

    def public_key_pem(self) -> str:
        return public_pem(self.signing_key().public_key()).decode()

    # -- evidence export ----------------------------------------------------------------------

    async def _scope(self, req: ExportRequest) -> tuple[EvidenceScope, str]:
        if req.end < req.start:
            raise CauserieError(ErrorCode.BAD_REQUEST, "the period ends before it starts")
        context = max(0, self._settings.legal_export_context)
        if req.target_kind == "account":
            found = await self._store.find_account(req.target)
            if found is None:
                raise CauserieError(ErrorCode.USER_NOT_FOUND)
            return EvidenceScope("account", int(found["id"]), req.start, req.end, context), f"account:{found['id']}"
        if req.target_kind == "room":
            room = await self._store.find_room(req.target)
            if room is None:
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            return EvidenceScope("room", int(room["id"]), req.start, req.end, context), f"room:{room['slug']}"
        if req.target_kind == "case":
            if not req.target.isdigit() or await self._store.get_case(int(req.target)) is None:
                raise CauserieError(ErrorCode.CASE_NOT_FOUND)
            return EvidenceScope("case", int(req.target), req.start, req.end, context), f"case:{int(req.target)}"
        raise CauserieError(ErrorCode.BAD_REQUEST, "export an account, a room or a case")

    async def export(self, actor: Account | None, req: ExportRequest) -> ExportResult:
        """Build, sign and record an evidence bundle. Audited first (who, what, which request)."""
        await self.require_admin(actor)
        ref = req.request_ref.strip()[:200]
        if not ref:
            raise CauserieError(ErrorCode.BAD_REQUEST, "a request reference is required (the authority's request)")
        key = self.signing_key()
        scope, label = await self._scope(req)
        now = self._clock.now()
        await self._audit.record(
            AuditDraft(
                action="legal_export",
                target=label,
                actor_id=int(actor.id) if actor else None,
                reason=ref,
                details={
                    "from": iso(req.start),
                    "to": iso(req.end),
                    "include_quarantine": req.include_quarantine,
                    "via": "console" if actor else "cli",
                },
            )
        )
        evidence = await self._store.collect(scope)
        files: dict[str, bytes] = {}
        for name, rows in evidence.files.items():
            files[f"{name}.json"] = to_json(_with_times(rows))
        for row in evidence.files.get("pictures", []):
            for column, kind, suffix in (
                ("sha256", "content_type", ""),
                ("thumb_sha256", "thumb_content_type", ".thumb"),
            ):
                data = await self._files.get(str(row[column]))
                if data is not None:
                    ext = str(row[kind]).split("/")[-1][:8] or "bin"
                    files[f"pictures/{row['id']}{suffix}.{ext}"] = data
        if req.include_quarantine:
            for qid in evidence.quarantine_ids:
                data = await self._quarantine.get(qid)
                if data is not None:
                    files[f"quarantine/{qid}.bin"] = data
        reports = []
        for case_id in evidence.case_ids:
            case = await self._store.get_case(case_id)
            if case is not None and str(case["category"]) in ART18_CATEGORIES:
                reports.append(await self._authority_payload(case_id, req.start, req.end))
        if reports:
            files["report.json"] = to_json(reports if len(reports) > 1 else reports[0])
        meta = {
            "created_at": iso(now),
            "request_ref": ref,
            "scope": label,
            "period": {"from": iso(req.start), "to": iso(req.end)},
            "include_quarantine": req.include_quarantine,
            "platform": {"name": "Causerie", "url": self._settings.legal_platform_url},
            "exported_by": int(actor.id) if actor else "operator (command line)",
            "counts": {name: len(rows) for name, rows in evidence.files.items()},
        }
        built: Built = await asyncio.to_thread(build_bundle, files, meta, key)
        export_id = await self._store.record_export(
            request_ref=ref,
            scope=label,
            start=req.start,
            end=req.end,
            include_quarantine=req.include_quarantine,
            manifest_sha256=built.manifest_sha256,
            files=built.files,
            actor_id=int(actor.id) if actor else None,
            now=now,
        )
        log.info("evidence export %s: %s, %d files, manifest %s", export_id, label, built.files, built.manifest_sha256)
        return ExportResult(built.data, built.manifest_sha256, built.files, export_id, label, key_id(key.public_key()))

    async def exports(self, actor: Account | None, limit: int = 100) -> list[Row]:
        await self.require_admin(actor)
        return await self._store.list_exports(max(1, min(limit, 500)))

    # -- reports to the authorities (DSA art. 18) ---------------------------------------------

    async def _authority_payload(
        self, case_id: int, start: float | None = None, end: float | None = None
    ) -> dict[str, Any]:
        now = self._clock.now()
        material = await self._store.case_material(
            case_id, start if start is not None else 0.0, end if end is not None else now
        )
        if not material:
            raise CauserieError(ErrorCode.CASE_NOT_FOUND)
        case = material["case"]
        category = str(case["category"])
        info = ART18_CATEGORIES.get(category)
        if info is None:
            raise CauserieError(
                ErrorCode.BAD_REQUEST,
                "a report to the authorities is for child sexual abuse or a threat to life or safety",
            )
        reports = material["reports"]
        first = min((float(r["created_at"]) for r in reports), default=float(case["created_at"]))
        targets = [c for c in material["context"] if c.get("is_target")]
        content_time = min((float(c["created_at"]) for c in targets), default=first)
        suspect = material["suspect"] or {}
        identity = suspect.get("identity_at_closure") or {}
        s = self._settings
        contact = {"name": s.legal_contact_name, "email": s.legal_contact_email, "phone": s.legal_contact_phone}
        gaps = [f"platform.contact.{k}" for k, v in contact.items() if not v]
        if not s.legal_platform_url:
            gaps.append("platform.url")
        room = material["room"] or {}
        seen: set[int] = set()
        content = []
        for c in material["context"]:
            if int(c["message_id"]) in seen:
                continue
            seen.add(int(c["message_id"]))
            content.append(
                {
                    "message_id": c["message_id"],
                    "room_id": c["room_id"],
                    "seq": c["seq"],
                    "author_id": c["author_id"],
                    "author_screen_name": c["author_nick"],
                    "text": c["text"],
                    "state": c["state"],
                    "reported": bool(c["is_target"]),
                    "date_time": iso(float(c["created_at"])),
                }
            )
        reporters = []
        for r in reports:
            who: dict[str, Any] = {"source": r["source"]}
            if r.get("reporter_id") is not None:
                acc = material["reporters"].get(int(r["reporter_id"]), {})
                who.update(
                    {"account_id": r["reporter_id"], "screen_name": acc.get("nickname"), "email": acc.get("email")}
                )
            elif r.get("reporter_name") or r.get("reporter_email"):
                who.update({"name": r.get("reporter_name"), "email": r.get("reporter_email")})
            reporters.append(
                {
                    **who,
                    "report_id": r["id"],
                    "category": r["category"],
                    "details": r["details"],
                    "date_time": iso(float(r["created_at"])),
                }
            )
        files = [
            {
                "quarantine_id": q["id"],
                "sha256": q["sha256"],
                "md5": q["md5"],
                "bytes": q["bytes"],
                "declared_type": q["declared_type"],
                "original_filename": q["filename"],
                "uploaded_at": iso(float(q["created_at"])),
                "matches": [
                    {
                        "bank": m["bank_name"],
                        "kind": m["kind"],
                        "distance": m["distance"],
                        "ip": m["ip"],
                        "port": m["port"],
                        "user_agent": m["user_agent"],
                    }
                    for m in material["matches"]
                    if m["quarantine_id"] == q["id"]
                ],
                "file_viewed_by_platform": False,
                "publicly_available": False,
            }
            for q in material["quarantine"]
        ]
        payload: dict[str, Any] = {
            "report_type": "dsa_art18_notification_of_suspicion_of_criminal_offence",
            "legal_basis": [
                "Regulation (EU) 2022/2065 (Digital Services Act) art. 18",
                "Loi n° 2004-575 (LCEN) art. 6",
            ]
            + (["18 U.S.C. § 2258A (NCMEC CyberTipline)"] if "ncmec" in info["authorities"] else []),
            "authorities": info["authorities"].split(","),
            "generated_at": iso(now),
            "incident": {
                "type": info["kind"],
                "category": category,
                "ncmec_incident_type": info["ncmec_incident_type"],
                "pharos_category": info["pharos_category"],
                "date_time": iso(content_time),
                "first_notice_at": iso(first),
                "description": "; ".join(str(r["details"]) for r in reports if r.get("details"))
                or f"{len(reports)} notice(s) of category {category}",
                "threat_to_life_or_safety": category != "child_sexual_abuse",
                "location": {"room_slug": room.get("slug"), "room_kind": room.get("kind")},
            },
            "platform": {
                "name": "Causerie",
                "url": s.legal_platform_url,
                "contact": contact,
            },
            "suspect": {
                "account_id": case.get("account_id"),
                "screen_name": identity.get("nickname") or suspect.get("nickname"),
                "account_kind": suspect.get("kind"),
                "email": identity.get("email") or suspect.get("email") or "",  # "": none given (guest)
                "declared_age": suspect.get("age"),
                "declared_gender": identity.get("gender") or suspect.get("gender"),
                "region": identity.get("region") or suspect.get("region"),
                "account_created_at": iso(suspect.get("created_at")),
                "account_closed_at": iso(suspect.get("closed_at")),
                "ip_addresses": [
                    {
                        "ip": c["ip"],
                        "port": c["port"],
                        "event": c["event"],
                        "date_time": iso(float(c["created_at"])),
                        "ended_at": iso(c.get("ended_at")),
                        "user_agent": c["user_agent"],
                        "device_id": c.get("device_id"),
                    }
                    for c in material["connections"]
                ],
            },
            "content": content,
            "files": files,
            "reporters": reporters,
            "case": {
                "id": case["id"],
                "category": category,
                "status": case["status"],
                "opened_at": iso(float(case["created_at"])),
                "closed_at": iso(case.get("closed_at")),
            },
            "actions_taken": [
                {
                    "kind": a["kind"],
                    "date_time": iso(float(a["created_at"])),
                    "rule": a["rule"],
                    "automated": a["automated"],
                }
                for a in material["actions"]
            ],
            "evidence_preserved": "Content, account data and connection records are preserved under the "
            "operator's legal hold and retention policy; an evidence bundle (causerie legal export) can be "
            "provided on request.",
            "gaps": gaps,
        }
        payload["gaps"] = gaps + missing_fields(payload)  # what the operator must complete before sending
        return payload

    async def authority_report(self, actor: Account | None, case_id: int) -> dict[str, Any]:
        """Make, store and audit the report to the authorities for a case; return it with its id."""
        await self.require_admin(actor)
        payload = await self._authority_payload(case_id)
        now = self._clock.now()
        await self._audit.record(
            AuditDraft(
                action="authority_report",
                target=f"case:{case_id}",
                actor_id=int(actor.id) if actor else None,
                reason=str(payload["incident"]["type"]),
                details={"authorities": payload["authorities"]},
            )
        )
        report_id = await self._store.add_authority_report(
            case_id,
            str(payload["incident"]["type"]),
            ",".join(payload["authorities"]),
            payload,
            int(actor.id) if actor else None,
            now,
        )
        return {"id": report_id, **payload}

    async def authority_reports(self, actor: Account | None, case_id: int | None = None) -> list[Row]:
        await self.require_admin(actor)
        return await self._store.authority_reports([case_id] if case_id is not None else None, 200)

    # -- trusted flaggers (DSA art. 22) -------------------------------------------------------

    async def register_flagger(
        self, actor: Account | None, name: str, contact_email: str | None
    ) -> tuple[Flagger, str]:
        """Register an organisation; its API key is returned once and stored hashed (argon2)."""
        await self.require_admin(actor)
        name = " ".join(name.split())[:200]
        if not name:
            raise CauserieError(ErrorCode.BAD_REQUEST, "the organisation's name is required")
        if any(f.name.lower() == name.lower() for f in await self._store.flaggers()):
            raise CauserieError(ErrorCode.BAD_REQUEST, "a trusted flagger of that name exists")
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = f"{KEY_PREFIX}{prefix}_{secret}"
        digest = await asyncio.to_thread(self._hasher.hash, key)
        await self._audit.record(
            AuditDraft(
                action="trusted_flagger_add",
                target=f"flagger:{prefix}",
                actor_id=int(actor.id) if actor else None,
                reason=name,
                details={"contact_email": contact_email or None},
            )
        )
        flagger = await self._store.add_flagger(
            name,
            (contact_email or "").strip()[:320] or None,
            prefix,
            digest,
            int(actor.id) if actor else None,
            self._clock.now(),
        )
        return flagger, key

    async def flaggers(self, actor: Account | None) -> list[Flagger]:
        await self.require_admin(actor)
        return await self._store.flaggers()

    async def revoke_flagger(self, actor: Account | None, flagger_id: int) -> Flagger:
        await self.require_admin(actor)
        await self._audit.record(
            AuditDraft(
                action="trusted_flagger_revoke",
                target=f"flagger:{flagger_id}",
                actor_id=int(actor.id) if actor else None,
            )
        )
        found = await self._store.revoke_flagger(flagger_id, int(actor.id) if actor else None, self._clock.now())
        if found is None:
            raise CauserieError(ErrorCode.NOT_FOUND)
        return found

    async def flagger_for_key(self, key: str | None) -> Flagger:
        """The active flagger of an API key; ``flagger_key_invalid`` otherwise."""
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 128:
            raise CauserieError(ErrorCode.FLAGGER_KEY_INVALID)
        prefix = key[len(KEY_PREFIX) :].split("_", 1)[0]
        found = await self._store.flagger_by_prefix(prefix)
        if found is None:
            raise CauserieError(ErrorCode.FLAGGER_KEY_INVALID)
        flagger, digest = found

        def check() -> bool:
            try:
                return self._hasher.verify(digest, key)
            except (VerificationError, InvalidHashError):
                return False

        if not await asyncio.to_thread(check) or flagger.revoked_at is not None:
            raise CauserieError(ErrorCode.FLAGGER_KEY_INVALID)
        return flagger

    async def priority_boost(self, case_id: int, categories: list[ReportCategory], priority: int) -> int:
        """``ModerationService.priority_boost``: cases with a trusted flagger's notice move up."""
        if await self._store.trusted_case(case_id):
            return trusted_priority(priority, categories)
        return priority

    async def trusted_notice(self, key: str | None, form: ReportForm) -> tuple[Report, int]:
        """A notice from a trusted flagger: filed like a public notice (no reporter account), marked
        as theirs, and its case moved up the queue (``domain.legal.trusted_priority``)."""
        flagger = await self.flagger_for_key(key)
        if self.flood is not None and form.category not in CHILD_SAFETY_CODES:
            await self.flood.trusted_notice(flagger.id)
        form = ReportForm(
            category=form.category,
            good_faith=True,  # the organisation's status implies it (art. 22)
            details=form.details,
            room=form.room,
            seq=form.seq,
            message_id=form.message_id,
            user=form.user,
            name=flagger.name,
            email=flagger.contact_email,
        )
        report, case = await self._moderation.report(None, form, None)  # public content only, no rate limit
        await self._store.mark_notice(report.id, case.id, "trusted_flagger", flagger.id, self._clock.now())
        await self._moderation.reprioritise(case.id)
        return report, case.id

    # -- the data subject (GDPR) --------------------------------------------------------------

    async def my_data(self, account: Account) -> dict[str, Any]:
        """Everything stored about the account that is its own (GDPR arts. 15 and 20)."""
        data = await self._store.personal_data(account.id)
        return {
            "format": "causerie-personal-data/1",
            "generated_at": iso(self._clock.now()),
            "account_id": int(account.id),
            **_with_times(data),
        }

    async def delete_me(self, account: Account, password: str | None) -> dict[str, Any]:
        """Close the account; erase or pseudonymise what is not held or kept by law; say what is kept."""
        if account.registered:
            stored = await self._store.password_hash(account.id)

            def check() -> bool:
                try:
                    return stored is not None and self._hasher.verify(stored, password or "")
                except (VerificationError, InvalidHashError):
                    return False

            if not password or not await asyncio.to_thread(check):
                raise CauserieError(ErrorCode.LOGIN_FAILED)
        now = self._clock.now()
        s = self._settings
        day = 86400.0
        account_held = await self._records.legal_holds("account", str(int(account.id)), now) > 0
        held_rooms = set()
        for room_id in await self._store.account_rooms(account.id):
            if await self._records.legal_holds("room", str(room_id), now) > 0:
                held_rooms.add(room_id)
        keep_identity_until = now + s.retention_closed_accounts_days * day
        await self._audit.record(
            AuditDraft(
                action="account_erasure",
                target=f"account:{int(account.id)}",
                actor_id=int(account.id),
                reason="the user deleted their account (GDPR art. 17)",
                details={"legal_hold": account_held, "held_rooms": sorted(held_rooms)},
            )
        )
        erasure = await self._store.erase_account(
            account.id,
            keep_identity_until=keep_identity_until,
            held_rooms=held_rooms,
            keep_all=account_held,
            now=now,
        )
        for sha in erasure.pictures_removed:
            try:
                await self._files.delete(sha)
            except OSError:
                log.warning("could not delete picture file %s", sha)
        self._accounts.forget(int(account.id))
        self._moderation.close_connections(account.id, "account_deleted")
        kept: list[KeptItem] = []
        if account_held:
            kept.append(
                KeptItem(
                    "everything",
                    "everything: account, messages, pictures, reports, connection records",
                    "legal_hold",
                    None,
                )
            )
        else:
            kept.append(
                KeptItem(
                    "identification",
                    "account identification data (nickname, email, declared age, gender, region)",
                    "law",
                    keep_identity_until,
                )
            )
            if held_rooms:
                kept.append(
                    KeptItem(
                        "held_messages",
                        f"{erasure.messages_kept_held} messages in rooms under legal hold",
                        "legal_hold",
                        None,
                    )
                )
        kept.append(
            KeptItem(
                "connection_records",
                "connection records (IP address, port, times, user agent, device)",
                "law",
                now + s.retention_connection_records_days * day,
            )
        )
        kept.append(
            KeptItem(
                "moderation",
                "reports, cases, moderation decisions about you and your appeals",
                "law",
                now + max(s.retention_cases_days, s.retention_moderation_days) * day,
            )
        )
        kept.append(
            KeptItem("quarantine", "quarantined uploads matched against child-abuse hash lists", "legal_hold", None)
        )
        return {
            "deleted": True,
            "legal_hold": account_held,
            "erased": {
                "messages": erasure.messages_erased,
                "pictures_files": len(erasure.pictures_removed),
                "contacts_rooms_blocks": erasure.relations_deleted,
                "sessions": erasure.sessions_deleted,
            },
            "kept": [
                {
                    "code": k.code,
                    "what": k.what,
                    "why": k.why,
                    "until": int(k.until * 1000) if k.until else None,
                    "until_utc": iso(k.until),
                }
                for k in kept
            ],
        }
