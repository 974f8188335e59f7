"""The shortcuts of the pre-send and post-send paths change no answer.

* a regex's pre-test (a character class every match contains) never turns away a text the
  regex matches, for the packaged regexes and for shapes an operator could write;
* the post-send analysers reuse the rule evaluation of a private message made before sending,
  and forget it when the rules are reloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from causerie.safety import ChatLine, SafetyConfig, SafetyEngine
from causerie.safety.rules import DEFAULT_RULES_DIR, _needs, load_ruleset

PIECES = [
    "salut", "ce soir", "snap", "@", "léa_", "12", "3", "€", "$", "15 euros", "http://", "www.", "bit.ly/x",
    "t.me/abc", ".", "/", ":", "❄", "🍃", "💊", " ", "yo", "y/o", "ans", "roses", "20", "me", "is", "-", "06",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
REGEXES = list(load_ruleset([DEFAULT_RULES_DIR])._regexes.values())


@settings(max_examples=400, deadline=None)
@given(texts)
def test_the_pre_test_never_rejects_a_text_the_regex_matches(text: str) -> None:
    for rx in REGEXES:
        if rx.needs is not None and rx.regex.search(text):
            assert rx.needs.search(text), (rx.regex.pattern, text)


def test_pre_tests_of_operator_shapes() -> None:
    cases = {
        r"\d+ ?€": "[\\d]",  # one required digit
        r"(?:https?://|www\.)": "[:\\.]",  # a branch: the union of what each needs
        r"(?:a|)\d": "[\\d]",  # an empty branch needs nothing, the digit is still required
        r"(?i:zz)\d?": None,  # case-insensitive: no pre-test
        r"[^a]+": None,  # a negated class: anything goes
        r"\w+": None,
        r"(?=.*\d)": None,  # lookarounds require nothing
        r"hello world": None,  # letters and spaces: most texts have them, no pre-test
        r"x{0,3}/": "[/]",
    }
    for pattern, expected in cases.items():
        needs = _needs(re.compile(pattern))
        assert (needs.pattern if needs else None) == expected, pattern


def test_post_send_reuses_the_pre_send_evaluation_until_a_reload(tmp_path: Path) -> None:
    engine = SafetyEngine(SafetyConfig(rules_dir=tmp_path))
    text = "le zorglub est là, on se voit ce soir ?"
    engine.check_text(text, "dm", sender_age=30, recipient_age=30)
    window = [ChatLine("a", "salut"), ChatLine("b", text)]
    before = engine.analyse_dm(window, sender_age=30, recipient_age=30)
    assert before.allowed
    (tmp_path / "local.toml").write_text(
        '[[rules]]\nid = "local.zorglub"\ncategory = "harassment"\naction = "flag"\nterms = ["zorglub"]\n',
        encoding="utf-8",
    )
    engine.reload()
    after = engine.analyse_dm(window, sender_age=30, recipient_age=30)
    assert after.flagged and after.evidence[0].source == "local.zorglub"
