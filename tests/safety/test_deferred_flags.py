"""A room message's flag-only analysers run after sending: the same findings as the full check."""

from __future__ import annotations

import itertools

from causerie.safety import SafetyConfig, SafetyEngine
from causerie.safety.evaluation import SPLITS, load_items


def _evidence(verdict: object) -> set[tuple[str, str, str]]:
    return {(str(e.category), e.source, e.action.value) for e in verdict.evidence}  # type: ignore[attr-defined]


def test_deferred_room_flags_add_up_to_the_full_check() -> None:
    engine = SafetyEngine(SafetyConfig())
    senders = (f"s{i}" for i in itertools.count())
    rooms = [item.text for split in SPLITS for item in load_items(split) if item.where != "dm"]
    assert len(rooms) > 200
    deferred_somewhere = 0
    for text in rooms:
        full = engine.check_text(text, "room", account_age_seconds=10.0)
        quick = engine.check_text(text, "room", account_age_seconds=10.0, defer_flags=True)
        if full.blocked or full.held:  # what changes delivery is decided before sending
            assert quick.action is full.action, text
        after = engine.post_send(
            next(senders), text, room="salon", account_age_seconds=10.0, presend=quick, deferred_flags=True
        )
        assert _evidence(quick) | _evidence(after) == _evidence(full), text
        deferred_somewhere += bool(_evidence(full) - _evidence(quick))
    assert deferred_somewhere > 20  # phone numbers, minors and meet-ups were indeed left for later


def test_check_text_without_defer_is_unchanged_for_private_messages() -> None:
    engine = SafetyEngine(SafetyConfig())
    text = "on se voit ce soir vers 2h, viens seul, apporte du cash"
    assert _evidence(engine.check_text(text, "dm", defer_flags=True)) == _evidence(engine.check_text(text, "dm"))
