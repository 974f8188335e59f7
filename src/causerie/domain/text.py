"""Text rules: nickname skeletons and validation, reserved names, message sanitising, mentions.

May import: stdlib, causerie.errors

Everything here is a pure function of its arguments (no I/O, no clock, no randomness), so the
same rules can run in the web layer, the realtime layer and the tests. Background: SAFETY.md,
section "Unicode abuse" (UTS #39 skeletons, Trojan Source bidi controls, zalgo marks).

    skeleton(nick)           comparison key: two nicknames clash when their skeletons are equal
    validate_nickname(raw)   display nickname (stripped, NFC) or CauserieError
    is_reserved(skel, set)   reserved-name check on skeletons (prefix/suffix, see the rule below)
    sanitize_message(text)   what we store and broadcast for a chat message
    sanitize_line(text)      same, on one line (room names, topics)
    find_mentions(text)      ``@nick`` mentions, in order, at most 20
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from causerie.errors import CauserieError, ErrorCode

__all__ = [
    "BIDI_CONTROLS",
    "DEFAULT_RESERVED",
    "DEFAULT_RESERVED_SKELETONS",
    "INVISIBLES",
    "MAX_MENTIONS",
    "SHORT_RESERVED_LEN",
    "find_mentions",
    "is_reserved",
    "reserved_skeletons",
    "sanitize_line",
    "sanitize_message",
    "skeleton",
    "validate_nickname",
]

# --------------------------------------------------------------------------------------------
# Character classes shared by the rules below
# --------------------------------------------------------------------------------------------

#: Bidi embedding/override (U+202A–U+202E) and isolate (U+2066–U+2069) controls, plus the
#: Arabic letter mark U+061C, which is a bidi control too (Trojan Source, CVE-2021-42574).
BIDI_CONTROLS: frozenset[str] = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)] + ["\u061c"]
)

ZWJ = "\u200d"

#: Invisible characters named in SAFETY.md: zero-width space/joiners and directional marks
#: (U+200B–U+200F), word joiner, BOM, and the Hangul fillers, which Unicode classifies as
#: *letters* (Lo) although they draw nothing, so a category check alone would let them in.
INVISIBLES: frozenset[str] = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)] + ["\u2060", "\ufeff", "\u3164", "\uffa0", "\u115f", "\u1160"]
)

#: Blank characters refused in nicknames only (braille blank is legitimate in ASCII-art
#: messages, but as a nickname it is an invisible name).
_NICK_ONLY_BLANKS: frozenset[str] = frozenset(["\u2800"])

#: Separators allowed inside a nickname, besides single inner spaces.
NICK_SEPARATORS: frozenset[str] = frozenset("_-.'")

#: Typographic apostrophes that phones insert automatically (iOS "smart punctuation").
#: ``validate_nickname`` and ``find_mentions`` turn them into the ASCII apostrophe.
_APOSTROPHES = {"\u2019": "'", "\u02bc": "'"}

_MARK_CATEGORIES = frozenset({"Mn", "Me", "Mc"})


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in _MARK_CATEGORIES


# --------------------------------------------------------------------------------------------
# Skeletons
# --------------------------------------------------------------------------------------------

# Lookalikes mapped to *lowercase* Latin letters. The table is applied both
# before case folding (so an uppercase Greek Η, which looks like H, is told apart from a
# lowercase η, which looks like n) and after it (for characters that case folding produces).
# A curated subset of the UTS #39 confusables: letters a nickname can borrow from another
# script to pass for a Latin one. Accents are handled separately (NFD then drop marks).
_CONFUSABLES: dict[str, str] = {
    # Cyrillic, uppercase
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Һ": "h",
    "Ү": "y", "Ӏ": "i", "Ԛ": "q", "Ԝ": "w", "Ԁ": "d", "Ь": "b", "З": "e",
    # Cyrillic, lowercase
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "һ": "h",
    "ү": "y", "ӏ": "i", "ԛ": "q", "ԝ": "w", "ԁ": "d", "ь": "b", "п": "n", "г": "r",
    "ѡ": "w", "з": "e",
    # Greek, uppercase (case decides: Η looks like H, η like n; Μ like M, μ like u)
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
    "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ϲ": "c", "Ϳ": "j",
    # Greek, lowercase
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    "ϳ": "j", "ϐ": "b",
    # Armenian
    "օ": "o", "ս": "u", "ո": "n", "հ": "h", "ց": "g", "զ": "q", "Օ": "o", "Ս": "u",
    # Cherokee capitals (case folding maps Cherokee small letters *to* these)
    "Ꭺ": "a", "Ᏼ": "b", "Ꮯ": "c", "Ꭰ": "d", "Ꭼ": "e", "Ꮐ": "g", "Ꮋ": "h", "Ꭻ": "j",
    "Ꮶ": "k", "Ꮮ": "i", "Ꮇ": "m", "Ꮲ": "p", "Ꮢ": "r", "Ꮪ": "s", "Ꭲ": "t", "Ꮩ": "v",
    "Ꮃ": "w", "Ꭹ": "y", "Ꮓ": "z",
    # Latin letters without a decomposition, and ligatures NFKC keeps
    "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "i", "Ł": "i",
    "ħ": "h", "Ħ": "h", "ı": "i", "ŧ": "t", "Ŧ": "t", "ƀ": "b", "ɨ": "i", "ƚ": "i",
    "ȼ": "c", "ɇ": "e", "ɉ": "j", "ɍ": "r", "ɏ": "y", "ʉ": "u", "ƶ": "z", "ɑ": "a",
    "ɡ": "g", "ɩ": "i", "ɪ": "i", "ʏ": "y", "ɵ": "o", "œ": "oe", "Œ": "oe", "æ": "ae",
    "Æ": "ae",
    # Digits and symbols used as letters ("adm1n", "$t@ff", "!nfo"); any script's digits are
    # first turned into ASCII digits, see _skeleton_char. 2, 6 and 9 stay digits.
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
    "@": "a", "$": "s", "!": "i", "|": "i", "€": "e",
    # I, l and 1 collide: everything that looks like a vertical bar becomes i.
    "l": "i", "L": "i",
}  # fmt: skip

_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)


def _strip_marks(s: str) -> str:
    """Canonical decomposition, then drop non-spacing and enclosing marks (accents)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", s) if unicodedata.category(ch) not in ("Mn", "Me"))


def _skeleton_char(ch: str) -> str:
    """Final per-character step: digits to ASCII, confusables, then keep letters/digits only."""
    cat = unicodedata.category(ch)
    if cat == "Nd":
        # Any script's decimal digit (Arabic-Indic ١, Devanagari १...) counts as its value.
        ch = str(unicodedata.decimal(ch))
        return _CONFUSABLES.get(ch, ch)
    if ch in _CONFUSABLES:
        return _CONFUSABLES[ch]
    if ch in INVISIBLES or ch in _NICK_ONLY_BLANKS:
        return ""
    # Keep letters, other numbers and spacing marks (vowel signs of Indic scripts); drop
    # separators, punctuation, symbols, controls and format characters.
    if cat[0] in ("L", "N") or cat == "Mc":
        return ch
    return ""


def _skeleton_once(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)  # fullwidth, mathematical letters, ligatures, ①
    s = _strip_marks(s)  # "É" -> "E" before the case-aware confusables table
    s = s.translate(_CONFUSABLE_TABLE)  # Cyrillic "А" -> "a", Greek "Η" -> "h"
    s = s.casefold()  # "ß" -> "ss", Cherokee small -> capital
    s = _strip_marks(s)  # case folding can produce marks ("İ" -> "i" + U+0307)
    return "".join(_skeleton_char(ch) for ch in s)


def skeleton(s: str) -> str:
    """Return the comparison key of a nickname or room name.

    Two names clash when their skeletons are equal: ``skeleton("Élodie") == skeleton("elodie")``,
    ``skeleton("Аdmin")`` (Cyrillic А) ``== skeleton("adm1n") == "admin"``. The key is only for
    comparison and is never shown. Steps: NFKC, strip accents, map lookalike letters and
    leetspeak digits/symbols to Latin, case fold, map I/l/1 to ``i``, then keep letters and
    digits only (separators, punctuation and invisible characters vanish).

    Idempotent: ``skeleton(skeleton(x)) == skeleton(x)``. The pipeline is applied until it
    reaches a fixed point (one pass is enough in practice; the loop makes it a guarantee
    rather than an observation).
    """
    for _ in range(8):
        nxt = _skeleton_once(s)
        if nxt == s:
            return s
        s = nxt
    return s  # pragma: no cover - not reached for any Unicode 14 input we know of


# --------------------------------------------------------------------------------------------
# Nicknames
# --------------------------------------------------------------------------------------------


def _nickname_chars_ok(nick: str) -> bool:
    """True when ``nick`` (already stripped and NFC) only holds allowed characters."""
    if not nick:
        return False
    first = unicodedata.category(nick[0])
    if not (first[0] == "L" or first == "Nd"):
        return False  # no leading separator (leading spaces were stripped)
    prev = ""
    for ch in nick:
        cat = unicodedata.category(ch)
        if ch in INVISIBLES or ch in BIDI_CONTROLS or ch in _NICK_ONLY_BLANKS:
            return False
        if ch == " ":
            # Single inner spaces only (leading/trailing ones were stripped).
            if prev == " ":
                return False
        elif ch in NICK_SEPARATORS or cat[0] == "L" or cat == "Nd":
            pass  # separators (even repeated: "x__x"), letters of any script, decimal digits
        elif cat == "Mc":
            # Spacing vowel signs of Indic scripts: only right after a letter or another one.
            if not prev or unicodedata.category(prev)[0] not in ("L", "M"):
                return False
        else:
            # Refused: Mn/Me (marks NFC could not fold into a precomposed letter: zalgo and
            # stray accents), Nl/No (①, Ⅻ, ²), every other space, punctuation, symbols, and
            # Cc/Cf/Cs/Co/Cn/Zl/Zp (controls, format, surrogates, private use, unassigned).
            return False
        prev = ch
    return True


def validate_nickname(raw: str, *, min_len: int, max_len: int) -> str:
    """Return the display nickname for ``raw``, or raise ``CauserieError``.

    The display form is ``raw`` stripped of surrounding whitespace, with typographic
    apostrophes (U+2019, U+02BC) turned into ``'``, NFC-normalised. Its length in code points
    must be within ``[min_len, max_len]`` (``NICKNAME_LENGTH``). It may hold letters of any
    script, decimal digits, the separators ``_ - . '`` and single inner spaces, and must start
    with a letter or a digit; anything else is ``NICKNAME_CHARS``: controls, bidi controls,
    zero-width and other invisible characters, Hangul fillers, braille blank, combining marks
    left over after NFC, symbols and emoji. A nickname whose skeleton is empty is refused too.

    Uniqueness (``NICKNAME_TAKEN``) and reserved names (``NICKNAME_RESERVED``) need state and
    are the caller's job: compare ``skeleton(result)`` and call :func:`is_reserved`.
    """
    nick = raw.strip()
    for typographic, ascii_ in _APOSTROPHES.items():
        nick = nick.replace(typographic, ascii_)
    nick = unicodedata.normalize("NFC", nick)
    if not min_len <= len(nick) <= max_len:
        raise CauserieError(ErrorCode.NICKNAME_LENGTH, data={"min": min_len, "max": max_len})
    if not _nickname_chars_ok(nick) or not skeleton(nick):
        raise CauserieError(ErrorCode.NICKNAME_CHARS)
    return nick


# --------------------------------------------------------------------------------------------
# Reserved names
# --------------------------------------------------------------------------------------------

#: Names nobody may take (or pass for). Checked on skeletons, see :func:`is_reserved`.
DEFAULT_RESERVED: tuple[str, ...] = (
    "admin", "administrateur", "administratrice", "administrator",
    "moderateur", "moderatrice", "moderator", "moderation", "modo", "mod",
    "causerie", "support", "staff", "system", "systeme", "root",
    "operateur", "operatrice", "operator", "webmaster",
    "police", "gendarme", "gendarmerie", "pharos",
    "official", "officiel", "equipe", "team", "bot", "help", "aide",
)  # fmt: skip

#: A reserved skeleton this short or shorter only matches exactly: "mod" refuses "Mod" and
#: "m0d" but not "modeste", "bot" refuses "B0T" but not "botaniste".
SHORT_RESERVED_LEN = 3


def reserved_skeletons(words: Iterable[str]) -> frozenset[str]:
    """Skeletons of ``words``, ready for :func:`is_reserved` (empty skeletons are dropped)."""
    return frozenset(k for k in (skeleton(w) for w in words) if k)


DEFAULT_RESERVED_SKELETONS: frozenset[str] = reserved_skeletons(DEFAULT_RESERVED)


def is_reserved(nick_skeleton: str, reserved_skeletons: frozenset[str]) -> bool:
    """True when a nickname skeleton is, starts with, or ends with a reserved skeleton.

    ``admin`` refuses "Admin", "Аdmin" (Cyrillic А), "adm1n", "admin_paris"; ``modo`` refuses
    "Modo_Paris" and "le.modo". A reserved word *inside* a name is fine ("badminton",
    "commodore"), and reserved skeletons of at most ``SHORT_RESERVED_LEN`` characters only
    match exactly (see above). Both arguments must already be skeletons.

    Known cost of the prefix/suffix rule: a few innocent names are refused, e.g. "Modou"
    (starts with "modo"), "Steam" (ends with "team"), "Adelaide" (ends with "aide").
    """
    if not nick_skeleton:
        return False
    if nick_skeleton in reserved_skeletons:
        return True
    # a reserved word the name starts or ends with is one of its prefixes or suffixes: as many set
    # look-ups as the name has characters, however many words are reserved
    for k in range(SHORT_RESERVED_LEN + 1, len(nick_skeleton) + 1):
        if nick_skeleton[:k] in reserved_skeletons or nick_skeleton[-k:] in reserved_skeletons:
            return True
    return False


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

# Every line break becomes "\n": CRLF, CR, VT, FF, NEL, LINE/PARAGRAPH SEPARATOR.
_NEWLINES_RE = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_BLANK_LINES_RE = re.compile("\n{4,}")  # more than two blank lines in a row
_WAVING_BLACK_FLAG = "\U0001f3f4"
_TAG_CANCEL = "\U000e007f"
_MAX_FLAG_TAGS = 7  # "gbsct" is 5 tags; ISO 3166-2 subdivision codes are short


def _is_tag_spec(ch: str) -> bool:
    """Tag digits and small letters, the only tags used in subdivision flags (🏴 gb eng ␡)."""
    cp = ord(ch)
    return 0xE0030 <= cp <= 0xE0039 or 0xE0061 <= cp <= 0xE007A


def _is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def _dropped_in_message(ch: str) -> bool:
    """Characters a message never keeps (ZWJ and tags are decided in context, not here)."""
    if ch in ("\n", "\t"):
        return False
    if ch in BIDI_CONTROLS or ch in INVISIBLES:
        return ch != ZWJ
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs"):
        # C0/C1 controls; lone surrogates cannot even be encoded as UTF-8.
        return True
    if cat == "Cf":
        # Format characters are invisible: soft hyphen, invisible operators, interlinear
        # annotation, and tag characters (used to smuggle hidden ASCII). ZWJ and the tags of
        # a subdivision flag are kept in context by _drop_invisibles.
        return ch != ZWJ and not 0xE0000 <= ord(ch) <= 0xE007F
    # Private use (Co) and code points unassigned in Python's Unicode database (Cn) are kept:
    # the latter include emoji newer than the interpreter. Noncharacters are not text.
    return _is_noncharacter(ord(ch))


# Fast paths of _clean (tests/unit/domain/test_text_fast.py checks them against the loops).
_LOW_LIMIT = "\u0300"
_LOW_DROPPED_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\xad]")  # after newlines became "\n"
_TAGS_START = "\U000e0000"
_TABLE_MAX = 8192  # cached code points per table; an attacker cycling through Unicode only refills it


class _DropTable(dict[int, "int | None"]):
    """A ``str.translate`` table filled on demand: ``None`` drops a code point, itself keeps it."""

    def __missing__(self, cp: int) -> int | None:
        if len(self) >= _TABLE_MAX:
            self.clear()
        value = None if _dropped_in_message(chr(cp)) else cp
        self[cp] = value
        return value


class _MarkTable(dict[str, bool]):
    """Whether a character is a combining mark, cached."""

    def __missing__(self, ch: str) -> bool:
        if len(self) >= _TABLE_MAX:
            self.clear()
        value = self[ch] = _is_mark(ch)
        return value


_DROP_TABLE = _DropTable()
_MARK_TABLE = _MarkTable()


def _base_category(chars: list[str], i: int) -> str:
    """Category of the nearest character before index ``i`` that is not a combining mark."""
    j = i - 1
    while j >= 0 and _is_mark(chars[j]):
        j -= 1
    return unicodedata.category(chars[j]) if j >= 0 else ""


def _drop_invisibles(text: str) -> str:
    """Drop controls, bidi controls and invisible characters, keeping two emoji devices.

    * ZWJ survives only between two emoji, so family/profession sequences (👩‍💻, 👨‍👩‍👧)
      still render: the previous non-mark character (skipping U+FE0F and friends) is a
      symbol (So) or a skin tone modifier (Sk), and the next one is a symbol.
    * Tag characters survive only as a subdivision flag: 🏴, up to seven tag digits or small
      letters, then CANCEL TAG (England, Scotland, Wales). Any other tag is dropped.
    """
    chars = [ch for ch in text if not _dropped_in_message(ch)]
    out: list[str] = []
    i = 0
    n = len(chars)
    while i < n:
        ch = chars[i]
        if ch == ZWJ:
            nxt = chars[i + 1] if i + 1 < n else ""
            # Cn counts as an emoji too: emoji newer than Python's Unicode database.
            if _base_category(chars, i) in ("So", "Sk", "Cn") and nxt and unicodedata.category(nxt) in ("So", "Cn"):
                out.append(ch)
            i += 1
            continue
        if 0xE0000 <= ord(ch) <= 0xE007F:
            i += 1  # a tag outside a valid flag sequence (those are consumed below)
            continue
        out.append(ch)
        i += 1
        if ch == _WAVING_BLACK_FLAG:
            j = i
            while j < n and j - i < _MAX_FLAG_TAGS and _is_tag_spec(chars[j]):
                j += 1
            if j > i and j < n and chars[j] == _TAG_CANCEL:
                out.extend(chars[i : j + 1])
                i = j + 1
    return "".join(out)


def _cap_marks(text: str, max_combining: int) -> str:
    """Keep at most ``max_combining`` combining marks (Mn, Mc, Me) after each base character.

    A run of marks with no base (at the start of the text) is capped the same way.
    """
    out: list[str] = []
    run = 0
    for ch in text:
        if _is_mark(ch):
            run += 1
            if run > max_combining:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def _clean(text: str, max_combining: int) -> str:
    """Steps shared by messages and lines; the order matters for idempotence.

    Invisible characters go *before* NFC (a zero-width space between "e" and U+0301 would
    otherwise block the composition, and dropping it later would leave a non-NFC string),
    and marks are capped *after* NFC (NFC folds "e" + U+0301 into "é", which is then not a
    mark; it can also decompose composition-excluded letters, adding a mark).

    Dropping marks can in turn unblock a composition: Hangul "뒈" + U+0301 + jamo U+11B3 is
    NFC, but without the accent the syllable and the jamo compose. So when the cap dropped
    something, normalise and cap again. Each round only shortens the text, and a round that
    drops nothing ends the loop (in practice after one extra round, and only for such text).
    """
    if max_combining < 0:
        raise ValueError("max_combining must be >= 0")
    text = _NEWLINES_RE.sub("\n", text)
    top = max(text) if text else ""
    if top < _LOW_LIMIT:
        # Fast path (most chat lines): below U+0300 there is no combining mark and nothing that
        # NFC changes, and the only characters to drop are C0/C1 controls and the soft hyphen.
        return _LOW_DROPPED_RE.sub("", text)
    # ZWJ and tags are decided in context (the loop); otherwise the same filter as a cached table
    text = _drop_invisibles(text) if ZWJ in text or top >= _TAGS_START else text.translate(_DROP_TABLE)
    text = unicodedata.normalize("NFC", text)
    while True:
        if not any(map(_MARK_TABLE.__getitem__, text)):
            return text
        capped = _cap_marks(text, max_combining)
        if capped == text:
            return text
        text = unicodedata.normalize("NFC", capped)


def sanitize_message(text: str, *, max_combining: int) -> str:
    """Return the form of a chat message that is stored and broadcast.

    Line breaks become ``\\n``; C0/C1 controls other than ``\\n`` and ``\\t``, lone
    surrogates, noncharacters, bidi controls (U+202A–U+202E, U+2066–U+2069, U+061C) and
    invisible characters (U+200B–U+200F, U+2060, U+FEFF, Hangul fillers, other format
    characters) are dropped, except ZWJ inside emoji sequences and subdivision-flag tags. The
    text is NFC-normalised, each base character keeps at most ``max_combining`` combining
    marks (zalgo), trailing whitespace is removed from each line, more than two blank lines in
    a row become two, and the whole text is stripped. An empty result means "nothing to say":
    the caller refuses it with ``MESSAGE_EMPTY``. Pure and idempotent.
    """
    if text.isascii() and text.isprintable() and max_combining >= 0:
        return text.strip()  # the common case: one line, nothing to drop, nothing NFC changes
    text = _clean(text, max_combining)
    if "\n" in text:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = _BLANK_LINES_RE.sub("\n\n\n", text)
    return text.strip()


def sanitize_line(text: str, *, max_combining: int) -> str:
    """Like :func:`sanitize_message`, on one line: for room names and topics.

    Every run of whitespace (newlines, tabs, no-break and ideographic spaces included) becomes
    a single ASCII space, and the result is stripped. Pure and idempotent.
    """
    return " ".join(_clean(text, max_combining).split())


# --------------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------------

MAX_MENTIONS = 20
_MENTION_TRAILING = ".'-"


def _is_nick_char(ch: str) -> bool:
    if ch in NICK_SEPARATORS or ch in _APOSTROPHES:
        return True
    cat = unicodedata.category(ch)
    return cat[0] == "L" or cat == "Nd" or cat == "Mc"


def _starts_nick(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] == "L" or cat == "Nd"


def find_mentions(text: str) -> list[str]:
    """Return the nicknames mentioned as ``@nick`` in ``text``, in order, at most 20.

    A mention is ``@`` at the start of the text or after a character that is not a letter,
    digit or mark (so ``bob@example.org`` is not one), followed by a letter or digit and then
    nickname characters (letters, digits, ``_ - . '``). Trailing ``.``, ``'`` and ``-`` are
    punctuation of the sentence ("merci @Élodie." gives "Élodie"), and typographic apostrophes
    become ``'`` as in :func:`validate_nickname`. Nicknames with inner spaces cannot be
    mentioned this way. Mentions are deduplicated by skeleton, keeping the first spelling, so
    "@Bob @b0b" counts once; resolving them to accounts is the caller's job.
    """
    found: list[str] = []
    seen: set[str] = set()
    n = len(text)
    i = text.find("@")
    while i != -1 and len(found) < MAX_MENTIONS:
        start = i + 1
        prev = text[i - 1] if i > 0 else ""
        if (not prev or unicodedata.category(prev)[0] not in ("L", "N", "M")) and (
            start < n and _starts_nick(text[start])
        ):
            end = start
            while end < n and _is_nick_char(text[end]):
                end += 1
            nick = text[start:end]
            for typographic, ascii_ in _APOSTROPHES.items():
                nick = nick.replace(typographic, ascii_)
            nick = nick.rstrip(_MENTION_TRAILING)
            key = skeleton(nick)
            if key and key not in seen:
                seen.add(key)
                found.append(nick)
            i = text.find("@", end)
        else:
            i = text.find("@", start)
    return found
