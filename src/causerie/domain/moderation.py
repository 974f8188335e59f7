"""Moderation as pure rules: roles, report categories, case priority, actions, statements of reasons,
room safety presets, emergency levels and IP ranges.

May import: stdlib, ``causerie.ids``, ``causerie.errors``.

Nothing here does I/O or reads a clock: the services pass ``now`` in. The texts of statements of
reasons (DSA art. 17) are built here, in French and English, so that a statement is the same whether
it is shown live, listed later or exported. Legal references are defaults for a French operator and
must be reviewed by the operator's counsel (SAFETY.md §4).
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId

# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------


class Role(enum.StrEnum):
    """Operator-wide roles (table ``account_roles``). Room roles live in ``room_members.role``."""

    ADMIN = "admin"
    MODERATOR = "moderator"  # global moderator


ROOM_MODERATOR = "moderator"  # room_members.role of a room moderator
ROOM_OWNER = "owner"


@dataclass(frozen=True, slots=True)
class Staff:
    """What an account may moderate: its global roles, and the rooms it owns or moderates."""

    account_id: AccountId
    roles: frozenset[Role] = frozenset()
    owned_rooms: frozenset[RoomId] = frozenset()
    moderated_rooms: frozenset[RoomId] = frozenset()

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_global(self) -> bool:
        """Admins and global moderators act everywhere."""
        return bool(self.roles)

    @property
    def is_staff(self) -> bool:
        return self.is_global or bool(self.owned_rooms) or bool(self.moderated_rooms)

    def rooms(self) -> frozenset[RoomId]:
        return self.owned_rooms | self.moderated_rooms

    def can_moderate_room(self, room_id: RoomId | None) -> bool:
        if self.is_global:
            return True
        return room_id is not None and room_id in self.rooms()

    def require_staff(self) -> None:
        if not self.is_staff:
            raise CauserieError(ErrorCode.FORBIDDEN)

    def require_global(self) -> None:
        if not self.is_global:
            raise CauserieError(ErrorCode.FORBIDDEN)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise CauserieError(ErrorCode.FORBIDDEN)

    def require_room(self, room_id: RoomId | None) -> None:
        if not self.can_moderate_room(room_id):
            raise CauserieError(ErrorCode.FORBIDDEN)


# ---------------------------------------------------------------------------------------------
# Reports and cases
# ---------------------------------------------------------------------------------------------


class ReportCategory(enum.StrEnum):
    CHILD_SEXUAL_ABUSE = "child_sexual_abuse"
    MINOR_AT_RISK = "minor_at_risk"
    SEXUAL_SOLICITATION = "sexual_solicitation"
    DRUGS = "drugs"
    VIOLENCE_THREAT_AMBUSH = "violence_threat_ambush"
    HARASSMENT_HATE = "harassment_hate"
    SCAM_SPAM = "scam_spam"
    OTHER_ILLEGAL = "other_illegal"
    RULES_BREACH = "rules_breach"


# Labels of the categories (French, English), as the report form shows them.
CATEGORY_LABELS: dict[ReportCategory, tuple[str, str]] = {
    ReportCategory.CHILD_SEXUAL_ABUSE: ("Abus sexuel ou exploitation d'enfant", "Child sexual abuse or exploitation"),
    ReportCategory.MINOR_AT_RISK: ("Un mineur en danger", "A minor at risk"),
    ReportCategory.SEXUAL_SOLICITATION: (
        "Sollicitation sexuelle ou prostitution",
        "Sexual solicitation or prostitution",
    ),
    ReportCategory.DRUGS: ("Drogues", "Drugs"),
    ReportCategory.VIOLENCE_THREAT_AMBUSH: ("Violence, menaces ou guet-apens", "Violence, threats or an ambush"),
    ReportCategory.HARASSMENT_HATE: ("Harcèlement ou haine", "Harassment or hate"),
    ReportCategory.SCAM_SPAM: ("Arnaque ou spam", "Scams or spam"),
    ReportCategory.OTHER_ILLEGAL: ("Autre contenu illicite", "Other illegal content"),
    ReportCategory.RULES_BREACH: ("Non-respect des règles", "Breach of the rules"),
}

# Base priority per category. Child safety, then threats to life or safety (DSA art. 18), come first
# whatever the other signals say: every bonus together stays below the gap between these tiers.
CATEGORY_BASE: dict[ReportCategory, int] = {
    ReportCategory.CHILD_SEXUAL_ABUSE: 9000,
    ReportCategory.MINOR_AT_RISK: 8000,
    ReportCategory.VIOLENCE_THREAT_AMBUSH: 7000,
    ReportCategory.SEXUAL_SOLICITATION: 4000,
    ReportCategory.DRUGS: 3800,
    ReportCategory.HARASSMENT_HATE: 3500,
    ReportCategory.OTHER_ILLEGAL: 3300,
    ReportCategory.SCAM_SPAM: 2000,
    ReportCategory.RULES_BREACH: 1000,
}
MAX_BONUS = 999
CHILD_SAFETY = frozenset({ReportCategory.CHILD_SEXUAL_ABUSE, ReportCategory.MINOR_AT_RISK})
# Categories whose notifier name and email are optional and that need no good-faith statement
# (DSA art. 16(2)(c): offences under Directive 2011/93/EU arts. 3-7).
ANONYMOUS_ALLOWED = frozenset({ReportCategory.CHILD_SEXUAL_ABUSE})


class TargetKind(enum.StrEnum):
    MESSAGE = "message"
    USER = "user"
    ROOM = "room"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    """What became of a report, told to its reporter."""

    ACTION_TAKEN = "action_taken"
    NO_ACTION = "no_action"


def target_key(kind: TargetKind, target_id: int) -> str:
    """The key reports on the same target share while their case is open (they merge)."""
    return f"{kind.value}:{target_id}"


def reporter_score(actioned: int, decided: int) -> float:
    """A reporter's track record in [0, 1]: the share of their decided reports that led to action.

    Laplace-smoothed so that a first-time reporter scores 0.5 and one lucky report does not make a
    reporter "trusted".
    """
    return (actioned + 1) / (decided + 2)


def case_priority(
    categories: Iterable[ReportCategory],
    reporters: int,
    reporter_scores: Sequence[float] = (),
    flags: int = 0,
    escalated: bool = False,
) -> int:
    """The priority of a case: higher is more urgent.

    Args:
        categories: the categories of its reports; the most severe one sets the tier.
        reporters: distinct reporters (an anonymous report counts as one).
        reporter_scores: each reporter's track record (``reporter_score``).
        flags: automated signals raised on the target (a later issue feeds them in).
        escalated: a moderator escalated the case to an administrator.

    The tier of the most severe category dominates: bonuses (more reporters, reliable reporters,
    automated flags, escalation) are capped at ``MAX_BONUS``, below the gap between tiers, so a
    child-safety case is always above any other, then threats to life or safety.
    """
    cats = list(categories)
    base = max((CATEGORY_BASE[c] for c in cats), default=CATEGORY_BASE[ReportCategory.RULES_BREACH])
    bonus = min(300, 60 * max(0, reporters - 1))
    if reporter_scores:
        mean = sum(reporter_scores) / len(reporter_scores)
        bonus += round(200 * min(1.0, max(0.0, mean)))
    else:
        bonus += 100  # unknown reporters (anonymous): neutral
    bonus += min(300, 100 * max(0, flags))
    if escalated:
        bonus += 400
    return base + min(MAX_BONUS, bonus)


def most_severe(categories: Iterable[ReportCategory]) -> ReportCategory:
    return max(categories, key=lambda c: CATEGORY_BASE[c])


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """A message copied into a report's frozen context (kept even if the original is removed)."""

    message_id: int
    room_id: RoomId
    seq: int
    author_id: AccountId
    author_nick: str
    text: str
    created_at: float
    state: str = "visible"
    is_target: bool = False


@dataclass(frozen=True, slots=True)
class NewReport:
    category: ReportCategory
    target_kind: TargetKind
    created_at: float
    good_faith: bool
    details: str = ""
    reporter_id: AccountId | None = None  # None: anonymous (public form)
    reporter_name: str | None = None
    reporter_email: str | None = None
    reporter_ip: str | None = None
    message_id: int | None = None
    account_id: AccountId | None = None  # the reported user (or the author of the reported message)
    room_id: RoomId | None = None


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    case_id: int
    category: ReportCategory
    target_kind: TargetKind
    created_at: float
    details: str
    good_faith: bool
    reporter_id: AccountId | None
    reporter_name: str | None
    reporter_email: str | None
    message_id: int | None
    account_id: AccountId | None
    room_id: RoomId | None
    outcome: Outcome | None = None
    outcome_at: float | None = None
    reporter_ip: str | None = None  # kept for DSA art. 23 strikes on anonymous reports; never shown


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    target_kind: TargetKind
    status: CaseStatus
    category: ReportCategory
    priority: int
    reporters: int
    reports: int
    created_at: float
    updated_at: float
    message_id: int | None = None
    account_id: AccountId | None = None
    room_id: RoomId | None = None
    assigned_to: AccountId | None = None
    escalated: bool = False
    flags: int = 0
    resolution: str | None = None
    closed_at: float | None = None


@dataclass(frozen=True, slots=True)
class QueueSummary:
    category: ReportCategory
    open_cases: int
    oldest_at: float


# ---------------------------------------------------------------------------------------------
# Actions, sanctions, statements of reasons, appeals
# ---------------------------------------------------------------------------------------------


class ActionKind(enum.StrEnum):
    REMOVE_MESSAGE = "remove_message"
    REMOVE_RECENT = "remove_recent"  # a user's recent messages, everywhere
    WARN = "warn"
    MUTE = "mute"
    KICK = "kick"
    BAN = "ban"
    BAN_IP = "ban_ip"
    BAN_DEVICE = "ban_device"  # the device ids seen for an account, or one given device id
    SUSPEND_REPORTS = "suspend_reports"  # DSA art. 23(2): manifestly unfounded notices (automatic)
    SHADOW_HIDE = "shadow_hide"
    SLOW_MODE = "slow_mode"
    LOCK_ROOM = "lock_room"
    CLOSE_ROOM = "close_room"
    REOPEN_ROOM = "reopen_room"  # unlock and reopen
    ESCALATE = "escalate"
    DISMISS = "dismiss"  # a case closed without action
    # reversals (after an appeal, or a moderator's own correction)
    RESTORE_MESSAGE = "restore_message"
    UNMUTE = "unmute"
    UNBAN = "unban"
    LIFT_IP_BAN = "lift_ip_ban"
    LIFT_DEVICE_BAN = "lift_device_ban"
    LIFT_REPORT_SUSPENSION = "lift_report_suspension"
    UNSHADOW = "unshadow"
    REVERSE_DECISION = "reverse_decision"  # an appeal reversed a decision that has no specific undo (warn, kick)


# Actions on a user: each produces a statement of reasons (DSA art. 17) and may be appealed.
USER_ACTIONS = frozenset(
    {
        ActionKind.REMOVE_MESSAGE,
        ActionKind.REMOVE_RECENT,
        ActionKind.WARN,
        ActionKind.MUTE,
        ActionKind.KICK,
        ActionKind.BAN,
        ActionKind.BAN_IP,
        ActionKind.BAN_DEVICE,
        ActionKind.SUSPEND_REPORTS,
        ActionKind.SHADOW_HIDE,
    }
)
# Actions a room owner or room moderator may take in their room.
ROOM_SCOPED_ACTIONS = frozenset(
    {
        ActionKind.REMOVE_MESSAGE,
        ActionKind.WARN,
        ActionKind.MUTE,
        ActionKind.KICK,
        ActionKind.SLOW_MODE,
        ActionKind.LOCK_ROOM,
        ActionKind.REOPEN_ROOM,
        ActionKind.ESCALATE,
        ActionKind.DISMISS,
        ActionKind.RESTORE_MESSAGE,
        ActionKind.UNMUTE,
    }
)
# What reverses what (an appeal that succeeds applies the reversal).
REVERSAL: dict[ActionKind, ActionKind] = {
    ActionKind.REMOVE_MESSAGE: ActionKind.RESTORE_MESSAGE,
    ActionKind.REMOVE_RECENT: ActionKind.RESTORE_MESSAGE,
    ActionKind.MUTE: ActionKind.UNMUTE,
    ActionKind.BAN: ActionKind.UNBAN,
    ActionKind.BAN_IP: ActionKind.LIFT_IP_BAN,
    ActionKind.BAN_DEVICE: ActionKind.LIFT_DEVICE_BAN,
    ActionKind.SUSPEND_REPORTS: ActionKind.LIFT_REPORT_SUSPENSION,
    ActionKind.SHADOW_HIDE: ActionKind.UNSHADOW,
}


class SanctionKind(enum.StrEnum):
    MUTE = "mute"  # room_id set: in that room only
    BAN = "ban"
    ROOM_BAN = "room_ban"  # after a kick: cannot re-enter the room until `until`
    SHADOW = "shadow"
    IP_BAN = "ip_ban"
    DEVICE_BAN = "device_ban"  # device_id set: no guest entry, login or registration from that browser
    REPORT_BAN = "report_ban"  # DSA art. 23(2): reports refused (account_id, or ip_range of a /32 or /128)


class StrikeKind(enum.StrEnum):
    """DSA art. 23 misuse strikes (table ``misuse_strikes``)."""

    NOTICE = "notice"  # a report a moderator marked manifestly unfounded (against its reporter)
    CONTENT = "content"  # an upheld action on manifestly illegal content (against its author)


class MessageState(enum.StrEnum):
    VISIBLE = "visible"
    REMOVED = "removed"
    SHADOW = "shadow"  # seen only by its author
    HELD = "held"  # held for review by the rules engine: seen only by its author until restored


@dataclass(frozen=True, slots=True)
class Sanction:
    id: int
    action_id: int
    kind: SanctionKind
    starts_at: float
    until: float | None  # None: permanent
    account_id: AccountId | None = None
    room_id: RoomId | None = None
    ip_range: str | None = None
    device_id: str | None = None

    def active(self, now: float) -> bool:
        return self.until is None or self.until > now


@dataclass(frozen=True, slots=True)
class NewSanction:
    kind: SanctionKind
    starts_at: float
    until: float | None
    account_id: AccountId | None = None
    room_id: RoomId | None = None
    ip_range: str | None = None
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewStrike:
    """One DSA art. 23 strike: against an account, or an entry address (anonymous notices)."""

    kind: StrikeKind
    created_at: float
    account_id: AccountId | None = None
    ip: str | None = None
    report_id: int | None = None
    case_id: int | None = None


@dataclass(frozen=True, slots=True)
class ActionRecord:
    id: int
    kind: ActionKind
    actor_id: AccountId | None
    reason: str
    rule: str
    created_at: float
    case_id: int | None = None
    account_id: AccountId | None = None
    room_id: RoomId | None = None
    message_ids: tuple[int, ...] = ()
    ip_range: str | None = None
    until: float | None = None
    automated: bool = False
    reverses: int | None = None  # the action this one reverses
    reversed_by: int | None = None


class Source(enum.StrEnum):
    NOTICE = "notice"  # followed a report (DSA art. 16)
    OWN_INITIATIVE = "own_initiative"


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement of reasons (DSA art. 17), stored as shown to the user, in their language."""

    id: int
    action_id: int
    account_id: AccountId
    lang: str
    kind: ActionKind
    decision: str  # (a) what was decided, with its scope and duration
    facts: str  # (b) the facts and circumstances
    source: Source  # (b) following a notice, or own initiative
    automated: bool  # (c) automated means used to detect or decide
    ground: str  # (d) the legal ground or the terms-and-conditions clause
    redress: str  # (e) internal appeal, out-of-court settlement, court
    rule: str
    created_at: float
    appeal_until: float
    until: float | None = None
    scope: str = ""


@dataclass(frozen=True, slots=True)
class NewStatement:
    account_id: AccountId
    lang: str
    kind: ActionKind
    decision: str
    facts: str
    source: Source
    automated: bool
    ground: str
    redress: str
    rule: str
    created_at: float
    appeal_until: float
    until: float | None = None
    scope: str = ""


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the decision stands
    REVERSED = "reversed"


@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    statement_id: int
    action_id: int
    account_id: AccountId
    text: str
    created_at: float
    status: AppealStatus
    acted_by: AccountId | None  # the moderator who took the contested action (may not decide)
    decided_by: AccountId | None = None
    decided_at: float | None = None
    decision_reason: str | None = None


# Rules a decision may rely on (DSA art. 17(3)(d)): the legal ground or the T&C clause.
# Defaults for a French operator; the operator's counsel reviews them (SAFETY.md §4).
RULES: dict[str, tuple[str, str]] = {
    "law.csam": (
        "Loi : pédopornographie (art. 227-23 du Code pénal).",
        "Law: child sexual abuse material (French Criminal Code art. 227-23).",
    ),
    "law.minors": (
        "Loi : atteintes aux mineurs, propositions sexuelles à un mineur (art. 227-22 et 227-22-1 du Code pénal).",
        "Law: offences against minors, sexual solicitation of a minor (French Criminal Code arts. 227-22, 227-22-1).",
    ),
    "law.prostitution": (
        "Loi : racolage, proxénétisme, achat d'actes sexuels (art. 225-5 et suivants, 611-1 du Code pénal).",
        "Law: soliciting, procuring or buying sexual acts (French Criminal Code arts. 225-5 ff., 611-1).",
    ),
    "law.drugs": (
        "Loi : trafic de stupéfiants (art. 222-34 et suivants du Code pénal).",
        "Law: drug trafficking (French Criminal Code arts. 222-34 ff.).",
    ),
    "law.threats": (
        "Loi : menaces, violences, guet-apens (art. 222-17 et 222-13 du Code pénal).",
        "Law: threats, violence, ambush (French Criminal Code arts. 222-17, 222-13).",
    ),
    "law.hate": (
        "Loi : harcèlement, injure ou provocation à la haine (art. 222-33-2-2 du Code pénal ; loi du 29 juillet 1881).",
        "Law: harassment, insult or incitement to hatred (French Criminal Code art. 222-33-2-2; Press Act of 29 July 1881).",
    ),
    "law.fraud": (
        "Loi : escroquerie (art. 313-1 du Code pénal).",
        "Law: fraud (French Criminal Code art. 313-1).",
    ),
    "law.other": (
        "Loi : contenu illicite au regard du droit français ou de l'Union.",
        "Law: content illegal under French or EU law.",
    ),
    "rules.respect": (
        "Règles de Causerie, art. 1 : respect des autres, pas d'insulte ni de harcèlement.",
        "Causerie rules, clause 1: respect others; no insults or harassment.",
    ),
    "rules.spam": (
        "Règles de Causerie, art. 2 : pas de spam, de flood ni de publicité.",
        "Causerie rules, clause 2: no spam, flooding or advertising.",
    ),
    "rules.adult": (
        "Règles de Causerie, art. 3 : pas de contenu sexuel dans les salons publics.",
        "Causerie rules, clause 3: no sexual content in public rooms.",
    ),
    "rules.topic": (
        "Règles de Causerie, art. 4 : rester dans le sujet du salon.",
        "Causerie rules, clause 4: stay on the room's topic.",
    ),
    "rules.evasion": (
        "Règles de Causerie, art. 5 : pas de contournement d'une sanction.",
        "Causerie rules, clause 5: no evasion of a sanction.",
    ),
    "rules.safety": (
        "Règles de Causerie, art. 6 : mesure de sécurité pour protéger les utilisateurs.",
        "Causerie rules, clause 6: safety measure to protect users.",
    ),
    "dsa.misuse_notices": (
        "Règlement (UE) 2022/2065 sur les services numériques, art. 23, § 2 : suspension du traitement des "
        "signalements d'une personne qui soumet fréquemment des signalements manifestement infondés.",
        "Regulation (EU) 2022/2065 (Digital Services Act) art. 23(2): suspension of the processing of notices "
        "from a person who frequently submits manifestly unfounded notices.",
    ),
    "dsa.misuse_content": (
        "Règlement (UE) 2022/2065 sur les services numériques, art. 23, § 1 : suspension d'un utilisateur qui "
        "fournit fréquemment des contenus manifestement illicites.",
        "Regulation (EU) 2022/2065 (Digital Services Act) art. 23(1): suspension of a user who frequently "
        "provides manifestly illegal content.",
    ),
}
DEFAULT_RULE: dict[ReportCategory, str] = {
    ReportCategory.CHILD_SEXUAL_ABUSE: "law.csam",
    ReportCategory.MINOR_AT_RISK: "law.minors",
    ReportCategory.SEXUAL_SOLICITATION: "law.prostitution",
    ReportCategory.DRUGS: "law.drugs",
    ReportCategory.VIOLENCE_THREAT_AMBUSH: "law.threats",
    ReportCategory.HARASSMENT_HATE: "law.hate",
    ReportCategory.SCAM_SPAM: "rules.spam",
    ReportCategory.OTHER_ILLEGAL: "law.other",
    ReportCategory.RULES_BREACH: "rules.respect",
}


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise CauserieError(ErrorCode.BAD_REQUEST, f"unknown rule {rule!r}; known: {', '.join(sorted(RULES))}")
    return rule


_DECISIONS: dict[ActionKind, tuple[str, str]] = {
    ActionKind.REMOVE_MESSAGE: ("Retrait de votre message{scope}.", "Removal of your message{scope}."),
    ActionKind.REMOVE_RECENT: (
        "Retrait de vos messages récents dans tous les salons{scope}.",
        "Removal of your recent messages in every room{scope}.",
    ),
    ActionKind.WARN: ("Avertissement{scope}.", "Warning{scope}."),
    ActionKind.MUTE: ("Interdiction d'écrire{scope}{until}.", "You may not post{scope}{until}."),
    ActionKind.KICK: ("Exclusion du salon{scope}{until}.", "Removal from the room{scope}{until}."),
    ActionKind.BAN: ("Suspension de votre compte{until}.", "Suspension of your account{until}."),
    ActionKind.BAN_IP: (
        "Interdiction d'accès depuis votre adresse réseau{until}.",
        "No access from your network address{until}.",
    ),
    ActionKind.BAN_DEVICE: (
        "Interdiction d'accès depuis votre appareil (navigateur){until}.",
        "No access from your device (browser){until}.",
    ),
    ActionKind.SUSPEND_REPORTS: (
        "Suspension du traitement de vos signalements{until}.",
        "Suspension of the processing of your reports{until}.",
    ),
    ActionKind.SHADOW_HIDE: (
        "Vos messages ne sont plus visibles par les autres utilisateurs{until}.",
        "Your messages are no longer visible to other users{until}.",
    ),
}


def _fmt_until(until: float | None, lang: str) -> str:
    if until is None:
        return " (définitive)" if lang == "fr" else " (permanent)"
    stamp = datetime.datetime.fromtimestamp(until, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f" jusqu'au {stamp}" if lang == "fr" else f" until {stamp}"


def statement_texts(
    kind: ActionKind,
    lang: str,
    *,
    rule: str,
    facts: str,
    source: Source,
    automated: bool,
    until: float | None,
    scope: str,
    appeal_days: int,
    has_duration: bool,
) -> dict[str, str]:
    """The (a) decision, (b) facts, (d) ground and (e) redress of a statement of reasons, in ``lang``."""
    fr = lang == "fr"
    decision_tpl = _DECISIONS[kind][0 if fr else 1]
    scope_txt = f" ({scope})" if scope else ""
    until_txt = _fmt_until(until, lang) if has_duration else ""
    decision = decision_tpl.format(scope=scope_txt, until=until_txt)
    origin = (
        ("à la suite d'un signalement" if fr else "following a report")
        if source is Source.NOTICE
        else ("à l'initiative de la modération" if fr else "on the moderators' own initiative")
    )
    means = (
        ("Des moyens automatisés ont été utilisés." if fr else "Automated means were used.")
        if automated
        else (
            "Décision prise par un modérateur, sans moyen automatisé."
            if fr
            else "Decided by a human moderator, without automated means."
        )
    )
    facts_txt = f"{facts.strip()} ({origin}.) {means}" if facts.strip() else f"({origin}.) {means}"
    ground = RULES[rule][0 if fr else 1]
    if fr:
        redress = (
            f"Vous pouvez contester cette décision gratuitement pendant {appeal_days} jours depuis "
            "cette notification (recours interne, examiné par un autre modérateur). Vous pouvez aussi "
            "saisir un organisme de règlement extrajudiciaire des litiges certifié (art. 21 du règlement "
            "sur les services numériques) ou la justice."
        )
    else:
        redress = (
            f"You may contest this decision free of charge for {appeal_days} days from this notice "
            "(internal appeal, reviewed by another moderator). You may also turn to a certified "
            "out-of-court dispute settlement body (Digital Services Act art. 21) or to a court."
        )
    return {"decision": decision, "facts": facts_txt, "ground": ground, "redress": redress}


def report_outcome_text(outcome: Outcome, lang: str, appeal_days: int) -> str:
    """What a reporter is told about the decision on their report (DSA art. 16(5))."""
    fr = lang == "fr"
    if outcome is Outcome.ACTION_TAKEN:
        head = (
            "Merci : votre signalement a été examiné et des mesures ont été prises."
            if fr
            else "Thank you: your report was reviewed and action was taken."
        )
    else:
        head = (
            "Votre signalement a été examiné ; aucune mesure n'a été prise."
            if fr
            else "Your report was reviewed; no action was taken."
        )
    tail = (
        " La décision a été prise par un modérateur. Vous pouvez la contester auprès d'un organisme de "
        "règlement extrajudiciaire certifié ou de la justice."
        if fr
        else " The decision was made by a human moderator. You may contest it before a certified "
        "out-of-court dispute settlement body or a court."
    )
    return head + tail


def report_ack_text(lang: str) -> str:
    if lang == "fr":
        return "Signalement reçu. Un modérateur va l'examiner ; vous serez informé de la décision."
    return "Report received. A moderator will review it; you will be told the decision."


# ---------------------------------------------------------------------------------------------
# Room safety presets and emergency levels
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomSafety:
    """A room's safety settings. Enforced: slow mode, minimum account age, lock, close and
    ``hold_first_messages`` (an account's first ``hold_first_messages_count`` messages in the room
    are held for review: only the author sees them until a moderator restores them).

    ``pictures`` and ``rule_packs`` are read by the media service and the rules engine.
    """

    preset: str = "discussion"
    slow_mode_seconds: int = 0
    pictures: bool = True
    min_account_age_minutes: int = 0
    hold_first_messages: bool = False
    rule_packs: tuple[str, ...] = ("base",)
    locked: bool = False  # only the room's moderators may post
    closed: bool = False  # nobody may enter or post
    # "ephemeral to users, retained for the law" (issue 7): users see only the last this many hours of
    # history (0: all); older messages stay stored until the retention purge deletes them
    display_window_hours: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "slow_mode_seconds": self.slow_mode_seconds,
            "pictures": self.pictures,
            "min_account_age_minutes": self.min_account_age_minutes,
            "hold_first_messages": self.hold_first_messages,
            "rule_packs": list(self.rule_packs),
            "locked": self.locked,
            "closed": self.closed,
            "display_window_hours": self.display_window_hours,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RoomSafety:
        return cls(
            preset=str(data.get("preset", "discussion")),
            slow_mode_seconds=int(data.get("slow_mode_seconds", 0)),
            pictures=bool(data.get("pictures", True)),
            min_account_age_minutes=int(data.get("min_account_age_minutes", 0)),
            hold_first_messages=bool(data.get("hold_first_messages", False)),
            rule_packs=tuple(str(p) for p in data.get("rule_packs", ("base",))),
            locked=bool(data.get("locked", False)),
            closed=bool(data.get("closed", False)),
            display_window_hours=int(data.get("display_window_hours", 0)),
        )


PRESETS: dict[str, RoomSafety] = {
    # general talk: light touch
    "discussion": RoomSafety(preset="discussion"),
    # dating and meeting people: where grooming, solicitation and ambushes start (SAFETY.md §1)
    "rencontres": RoomSafety(
        preset="rencontres",
        slow_mode_seconds=10,
        pictures=False,
        min_account_age_minutes=30,
        hold_first_messages=True,
        rule_packs=("base", "solicitation", "meetup_safety", "minors"),
    ),
    # regional rooms: people near each other, so meet-up safety rules
    "region": RoomSafety(
        preset="region",
        slow_mode_seconds=5,
        pictures=True,
        min_account_age_minutes=10,
        rule_packs=("base", "meetup_safety"),
    ),
    # support (health, mental health, addictions): calm, no pictures, first messages reviewed
    "support": RoomSafety(
        preset="support",
        slow_mode_seconds=5,
        pictures=False,
        min_account_age_minutes=0,
        hold_first_messages=True,
        rule_packs=("base", "support", "self_harm"),
    ),
}
PRESET_NAMES = ("discussion", "rencontres", "region", "support")
RULE_PACKS = frozenset({"base", "solicitation", "meetup_safety", "minors", "support", "self_harm", "drugs", "spam"})


def apply_preset(name: str, *, locked: bool = False, closed: bool = False, **overrides: Any) -> RoomSafety:
    """A preset with an owner's adjustments (unknown names are refused)."""
    if name not in PRESETS:
        raise CauserieError(ErrorCode.BAD_REQUEST, f"unknown preset {name!r}; known: {', '.join(PRESET_NAMES)}")
    safety = replace(PRESETS[name], locked=locked, closed=closed)
    return adjust(safety, **overrides)


def adjust(safety: RoomSafety, **overrides: Any) -> RoomSafety:
    clean = {k: v for k, v in overrides.items() if v is not None}
    if "rule_packs" in clean:
        packs = tuple(dict.fromkeys(str(p) for p in clean["rule_packs"]))
        unknown = [p for p in packs if p not in RULE_PACKS]
        if unknown:
            raise CauserieError(ErrorCode.BAD_REQUEST, f"unknown rule packs: {', '.join(unknown)}")
        clean["rule_packs"] = packs
    return replace(safety, **clean)


@dataclass(frozen=True, slots=True)
class EmergencyPolicy:
    """What an operator-wide emergency level tightens (0 normal … 3 lockdown).

    Computed from the level, never written over the rooms' own settings: lowering the level
    restores everything as it was.
    """

    level: int
    new_guest_read_only_minutes: int = 0  # ≥ 1: guests younger than this may read but not post
    dm_strangers_off: bool = False  # ≥ 2: no private message to someone who has not accepted you
    pictures_off: bool = False  # ≥ 2
    guest_entry_closed: bool = False  # 3: no new guest session

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "new_guest_read_only_minutes": self.new_guest_read_only_minutes,
            "dm_strangers_off": self.dm_strangers_off,
            "pictures_off": self.pictures_off,
            "guest_entry_closed": self.guest_entry_closed,
        }


MAX_EMERGENCY_LEVEL = 3


def emergency_policy(level: int, read_only_minutes: int) -> EmergencyPolicy:
    if not 0 <= level <= MAX_EMERGENCY_LEVEL:
        raise CauserieError(ErrorCode.BAD_REQUEST, "emergency level must be 0, 1, 2 or 3")
    return EmergencyPolicy(
        level=level,
        new_guest_read_only_minutes=read_only_minutes if level >= 1 else 0,
        dm_strangers_off=level >= 2,
        pictures_off=level >= 2,
        guest_entry_closed=level >= 3,
    )


# ---------------------------------------------------------------------------------------------
# IP ranges
# ---------------------------------------------------------------------------------------------

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip_range(value: str) -> IpNetwork:
    """``203.0.113.7``, ``203.0.113.0/24`` or ``2001:db8::/64`` (host bits are cleared)."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise CauserieError(ErrorCode.BAD_REQUEST, f"not an IP address or range: {value!r}") from None


def ip_in(ip: str | None, ranges: Iterable[IpNetwork]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in ranges)


@dataclass(slots=True)
class ActiveSanctions:
    """The sanctions in force, indexed for the checks on the hot path (microseconds, no I/O)."""

    bans: dict[AccountId, Sanction] = field(default_factory=dict)
    mutes: dict[tuple[AccountId, RoomId | None], Sanction] = field(default_factory=dict)
    room_bans: dict[tuple[AccountId, RoomId], Sanction] = field(default_factory=dict)
    shadowed: dict[AccountId, Sanction] = field(default_factory=dict)
    ip_bans: list[tuple[IpNetwork, Sanction]] = field(default_factory=list)
    device_bans: dict[str, Sanction] = field(default_factory=dict)
    report_bans: dict[AccountId, Sanction] = field(default_factory=dict)
    report_ip_bans: list[tuple[IpNetwork, Sanction]] = field(default_factory=list)

    @classmethod
    def build(cls, sanctions: Iterable[Sanction]) -> ActiveSanctions:
        out = cls()
        for s in sanctions:
            if s.kind is SanctionKind.BAN and s.account_id is not None:
                out.bans[s.account_id] = _longer(out.bans.get(s.account_id), s)
            elif s.kind is SanctionKind.MUTE and s.account_id is not None:
                key = (s.account_id, s.room_id)
                out.mutes[key] = _longer(out.mutes.get(key), s)
            elif s.kind is SanctionKind.ROOM_BAN and s.account_id is not None and s.room_id is not None:
                rkey = (s.account_id, s.room_id)
                out.room_bans[rkey] = _longer(out.room_bans.get(rkey), s)
            elif s.kind is SanctionKind.SHADOW and s.account_id is not None:
                out.shadowed[s.account_id] = _longer(out.shadowed.get(s.account_id), s)
            elif s.kind is SanctionKind.IP_BAN and s.ip_range:
                out.ip_bans.append((parse_ip_range(s.ip_range), s))
            elif s.kind is SanctionKind.DEVICE_BAN and s.device_id:
                out.device_bans[s.device_id] = _longer(out.device_bans.get(s.device_id), s)
            elif s.kind is SanctionKind.REPORT_BAN and s.account_id is not None:
                out.report_bans[s.account_id] = _longer(out.report_bans.get(s.account_id), s)
            elif s.kind is SanctionKind.REPORT_BAN and s.ip_range:
                out.report_ip_bans.append((parse_ip_range(s.ip_range), s))
        return out

    def device_ban(self, device_id: str | None, now: float) -> Sanction | None:
        if not device_id:
            return None
        s = self.device_bans.get(device_id)
        return s if s is not None and s.active(now) else None

    def report_ban(self, account: AccountId | None, ip: str | None, now: float) -> Sanction | None:
        """A reporter's DSA art. 23(2) suspension: by account, or by address for anonymous reports."""
        if account is not None:
            s = self.report_bans.get(account)
            return s if s is not None and s.active(now) else None
        if not ip:
            return None
        for net, x in self.report_ip_bans:
            if x.active(now) and ip_in(ip, (net,)):
                return x
        return None

    def ban(self, account: AccountId, now: float) -> Sanction | None:
        s = self.bans.get(account)
        return s if s is not None and s.active(now) else None

    def mute(self, account: AccountId, room: RoomId | None, now: float) -> Sanction | None:
        for key in ((account, None), (account, room)) if room is not None else ((account, None),):
            s = self.mutes.get(key)
            if s is not None and s.active(now):
                return s
        return None

    def room_ban(self, account: AccountId, room: RoomId, now: float) -> Sanction | None:
        s = self.room_bans.get((account, room))
        return s if s is not None and s.active(now) else None

    def shadow(self, account: AccountId, now: float) -> Sanction | None:
        s = self.shadowed.get(account)
        return s if s is not None and s.active(now) else None

    def ip_ban(self, ip: str | None, now: float) -> Sanction | None:
        if not ip:
            return None
        for net, s in self.ip_bans:
            if s.active(now) and ip_in(ip, (net,)):
                return s
        return None


def _longer(current: Sanction | None, new: Sanction) -> Sanction:
    """Of two sanctions of the same kind, the one in force the longest (permanent wins)."""
    if current is None:
        return new
    if current.until is None:
        return current
    if new.until is None or new.until > current.until:
        return new
    return current


def until_ms(until: float | None) -> int | None:
    return None if until is None else int(until * 1000)
