"""Verdicts: what the safety engine says about a text or a conversation, with its evidence.

May import: stdlib only.

A :class:`Verdict` is an action (``allow`` < ``flag`` < ``hold`` < ``block``), the categories
found, the evidence (rule or analyser, matched words, an excerpt of the message) and a score.
Verdicts are values: merging two keeps the stronger action and every piece of evidence.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ALLOW", "CATEGORIES", "Action", "Category", "Evidence", "Verdict", "excerpt"]

EXCERPT_CHARS = 160


class Action(enum.StrEnum):
    """What to do with a message. Ordered: a stronger action wins when verdicts merge."""

    ALLOW = "allow"  # deliver (also the action of exception rules)
    FLAG = "flag"  # deliver, and put a flag with the evidence in front of moderators
    HOLD = "hold"  # the author sees it as sent; nobody else does until a moderator decides
    BLOCK = "block"  # refuse it

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    def __or__(self, other: object) -> Action:
        if not isinstance(other, Action):
            return NotImplemented
        return self if self.severity >= other.severity else other


_SEVERITY = {Action.ALLOW: 0, Action.FLAG: 1, Action.HOLD: 2, Action.BLOCK: 3}
_BY_SEVERITY = {v: k for k, v in _SEVERITY.items()}


class Category(enum.StrEnum):
    """Stable category names, used by flags, queues, statistics and the check command."""

    MINOR_DISCLOSURE = "minor_disclosure"
    GROOMING = "grooming"
    CHILD_ABUSE_TRADE = "child_abuse_trade"
    DRUG_SALE = "drug_sale"
    SOLICITATION = "solicitation"
    CONTACT_OFF_PLATFORM = "contact_off_platform"
    MEETUP_RISK = "meetup_risk"
    SPAM = "spam"
    BOT_FARM = "bot_farm"
    HARASSMENT = "harassment"


CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)

# Priority in a moderation queue: child safety first (SAFETY.md, DSA art. 18 flow).
_PRIORITY: dict[str, int] = {
    Category.CHILD_ABUSE_TRADE: 0,
    Category.GROOMING: 1,
    Category.MINOR_DISCLOSURE: 2,
    Category.MEETUP_RISK: 3,
    Category.SOLICITATION: 4,
    Category.DRUG_SALE: 5,
    Category.HARASSMENT: 6,
    Category.CONTACT_OFF_PLATFORM: 7,
    Category.BOT_FARM: 8,
    Category.SPAM: 9,
}


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first ``limit`` characters of ``text`` on one line, with an ellipsis when cut."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a category was found: which rule or analyser, on which words, in which message."""

    category: str
    source: str  # rule id ("drug_sale.offer") or analyser ("signal:minor_disclosure")
    action: Action
    matched: tuple[str, ...] = ()  # normalised words or phrases that matched
    excerpt: str = ""  # the message (or messages) that triggered it, shortened
    weight: float = 1.0  # contribution to the verdict score and the user's risk

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": str(self.category),
            "source": self.source,
            "action": self.action.value,
            "matched": list(self.matched),
            "excerpt": self.excerpt,
            "weight": round(self.weight, 3),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The engine's answer. ``ALLOW`` (no evidence) is the common case."""

    action: Action = Action.ALLOW
    categories: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    score: float = 0.0
    nudge: str | None = None  # a safety nudge for the recipient ("meetup_safety"), or None

    @property
    def allowed(self) -> bool:
        return self.action is Action.ALLOW

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    @property
    def held(self) -> bool:
        return self.action is Action.HOLD

    @property
    def flagged(self) -> bool:
        """True when moderators should see it (flag, hold or block)."""
        return self.action is not Action.ALLOW

    @classmethod
    def from_evidence(cls, evidence: Iterable[Evidence], *, nudge: str | None = None) -> Verdict:
        items = tuple(evidence)
        if not items:
            return ALLOW if nudge is None else cls(nudge=nudge)
        severity = 0
        cats: dict[str, float] = {}
        for ev in items:
            severity = max(severity, _SEVERITY[ev.action])
            cat = str(ev.category)
            weight = ev.weight
            known = cats.get(cat, 0.0)
            cats[cat] = weight if weight > known else known
        action = _BY_SEVERITY[severity]
        # A Category is a str: the priority table answers for a category's plain name too.
        ordered = tuple(sorted(cats, key=lambda c: (_PRIORITY.get(c, 99), c)))
        return cls(action=action, categories=ordered, evidence=items, score=round(sum(cats.values()), 3), nudge=nudge)

    def merge(self, other: Verdict) -> Verdict:
        """Both verdicts' evidence; the stronger action; the first nudge."""
        if not other.evidence and other.nudge is None:
            return self
        if not self.evidence and self.nudge is None:
            return other
        return Verdict.from_evidence(self.evidence + other.evidence, nudge=self.nudge or other.nudge)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``causerie safety check`` output line, flag payloads)."""
        out: dict[str, Any] = {
            "verdict": self.action.value,
            "categories": list(self.categories),
            "score": self.score,
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.nudge:
            out["nudge"] = self.nudge
        return out


ALLOW = Verdict()
"""The verdict of a text with nothing to say about it."""
