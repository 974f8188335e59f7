"""A per-user risk score that decays over time.

May import: stdlib.

Each finding adds its weight to the author's score; the score halves every ``half_life``
seconds. Moderation queues can sort by it, and a score above a threshold can make the engine
flag a user's next messages. Bounded: the least recently touched users are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["RiskLedger"]


class RiskLedger:
    def __init__(self, half_life: float, max_users: int = 100_000) -> None:
        if half_life <= 0:
            raise ValueError("half_life must be positive")
        self.half_life = half_life
        self.max_users = max_users
        self._scores: OrderedDict[str, tuple[float, float]] = OrderedDict()  # user -> (score, at)

    def __len__(self) -> int:
        return len(self._scores)

    def _decayed(self, score: float, since: float, at: float) -> float:
        return float(score * 0.5 ** (max(0.0, at - since) / self.half_life))

    def score(self, user: str, at: float) -> float:
        """The user's score at time ``at`` (0 for someone never seen)."""
        entry = self._scores.get(user)
        return 0.0 if entry is None else self._decayed(entry[0], entry[1], at)

    def add(self, user: str, points: float, at: float) -> float:
        """Add ``points`` at time ``at``; return the new score."""
        new = self.score(user, at) + points
        self._scores[user] = (new, at)
        self._scores.move_to_end(user)
        while len(self._scores) > self.max_users:
            self._scores.popitem(last=False)
        return new

    def top(self, at: float, limit: int = 20) -> list[tuple[str, float]]:
        """The riskiest users now, highest first."""
        ranked = sorted(((u, self._decayed(s, t, at)) for u, (s, t) in self._scores.items()), key=lambda x: -x[1])
        return ranked[:limit]
