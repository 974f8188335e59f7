"""The fast paths of message sanitising give exactly what the character-by-character rules give.

``sanitize_message`` and ``sanitize_line`` skip their per-character loops for printable ASCII,
for text below U+0300, and (through a cached ``str.translate`` table) for text without ZWJ or
tag characters. The reference below is the plain composition of the loops; both must agree on
every input, including the characters each shortcut is about.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from causerie.domain import text as text_mod
from causerie.domain.text import sanitize_line, sanitize_message

_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


def reference_clean(text: str, max_combining: int) -> str:
    text = _NEWLINES.sub("\n", text)
    text = text_mod._drop_invisibles(text)
    text = unicodedata.normalize("NFC", text)
    while True:
        capped = text_mod._cap_marks(text, max_combining)
        if capped == text:
            return text
        text = unicodedata.normalize("NFC", capped)


def reference_message(text: str, max_combining: int) -> str:
    text = reference_clean(text, max_combining)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub("\n{4,}", "\n\n\n", text)
    return text.strip()


def reference_line(text: str, max_combining: int) -> str:
    return " ".join(reference_clean(text, max_combining).split())


SPECIAL = [
    "\x00", "\x07", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\x9f", "\xa0", "\xad",
    "\u0301", "\u0308", "\u0489", "\u093f", "\u200b", "\u200d", "\u200e", "\u202e", "\u2066", "\u2060",
    "\u2028", "\u2029", "\ufeff", "\ufdd0", "\uffff", "\u3164", "\u115f", "\u1160", "\u11b3", "\ub4a4",
    "\U0001f3f4", "\U000e0067", "\U000e0062", "\U000e007f", "\U000e0001", "\U0001f469", "\U0001f4bb",
    "\U0001f3fd", "\ufe0f", "\u2800", "é", "e", " ", "a", "Ω", "\u0600", "\ud800",
]  # fmt: skip

chars = st.one_of(
    st.sampled_from(SPECIAL),
    st.characters(max_codepoint=0x7F),
    st.characters(max_codepoint=0x2FF),
    st.characters(),
)
texts = st.lists(chars, max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(texts, st.integers(min_value=0, max_value=4))
def test_sanitize_message_matches_the_character_rules(text: str, max_combining: int) -> None:
    assert sanitize_message(text, max_combining=max_combining) == reference_message(text, max_combining)


@settings(max_examples=800, deadline=None)
@given(texts, st.integers(min_value=0, max_value=4))
def test_sanitize_line_matches_the_character_rules(text: str, max_combining: int) -> None:
    assert sanitize_line(text, max_combining=max_combining) == reference_line(text, max_combining)


def test_each_shortcut_on_typical_chat() -> None:
    for text in (
        "bench 12 ~T1234567890123456~ lorem ipsum dolor sit amet",  # printable ASCII
        "  trailing  \t\n\n\n\n\nline\r\nend \x07",  # ASCII with controls and newlines
        "Salut à tous, ça va ? Où êtes-vous\xad ce soir\x85?",  # below U+0300
        "Salut 😀 ça va ? e\u0301\u0301\u0301\u0301\u0301 \u200b\u202eab",  # the translate table
        "👩\u200d💻 et 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f \U000e0041",  # the full loop
    ):
        assert sanitize_message(text, max_combining=2) == reference_message(text, 2)
        assert sanitize_line(text, max_combining=2) == reference_line(text, 2)


def test_the_cached_tables_stay_bounded() -> None:
    for cp in range(0x4E00, 0x4E00 + 3 * text_mod._TABLE_MAX, 7):
        sanitize_message(f"x{chr(cp)}\u0301", max_combining=1)
    assert len(text_mod._DROP_TABLE) <= text_mod._TABLE_MAX
    assert len(text_mod._MARK_TABLE) <= text_mod._TABLE_MAX


def reference_is_reserved(nick: str, reserved: frozenset[str]) -> bool:
    if not nick:
        return False
    for word in reserved:
        if not word:
            continue
        if nick == word:
            return True
        if len(word) > text_mod.SHORT_RESERVED_LEN and (nick.startswith(word) or nick.endswith(word)):
            return True
    return False


@settings(max_examples=1500, deadline=None)
@given(
    st.text(alphabet="admintoeasr", max_size=14),
    st.frozensets(st.text(alphabet="admintoeasr", max_size=7), max_size=12),
)
def test_is_reserved_matches_the_word_by_word_rule(nick: str, words: frozenset[str]) -> None:
    reserved = words | text_mod.DEFAULT_RESERVED_SKELETONS
    assert text_mod.is_reserved(nick, reserved) == reference_is_reserved(nick, reserved)
