"""Legal duties as pure functions: the fields of a report to the authorities (DSA art. 18; NCMEC
CyberTipline, PHAROS), the mapping of a statement of reasons onto the EU DSA Transparency Database,
the transparency report's figures, and the queue position of trusted flaggers' notices (art. 22).

May import: stdlib, ``causerie.domain``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from causerie.domain.moderation import CATEGORY_BASE, MAX_BONUS, ReportCategory

# --- reports to the authorities (DSA art. 18) -----------------------------------------------------

# Categories a report to the authorities can be made for: offences involving a threat to the life or
# safety of persons, and child sexual abuse (always reported).
ART18_CATEGORIES: dict[str, dict[str, str]] = {
    "child_sexual_abuse": {
        "kind": "child_sexual_abuse",
        "ncmec_incident_type": "Child Pornography (possession, manufacture, and distribution)",
        "pharos_category": "Pédopornographie",
        "authorities": "ncmec,pharos",
    },
    "minor_at_risk": {
        "kind": "child_sexual_abuse",
        "ncmec_incident_type": "Online Enticement of Children for Sexual Acts",
        "pharos_category": "Atteinte aux mineurs (sollicitation sexuelle d'un mineur)",
        "authorities": "ncmec,pharos",
    },
    "sexual_solicitation": {
        "kind": "threat_to_life_or_safety",
        "ncmec_incident_type": "Online Enticement of Children for Sexual Acts",
        "pharos_category": "Sollicitation sexuelle, proxénétisme",
        "authorities": "pharos",
    },
    "violence_threat_ambush": {
        "kind": "threat_to_life_or_safety",
        "ncmec_incident_type": "",
        "pharos_category": "Menaces, violences, guet-apens",
        "authorities": "pharos",
    },
}

# Every field a report to the authorities carries (dotted paths into its JSON). The NCMEC
# CyberTipline report (reportingPerson/ESP contact, incidentSummary with type and date/time,
# reportedPerson with screen name, ESP user id, email, IP addresses with port and date/time, the
# content and whether the ESP viewed it) and the PHAROS signalement (category, date, pseudonym,
# identifiers, address, content, platform) are both covered.
ART18_REQUIRED: tuple[str, ...] = (
    "report_type",
    "legal_basis",
    "authorities",
    "generated_at",
    "incident.type",
    "incident.ncmec_incident_type",
    "incident.pharos_category",
    "incident.date_time",
    "incident.description",
    "incident.threat_to_life_or_safety",
    "platform.name",
    "platform.url",
    "platform.contact.name",
    "platform.contact.email",
    "platform.contact.phone",
    "suspect.account_id",
    "suspect.screen_name",
    "suspect.account_kind",
    "suspect.email",
    "suspect.declared_age",
    "suspect.account_created_at",
    "suspect.ip_addresses",
    "content",
    "files",
    "reporters",
    "case.id",
    "case.category",
    "case.opened_at",
    "actions_taken",
    "evidence_preserved",
)


def missing_fields(report: Mapping[str, Any]) -> list[str]:
    """The required paths absent or null in ``report`` (empty strings and lists count as present:
    they say "none"; contact fields left empty by the operator are listed in ``report["gaps"]``)."""
    out = []
    for path in ART18_REQUIRED:
        node: Any = report
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                node = None
                break
            node = node[part]
        if node is None:
            out.append(path)
    return out


# --- DSA Transparency Database ----------------------------------------------------------------------

_DSA_CATEGORY = {
    "child_sexual_abuse": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "minor_at_risk": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "sexual_solicitation": "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
    "drugs": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "violence_threat_ambush": "STATEMENT_CATEGORY_VIOLENCE",
    "harassment_hate": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "scam_spam": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "other_illegal": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "rules_breach": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
}
_RULE_CATEGORY = {
    "law.csam": "child_sexual_abuse",
    "law.minors": "minor_at_risk",
    "law.prostitution": "sexual_solicitation",
    "law.drugs": "drugs",
    "law.threats": "violence_threat_ambush",
    "law.hate": "harassment_hate",
    "law.fraud": "scam_spam",
    "law.other": "other_illegal",
}
_VISIBILITY = {
    "remove_message": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "remove_recent": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "shadow_hide": "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "mute": "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "kick": "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
}
_ACCOUNT = {
    "ban": "DECISION_ACCOUNT_SUSPENDED",
    "ban_ip": "DECISION_ACCOUNT_SUSPENDED",
    "ban_device": "DECISION_ACCOUNT_SUSPENDED",
}
_PROVISION = {
    "mute": "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "kick": "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "suspend_reports": "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "ban": "DECISION_PROVISION_TOTAL_SUSPENSION",
    "ban_ip": "DECISION_PROVISION_TOTAL_SUSPENSION",
    "ban_device": "DECISION_PROVISION_TOTAL_SUSPENSION",
}


def statement_category(rule: str, case_category: str | None) -> str:
    """The report category behind a decision: its case's, else the one its rule belongs to."""
    if case_category:
        return case_category
    return _RULE_CATEGORY.get(rule, "rules_breach")


def dsa_record(st: Mapping[str, Any], *, platform: str, territorial_scope: Sequence[str]) -> dict[str, Any]:
    """One statement of reasons (a row joined with its action and case) as a DSA Transparency
    Database submission (API field names)."""
    import datetime

    def day(ts: float | None) -> str | None:
        if ts is None:
            return None
        return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).date().isoformat()

    kind = str(st["kind"])
    rule = str(st["rule"])
    category = statement_category(rule, st.get("case_category"))
    illegal = rule.startswith("law.")
    message_ids = st.get("message_ids") or []
    if st.get("has_media"):
        content_type = ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_TEXT"]
    elif message_ids:
        content_type = ["CONTENT_TYPE_TEXT"]
    else:
        content_type = ["CONTENT_TYPE_OTHER"]
    source = str(st.get("notice_source") or "")
    if st["source"] != "notice":
        source_type = "SOURCE_VOLUNTARY"
    elif source == "trusted_flagger":
        source_type = "SOURCE_TRUSTED_NOTIFIER"
    elif source == "automated":
        source_type = "SOURCE_VOLUNTARY"
    else:
        source_type = "SOURCE_ARTICLE_16"
    automated = bool(st["automated"])
    visibility = [_VISIBILITY[kind]] if kind in _VISIBILITY else []
    if kind == "warn":
        visibility = ["DECISION_VISIBILITY_OTHER"]
    record: dict[str, Any] = {
        "puid": f"{platform.lower()}-statement-{int(st['id'])}",
        "decision_visibility": visibility or None,
        "decision_visibility_other": "warning sent to the user" if kind == "warn" else None,
        "decision_monetary": None,
        "decision_provision": _PROVISION.get(kind),
        "decision_account": _ACCOUNT.get(kind),
        "account_type": "ACCOUNT_TYPE_PRIVATE",
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT" if illegal else "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": None,
        "illegal_content_legal_ground": str(st["ground"]) if illegal else None,
        "illegal_content_explanation": str(st["facts"]) if illegal else None,
        "incompatible_content_ground": None if illegal else str(st["ground"]),
        "incompatible_content_explanation": None if illegal else str(st["facts"]),
        "incompatible_content_illegal": None if illegal else "No",
        "category": _DSA_CATEGORY.get(category, "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"),
        "category_specification": [category],
        "content_type": content_type,
        "content_language": str(st["lang"]).upper(),
        "content_date": day(float(st["created_at"])),
        "application_date": day(float(st["created_at"])),
        "end_date_visibility_restriction": day(st.get("until")) if visibility else None,
        "end_date_account_restriction": day(st.get("until")) if kind in _ACCOUNT else None,
        "end_date_service_restriction": day(st.get("until")) if kind in _PROVISION else None,
        "territorial_scope": list(territorial_scope),
        "decision_facts": str(st["facts"]),
        "source_type": source_type,
        "source_identity": None,  # never the notifier's identity (art. 17(3)(b): only if necessary)
        "automated_detection": "Yes" if automated else "No",
        "automated_decision": "AUTOMATED_DECISION_FULLY" if automated else "AUTOMATED_DECISION_NOT_AUTOMATED",
        "platform_name": platform,
        "action_kind": kind,
        "rule": rule,
    }
    return record


# --- transparency figures (DSA arts. 15, 24) ---------------------------------------------------------

SOURCES = ("user", "anonymous", "trusted_flagger", "automated")
_REVERSALS = frozenset(
    {
        "restore_message",
        "unmute",
        "unban",
        "lift_ip_ban",
        "lift_device_ban",
        "lift_report_suspension",
        "unshadow",
        "reverse_decision",
    }
)
_NOT_DECISIONS = frozenset({"escalate", "dismiss"}) | _REVERSALS


def figures(
    rows: Mapping[str, Sequence[Mapping[str, Any]]], *, start: float, end: float, misuse_source: str
) -> dict[str, Any]:
    """The figures of a transparency report from the period's raw rows (``LegalStore.transparency_rows``)."""
    reports = rows.get("reports", [])
    actions = rows.get("actions", [])
    statements_ = rows.get("statements", [])
    appeals = rows.get("appeals", [])
    by_category: Counter[str] = Counter(str(r["category"]) for r in reports)
    by_source: Counter[str] = Counter(str(r["source"]) for r in reports)
    by_source_category: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
    for r in reports:
        cell = by_source_category.setdefault(str(r["source"]), {})
        cell[str(r["category"])] = cell.get(str(r["category"]), 0) + 1
    decisions = [a for a in actions if str(a["kind"]) not in _NOT_DECISIONS]
    by_type: Counter[str] = Counter(str(a["kind"]) for a in decisions)
    by_ground: Counter[str] = Counter(
        "illegal_content" if str(a["rule"]).startswith("law.") else "terms_and_conditions" for a in decisions
    )
    by_rule: Counter[str] = Counter(str(a["rule"]) for a in decisions)
    automated_decisions = sum(1 for a in decisions if a.get("automated"))
    automated_notices = by_source.get("automated", 0)
    delays = [
        float(a["created_at"]) - float(a["first_notice_at"])
        for a in decisions
        if a.get("first_notice_at") is not None and float(a["created_at"]) >= float(a["first_notice_at"])
    ]
    # one delay per case: its first decision after its first notice
    first_per_case: dict[int, float] = {}
    for a in sorted(decisions, key=lambda x: float(x["created_at"])):
        if a.get("case_id") is None or a.get("first_notice_at") is None:
            continue
        first_per_case.setdefault(int(a["case_id"]), float(a["created_at"]) - float(a["first_notice_at"]))
    delays = list(first_per_case.values())
    appeal_status: Counter[str] = Counter(str(a["status"]) for a in appeals)
    decided = [a for a in appeals if a.get("decided_at") is not None]
    appeal_delays = [float(a["decided_at"]) - float(a["created_at"]) for a in decided]
    misuse_notices = [a for a in actions if str(a["kind"]) == "suspend_reports"]
    misuse_content = [a for a in actions if str(a["rule"]) == "dsa.misuse_content" and str(a["kind"]) == "ban"]
    detected_automatically = sum(1 for s in statements_ if s.get("automated"))

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "period": {"from": start, "to": end},
        "notices": {
            "total": len(reports),
            "by_category": dict(sorted(by_category.items())),
            "by_source": {s: by_source.get(s, 0) for s in SOURCES},
            "by_source_and_category": {k: dict(sorted(v.items())) for k, v in by_source_category.items()},
            "trusted_flaggers": by_source.get("trusted_flagger", 0),
            "automated_share": share(automated_notices, len(reports)),
        },
        "actions": {
            "total": len(decisions),
            "by_type": dict(sorted(by_type.items())),
            "by_ground": dict(sorted(by_ground.items())),
            "by_rule": dict(sorted(by_rule.items())),
            "automated_decisions": automated_decisions,
            "automated_decision_share": share(automated_decisions, len(decisions)),
            "statements_of_reasons": len(statements_),
            "automated_detection_share": share(detected_automatically, len(statements_)),
            "dismissed_cases": sum(1 for a in actions if str(a["kind"]) == "dismiss"),
            "reversals": sum(1 for a in actions if str(a["kind"]) in _REVERSALS),
        },
        "time_to_action_seconds": {
            "cases": len(delays),
            "median": statistics.median(delays) if delays else None,
        },
        "appeals": {
            "received": len(appeals),
            "open": appeal_status.get("open", 0),
            "upheld": appeal_status.get("upheld", 0),
            "reversed": appeal_status.get("reversed", 0),
            "median_decision_seconds": statistics.median(appeal_delays) if appeal_delays else None,
        },
        "misuse_suspensions": {
            "total": len(misuse_notices) + len(misuse_content),
            "notices": len(misuse_notices),  # art. 23(2): notice handling suspended
            "content": len(misuse_content),  # art. 23(1): service suspended for manifestly illegal content
            "source": misuse_source,
        },
    }


# --- trusted flaggers (DSA art. 22) --------------------------------------------------------------------

# A trusted flagger's notice goes ahead of every ordinary notice, but child-safety cases and threats
# to life or safety (the art. 18 tiers) stay first: a trusted notice of a lower category is lifted
# into the band just under the threat tier, keeping its order among other trusted notices.
TRUSTED_BAND = CATEGORY_BASE[ReportCategory.VIOLENCE_THREAT_AMBUSH] - 1000  # 6000
_TOP_TIERS = frozenset(
    {ReportCategory.CHILD_SEXUAL_ABUSE, ReportCategory.MINOR_AT_RISK, ReportCategory.VIOLENCE_THREAT_AMBUSH}
)


def trusted_priority(priority: int, categories: Iterable[ReportCategory]) -> int:
    """The priority of a case holding a trusted flagger's notice (``case_priority`` gave ``priority``)."""
    cats = set(categories)
    if cats & _TOP_TIERS:
        base = max(CATEGORY_BASE[c] for c in cats)
        return base + MAX_BONUS  # first within its tier
    return TRUSTED_BAND + min(999, priority // 5)  # 1000–4999 → 6200–6999: under the threat tier
