"""The labelled evaluation set and per-category precision and recall (``causerie safety eval``).

May import: stdlib, ``causerie.safety.*``.

The set lives in ``safety/eval/`` as JSON lines, French and English, one message per line::

    {"lang": "fr", "text": "…", "labels": ["drug_sale"],            # [] = nothing to find
     "where": "dm", "sender_age": 41, "recipient_age": 18,          # optional (room, unknown ages)
     "history": [{"by": "recipient", "text": "j'ai 14 ans"}],       # optional: the DM before it
     "repeat": {"recipients": 15, "interval": 6.0, "vary": true, "jitter": false},  # optional
     "note": "hard negative: …"}

Three files, in the order they were written:

* ``heldout.jsonl`` (183) was written first, before any rule existed, and is only measured: no
  rule was changed because of a miss on it. (Its author also wrote the rules, so it is not
  blind: read its figures as an upper bound.) The regression test asserts the targets on it.
* ``dev.jsonl`` (283) is the tuning set.
* ``blind.jsonl`` (80) was written after the rules were frozen and measured once, the most
  honest figure of the three: drug_sale precision 0.89 and recall 0.80, contact_off_platform
  recall 0.50, solicitation recall 0.75, spam precision 0.67, every other category 1.00.
  The misses it showed were then fixed, so it is a tuning set now too.

``repeat`` means the sender sent this opener to that many
different people (``interval`` seconds apart; ``vary``: with small changes; ``jitter``: at
human, irregular intervals) — it exercises the behaviour analyser with a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causerie.safety.engine import ChatLine, SafetyEngine, Where
from causerie.safety.signals.behaviour import BehaviourTracker
from causerie.safety.verdict import CATEGORIES

__all__ = [
    "EVAL_DIR",
    "SPLITS",
    "TARGETS",
    "CategoryScore",
    "EvalItem",
    "EvalReport",
    "evaluate",
    "load_items",
]

EVAL_DIR = Path(__file__).resolve().parent / "eval"
SPLITS = ("dev", "heldout", "blind")

#: (minimum precision, minimum recall) per category; every other category needs precision ≥ 0.80.
TARGETS: dict[str, tuple[float, float]] = {
    "grooming": (0.90, 0.80),
    "minor_disclosure": (0.90, 0.80),
    "child_abuse_trade": (0.90, 0.80),
    "drug_sale": (0.90, 0.80),
}
DEFAULT_MIN_PRECISION = 0.80

_VARIATIONS = ("", " 😘", " !", " :)", " ?", " xx", " 🙂", " ;)", "!!", " hehe")
_JITTER = (1.0, 0.35, 1.8, 0.7, 1.4, 0.55, 2.2, 0.9, 1.25, 0.45)


@dataclass(frozen=True, slots=True)
class EvalItem:
    id: str
    text: str
    labels: frozenset[str]
    lang: str = ""
    where: str = "room"
    sender_age: int | None = None
    recipient_age: int | None = None
    history: tuple[tuple[str, str], ...] = ()  # (by: sender|recipient, text)
    repeat: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def load_items(source: str | Path) -> list[EvalItem]:
    """Items of a split name (``dev``, ``heldout``) or of a JSON-lines file."""
    path = EVAL_DIR / f"{source}.jsonl" if isinstance(source, str) and source in SPLITS else Path(source)
    items: list[EvalItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        d = json.loads(line)
        labels = frozenset(d.get("labels", []))
        unknown = labels - set(CATEGORIES)
        if unknown:
            raise ValueError(f"{path.name}:{n}: unknown labels {sorted(unknown)}")
        items.append(
            EvalItem(
                id=f"{path.stem}:{n}",
                text=d["text"],
                labels=labels,
                lang=d.get("lang", ""),
                where=d.get("where", "room"),
                sender_age=d.get("sender_age"),
                recipient_age=d.get("recipient_age"),
                history=tuple((h["by"], h["text"]) for h in d.get("history", [])),
                repeat=dict(d.get("repeat", {})),
                note=d.get("note", ""),
            )
        )
    return items


def predict(engine: SafetyEngine, item: EvalItem) -> set[str]:
    """The categories the engine finds for one item, pre-send and post-send together."""
    where: Where = "dm" if item.where == "dm" else "room"
    verdict = engine.check_text(item.text, where, sender_age=item.sender_age, recipient_age=item.recipient_age)
    found = set(verdict.categories)
    if item.history:
        window = [ChatLine("sender" if by == "sender" else "recipient", text) for by, text in item.history]
        window.append(ChatLine("sender", item.text))
        dm = engine.analyse_dm(window, sender_age=item.sender_age, recipient_age=item.recipient_age)
        found |= set(dm.categories)
    if item.repeat:
        engine.behaviour = BehaviourTracker(engine.behaviour.config)
        count = int(item.repeat.get("recipients", 1))
        interval = float(item.repeat.get("interval", 5.0))
        at = 0.0
        for i in range(count):
            text = item.text + (_VARIATIONS[i % len(_VARIATIONS)] if item.repeat.get("vary") else "")
            step = interval * (_JITTER[i % len(_JITTER)] if item.repeat.get("jitter") else 1.0)
            at += step
            target = f"recipient-{i}" if where == "dm" else None
            room = None if where == "dm" else f"room-{i}"
            observed = engine.observe("sender", text, recipient=target, room=room, at=at)
        found |= set(observed.categories)
    return found


@dataclass(frozen=True, slots=True)
class CategoryScore:
    category: str
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def target_failures(self) -> list[str]:
        min_p, min_r = TARGETS.get(self.category, (DEFAULT_MIN_PRECISION, 0.0))
        out: list[str] = []
        if self.precision is not None and self.precision < min_p:
            out.append(f"{self.category}: precision {self.precision:.2f} < {min_p:.2f}")
        if min_r and self.support and (self.recall or 0.0) < min_r:
            out.append(f"{self.category}: recall {self.recall or 0.0:.2f} < {min_r:.2f}")
        return out


@dataclass(slots=True)
class EvalReport:
    name: str
    items: int
    scores: list[CategoryScore]
    errors: list[tuple[EvalItem, set[str]]]  # items whose prediction differs from the labels

    def failures(self) -> list[str]:
        return [f for s in self.scores for f in s.target_failures()]

    def as_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "category": s.category,
                "support": s.support,
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
                "precision": s.precision,
                "recall": s.recall,
            }
            for s in self.scores
        ]


def evaluate(engine: SafetyEngine, items: Sequence[EvalItem], name: str = "") -> EvalReport:
    """Run the engine on ``items`` and score every category."""
    counts = {c: [0, 0, 0] for c in CATEGORIES}  # tp, fp, fn
    errors: list[tuple[EvalItem, set[str]]] = []
    saved = engine.behaviour
    try:
        for item in items:
            found = predict(engine, item)
            if found != set(item.labels):
                errors.append((item, found))
            for c in CATEGORIES:
                if c in found and c in item.labels:
                    counts[c][0] += 1
                elif c in found:
                    counts[c][1] += 1
                elif c in item.labels:
                    counts[c][2] += 1
    finally:
        engine.behaviour = saved
    scores = [CategoryScore(c, *counts[c]) for c in CATEGORIES]
    return EvalReport(name, len(items), scores, errors)


def evaluate_splits(engine: SafetyEngine, splits: Iterable[str] = SPLITS) -> list[EvalReport]:
    """One report per split, and one for all of them together."""
    reports: list[EvalReport] = []
    everything: list[EvalItem] = []
    for split in splits:
        items = load_items(split)
        everything.extend(items)
        reports.append(evaluate(engine, items, split))
    if len(reports) > 1:
        reports.append(evaluate(engine, everything, "all"))
    return reports
