"""Normalisation for matching: the same text, written so that evasion stops working.

May import: stdlib only.

:func:`normalize` turns a message into three forms:

``plain``
    NFKC, case folded, accents removed, lookalike letters of other scripts mapped to Latin,
    invisible characters dropped, typographic apostrophes made ASCII, whitespace collapsed.
    Digits and punctuation stay: the regex analysers (ages, prices, phone numbers, hours)
    read this form.
``match``
    What the Aho–Corasick automaton scans: ``" tok tok tok "``, one space around every
    token, so a pattern written ``" coke "`` only matches a whole word. Tokens are words and
    emoji; punctuation is gone. Inside a token, leetspeak digits and symbols become letters
    (``h3r01ne`` → ``heroine``, ``c0c@ine`` → ``cocaine``), runs of a repeated letter become
    one letter (``cooool`` → ``col``, ``weed`` → ``wed``), and letters spaced out one by one
    (``m d m a``, ``m.d.m.a``, ``m-d-m-a``) are joined back. Emoji are their own tokens with
    variation selectors and skin tones dropped (``❄️`` → ``❄``).
``squashed``
    ``match`` without spaces, for the few long and distinctive terms that are also looked
    for across separators (``co.caine``, ``keta mine``).

Patterns go through :func:`normalize_term`, the *same* pipeline, so a rule written ``héroïne``
or ``weed`` matches every spelling that normalises like it: rules never need to list
evasions by hand. This is a matching key, never shown to anyone; the original text is kept
for evidence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "has_digit", "normalize", "normalize_term", "to_plain"]

# Lookalike letters mapped to lowercase Latin (a curated subset of UTS #39 confusables, the
# same idea as ``causerie.domain.text.skeleton`` but letters only: digits stay digits here,
# leetspeak is decided per token below, where the context tells a price from a disguise).
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "һ": "h",
    "ү": "y", "ӏ": "i", "ԛ": "q", "ԝ": "w", "ԁ": "d", "ь": "b", "п": "n", "г": "r",
    "ѡ": "w", "з": "e", "ё": "e", "й": "n", "и": "n", "л": "n", "д": "d", "ц": "u",
    # Greek (capitals first: case decides, Η looks like H and η like n)
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    "ϳ": "j", "ϐ": "b", "ζ": "z", "ς": "s", "σ": "o",
    # Armenian
    "օ": "o", "ս": "u", "ո": "n", "հ": "h", "ց": "g", "զ": "q",
    # Cherokee capitals (case folding maps the small letters to these)
    "Ꭺ": "a", "Ᏼ": "b", "Ꮯ": "c", "Ꭰ": "d", "Ꭼ": "e", "Ꮐ": "g", "Ꮋ": "h", "Ꭻ": "j",
    "Ꮶ": "k", "Ꮮ": "l", "Ꮇ": "m", "Ꮲ": "p", "Ꮢ": "r", "Ꮪ": "s", "Ꭲ": "t", "Ꮩ": "v",
    "Ꮃ": "w", "Ꭹ": "y", "Ꮓ": "z",
    # Latin letters without a decomposition, and ligatures NFKC keeps
    "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t", "ƀ": "b",
    "ɨ": "i", "ƚ": "l", "ȼ": "c", "ɇ": "e", "ɉ": "j", "ɍ": "r", "ɏ": "y", "ʉ": "u",
    "ƶ": "z", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ɪ": "i", "ʏ": "y", "ɵ": "o", "œ": "oe",
    "æ": "ae", "ß": "ss", "þ": "th",
    # typographic apostrophes and quotes
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'",
}  # fmt: skip

# Zero-width and invisible characters, bidi controls, soft hyphen, combining grapheme joiner,
# emoji skin tones: dropped before anything else so that ``co\u200bke`` is ``coke``.
_INVISIBLE = (
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2070)]
    + [chr(c) for c in range(0x1F3FB, 0x1F400)]
    + ["\ufeff", "\u00ad", "\u034f", "\u061c", "\u3164", "\uffa0", "\u115f", "\u1160", "\u2800"]
)
# Character classes scanned by the regex engine (fast), with a callback only on the rare hits:
# str.translate with a dict looks every character of a non-ASCII text up in the dict (slow).
_INVISIBLE_RE = re.compile("[" + "".join(_INVISIBLE) + "]")
_CONFUSABLE_RE = re.compile("[" + re.escape("".join(_CONFUSABLES)) + "]")
# Combining marks left by the canonical decomposition (accents), and emoji variation selectors.
_MARKS_RE = re.compile("[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe0e\ufe0f\ufe20-\ufe2f]")

# Leetspeak, applied only inside a token that mixes letters with digits.
_LEET_TABLE = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})

# Symbols used as letters when a letter or digit stands on both sides: c@ke, co$aine, sh!t.
# (The pattern starts with the symbol so the regex engine can scan for it; the character before
# is checked in the callback.)
_INNER_SYMBOL_RE = re.compile(r"[@$!|](?=[^\W_])")
_INNER_SYMBOL_MAP = {"@": "a", "$": "s", "!": "i", "|": "l"}
_LEADING_DOLLAR_RE = re.compile(r"\$(?=[a-z]{2})")

# A token: a run of letters/digits, or one pictographic symbol (emoji, dingbat, arrow).
_SYMBOLS = "\u2190-\u2bff\U0001f000-\U0001faff"
_TOKEN_RE = re.compile(f"[^\\W_]+|[{_SYMBOLS}]")
_EMOJI_REPEAT_RE = re.compile(f"([{_SYMBOLS}])(?: \\1)+")
_SYMBOL_RE = re.compile(f"[{_SYMBOLS}]")
# Common non-ASCII punctuation and currency signs: separators for the match form.
_PUNCTUATION_TO_ASCII = {
    "€": " ", "£": " ", "¥": " ", "°": " ", "«": " ", "»": " ", "¿": " ", "¡": " ", "×": " ", "÷": " ",
    "§": " ", "¶": " ", "–": " ", "—": " ", "‚": " ", "„": " ", "†": " ", "‡": " ", "‰": " ", "‹": " ",
    "›": " ", "·": ".", "•": ".", "\u201c": " ", "\u201d": " ", "\xa0": " ",
}  # fmt: skip
_OTHER_NON_ASCII_RE = re.compile(f"[^\\x00-\\x7f{_SYMBOLS}]")

# Letters spelled out one by one: three or more with any small gap (m d m a, m.d.m.a, m-d-m-a,
# h e r o i n), or two with a tight gap (c.p, k-t). Not across apostrophes ("l'a", "j'y").
_GAP = r"[\s.\-_*+~/\\|,:;·•]"
_SPELL_RE = re.compile(
    rf"(?<![^\W_])[^\W_](?:{_GAP}{{1,3}}[^\W_](?![^\W_])){{2,}}"
    r"|(?<![^\W_])[^\W\d_][.\-_*+~/\\|·•][^\W\d_](?![^\W_])"
)
_GAP_RE = re.compile(_GAP)
_MIXED_RE = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")
_REPEAT_RE = re.compile(r"([^\W\d_])\1+")
# The same for ASCII text (most chat): explicit ranges are several times faster than \w.
_SPELL_ASCII_RE = re.compile(
    rf"\b[a-z0-9](?:{_GAP}{{1,3}}[a-z0-9]\b){{2,}}|\b[a-z][.\-_*+~/\\|][a-z]\b",
    re.ASCII,
)
_MIXED_ASCII_RE = re.compile(r"[a-z][0-9]|[0-9][a-z]")
# ASCII punctuation and symbols become spaces, so split() gives the tokens (bytes.translate is
# several times faster than str.translate with a dict).
_ASCII_SEPARATORS = bytes(c if chr(c).isalnum() else 32 for c in range(128)) + bytes(range(128, 256))
_DIGITS = b"0123456789"
_DOUBLES = tuple(c + c for c in "abcdefghijklmnopqrstuvwxyz")


def has_digit(s: str) -> bool:
    """True when ``s`` contains an ASCII digit (faster than a regex for short texts)."""
    b = s.encode()
    return len(b.translate(None, _DIGITS)) != len(b)


def _collapse_ascii(s: str) -> str:
    """Runs of one repeated letter become one letter (cooool → col); digits are kept."""
    for d in _DOUBLES:
        if d in s:
            single = d[0]
            while d in s:
                s = s.replace(d, single)
    return s


def _spelled_run(tokens: list[str]) -> bool:
    """True when two one-character tokens follow each other (letters may be spelled out)."""
    prev = False
    for t in tokens:
        one = len(t) == 1
        if one and prev:
            return True
        prev = one
    return False


_DIGITS_THEN_LETTERS = re.compile(r"(\d+)([a-z]+)")
_LETTERS_THEN_DIGITS = re.compile(r"([a-z]+)(\d+)")


@dataclass(frozen=True, slots=True)
class Normalized:
    """The forms of one text used for matching (see the module docstring)."""

    plain: str
    match: str
    squashed: str


def _confusable(m: re.Match[str]) -> str:
    return _CONFUSABLES[m.group()]


def to_plain(text: str) -> str:
    """The ``plain`` form alone (see the module docstring)."""
    if text.isascii():
        s = text.lower()
    else:
        s = _INVISIBLE_RE.sub("", text)
        s = unicodedata.normalize("NFKC", s)
        s = _CONFUSABLE_RE.sub(_confusable, s)  # before case folding: no Cyrillic capitals in the table
        s = s.casefold()
        if not s.isascii():
            s = _CONFUSABLE_RE.sub(_confusable, s)  # letters case folding produced (Cherokee)
            s = _MARKS_RE.sub("", unicodedata.normalize("NFD", s))
            if not s.isascii():
                s = unicodedata.normalize("NFC", s)
    if "  " in s or "\n" in s or "\t" in s or "\r" in s or not s.isascii() or s[:1] == " " or s[-1:] == " ":
        s = " ".join(s.split())
    return s


def _word(token: str) -> str:
    """Leetspeak for one token that mixes letters and digits."""
    m = _DIGITS_THEN_LETTERS.fullmatch(token)
    if m:
        digits, letters = m.groups()
        if len(digits) == 1 and len(letters) >= 3:
            return token.translate(_LEET_TABLE)  # 3xtasy, 4mmc (patterns agree)
        return f"{digits} {letters}"  # 20g, 13ans, 5e: a number and its unit
    m = _LETTERS_THEN_DIGITS.fullmatch(token)
    if m:
        letters, digits = m.groups()
        if len(digits) == 1 and len(letters) >= 3:
            return token.translate(_LEET_TABLE)  # cok3
        return f"{letters} {digits}"  # cm2, mp3, covid19, weed420
    return token.translate(_LEET_TABLE)  # h3r01ne, md3a, c0c4ine


def _pad(m: re.Match[str]) -> str:
    return f" {m.group()} "


def _join_spelled(m: re.Match[str]) -> str:
    return _GAP_RE.sub("", m.group())


def _body(plain: str) -> str:
    """Tokens of the match form, joined by single spaces."""
    s = plain
    if "@" in s or "$" in s or "!" in s or "|" in s:

        def inner(m: re.Match[str]) -> str:
            i = m.start()
            return _INNER_SYMBOL_MAP[m.group()] if i and s[i - 1].isalnum() else m.group()

        def leading(m: re.Match[str]) -> str:
            i = m.start()
            return m.group() if i and s[i - 1].isalnum() else "s"

        s = _INNER_SYMBOL_RE.sub(inner, s)
        if "$" in s:
            s = _LEADING_DOLLAR_RE.sub(leading, s)
    if "_" in s:
        s = s.replace("_", " ")
    ascii_text = s.isascii()
    emoji = False
    if not ascii_text:
        for ch in _PUNCTUATION_TO_ASCII:
            if ch in s:
                s = s.replace(ch, _PUNCTUATION_TO_ASCII[ch])
        ascii_text = s.isascii()
    if not ascii_text and not _OTHER_NON_ASCII_RE.search(s):
        # Latin text with emoji (the usual non-ASCII chat): emoji become tokens of their own and
        # the ASCII path handles the rest (non-ASCII bytes are kept by the translation table).
        s = _SYMBOL_RE.sub(_pad, s)
        ascii_text = emoji = True
    if ascii_text:
        tokens = s.encode().translate(_ASCII_SEPARATORS).decode().split()
        if _spelled_run(tokens):
            s = _SPELL_ASCII_RE.sub(_join_spelled, s)
            tokens = s.encode().translate(_ASCII_SEPARATORS).decode().split()
        if has_digit(s) and _MIXED_ASCII_RE.search(s):
            tokens = [t if t.isalpha() or t.isdigit() else _word(t) for t in tokens]
        body = _collapse_ascii(" ".join(tokens))  # cooool → col, weed → wed (never digits)
        return _EMOJI_REPEAT_RE.sub(r"\1", body) if emoji else body
    s = _SPELL_RE.sub(_join_spelled, s)
    tokens = _TOKEN_RE.findall(s)
    if _MIXED_RE.search(s):
        tokens = [t if t.isalpha() or t.isdigit() or len(t) == 1 else _word(t) for t in tokens]
    body = _REPEAT_RE.sub(r"\1", " ".join(tokens))
    return _EMOJI_REPEAT_RE.sub(r"\1", body)  # ❄ ❄ ❄ → ❄


@functools.lru_cache(maxsize=1024)
def normalize(text: str) -> Normalized:
    """Normalise a message, a nickname or a room name for matching.

    Cached (a pure function, and ``Normalized`` is frozen): the pre-send check and the post-send
    analysers of one message normalise the same text.
    """
    plain = to_plain(text)
    body = _body(plain)
    return Normalized(plain=plain, match=f" {body} ", squashed=body.replace(" ", ""))


def normalize_term(term: str) -> str:
    """Normalise a rule pattern exactly as message text is (without the boundary spaces)."""
    return _body(to_plain(term))
