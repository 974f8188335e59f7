"""Grooming: an adult steering a private conversation with a minor (or a likely one).

May import: stdlib, ``causerie.safety.verdict``.

The rules find the *cues* (``rules/grooming.toml``): asking age or school class, asking for
photos, secrecy, gifts or money, moving to another app, asking whether the other is alone,
flattery about age. A cue alone is ordinary talk between adults. This module decides with the
context: a declared or disclosed minor on the other side, a large age gap, several kinds of
cue in one message or across the conversation, or a cue that is damning by itself (secrecy
towards parents, "age is just a number").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from causerie.safety.verdict import Action

__all__ = ["CUES", "STRONG_CUES", "GroomingContext", "GroomingFinding", "assess"]

CUES = frozenset({"ask_age", "ask_school", "ask_photo", "secrecy", "gift", "alone", "age_flattery", "move_app"})
STRONG_CUES = frozenset({"secrecy", "age_flattery"})
#: Cues that, aimed at a minor, are worth hiding the message until a moderator looks.
_HOLD_CUES = frozenset({"ask_photo", "secrecy", "gift", "alone", "age_flattery", "move_app"})


@dataclass(frozen=True, slots=True)
class GroomingContext:
    sender_age: int | None = None
    recipient_age: int | None = None
    recipient_disclosed_minor: str | None = None  # the phrase, when the other side disclosed it
    age_gap: int = 10  # years; with a recipient of 21 or less, a gap this large weighs


@dataclass(frozen=True, slots=True)
class GroomingFinding:
    action: Action
    weight: float
    cues: tuple[str, ...]
    matched: tuple[str, ...]
    reason: str


def assess(
    cues: Mapping[str, Sequence[str]], ctx: GroomingContext, earlier: Collection[str] = ()
) -> GroomingFinding | None:
    """Weigh the grooming cues of one direct message (``earlier``: cue kinds the same sender used before)."""
    kinds = CUES.intersection(cues)
    if not kinds:
        return None
    if ctx.sender_age is not None and ctx.sender_age < 18:
        return None  # two minors talking: not this analyser's business (the firewall is)
    matched = tuple(m for k in sorted(kinds) for m in cues[k])
    minor = (ctx.recipient_age is not None and ctx.recipient_age < 18) or ctx.recipient_disclosed_minor is not None
    gap = (
        ctx.sender_age is not None
        and ctx.recipient_age is not None
        and ctx.recipient_age <= 21
        and ctx.sender_age - ctx.recipient_age >= ctx.age_gap
    )
    ordered = tuple(sorted(kinds))
    if minor:
        who = (
            f"declared age {ctx.recipient_age}"
            if ctx.recipient_age is not None and ctx.recipient_age < 18
            else f"disclosed: {ctx.recipient_disclosed_minor!r}"
        )
        action = Action.HOLD if kinds & _HOLD_CUES else Action.FLAG
        return GroomingFinding(action, 1.0, ordered, matched, f"{'/'.join(ordered)} towards a minor ({who})")
    if kinds & STRONG_CUES:
        return GroomingFinding(Action.FLAG, 0.9, ordered, matched, f"{'/'.join(ordered)} in a private conversation")
    if len(kinds) >= 2:
        return GroomingFinding(Action.FLAG, 0.8, ordered, matched, f"several grooming cues: {'/'.join(ordered)}")
    if len(kinds | set(earlier)) >= 3:
        return GroomingFinding(Action.FLAG, 0.7, ordered, matched, "grooming cues accumulating in the conversation")
    if gap and kinds & _HOLD_CUES:
        return GroomingFinding(
            Action.FLAG,
            0.7,
            ordered,
            matched,
            f"{'/'.join(ordered)} with an age gap of {ctx.sender_age - ctx.recipient_age}",  # type: ignore[operator]
        )
    return None
