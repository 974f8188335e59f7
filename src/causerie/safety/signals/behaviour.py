"""Behaviour over time: bot farms, mass contact, the same offer in many rooms, meet-up spraying.

May import: stdlib.

State is per sender, in a small bounded structure owned by the caller (one per node): an
LRU of at most ``max_senders`` senders, each keeping its last ``history`` sends. Time comes
from the caller (an injected clock), so tests replay hours in microseconds. What is found:

* **near-duplicate openers**: one account sends nearly the same text (character-trigram
  Jaccard ≥ ``similarity``) to ``min_recipients`` different people within ``window`` seconds;
* **machine-regular timing**: the intervals between its last sends vary less than
  ``regular_cv`` (coefficient of variation) and are short;
* **one opener, several accounts**: the same normalised opener from ``min_accounts``
  accounts to ``min_recipients`` people (a farm rotating accounts);
* **the same offer in many rooms**: near-duplicates in ``min_rooms`` rooms (spam);
* **meet-up spraying**: proposals to meet sent to ``meetup_proposals`` different people.
"""

from __future__ import annotations

import itertools
import statistics
from collections import OrderedDict, deque
from dataclasses import dataclass, field

__all__ = ["BehaviourConfig", "BehaviourFinding", "BehaviourTracker", "trigrams"]


@dataclass(frozen=True, slots=True)
class BehaviourConfig:
    min_recipients: int = 8
    window: float = 3600.0
    similarity: float = 0.7
    regular_cv: float = 0.15
    regular_max_interval: float = 120.0
    regular_min_sends: int = 6
    min_accounts: int = 3
    min_rooms: int = 3
    meetup_proposals: int = 3
    max_senders: int = 10_000
    max_openers: int = 10_000
    history: int = 64


@dataclass(frozen=True, slots=True)
class BehaviourFinding:
    category: str  # bot_farm | spam | meetup_risk
    source: str
    weight: float
    reason: str


def trigrams(squashed: str) -> frozenset[str]:
    """Character trigrams of a squashed normalised text (the near-duplicate fingerprint)."""
    s = squashed[:300]
    if len(s) < 3:
        return frozenset({s}) if s else frozenset()
    return frozenset([s[i : i + 3] for i in range(len(s) - 2)])


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _similar_targets(state: _Sender, grams: frozenset[str], similarity: float, rooms: bool) -> set[str]:
    """Distinct targets (rooms if ``rooms``, else people) of the sends similar to ``grams``."""
    return _similar(state, _Send(0.0, "", None, grams), similarity, rooms)


def _similar(state: _Sender, current: _Send, similarity: float, rooms: bool) -> set[str]:
    """Distinct targets (rooms if ``rooms``, else people) of the sends similar to ``current``.

    The same set as filtering every send by ``_jaccard >= similarity``, at a bounded cost: a
    target already counted is not compared again, the scan stops once every target the sender
    wrote to is counted (a sender writing in one room compares nothing but its own message),
    a pair whose sizes alone rule the threshold out (Jaccard <= smaller / larger) skips the
    set intersection, and the same text (the message itself) is similar without building its
    trigrams (Jaccard 1).
    """
    found: set[str] = set()
    text = current.squashed
    if text is not None:
        if not text:
            return found  # no trigram: similar to nothing
        size = 0
    else:
        size = len(current.grams)
        if not size:
            return found
    distinct = sum(1 for t in state.targets if t.startswith("#") is rooms)
    for s in reversed(state.sends):
        if len(found) >= distinct:
            break
        target = s.target
        if target in found or target.startswith("#") is not rooms:
            continue
        if text is not None and s.squashed == text:
            if similarity <= 1.0:
                found.add(target)
            continue
        if not size:
            size = len(current.grams)
        other = len(s.grams)
        if not other or (other / size if other < size else size / other) < similarity:
            continue
        if _jaccard(s.grams, current.grams) >= similarity:
            found.add(target)
    return found


class _Send:
    """One remembered send; its trigrams are built the first time a comparison needs them."""

    __slots__ = ("_grams", "at", "squashed", "target")

    def __init__(self, at: float, target: str, squashed: str | None, grams: frozenset[str] | None = None) -> None:
        self.at = at
        self.target = target  # recipient id (DM) or "#room"
        self.squashed = squashed
        self._grams = grams

    @property
    def grams(self) -> frozenset[str]:
        grams = self._grams
        if grams is None:
            grams = self._grams = trigrams(self.squashed or "")
        return grams


@dataclass(slots=True)
class _Sender:
    sends: deque[_Send]
    targets: dict[str, int] = field(default_factory=dict)  # target -> sends to it in ``sends``
    proposals: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=32))

    def forget(self, send: _Send) -> None:
        left = self.targets[send.target] - 1
        if left:
            self.targets[send.target] = left
        else:
            del self.targets[send.target]


@dataclass(slots=True)
class _Opener:
    senders: OrderedDict[str, None] = field(default_factory=OrderedDict)
    recipients: OrderedDict[str, None] = field(default_factory=OrderedDict)
    last: float = 0.0


class BehaviourTracker:
    """Bounded per-sender memory of recent sends. Not thread-safe: one per event loop."""

    def __init__(self, config: BehaviourConfig | None = None) -> None:
        self.config = config or BehaviourConfig()
        self._senders: OrderedDict[str, _Sender] = OrderedDict()
        self._openers: OrderedDict[str, _Opener] = OrderedDict()

    def __len__(self) -> int:
        return len(self._senders)

    def _sender(self, sender: str) -> _Sender:
        state = self._senders.get(sender)
        if state is None:
            state = _Sender(sends=deque(maxlen=self.config.history))
            self._senders[sender] = state
            if len(self._senders) > self.config.max_senders:
                self._senders.popitem(last=False)
        else:
            self._senders.move_to_end(sender)
        return state

    def observe(
        self,
        sender: str,
        squashed: str,
        *,
        at: float,
        recipient: str | None = None,
        room: str | None = None,
        proposal: bool = False,
    ) -> list[BehaviourFinding]:
        """Record one send (a DM to ``recipient`` or a message in ``room``) and report what it completes."""
        cfg = self.config
        state = self._sender(sender)
        target = recipient if recipient is not None else f"#{room or ''}"
        send = _Send(at, target, squashed)
        while state.sends and at - state.sends[0].at > cfg.window:
            state.forget(state.sends.popleft())
        if state.sends and len(state.sends) == state.sends.maxlen:
            state.forget(state.sends.popleft())
        if state.sends.maxlen != 0:
            state.sends.append(send)
            state.targets[target] = state.targets.get(target, 0) + 1
        found: list[BehaviourFinding] = []

        if recipient is not None:
            people = _similar(state, send, cfg.similarity, rooms=False)
            if len(people) >= cfg.min_recipients:
                found.append(
                    BehaviourFinding(
                        "bot_farm",
                        "behaviour:near_duplicate_openers",
                        0.9,
                        f"near-identical message sent to {len(people)} people within {cfg.window:.0f} s",
                    )
                )
            dm_sends = [s for s in state.sends if not s.target.startswith("#")]
            recent = dm_sends[-cfg.regular_min_sends :]
            if len(recent) >= cfg.regular_min_sends and len({s.target for s in recent}) >= cfg.regular_min_sends - 1:
                gaps = [b.at - a.at for a, b in itertools.pairwise(recent)]
                mean = statistics.fmean(gaps)
                if 0 < mean <= cfg.regular_max_interval:
                    cv = statistics.pstdev(gaps) / mean
                    if cv <= cfg.regular_cv:
                        found.append(
                            BehaviourFinding(
                                "bot_farm",
                                "behaviour:regular_timing",
                                0.8,
                                f"{len(recent)} messages to different people every {mean:.1f} s (variation {cv:.2f})",
                            )
                        )
            found.extend(self._cross_account(sender, recipient, squashed, at))
        else:
            rooms = _similar(state, send, cfg.similarity, rooms=True)
            if len(rooms) >= cfg.min_rooms:
                found.append(
                    BehaviourFinding(
                        "spam", "behaviour:same_text_many_rooms", 0.7, f"the same message in {len(rooms)} rooms"
                    )
                )
        if proposal and recipient is not None:
            while state.proposals and at - state.proposals[0][0] > cfg.window:
                state.proposals.popleft()
            state.proposals.append((at, recipient))
            people = {r for _, r in state.proposals}
            if len(people) >= cfg.meetup_proposals:
                found.append(
                    BehaviourFinding(
                        "meetup_risk",
                        "behaviour:many_meetup_proposals",
                        0.7,
                        f"proposals to meet sent to {len(people)} people within {cfg.window:.0f} s",
                    )
                )
        return found

    def _cross_account(self, sender: str, recipient: str, squashed: str, at: float) -> list[BehaviourFinding]:
        cfg = self.config
        if squashed.isascii():
            key = squashed.encode().translate(None, b"0123456789").decode()[:120]
        else:
            key = "".join(c for c in squashed if not c.isdigit())[:120]
        if len(key) < 8:
            return []
        opener = self._openers.get(key)
        if opener is None or at - opener.last > cfg.window:
            opener = _Opener()
            self._openers[key] = opener
            if len(self._openers) > cfg.max_openers:
                self._openers.popitem(last=False)
        else:
            self._openers.move_to_end(key)
        opener.last = at
        for bag, item in ((opener.senders, sender), (opener.recipients, recipient)):
            bag[item] = None
            bag.move_to_end(item)
            if len(bag) > 1000:
                bag.popitem(last=False)
        if len(opener.senders) >= cfg.min_accounts and len(opener.recipients) >= cfg.min_recipients:
            return [
                BehaviourFinding(
                    "bot_farm",
                    "behaviour:same_opener_many_accounts",
                    0.9,
                    f"the same opener from {len(opener.senders)} accounts to {len(opener.recipients)} people",
                )
            ]
        return []
