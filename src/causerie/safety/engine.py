"""The safety engine: one object that answers "what do we do with this text?".

May import: stdlib, ``causerie.clock``, ``causerie.safety.*``.

Two paths, one set of rules:

* **pre-send** (synchronous, microseconds): :meth:`SafetyEngine.check_text` normalises the text,
  runs every rule at once (one Aho–Corasick pass, a few regular expressions), the minor
  self-disclosure and phone-number analysers, and the single-message grooming and meet-up
  checks. It returns a :class:`Verdict`: ``allow``, ``flag`` (deliver, tell moderators),
  ``hold`` (only the author sees it until a moderator decides) or ``block``.
* **post-send** (off the hot path): :meth:`SafetyEngine.analyse_dm` reads the recent window of
  a private conversation (a minor disclosed earlier, cues accumulating), and
  :meth:`SafetyEngine.observe` feeds the behaviour tracker (bot farms, mass contact, meet-up
  spraying). :meth:`SafetyEngine.post_send` does both and updates the author's risk score.

Rules are read from the packaged defaults and the operator's folder; :meth:`SafetyEngine.reload`
re-reads them without a restart (the compiled rule set is swapped in one assignment, so checks
running meanwhile finish on the old one). The engine never calls a service: it returns verdicts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from causerie.clock import Clock, SystemClock
from causerie.safety import rules as _rules
from causerie.safety.normalize import Normalized, normalize
from causerie.safety.rules import DEFAULT_RULES_DIR, WHERE, Evaluation, RuleSet, load_ruleset, rule_files
from causerie.safety.signals import grooming, meetup
from causerie.safety.signals.behaviour import BehaviourConfig, BehaviourTracker
from causerie.safety.signals.contact import DEFAULT_REGIONS, find_phone_number
from causerie.safety.signals.minors import answers_age_question, find_minor_disclosure
from causerie.safety.signals.risk import RiskLedger
from causerie.safety.verdict import ALLOW, Action, Category, Evidence, Verdict, excerpt

__all__ = ["ChatLine", "SafetyConfig", "SafetyEngine", "Where"]

log = logging.getLogger(__name__)

_DM_MEMO_SIZE = 512  # private messages whose rule evaluation the post-send analysers can reuse

Where = Literal["room", "dm", "nickname", "room_name"]


@dataclass(frozen=True, slots=True)
class SafetyConfig:
    """The engine's settings. ``Settings`` fields named ``safety_<name>`` map onto ``<name>``."""

    enabled: bool = True
    rules_dir: Path | None = None
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS
    grooming_age_gap: int = 10
    new_account_hours: float = 24.0
    bot_min_recipients: int = 8
    bot_window_seconds: float = 3600.0
    bot_similarity: float = 0.7
    bot_regular_cv: float = 0.15
    meetup_proposals: int = 3
    tracked_senders: int = 10_000
    risk_half_life_hours: float = 72.0
    risk_flag_threshold: float = 3.0
    dm_window: int = 30

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any) -> SafetyConfig:
        """Build from a ``Settings`` object (or a mapping) by its ``safety_*`` fields."""
        values = settings if isinstance(settings, Mapping) else settings.model_dump()
        known = {f.name for f in fields(cls)}
        picked: dict[str, Any] = {}
        for key, value in values.items():
            if key.startswith("safety_") and key[7:] in known:
                picked[key[7:]] = tuple(value) if isinstance(value, list) else value
        return cls(**picked)


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One message of a private conversation window, for :meth:`SafetyEngine.analyse_dm`."""

    author: str
    text: str
    at: float = 0.0


class SafetyEngine:
    def __init__(self, config: SafetyConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SafetyConfig()
        self.clock: Clock = clock or SystemClock()
        if self.config.rules_dir is not None and not Path(self.config.rules_dir).is_dir():
            log.warning("safety_rules_dir %s is not a folder: only the packaged rules are used", self.config.rules_dir)
        self._rules: RuleSet = load_ruleset(self.rule_dirs)
        self._mtimes = self._stat()
        self.behaviour = BehaviourTracker(
            BehaviourConfig(
                min_recipients=self.config.bot_min_recipients,
                window=self.config.bot_window_seconds,
                similarity=self.config.bot_similarity,
                regular_cv=self.config.bot_regular_cv,
                meetup_proposals=self.config.meetup_proposals,
                max_senders=self.config.tracked_senders,
            )
        )
        # Evaluations of recent private messages (scope "dms"), for the post-send analysers.
        self._dm_memo: dict[str, Evaluation] = {}  # by the plain form (it determines the others)
        # Evaluations of recent room messages checked with defer_flags (scope "rooms").
        self._room_memo: dict[str, Evaluation] = {}
        self._memo_rules = self._rules
        self._minor_memo: dict[str, tuple[str, str] | None] = {}
        self.risk = RiskLedger(self.config.risk_half_life_hours * 3600.0, max_users=self.config.tracked_senders * 10)

    # -- rules ----------------------------------------------------------------------------------

    @property
    def rule_dirs(self) -> list[Path]:
        dirs = [DEFAULT_RULES_DIR]
        if self.config.rules_dir is not None:
            dirs.append(Path(self.config.rules_dir))
        return dirs

    @property
    def rules(self) -> RuleSet:
        return self._rules

    def _stat(self) -> dict[Path, float]:
        out: dict[Path, float] = {}
        for p in rule_files(self.rule_dirs):
            try:
                out[p] = p.stat().st_mtime
            except OSError:  # pragma: no cover - removed between listing and stat
                continue
        return out

    def reload(self) -> RuleSet:
        """Re-read every rule file now. On a bad file, raise ``RuleError`` and keep the old rules."""
        fresh = load_ruleset(self.rule_dirs)
        self._rules = fresh
        self._mtimes = self._stat()
        log.info("safety rules reloaded: %d rules, %d patterns", len(fresh.rules), fresh.pattern_count)
        return fresh

    def reload_if_changed(self) -> bool:
        """Reload when a rule file was added, removed or modified (for a periodic task)."""
        if self._stat() == self._mtimes:
            return False
        try:
            self.reload()
        except _rules.RuleError:
            log.exception("safety rules not reloaded; the previous rules stay in force")
            self._mtimes = self._stat()  # do not retry the same broken file every tick
            return False
        return True

    # -- pre-send -------------------------------------------------------------------------------

    def check_text(
        self,
        text: str,
        where: Where = "room",
        *,
        sender_age: int | None = None,
        recipient_age: int | None = None,
        account_age_seconds: float | None = None,
        defer_flags: bool = False,
    ) -> Verdict:
        """The synchronous pre-send verdict for one message, nickname or room name.

        ``defer_flags`` (the live server, for a room message): only what can change delivery is
        decided here, the rules (block, hold, flag). In a room the analysers — phone numbers,
        minor self-disclosure, meet-up proposals — can only *flag*, and a flag does not change
        delivery, so they run after sending, in :meth:`post_send` (``deferred_flags``), off the hot
        path; the flag that reaches moderators is the same. Without it (``causerie safety check``,
        the evaluation), everything is decided at once.
        """
        if not self.config.enabled:
            return ALLOW
        norm = normalize(text)
        evaluation = self._rules.evaluate(norm, WHERE[where])
        if where == "dm":
            self._remember(norm, evaluation)  # the post-send analysers of this DM read it back
        elif defer_flags and where == "room":
            self._remember(norm, evaluation, self._room_memo)  # post_send runs the analysers on it
            return self._rule_verdict(evaluation, text)
        evidence = self._text_evidence(norm, evaluation, text, where, sender_age, recipient_age, account_age_seconds)
        if not evidence:
            return ALLOW
        nudge = meetup.NUDGE if where == "dm" and any(e.category == Category.MEETUP_RISK for e in evidence) else None
        return Verdict.from_evidence(evidence, nudge=nudge)

    @staticmethod
    def _rule_verdict(evaluation: Evaluation, text: str) -> Verdict:
        """The verdict of the rules alone (what ``_text_evidence`` starts with)."""
        if not evaluation.hits:
            return ALLOW
        short = excerpt(text)
        return Verdict.from_evidence(
            Evidence(h.rule.category, h.rule.id, h.rule.action or Action.FLAG, h.matched, short, h.rule.weight)
            for h in evaluation.hits
        )

    def _deferred_room_flags(self, text: str, account_age_seconds: float | None) -> Verdict:
        """What ``check_text(defer_flags=True)`` left out for a room message: the analysers' flags."""
        norm = normalize(text)
        evaluation = self._room_memo.get(norm.plain) if self._memo_rules is self._rules else None
        if evaluation is None:
            evaluation = self._rules.evaluate(norm, WHERE["room"])
        evidence = self._text_evidence(norm, evaluation, text, "room", None, None, account_age_seconds)
        return Verdict.from_evidence(e for e in evidence if e.source.startswith("signal:"))

    def check_nickname(self, nickname: str) -> Verdict:
        return self.check_text(nickname, "nickname")

    def check_room_name(self, name: str) -> Verdict:
        return self.check_text(name, "room_name")

    def _text_evidence(
        self,
        norm: Normalized,
        evaluation: Evaluation,
        text: str,
        where: str,
        sender_age: int | None,
        recipient_age: int | None,
        account_age_seconds: float | None,
        *,
        disclosed_minor: str | None = None,
        earlier_cues: frozenset[str] = frozenset(),
    ) -> list[Evidence]:
        short = excerpt(text) if evaluation.hits or evaluation.cues else ""
        suppressed = evaluation.suppressed
        out = [
            Evidence(h.rule.category, h.rule.id, h.rule.action or Action.FLAG, h.matched, short, h.rule.weight)
            for h in evaluation.hits
        ]
        found = {e.category for e in out}
        phone = find_phone_number(norm.plain, self.config.phone_regions)
        if phone and not short:
            short = excerpt(text)
        if phone and Category.CONTACT_OFF_PLATFORM not in suppressed:
            out.append(
                Evidence(Category.CONTACT_OFF_PLATFORM, "signal:phone_number", Action.FLAG, (phone,), short, 0.6)
            )
            found.add(Category.CONTACT_OFF_PLATFORM)
        if where in ("nickname", "room_name"):
            return out
        if Category.CHILD_ABUSE_TRADE not in found and Category.MINOR_DISCLOSURE not in suppressed:
            minor = find_minor_disclosure(norm.plain)
            if minor is not None:
                name, phrase = minor
                short = short or excerpt(text)
                out.append(
                    Evidence(
                        Category.MINOR_DISCLOSURE, f"signal:minor_disclosure.{name}", Action.FLAG, (phrase,), short, 0.9
                    )
                )
        if not evaluation.cues and Category.CONTACT_OFF_PLATFORM not in found:
            return out
        short = short or excerpt(text)
        cues: dict[str, list[str]] = dict(evaluation.cues)
        if where == "dm":
            if Category.CONTACT_OFF_PLATFORM in found:
                cues["move_app"] = [m for e in out if e.category == Category.CONTACT_OFF_PLATFORM for m in e.matched]
            ctx = grooming.GroomingContext(
                sender_age=sender_age,
                recipient_age=recipient_age,
                recipient_disclosed_minor=disclosed_minor,
                age_gap=self.config.grooming_age_gap,
            )
            finding = grooming.assess(cues, ctx, earlier_cues)
            if finding is not None and Category.GROOMING not in suppressed:
                out.append(
                    Evidence(
                        Category.GROOMING,
                        f"signal:grooming ({finding.reason})",
                        finding.action,
                        finding.matched,
                        short,
                        finding.weight,
                    )
                )
        new_account = account_age_seconds is not None and account_age_seconds < self.config.new_account_hours * 3600
        meet = meetup.assess(cues, norm.plain, direct=where == "dm", new_account=new_account)
        if meet is not None and Category.MEETUP_RISK not in suppressed:
            out.append(
                Evidence(
                    Category.MEETUP_RISK,
                    f"signal:meetup ({meet.reason})",
                    meet.action,
                    meet.matched,
                    short,
                    meet.weight,
                )
            )
        return out

    # -- post-send ------------------------------------------------------------------------------

    def _remember(self, norm: Normalized, evaluation: Evaluation, memo: dict[str, Evaluation] | None = None) -> None:
        memo = self._dm_memo if memo is None else memo
        if self._memo_rules is not self._rules:  # reloaded: what was remembered is stale
            self._dm_memo.clear()
            self._room_memo.clear()
            self._memo_rules = self._rules
        elif len(memo) >= _DM_MEMO_SIZE:
            del memo[next(iter(memo))]  # the oldest
        memo[norm.plain] = evaluation

    def _minor_in_window(self, norm: Normalized) -> tuple[str, str] | None:
        """:func:`find_minor_disclosure` on a line of a conversation window (each line is read
        again by the analysis of every later message of the conversation: remembered)."""
        memo = self._minor_memo
        if norm.plain in memo:
            return memo[norm.plain]
        found = find_minor_disclosure(norm.plain)
        if len(memo) >= _DM_MEMO_SIZE:
            del memo[next(iter(memo))]  # the oldest
        memo[norm.plain] = found
        return found

    def _evaluate_dm(self, norm: Normalized) -> Evaluation:
        """The rules on a private message, as :meth:`check_text` found them before sending.

        The post-send analysers read every line of a conversation window and the new message
        again: they were evaluated moments ago (evaluations are never modified once made).
        """
        if self._memo_rules is self._rules:
            known = self._dm_memo.get(norm.plain)
            if known is not None:
                return known
        evaluation = self._rules.evaluate(norm, "dms")
        self._remember(norm, evaluation)
        return evaluation

    def analyse_dm(
        self,
        window: Sequence[ChatLine],
        *,
        sender_age: int | None = None,
        recipient_age: int | None = None,
        account_age_seconds: float | None = None,
    ) -> Verdict:
        """Post-send analysis of a private conversation; the last line is the new message.

        Looks back over the window (at most ``dm_window`` lines): whether the other person
        disclosed being a minor (or answered "how old are you" with a minor's age), and which
        grooming cues the sender used before. Returns the verdict about the last message.
        """
        if not self.config.enabled or not window:
            return ALLOW
        lines = list(window)[-self.config.dm_window :]
        last = lines[-1]
        sender = last.author
        disclosed: str | None = None
        earlier: set[str] = set()
        asked_age = False
        for line in lines[:-1]:
            norm = normalize(line.text)
            evaluation = self._evaluate_dm(norm)
            if line.author == sender:
                earlier.update(k for k in evaluation.cues if k in grooming.CUES)
                asked_age = asked_age or "ask_age" in evaluation.cues
            else:
                minor = self._minor_in_window(norm)
                if minor is None and asked_age:
                    answer = answers_age_question(norm.plain)
                    minor = ("age_answer", answer) if answer else None
                if minor is not None:
                    disclosed = minor[1]
                asked_age = False
        norm = normalize(last.text)
        evaluation = self._evaluate_dm(norm)
        evidence = self._text_evidence(
            norm,
            evaluation,
            last.text,
            "dm",
            sender_age,
            recipient_age,
            account_age_seconds,
            disclosed_minor=disclosed,
            earlier_cues=frozenset(earlier),
        )
        # A bare "14" answering the other side's "how old are you?" is a disclosure too.
        if len(lines) >= 2 and not any(e.category == Category.MINOR_DISCLOSURE for e in evidence):
            prev = lines[-2]
            if prev.author != sender and "ask_age" in self._evaluate_dm(normalize(prev.text)).cues:
                answer = answers_age_question(norm.plain)
                if answer:
                    evidence.append(
                        Evidence(
                            Category.MINOR_DISCLOSURE,
                            "signal:minor_disclosure.age_answer",
                            Action.FLAG,
                            (answer,),
                            excerpt(last.text),
                            0.9,
                        )
                    )
        nudge = meetup.NUDGE if any(e.category == Category.MEETUP_RISK for e in evidence) else None
        return Verdict.from_evidence(evidence, nudge=nudge)

    def observe(
        self,
        sender: str,
        text: str,
        *,
        recipient: str | None = None,
        room: str | None = None,
        at: float | None = None,
    ) -> Verdict:
        """Feed one sent message to the behaviour tracker (bot farms, mass contact, spraying)."""
        if not self.config.enabled:
            return ALLOW
        when = self.clock.monotonic() if at is None else at
        norm = normalize(text)
        proposal = recipient is not None and "proposal" in self._evaluate_dm(norm).cues
        findings = self.behaviour.observe(
            sender, norm.squashed, at=when, recipient=recipient, room=room, proposal=proposal
        )
        if not findings:
            return ALLOW
        short = excerpt(text)
        return Verdict.from_evidence(
            Evidence(f.category, f.source, Action.FLAG, (f.reason,), short, f.weight) for f in findings
        )

    def post_send(
        self,
        sender: str,
        text: str,
        *,
        recipient: str | None = None,
        room: str | None = None,
        window: Sequence[ChatLine] = (),
        sender_age: int | None = None,
        recipient_age: int | None = None,
        account_age_seconds: float | None = None,
        at: float | None = None,
        presend: Verdict | None = None,
        deferred_flags: bool = False,
    ) -> Verdict:
        """Everything off the hot path for one stored message; updates the sender's risk score.

        ``window`` is the recent private conversation ending with this message (DMs only).
        ``presend`` is the verdict :meth:`check_text` gave the same message: its score counts
        towards the sender's risk, but its evidence is not repeated (it was already acted on).
        The returned verdict holds the *new* findings, for a flag in the moderation queue; when
        the sender's risk score reaches ``risk_flag_threshold`` a ``signal:risk_score`` note is
        added to them. ``deferred_flags``: the message was checked with ``check_text(defer_flags=True)``;
        the analysers it left out run now and their flags are among the new findings.
        """
        deferred = ALLOW
        if deferred_flags and recipient is None and self.config.enabled:
            deferred = self._deferred_room_flags(text, account_age_seconds)
            if deferred.evidence:  # they belong to the pre-send verdict's score, as without deferring
                presend = presend.merge(deferred) if presend is not None else deferred
        verdict = self.observe(sender, text, recipient=recipient, room=room, at=at)
        if recipient is not None and window:
            verdict = verdict.merge(
                self.analyse_dm(
                    window, sender_age=sender_age, recipient_age=recipient_age, account_age_seconds=account_age_seconds
                )
            )
        now = self.clock.now() if at is None else at
        points = verdict.score + (presend.score if presend is not None else 0.0)
        score = self.risk.add(sender, points, now) if points else self.risk.score(sender, now)
        if verdict.flagged and score >= self.config.risk_flag_threshold:
            verdict = Verdict.from_evidence(
                (
                    *verdict.evidence,
                    Evidence(
                        verdict.categories[0], "signal:risk_score", Action.FLAG, (f"risk score {score:.1f}",), "", 0.0
                    ),
                ),
                nudge=verdict.nudge,
            )
        return verdict.merge(deferred)
