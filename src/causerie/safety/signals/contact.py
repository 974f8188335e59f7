"""Phone numbers in chat text, written with digits or in words (``zéro six, douze, …``).

May import: stdlib, ``phonenumbers``.

A candidate is a run of at least 8 digits, possibly separated by spaces, dots, dashes or
slashes (``06 12 34 56 78``, ``0 6 1 2 …``, ``+44 7911 123456``), or a run of number words in
French or English. It counts when libphonenumber says it is a *valid* number in one of the
configured regions, or a *possible* one next to a phone cue ("appelle", "call me", "tel").
Post codes, big counts (``1 250 000 vues``) and order numbers are not valid numbers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import phonenumbers

__all__ = ["DEFAULT_REGIONS", "find_phone_number", "number_words_to_digits"]

DEFAULT_REGIONS: tuple[str, ...] = ("FR", "BE", "CH", "GB", "US", "CA")

_CANDIDATE = re.compile(r"(?<![\w/])(?:\+|00)?\d(?:[ .\-/]{0,2}\(?\d\)?){7,16}(?![\w/])")
_PHONE_CUE = re.compile(
    r"\b(?:tel|telephone|portable|num|numero|appelle|appel|sms|texto|call me|text me|phone|my number|your number"
    r"|whatsapp|mobile|cell)\b"
)
_NOT_A_PHONE = re.compile(
    r"\b(?:commande|order|suivi|tracking|colis|facture|invoice|ref|reference|siret|iban|dossier)\b"
)
_DIGIT_WORDS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_WORD_RUN = re.compile(r"\b(?:(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + r"|et)\b[\s,.\-]*){5,}")


def number_words_to_digits(words: Sequence[str]) -> str:
    """Digits spelled in French or English words, two-digit groups included (``soixante dix huit`` → 78)."""
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        if w == "et" or w not in _DIGIT_WORDS:
            i += 1
            continue
        v = _DIGIT_WORDS[w]
        nxt = words[i + 1] if i + 1 < n else ""
        if w == "quatre" and nxt == "vingt":  # quatre-vingt(-dix) …
            v, i = 80, i + 1
            nxt = words[i + 1] if i + 1 < n else ""
        if v >= 20 and v % 10 == 0 and v < 100:
            j = i + 1
            if j < n and words[j] == "et":
                j += 1
            if j < n and words[j] in _DIGIT_WORDS and (v in (60, 80) and 1 <= _DIGIT_WORDS[words[j]] <= 16):
                # soixante-dix-huit, quatre-vingt-douze: 60/80 + 10..19 (dix, dix-huit are two words)
                extra = _DIGIT_WORDS[words[j]]
                if extra == 10 and j + 1 < n and words[j + 1] in _DIGIT_WORDS and _DIGIT_WORDS[words[j + 1]] < 10:
                    extra += _DIGIT_WORDS[words[j + 1]]
                    j += 1
                out.append(f"{v + extra:02d}")
                i = j + 1
                continue
            if j < n and words[j] in _DIGIT_WORDS and 1 <= _DIGIT_WORDS[words[j]] <= 9:
                out.append(f"{v + _DIGIT_WORDS[words[j]]:02d}")
                i = j + 1
                continue
            out.append(f"{v:02d}")
            i += 1
            continue
        if v == 10 and nxt in _DIGIT_WORDS and 7 <= _DIGIT_WORDS[nxt] <= 9:  # dix-sept … dix-neuf
            out.append(str(10 + _DIGIT_WORDS[nxt]))
            i += 2
            continue
        out.append(str(v))
        i += 1
    return "".join(out)


_NANP = frozenset({"US", "CA"})
_NOT_DIGIT_OR_PLUS = re.compile(r"[^\d+]")
_FRENCH = re.compile(r"(?:0|\+33)[1-79]\d{8}")


@functools.lru_cache(maxsize=4096)
def _valid(digits: str, regions: tuple[str, ...], cue: bool) -> bool:
    """Whether ``digits`` is a phone number: valid in a region, or possible next to a cue.

    An international number (``+``/``00``) is parsed once. A national one is tried in the
    regions its shape suggests first (a leading 0: Europe; ten digits without: North America).
    Cached: bots repeat the same number.
    """
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if "FR" in regions and _FRENCH.fullmatch(digits):
        return True  # the common case, without a parse (a French mobile or landline number)
    if digits.startswith("+"):
        order: tuple[str | None, ...] = (None,)
    elif digits.startswith("0"):
        order = tuple(r for r in regions if r not in _NANP)  # a trunk 0: not North America
    elif len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        order = tuple(r for r in regions if r in _NANP)  # (NXX) NXX-XXXX
    else:
        return False  # a national number has a trunk 0 in the other regions: an order number, a count
    for region in order:
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        # Next to a cue a possible number is enough: test that first, it costs a length check
        # where validity matches the number against every pattern of its region.
        if cue and phonenumbers.is_possible_number(number):
            return True
        if phonenumbers.is_valid_number(number):
            return True
        if region is None:
            break
    return False


def find_phone_number(plain: str, regions: Sequence[str] = DEFAULT_REGIONS) -> str | None:
    """The phone number written in ``plain`` (as found), or None."""
    raw = plain.encode()
    if len(raw) - len(raw.translate(None, b"0123456789")) < 8:
        return _spelled_number(plain, regions)
    cue = None
    for m in _CANDIDATE.finditer(plain):
        digits = _NOT_DIGIT_OR_PLUS.sub("", m.group())
        count = len(digits) - digits.count("+")
        if count < 8:
            continue
        if cue is None:
            cue = bool(_PHONE_CUE.search(plain)) and not _NOT_A_PHONE.search(plain)
        if (count >= 9 or cue) and _valid(digits, tuple(regions), cue):
            return m.group().strip()
    return _spelled_number(plain, regions)


def _spelled_number(plain: str, regions: Sequence[str]) -> str | None:
    if "zero" in plain or "six" in plain or "sept" in plain or "oh " in plain:
        for m in _WORD_RUN.finditer(plain):
            words = re.findall(r"[a-z]+", m.group())
            digits = number_words_to_digits(words)
            if len(digits) >= 8 and _valid(digits, tuple(regions), True):
                return m.group().strip(" ,.-")
    return None
