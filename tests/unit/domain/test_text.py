"""Unit tests for causerie.domain.text: skeletons, nicknames, reserved names, sanitising, mentions."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causerie.domain.text import (
    DEFAULT_RESERVED,
    DEFAULT_RESERVED_SKELETONS,
    MAX_MENTIONS,
    find_mentions,
    is_reserved,
    reserved_skeletons,
    sanitize_line,
    sanitize_message,
    skeleton,
    validate_nickname,
)
from causerie.errors import CauserieError, ErrorCode

BIDI = [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
INVISIBLE = ["\u200b", "\u200c", "\u200e", "\u200f", "\u2060", "\ufeff", "\u3164", "\u115f", "\u1160"]
ZWJ = "\u200d"

# Latin letter -> Cyrillic lookalike, for the confusable property.
LATIN_TO_CYRILLIC = {
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "s": "ѕ",
    "i": "і", "j": "ј", "h": "һ", "d": "ԁ", "q": "ԛ", "w": "ԝ",
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "S": "Ѕ", "I": "І", "J": "Ј",
}  # fmt: skip


def nick(raw: str) -> str:
    return validate_nickname(raw, min_len=3, max_len=20)


def refusal(raw: str, *, min_len: int = 3, max_len: int = 20) -> ErrorCode:
    with pytest.raises(CauserieError) as info:
        validate_nickname(raw, min_len=min_len, max_len=max_len)
    return info.value.code


def reserved(name: str) -> bool:
    return is_reserved(skeleton(name), DEFAULT_RESERVED_SKELETONS)


def marks_run_max(text: str) -> int:
    """Longest run of combining marks (Mn, Mc, Me) in ``text``."""
    longest = run = 0
    for ch in text:
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Mc", "Me") else 0
        longest = max(longest, run)
    return longest


# ---------------------------------------------------------------------------- skeleton


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Élodie", "elodie"),
        ("Аdmin", "admin"),  # Cyrillic А
        ("ΑDΜΙΝ", "admin"),  # Greek Α, Μ, Ι
        ("adm1n", "admin"),
        ("@dmin", "admin"),
        ("ad_min", "Ad-Min"),
        ("Ｊｅａｎ", "jean"),  # fullwidth, through NFKC
        ("𝐀𝐝𝐦𝐢𝐧", "admin"),  # mathematical bold
        ("Il1|", "iiii"),  # I, l, 1, | collide
        ("Straße", "strasse"),
        ("cœur", "coeur"),
        ("j.p. o'neil", "jponeil"),
        ("ad\u200bmin", "admin"),  # invisible characters vanish
        ("adm\u0661n", "admin"),  # any script's digit counts as its value: Arabic-Indic 1
    ],
)
def test_skeleton_collisions(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


def test_skeleton_keeps_distinct_names_apart() -> None:
    assert skeleton("elodie") != skeleton("melodie")
    assert skeleton("jean") != skeleton("jeanne")
    assert skeleton("李小龙") == "李小龙"
    assert skeleton("Ολυμπία") != ""


def test_skeleton_of_separators_and_fillers_is_empty() -> None:
    assert skeleton("_-.' ") == ""
    assert skeleton("\u3164\u3164\u115f\u1160\uffa0\u2800") == ""


def test_skeleton_case_decides_greek_eta() -> None:
    # Capital Η looks like H, small η like n.
    assert skeleton("Η") == "h"
    assert skeleton("η") == "n"


# ---------------------------------------------------------------------------- nicknames


@pytest.mark.parametrize(
    "raw",
    ["Jérôme", "Élodie", "Zoë", "Jean Pierre", "jean-pierre", "o'neil", "j.p._42", "李小龙", "Ολυμπία", "42bis"],
)
def test_valid_nicknames(raw: str) -> None:
    assert nick(raw) == raw


def test_nickname_is_stripped_and_nfc() -> None:
    decomposed = "  Je\u0301ro\u0302me \t"
    result = nick(decomposed)
    assert result == "Jérôme"
    assert unicodedata.is_normalized("NFC", result)


def test_typographic_apostrophe_becomes_ascii() -> None:
    assert nick("d\u2019Artagnan") == "d'Artagnan"


def test_nickname_length_bounds() -> None:
    assert refusal("ab") == ErrorCode.NICKNAME_LENGTH
    assert refusal("a" * 21) == ErrorCode.NICKNAME_LENGTH
    assert refusal("   ") == ErrorCode.NICKNAME_LENGTH
    assert nick("abc") == "abc"
    assert nick("a" * 20) == "a" * 20
    # Counted after strip and NFC, in code points: "e" + U+0301 is one.
    assert nick("  Le\u0301a  ") == "Léa"
    assert refusal("Le\u0301a", min_len=4) == ErrorCode.NICKNAME_LENGTH


@pytest.mark.parametrize(
    "raw",
    [
        "ad\u200bmin",  # zero-width space
        "admin\u202e",  # right-to-left override (Trojan Source)
        "bob\u2066x\u2069",  # isolates
        "\u3164\u3164\u3164",  # Hangul fillers only
        "\uffa0\uffa0\uffa0",  # halfwidth Hangul filler
        "\u115f\u1160\u115f",
        "bob\u3164",
        "\u2800\u2800\u2800",  # braille blank
        "bo\u2060b",
        "\ufeffbob",
        "bo\tb",
        "bo\nb",
        "bo\x00b",
        "Jean  Pierre",  # double inner space
        "Jean\u00a0Pierre",  # no-break space
        "_bob",  # must start with a letter or digit
        ".bob",
        "bob!",
        "bob😀",
        "bob\ue000",  # private use
        "Ze\u0301\u0301\u0301",  # marks NFC cannot fold: zalgo
        "bob\u0489",  # enclosing mark
        "①②③",
        "bob\u00ad",  # soft hyphen (Cf)
        "bob\ud800",  # lone surrogate
    ],
)
def test_nickname_forbidden_characters(raw: str) -> None:
    assert refusal(raw) == ErrorCode.NICKNAME_CHARS


def test_nickname_with_empty_skeleton_is_refused() -> None:
    # Starts with a letter, but every character vanishes from the skeleton.
    assert skeleton("\u3164ab") == "ab"
    assert refusal("\u3164\u3164\u3164") == ErrorCode.NICKNAME_CHARS


# ---------------------------------------------------------------------------- reserved names


@pytest.mark.parametrize(
    "name",
    [
        "Admin", "ADMIN", "Аdmin", "adm1n", "@dm1n", "admin_paris", "Modo_Paris", "le.modo",
        "m0d", "MOD", "B0T", "Support-Technique", "staff", "root", "Pharos", "Causerie",
        "𝐀𝐝𝐦𝐢𝐧", "moderatrice", "ops.moderateur", "Gendarmerie_75",
    ],
)  # fmt: skip
def test_reserved_names_are_refused(name: str) -> None:
    assert reserved(name), name


@pytest.mark.parametrize(
    "name",
    ["commodore", "badminton", "modeste", "botaniste", "Élodie", "Jérôme", "xmodx", "chatbot"],
)
def test_innocent_names_are_not_reserved(name: str) -> None:
    assert not reserved(name), name


@pytest.mark.parametrize("name", ["Modou", "Steam", "Adelaide", "rootsy"])
def test_known_false_positives_of_the_prefix_suffix_rule(name: str) -> None:
    # Documented cost of refusing "Modo_Paris" and "le.modo": these are refused too.
    assert reserved(name)


def test_short_reserved_words_match_exactly_only() -> None:
    words = reserved_skeletons(["mod", "bot"])
    assert is_reserved("mod", words)
    assert not is_reserved("modeste", words)
    assert not is_reserved("chatbot", words)


def test_default_reserved_list_is_complete() -> None:
    required = {
        "admin", "administrateur", "administrator", "moderateur", "moderator", "modo", "mod",
        "causerie", "support", "staff", "system", "systeme", "root", "operateur", "operator",
        "police", "gendarmerie", "pharos", "official", "officiel", "equipe", "team", "bot",
        "help", "aide",
    }  # fmt: skip
    assert required <= set(DEFAULT_RESERVED)
    assert all(is_reserved(skeleton(w), DEFAULT_RESERVED_SKELETONS) for w in DEFAULT_RESERVED)


def test_empty_skeleton_is_not_reserved() -> None:
    assert not is_reserved("", DEFAULT_RESERVED_SKELETONS)


# ---------------------------------------------------------------------------- messages


def test_zalgo_is_capped() -> None:
    marks = "".join(chr(0x0300 + (i % 0x30)) for i in range(200))
    out = sanitize_message("Z" + marks + "algo", max_combining=3)
    assert marks_run_max(out) <= 3
    assert "".join(ch for ch in out if not unicodedata.combining(ch))[1:] == "algo"
    assert len(out) < 12


def test_bidi_controls_are_stripped() -> None:
    text = "abc\u202edef\u2066x\u2069\u202a\u202b\u202c\u202d\u2067\u2068 \u061cok"
    assert sanitize_message(text, max_combining=3) == "abcdefx ok"


def test_invisibles_and_controls_are_dropped() -> None:
    text = "a\u200bb\u200cc\u200ed\u200fe\u2060f\ufeffg\u3164h\x00i\x07j\x9bk\ud800l\U000e0041m"
    assert sanitize_message(text, max_combining=3) == "abcdefghijklm"


def test_newlines_and_blank_lines() -> None:
    text = "  one\r\ntwo\rthree\u2028four\n\n\n\n\n\nfive  \t\n  six\t\n\n"
    assert sanitize_message(text, max_combining=3) == "one\ntwo\nthree\nfour\n\n\nfive\n  six"


def test_tab_is_kept_inside_a_line() -> None:
    assert sanitize_message("a\tb", max_combining=3) == "a\tb"


def test_message_is_nfc() -> None:
    assert sanitize_message("Je\u0301ro\u0302me", max_combining=3) == "Jérôme"
    # An invisible character between a letter and its accent must not block composition.
    assert sanitize_message("e\u200b\u0301", max_combining=3) == "é"


def test_capping_marks_keeps_nfc() -> None:
    # The accent blocks the composition of the syllable with the final jamo; once the cap
    # drops it, the two must be composed for the result to stay NFC (and idempotent).
    out = sanitize_message("\ub488\u0301\u11b3", max_combining=0)
    assert out == "\ub494"
    assert sanitize_message(out, max_combining=0) == out


def test_emoji_sequences_survive() -> None:
    family = "👨\u200d👩\u200d👧"
    coder = "👩🏽\u200d💻"
    rainbow = "🏳\ufe0f\u200d🌈"
    england = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    keycap = "1\ufe0f\u20e3"
    text = " ".join([family, coder, rainbow, england, keycap])
    assert sanitize_message(text, max_combining=3) == text


def test_zwj_between_letters_is_dropped() -> None:
    assert sanitize_message("ad\u200dmin", max_combining=3) == "admin"
    assert sanitize_message("😀\u200d", max_combining=3) == "😀"


def test_empty_message_stays_empty() -> None:
    assert sanitize_message(" \u200b\u202e\n\t ", max_combining=3) == ""


def test_sanitize_line() -> None:
    text = "  Salon\n\tdes\u00a0\u3000 amis\u202e  "
    assert sanitize_line(text, max_combining=3) == "Salon des amis"


def test_negative_cap_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="max_combining"):
        sanitize_message("x", max_combining=-1)


# ---------------------------------------------------------------------------- mentions


def test_mentions() -> None:
    text = "@Bob salut @élodie. et bob@example.org (@b0b) @d\u2019Artagnan, @'x @-y @ @Zoë-"
    assert find_mentions(text) == ["Bob", "élodie", "d'Artagnan", "Zoë"]


def test_mentions_keep_inner_separators() -> None:
    assert find_mentions("cc @jean-pierre.l et @o'neil_2!") == ["jean-pierre.l", "o'neil_2"]


def test_mentions_are_capped() -> None:
    text = " ".join(f"@user{chr(0x61 + i // 26)}{chr(0x61 + i % 26)}" for i in range(50))
    found = find_mentions(text)
    assert len(found) == MAX_MENTIONS
    assert found[0] == "useraa"


def test_no_mentions() -> None:
    assert find_mentions("pas de mention ici, mail: a@b.fr") == []


# ---------------------------------------------------------------------------- properties

SPECIALS = BIDI + INVISIBLE + [
    ZWJ, "\ufe0f", "\u0301", "\u0302", "\u0489", "\u093f", "\n", "\r", "\t", " ", "\u2028",
    "👩", "💻", "🏴", "\U000e0067", "\U000e007f", "\U0001f3fd", "e", "I", "l", "1", "\x00",
    "\u0958", "\ud800", "\ub488", "\u11b3", "\u1161",
]  # fmt: skip
messy_text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIALS)), max_size=60)
lookalike_text = st.text(alphabet=st.one_of(st.sampled_from(sorted(LATIN_TO_CYRILLIC)), st.characters()), max_size=30)


@settings(max_examples=200)
@given(messy_text)
def test_skeleton_is_idempotent(x: str) -> None:
    assert skeleton(skeleton(x)) == skeleton(x)


@settings(max_examples=200)
@given(lookalike_text, st.data())
def test_skeleton_ignores_cyrillic_lookalikes(x: str, data: st.DataObject) -> None:
    flags = data.draw(st.lists(st.booleans(), min_size=len(x), max_size=len(x)))
    swapped = "".join(LATIN_TO_CYRILLIC.get(ch, ch) if flag else ch for ch, flag in zip(x, flags, strict=True))
    assert skeleton(swapped) == skeleton(x)


@settings(max_examples=200)
@given(messy_text, st.integers(min_value=0, max_value=5))
def test_sanitize_message_is_idempotent_and_safe(x: str, cap: int) -> None:
    once = sanitize_message(x, max_combining=cap)
    assert sanitize_message(once, max_combining=cap) == once
    assert not set(once) & set(BIDI)
    assert not set(once) & (set(INVISIBLE) | {"\r", "\x00"})
    assert marks_run_max(once) <= cap
    assert unicodedata.is_normalized("NFC", once)
    once.encode("utf-8")  # no lone surrogates


@settings(max_examples=200)
@given(messy_text, st.integers(min_value=0, max_value=5))
def test_sanitize_line_is_idempotent_and_single_line(x: str, cap: int) -> None:
    once = sanitize_line(x, max_combining=cap)
    assert sanitize_line(once, max_combining=cap) == once
    assert "\n" not in once
    assert "\t" not in once
    assert "  " not in once
    assert marks_run_max(once) <= cap


def validate_or_code(raw: str) -> str | ErrorCode:
    """The display nickname, or the code of the refusal."""
    try:
        return validate_nickname(raw, min_len=1, max_len=60)
    except CauserieError as exc:
        return exc.code


@settings(max_examples=200)
@given(messy_text)
def test_validate_nickname_accepts_its_own_output(x: str) -> None:
    result = validate_or_code(x)
    if isinstance(result, ErrorCode):
        assert result in (ErrorCode.NICKNAME_LENGTH, ErrorCode.NICKNAME_CHARS)
        return
    assert validate_or_code(result) == result
    assert skeleton(result)
    assert not set(result) & (set(BIDI) | set(INVISIBLE))
