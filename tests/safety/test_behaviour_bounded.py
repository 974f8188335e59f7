"""The behaviour tracker's bounded near-duplicate search finds exactly what comparing every send finds.

``_similar_targets`` skips targets already counted, stops once every target is counted and
rules out pairs by size; the reference here compares the new message with every remembered
send, as the tracker first did. Random senders, rooms, people, texts and times (windows expire,
histories overflow) must give the same targets, the same findings, and a per-target count that
matches what the history holds.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from causerie.safety.signals.behaviour import (
    BehaviourConfig,
    BehaviourTracker,
    _jaccard,
    _similar_targets,
    trigrams,
)

WORDS = ["salut", "viens", "voir", "mon", "profil", "promo", "ce", "soir", "ici", "gratuit", "lien", "ok"]

sends = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2", "s3"]),  # sender
        st.one_of(st.sampled_from(["p1", "p2", "p3", "p4", "p5"]), st.none()),  # recipient (None: a room)
        st.sampled_from(["r1", "r2", "r3", "r4"]),  # room
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map("".join),  # squashed text
        st.floats(min_value=0.0, max_value=40.0),  # seconds since the previous send
    ),
    max_size=60,
)


def reference(tracker: BehaviourTracker, sender: str, grams: frozenset[str], rooms: bool) -> set[str]:
    state = tracker._senders[sender]
    cfg = tracker.config
    similar = [s for s in state.sends if _jaccard(s.grams, grams) >= cfg.similarity]
    return {s.target for s in similar if s.target.startswith("#") is rooms}


@settings(max_examples=300, deadline=None)
@given(sends, st.integers(min_value=1, max_value=8), st.sampled_from([0.5, 0.7, 0.9]))
def test_same_targets_and_findings_as_comparing_every_send(
    events: list[tuple[str, str | None, str, str, float]], history: int, similarity: float
) -> None:
    cfg = BehaviourConfig(
        history=history, window=60.0, similarity=similarity, min_recipients=2, min_rooms=2, min_accounts=2
    )
    tracker = BehaviourTracker(cfg)
    at = 0.0
    for sender, recipient, room, text, gap in events:
        at += gap
        found = tracker.observe(sender, text, at=at, recipient=recipient, room=None if recipient else room)
        state = tracker._senders[sender]
        assert Counter(s.target for s in state.sends) == Counter(state.targets)
        grams = trigrams(text)
        for rooms in (True, False):
            assert _similar_targets(state, grams, similarity, rooms) == reference(tracker, sender, grams, rooms)
        expected = reference(tracker, sender, grams, recipient is None)
        if recipient is None:
            spam = [f for f in found if f.source == "behaviour:same_text_many_rooms"]
            assert bool(spam) == (len(expected) >= cfg.min_rooms)
            if spam:
                assert f"in {len(expected)} rooms" in spam[0].reason
        else:
            dup = [f for f in found if f.source == "behaviour:near_duplicate_openers"]
            assert bool(dup) == (len(expected) >= cfg.min_recipients)


def test_a_sender_in_one_room_compares_only_its_own_message() -> None:
    tracker = BehaviourTracker()
    for i in range(200):
        tracker.observe("bot", f"message numero {i} du jour", at=float(i), room="general")
    state = tracker._senders["bot"]
    assert len(state.sends) == tracker.config.history
    assert state.targets == {"#general": tracker.config.history}
    assert _similar_targets(state, trigrams("message numero 5 du jour"), 0.7, rooms=True) == {"#general"}
