"""Minor self-disclosure: a user says or implies they are under 18.

May import: stdlib, ``pyahocorasick``.

Reads the ``plain`` form (digits and apostrophes kept). Tells apart a self-disclosure from a
duration, a child's age, a past age or a teacher's class:

* minor:     "j'ai 13 ans", "jai 14ans", "je suis en 5e", "je suis au collège", "ma mère veut
             pas que je sorte", "i'm 15", "14 yo here", "i'm in 8th grade", "my mom won't let me"
* not minor: "j'ai 13 ans de métier / d'expérience / de plus que toi", "ma fille a 13 ans",
             "instit en CM2", "je suis en 3e année", "quand j'avais 15 ans", "I'm 15 minutes
             away", "I teach 7th grade", "my son is 14 years old"

Every finding carries the phrase that matched, for the moderator.
"""

from __future__ import annotations

import re
from typing import Any

import ahocorasick

__all__ = ["answers_age_question", "find_minor_disclosure"]

_AGE_FR = r"(?:1[0-7]|[89]|dix|onze|douze|treize|quatorze|quinze|seize|dix[- ]?sept)"
_AGE_EN = r"(?:1[0-7]|[89]|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)"

# "j'ai 13 ans" — not followed by "de"/"d'" (duration: "13 ans de métier", "d'expérience").
_FR_HAVE_AGE = re.compile(
    rf"(?:\bj'? ?ai|\bjai|\bg|\bmoi j'?ai|\bj'? ?ai eu|\bjai eu|\bj'? ?ai bientot|\bj'? ?ai que|\bj'? ?ai seulement|\bj'? ?ai juste)"
    rf"\s*(?:eu\s+|bientot\s+|que\s+|seulement\s+|juste\s+)?\b{_AGE_FR}\s*(?:ans?|a)\b(?!\s*(?:de\b|d'|d\s|des\b|du\b|dans\b|a\s+rattraper))"
)
# "moi c'est léa, 15 ans", "14 ans et toi", "moi 13 ans" — an age given as an introduction.
_FR_INTRO_AGE = re.compile(rf"(?:^|,|\bmoi)\s*\b{_AGE_FR}\s*ans?\b(?!\s*(?:de\b|d'|d\s|des\b))")
_FR_SCHOOL = re.compile(
    r"\b(?:je suis|jsuis|j'? ?suis|chui|jsui|je suis encore|je rentre|je passe|je vais)\s+(?:en|au|a la)\s+"
    r"(?:(?:6|5|4|3)\s*(?:e|eme|ieme|em)\b|sixieme|cinquieme|quatrieme|troisieme|seconde|2nde|premiere|1ere|1re"
    r"|cm1|cm2|ce1|ce2|college|lycee|primaire)"
    r"(?!\s*(?:annee|position|place|rang|saison|semaine|jour|ligne|division|etage|classe\b))"
)
_FR_BREVET = re.compile(r"\b(?:j'? ?ai|jai|g|je passe|on passe|j'? ?ai mon|j'? ?ai le)\s+(?:le\s+|mon\s+)?brevet\b")
_FR_PARENTS = re.compile(
    r"\b(?:ma mere|ma daronne|ma maman|ma mer|mon pere|mon daron|mon papa|mes parents|mes darons|mes vieux)\s+"
    r"(?:(?:ne\s+)?(?:veut|veulent|voudra|voudront)\s+(?:pas|jamais)\s+que\s+(?:je|j'? ?)\s*"
    r"(?:sorte|sortes|aille|ailles|parle|voie|vois|reste|dorme|aie|ai|traine|sors|fasse|rentre|ai)\b"
    r"|(?:ne\s+)?(?:me\s+)?(?:laisse|laissent)\s+(?:pas|jamais)\b"
    r"|m'? ?(?:a|ont)\s+(?:pris|confisque|confisquee|prive|supprime)\s+(?:mon|ma|de)\s+"
    r"(?:tel|telephone|portable|phone|console|ordi|snap|insta|compte)"
    r"|m'? ?(?:a|ont)\s+puni)"
)
_EN_I_AM = re.compile(
    rf"\b(?:i'?m|i am|im|i just turned|just turned|i'?m turning|i turn)\s+(?:only\s+|just\s+|barely\s+)?{_AGE_EN}\b"
    rf"(?:\s*(?:years?\s*old|yrs?\s*old|yo|y/o|yrs?))?"
    r"(?!\s*(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?\s+(?:into|in|of|at|with|since)|km|miles?|mi\b"
    r"|m\b|cm|ft|feet|inch|inches|kg|lbs?|pounds|%|percent|points?|dollars|bucks|euros|quid|x\b|times|seconds|secs?"
    r"|away|late|behind|ahead|k\b|games?|levels?|episodes?|chapters?|pages?|steps?|stops?|floors?|th\b|st\b|nd\b|rd\b))"
)
_EN_YO = re.compile(
    rf"^(?:(?:hi|hey|hello|salut|coucou|yo)\b[ ,!.]*)?(?:[fmhg]\s*)?{_AGE_EN}\s*(?:yo|y/o|years? old|yrs? old|ans)\b"
)
_EN_SCHOOL = re.compile(
    r"\b(?:i'?m|im|i am)\s+(?:only\s+|still\s+)?(?:in|a|at)\s+(?:(?:6|7|8|9|10|11|sixth|seventh|eighth|ninth|tenth|eleventh)"
    r"(?:th)?\s+grade|grade\s+(?:6|7|8|9|10|11)|year\s+(?:[6-9]|1[01])\b|middle school|junior high|high school|primary school"
    r"|elementary school|(?:freshman|sophomore|junior)\s+in\s+high\s+school)"
)
_EN_PARENTS = re.compile(
    r"\bmy (?:mom|mum|mother|dad|father|parents|mommy|mam)\s+(?:(?:won'?t|wont|doesn'?t|dont|don'?t|will not|never)\s+"
    r"(?:let|lets|allow)\s+me\b(?!\s+(?:forget|hear the end|live it down))|(?:took|takes|confiscated|grounded|blocked)\s+(?:my|me)\b)"
    r"|\bi'?m grounded\b|\bim grounded\b"
)

# Someone else's age, or the past: "ma fille a 13 ans", "quand j'avais 15 ans", "my son is 14".
_THIRD_PERSON = re.compile(
    r"\b(?:fils|fille|filles|enfant|enfants|niece|neveu|frere|soeur|cousin|cousine|gamin|gamine|gosse|gosses|eleve|eleves"
    r"|petit|petite|son|daughter|kid|kids|child|children|brother|sister|nephew|niece|students?|pupils?|quand j'? ?avais"
    r"|quand j'? ?etais|a l'epoque|when i was|back when|il a|elle a|he is|she is|he's|she's|il est|elle est)\b"
)
# Adult context that cancels a parents' phrase: "ma mère veut pas que je vende sa maison".
_ADULT_CONTEXT = re.compile(
    r"\b(?:mon mari|ma femme|mon epoux|mes enfants|ma maison|sa maison|mon boulot|mon travail|my husband|my wife|my kids"
    r"|my job|i'?m (?:[2-9]\d)|j'? ?ai (?:[2-9]\d) ans)\b"
)

_PATTERNS: tuple[tuple[str, re.Pattern[str], bool, tuple[str, ...]], ...] = (
    # (name, regex, check the words before the match for someone else's age, words one of which
    # must be in the text for the regex to be worth running)
    ("age_fr", _FR_HAVE_AGE, False, ("#",)),
    ("age_intro_fr", _FR_INTRO_AGE, True, ("#",)),
    ("school_fr", _FR_SCHOOL, False, ("suis", "chui", "jsui", "rentre", "passe", "vais")),
    ("brevet_fr", _FR_BREVET, False, ("brevet",)),
    ("parents_fr", _FR_PARENTS, False, ("mer", "daron", "maman", "pere", "papa", "parents", "vieux")),
    ("age_en", _EN_I_AM, False, ("i'm", "im ", "i am", "turn")),
    ("age_intro_en", _EN_YO, True, ("#",)),
    ("school_en", _EN_SCHOOL, False, ("grade", "school", "year", "high", "junior")),
    ("parents_en", _EN_PARENTS, False, ("my ", "grounded")),
)

_NUMBER_WORDS = (
    "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize", "eight", "nine", "ten", "eleven",
    "twelve", "teen",
)  # fmt: skip

_AGE_ANSWER = re.compile(
    rf"^\s*(?:moi\s+|j'? ?ai\s+|jai\s+|g\s+|i'?m\s+|im\s+|i am\s+)?{_AGE_FR.replace(')', '|' + _AGE_EN[3:-1] + ')', 1)}"
    r"\s*(?:ans?|a|yo|y/o|years?(?: old)?)?\s*(?:et toi|and you|wbu|hbu|you\??|toi\??|,|\?|!|\.|$)"
)


def _needle_automaton() -> Any:
    """One pass finds which patterns are worth running: needle -> bit mask of the patterns it allows."""
    masks: dict[str, int] = {}
    for i, (_, _, _, needles) in enumerate(_PATTERNS):
        if needles == ("#",):
            continue
        for needle in needles:
            masks[needle] = masks.get(needle, 0) | (1 << i)
    for word in _NUMBER_WORDS:
        masks[word] = masks.get(word, 0) | _NUMBERS
    automaton = ahocorasick.Automaton()
    for needle, mask in masks.items():
        automaton.add_word(needle, mask)
    automaton.make_automaton()
    return automaton


_NUMBERS = 1 << len(_PATTERNS)  # a number written in words
_AGE_PATTERNS = sum(1 << i for i, p in enumerate(_PATTERNS) if p[3] == ("#",))
_NEEDLES = _needle_automaton()


def find_minor_disclosure(plain: str) -> tuple[str, str] | None:
    """``(pattern name, matched phrase)`` when ``plain`` discloses a minor's age, else None."""
    wanted = 0
    for _, mask in _NEEDLES.iter(plain):
        wanted |= mask
    if wanted & _NUMBERS or "1" in plain or "8" in plain or "9" in plain:
        wanted |= _AGE_PATTERNS  # an age (8 to 17): needs a number, in words or with a 1, an 8 or a 9
    if not wanted:
        return None
    for i, (name, regex, check_before, _) in enumerate(_PATTERNS):
        if not wanted & (1 << i):
            continue
        m = regex.search(plain)
        if m is None:
            continue
        before = plain[max(0, m.start() - 30) : m.start()]
        if check_before and _THIRD_PERSON.search(before):
            continue
        if name.startswith("parents") and _ADULT_CONTEXT.search(plain):
            continue
        if name.startswith("age") and _THIRD_PERSON.search(plain[max(0, m.start() - 12) : m.start()]):
            continue
        return name, m.group().strip()
    return None


def answers_age_question(plain: str) -> str | None:
    """The age phrase when ``plain`` is a bare answer to "how old are you" with a minor's age."""
    m = _AGE_ANSWER.search(plain)
    return m.group().strip() if m else None
