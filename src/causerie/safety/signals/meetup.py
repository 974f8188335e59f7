"""Meet-up (ambush) risk: a proposal to meet with what set-ups have in common.

May import: stdlib, ``causerie.safety.normalize``, ``causerie.safety.verdict``.

The rules find the cues (``rules/meetup.toml``): a proposal, "come alone", a remote place, cash,
a group (which reassures). Late hours ("vers 2h", "à 23h30", "3am", "minuit") are read here from
the plain text. In a private conversation a proposal with one risk factor is enough; in a room,
two. A quiet public spot (a car park, a park) only counts with another factor. The recipient of
such a message gets a safety nudge (meet in a public place, tell a friend, how to report).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from causerie.safety.normalize import has_digit
from causerie.safety.verdict import Action

__all__ = ["NUDGE", "MeetupFinding", "assess", "late_hour"]

NUDGE = "meetup_safety"

_LATE_FR = re.compile(
    r"(?:\b(?:a|vers|pour|des|dès|jusqu'? ?a|rdv|rendez vous|on dit|at|around|by)\s+)"
    r"(?:(?:2[2-3]|[0-4])\s?h(?:\s?\d\d)?\b|[0-5]\s?h(?:\s?\d\d)?\s*du\s*mat|[1-5]\s*heures?\s+du\s+mat)"
    r"|\b[0-5]\s?h(?:\s?\d\d)?\s*du\s*mat"
)
_LATE_EN = re.compile(r"\b(?:(?:12|[1-4])(?::\d\d)?\s?(?:am|a\.m\.)|(?:1[01])(?::\d\d)?\s?(?:pm|p\.m\.))(?!\w)")
_RISK_FACTORS = ("alone", "cash", "late", "remote")
# What every match of the two patterns above contains (a digit then "h", or then "am"/"pm"): a
# cheap scan that spares them on most texts with digits (prices, ages, dates).
_HOUR_HINT = re.compile(r"[0-5]\s*h|\d(?::\d\d)?\s?[ap]\.?m")


def late_hour(plain: str) -> str | None:
    """The late hour named in ``plain`` (22:00 to 05:00), if any."""
    if not has_digit(plain) or not _HOUR_HINT.search(plain):
        return None  # every hour both patterns read has a digit then "h", "am" or "pm"
    m = _LATE_FR.search(plain) or _LATE_EN.search(plain)
    return m.group().strip() if m else None


@dataclass(frozen=True, slots=True)
class MeetupFinding:
    action: Action
    weight: float
    factors: tuple[str, ...]
    matched: tuple[str, ...]
    reason: str


def assess(
    cues: Mapping[str, Sequence[str]], plain: str, *, direct: bool, new_account: bool = False
) -> MeetupFinding | None:
    """Weigh one message: a proposal to meet and its risk factors."""
    if "proposal" not in cues or "group" in cues:
        return None
    found: dict[str, list[str]] = {k: list(cues[k]) for k in _RISK_FACTORS if k in cues}
    needed = 1 if direct else 2
    if len(found) + ("late" not in found) + ("quiet_spot" in cues and "remote" not in found) < needed:
        return None  # even a late hour would not make enough factors: skip reading it
    late = late_hour(plain) if "late" not in found else None
    if late:
        found["late"] = [late]
    factors = set(found)
    if "quiet_spot" in cues and factors:
        factors.add("remote")
        found.setdefault("remote", []).extend(cues["quiet_spot"])
    if len(factors) < needed:
        return None
    ordered = tuple(sorted(factors))
    matched = tuple(cues["proposal"]) + tuple(m for k in ordered for m in found[k])
    weight = min(1.0, 0.5 + 0.15 * len(factors) + (0.15 if new_account else 0.0))
    reason = f"proposal to meet with {'/'.join(ordered)}" + (" from a new account" if new_account else "")
    return MeetupFinding(Action.FLAG, round(weight, 2), ordered, matched, reason)
