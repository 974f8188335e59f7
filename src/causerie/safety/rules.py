"""Rules: loading rule files, compiling them into one Aho–Corasick automaton, matching.

May import: stdlib, ``pyahocorasick``, ``causerie.safety.normalize``, ``causerie.safety.verdict``.

Rule files are read from folders in order: the packaged defaults (``safety/rules/``), then the
operator's folder (setting ``safety_rules_dir``). In each folder, files are read in name order.

TOML files (``*.toml``)::

    [lexicons]                       # named word lists
    sale = ["vends", "livraison", "le g", "dispo*"]
    [lexicons.drug]                  # the long form, with options
    terms = ["cocaine", "heroine"]
    squash = true                    # also found across separators: "co.caine", "keta mine"
    # replace = true                 # in an operator file: replace the list instead of extending it

    [regexes]                        # named regular expressions, for the few rules that need them
    price = '\\d+ ?(?:€|euros?)'      # run on the "plain" form; {pattern = "…", on = "match"} too
                                     # (the match form has no doubled letters: write "whatsap")

    [[rules]]
    id = "drug_sale.offer"           # a later file with the same id replaces the rule
    category = "drug_sale"
    action = "hold"                  # block | hold | flag | allow | cue
    scope = "all"                    # or a list of: rooms, dms, nicknames, room_names
    match = ["@drug", "@sale"]       # every group must match: "@lexicon", "re:regex" or [terms]
    unless = ["@harm_reduction"]     # the rule does not fire when one of these matches
    weight = 1.0                     # contribution to the score (0 to 1)
    # enabled = false                # an operator file can switch a default rule off

``terms = [...]`` and ``regex = "..."`` are shorthands for one more group in ``match``.

Terms are whole words or phrases; ``stem*`` matches a word start and ``*end`` a word end. They
are normalised like messages (:mod:`causerie.safety.normalize`), so ``héroïne`` also finds
``h3r01ne`` and ``H E R O I N E``. **Allow** rules are exceptions and win: the words they match
cannot count for another rule (``coca cola`` keeps ``coca`` from counting as a drug), and the
categories they list (``categories = ["drug_sale"]``) are dropped from the whole message.
**Cue** rules give no verdict: they feed an analyser (``cue = "ask_age"``), see ``signals/``.

Plain text files (``<category>.<action>.txt``, e.g. ``drug_sale.hold.txt``; ``*.allow.txt``
for exceptions) hold one term per line (``#`` starts a comment): each file is one rule.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick

from causerie.safety.normalize import Normalized, normalize_term
from causerie.safety.verdict import CATEGORIES, Action

__all__ = [
    "DEFAULT_RULES_DIR",
    "SCOPES",
    "WHERE",
    "Evaluation",
    "Rule",
    "RuleError",
    "RuleHit",
    "RuleSet",
    "load_ruleset",
    "rule_files",
]

DEFAULT_RULES_DIR = Path(__file__).resolve().parent / "rules"

#: Scopes a rule can apply to, and the ``where`` of a text that selects each.
SCOPES: frozenset[str] = frozenset({"rooms", "dms", "nicknames", "room_names"})
WHERE: Mapping[str, str] = {"room": "rooms", "dm": "dms", "nickname": "nicknames", "room_name": "room_names"}

#: Squashed matching (across separators) is only for long terms: short ones would be found
#: across word boundaries by chance.
SQUASH_MIN_CHARS = 6

_DOUBLED_LETTER = re.compile(r"([a-z])\1")
_ACTIONS = {"block", "hold", "flag", "allow", "cue"}
_RULE_KEYS = {
    "id",
    "category",
    "action",
    "cue",
    "scope",
    "match",
    "terms",
    "regex",
    "unless",
    "categories",
    "weight",
    "enabled",
    "description",
}


class RuleError(ValueError):
    """A rule file that cannot be used (the message names the file and the problem)."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: str  # a category, or for cue rules the analyser fed ("grooming", "meetup")
    action: Action | None  # None for cue rules
    cue: str | None
    scopes: frozenset[str]
    groups: tuple[int, ...]
    unless: tuple[int, ...]
    suppress: frozenset[str]  # allow rules: categories dropped from the whole message
    weight: float
    description: str
    source: str


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: Rule
    matched: tuple[str, ...]


@dataclass(slots=True)
class Evaluation:
    """What the rules found in one text."""

    hits: list[RuleHit] = field(default_factory=list)  # verdict rules (block/hold/flag)
    cues: dict[str, list[str]] = field(default_factory=dict)  # cue name -> matched words
    suppressed: set[str] = field(default_factory=set)  # categories an allow rule dropped
    allowed: list[RuleHit] = field(default_factory=list)  # allow rules that matched

    def has_cue(self, *names: str) -> bool:
        return any(n in self.cues for n in names)


# -- loading ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Lexicon:
    terms: list[str]
    squash: bool
    source: str


@dataclass(slots=True)
class _Regex:
    pattern: str
    on: str
    source: str


@dataclass(slots=True)
class _Sources:
    lexicons: dict[str, _Lexicon] = field(default_factory=dict)
    regexes: dict[str, _Regex] = field(default_factory=dict)
    rules: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)


def rule_files(dirs: Iterable[Path]) -> list[Path]:
    """The rule files of ``dirs``, in reading order (folder order, then file name)."""
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files.extend(sorted(p for p in d.iterdir() if p.suffix in (".toml", ".txt") and p.is_file()))
    return files


def _as_str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}: expected a list of strings")
    return list(value)


def _read_toml(path: Path, into: _Sources) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path.name}: {exc}") from exc
    unknown = set(data) - {"lexicons", "regexes", "rules"}
    if unknown:
        raise RuleError(f"{path.name}: unknown section(s) {sorted(unknown)}")
    for name, spec in data.get("lexicons", {}).items():
        where = f"{path.name}: lexicon {name!r}"
        if isinstance(spec, dict):
            terms = _as_str_list(spec.get("terms", []), where)
            squash = bool(spec.get("squash", False))
            replace = bool(spec.get("replace", False))
        else:
            terms, squash, replace = _as_str_list(spec, where), False, False
        old = into.lexicons.get(name)
        if old is None or replace:
            into.lexicons[name] = _Lexicon(terms, squash, path.name)
        else:
            old.terms.extend(terms)
            old.squash = old.squash or squash
    for name, spec in data.get("regexes", {}).items():
        if isinstance(spec, str):
            into.regexes[name] = _Regex(spec, "plain", path.name)
        elif isinstance(spec, dict) and isinstance(spec.get("pattern"), str):
            on = spec.get("on", "plain")
            if on not in ("plain", "match"):
                raise RuleError(f"{path.name}: regex {name!r}: `on` must be plain or match")
            into.regexes[name] = _Regex(spec["pattern"], on, path.name)
        else:
            raise RuleError(f"{path.name}: regex {name!r}: expected a string or {{pattern = …}}")
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise RuleError(f"{path.name}: `rules` must be an array of tables ([[rules]])")
    for raw in rules:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise RuleError(f"{path.name}: every rule needs an `id`")
        unknown_keys = set(raw) - _RULE_KEYS
        if unknown_keys:
            raise RuleError(f"{path.name}: rule {raw['id']!r}: unknown key(s) {sorted(unknown_keys)}")
        into.rules[raw["id"]] = (raw, path.name)


def _read_txt(path: Path, into: _Sources) -> None:
    parts = path.name.split(".")
    if (len(parts) == 3 and parts[1] == "allow") or (len(parts) == 2 and parts[0] == "allow"):
        category, action = "", "allow"
    elif len(parts) == 3 and parts[1] in ("block", "hold", "flag"):
        category, action = parts[0], parts[1]
    else:
        raise RuleError(f"{path.name}: name a word list <category>.<action>.txt or <name>.allow.txt")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path.name}: {exc}") from exc
    terms = [t for t in (line.split("#", 1)[0].strip() for line in lines) if t]
    lex = f"file:{path.stem}"
    into.lexicons[lex] = _Lexicon(terms, False, path.name)
    raw: dict[str, Any] = {"id": lex, "action": action, "match": [f"@{lex}"]}
    if category:
        raw["category"] = category
    into.rules[lex] = (raw, path.name)


# -- compiling -------------------------------------------------------------------------------

# What the automaton stores for a key: (key length, ((group id, term, left pad, right pad), …),
# the group ids as a set).
_Payload = tuple[int, tuple[tuple[int, str, int, int], ...], frozenset[int]]


@dataclass(frozen=True, slots=True)
class _CompiledRegex:
    regex: re.Pattern[str]
    on_match: bool
    needs: re.Pattern[str] | None = None  # characters one of which every match contains (a cheap pre-test)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A rule prepared for matching: its word lists as a set, its regexes apart."""

    rule: Rule
    lexicons: frozenset[int]
    regexes: tuple[int, ...]
    unless_lexicons: frozenset[int]
    unless_regexes: tuple[int, ...]
    other: bool  # anything to test besides the word lists (regexes, exceptions)


# -- the pre-test of a regex: a character class that every match must contain -----------------
# Found from the parsed pattern: a sequence needs what one of its required items needs, an
# alternation the union of what each branch needs. Used only when the class holds no letter,
# no space and no broad category (a digit, a currency sign, an emoji, "/" …): then most chat
# has none of them and the regex is not run at all.

# The regex parser's private modules (stable since 3.11; untyped): only read at load time.
_sre_parse: Any = importlib.import_module("re._parser")
_sre_c: Any = importlib.import_module("re._constants")
_Need = tuple[str, ...]  # pieces of a character class ("0-9", "\\d", "€"), or () for "nothing known"
_CATEGORIES = {_sre_c.CATEGORY_DIGIT: "\\d"}


def _need_of_item(op: Any, av: Any) -> _Need | None:
    if op is _sre_c.LITERAL:
        return (re.escape(chr(av)),)
    if op is _sre_c.IN:
        parts: list[str] = []
        for iop, iav in av:
            if iop is _sre_c.LITERAL:
                parts.append(re.escape(chr(iav)))
            elif iop is _sre_c.RANGE:
                parts.append(f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}")
            elif iop is _sre_c.CATEGORY and iav in _CATEGORIES:
                parts.append(_CATEGORIES[iav])
            else:
                return None  # a negated class, \w, \s …: anything goes
        return tuple(parts)
    if op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, _sre_c.POSSESSIVE_REPEAT):
        lo, _, sub = av
        return _need_of_sequence(sub) if lo >= 1 else None
    if op is _sre_c.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        if (add_flags | del_flags) & (re.IGNORECASE | re.VERBOSE):
            return None
        return _need_of_sequence(sub)
    if op is _sre_c.ATOMIC_GROUP:
        return _need_of_sequence(av)
    if op is _sre_c.BRANCH:
        union: list[str] = []
        for branch in av[1]:
            need = _need_of_sequence(branch)
            if need is None:
                return None
            union.extend(p for p in need if p not in union)
        return tuple(union)
    return None  # zero-width (\b, lookarounds), any character, back-references: nothing required


def _broad(need: _Need) -> bool:
    """True when the class would be found in almost any text (letters, spaces)."""
    cls = re.compile("[" + "".join(need) + "]")
    return any(cls.search(c) for c in "abcdefghijklmnopqrstuvwxyz ")


def _need_of_sequence(items: Any) -> _Need | None:
    best: _Need | None = None
    for op, av in items:
        need = _need_of_item(op, av)
        if need is None:
            continue
        if best is None or (_broad(best), len(best)) > (_broad(need), len(need)):
            best = need
    return best


def _needs(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The pre-test of ``pattern`` (see above), or None when it would not save anything."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        need = _need_of_sequence(_sre_parse.parse(pattern.pattern, pattern.flags))
    except Exception:  # pragma: no cover - a private module's shape changed: no pre-test
        return None
    if not need or _broad(need):
        return None
    return re.compile("[" + "".join(need) + "]")


class RuleSet:
    """Compiled rules: immutable, shared by every check until the next reload."""

    def __init__(self, sources: _Sources, files: Sequence[Path]) -> None:
        self.files = tuple(files)
        self._group_ids: dict[str, int] = {}
        self._lexicon_terms: list[list[str]] = []  # by group id (lexicon groups come first)
        self._lexicon_squash: list[bool] = []
        self._regexes: dict[int, _CompiledRegex] = {}
        self.lexicons = {name: list(lex.terms) for name, lex in sources.lexicons.items()}
        for name, lex in sources.lexicons.items():
            self._add_lexicon(f"@{name}", lex.terms, lex.squash)
        rules: list[Rule] = []
        for rule_id, (raw, source) in sources.rules.items():
            if raw.get("enabled", True) is False:
                continue
            rules.append(self._compile_rule(rule_id, raw, source, sources))
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.pattern_count = 0
        self._automaton = self._build(squashed=False)
        self._squash_automaton = self._build(squashed=True)
        self._allow_rules = tuple(r for r in self.rules if r.action is Action.ALLOW)
        self._allow_plans = tuple(self._plan(r) for r in self._allow_rules)
        self._by_first_lexicon: dict[int, list[_Plan]] = {}
        self._always: list[_Plan] = []  # rules made only of regexes
        for r in self.rules:
            if r.action is Action.ALLOW:
                continue
            lex_groups = [g for g in r.groups if g not in self._regexes]
            if lex_groups:
                self._by_first_lexicon.setdefault(lex_groups[0], []).append(self._plan(r))
            else:
                self._always.append(self._plan(r))
        self._allow_groups = frozenset(g for r in self._allow_rules for g in r.groups)

    # -- compiling helpers

    def _plan(self, rule: Rule) -> _Plan:
        regexes = tuple(g for g in rule.groups if g < 0)
        return _Plan(
            rule,
            frozenset(g for g in rule.groups if g >= 0),
            regexes,
            frozenset(g for g in rule.unless if g >= 0),
            tuple(g for g in rule.unless if g < 0),
            bool(regexes or rule.unless),
        )

    def _add_lexicon(self, key: str, terms: list[str], squash: bool) -> int:
        gid = len(self._lexicon_terms)
        self._group_ids[key] = gid
        self._lexicon_terms.append(terms)
        self._lexicon_squash.append(squash)
        return gid

    def _regex_group(self, key: str, pattern: str, on: str, where: str) -> int:
        if key in self._group_ids:
            return self._group_ids[key]
        if on == "match":
            doubled = _DOUBLED_LETTER.search(re.sub(r"\\.|\[[^\]]*\]", "", pattern))
            if doubled:
                raise RuleError(
                    f"{where}: a regex on the match form never sees a doubled letter ({doubled.group()!r}): "
                    'write words as they are normalised ("whatsap", "pase")'
                )
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise RuleError(f"{where}: bad regex: {exc}") from exc
        gid = -1 - len(self._regexes)  # negative ids: never clash with lexicon groups
        self._regexes[gid] = _CompiledRegex(compiled, on == "match", _needs(compiled))
        self._group_ids[key] = gid
        return gid

    def _group(self, spec: Any, rule_id: str, index: int, sources: _Sources, where: str) -> int:
        if isinstance(spec, str) and spec.startswith("@"):
            if spec not in self._group_ids:
                raise RuleError(f"{where}: unknown lexicon {spec!r}")
            return self._group_ids[spec]
        if isinstance(spec, str) and spec.startswith("re:"):
            name = spec[3:]
            rx = sources.regexes.get(name)
            if rx is None:
                raise RuleError(f"{where}: unknown regex {spec!r}")
            return self._regex_group(spec, rx.pattern, rx.on, where)
        terms = _as_str_list(spec, where)
        return self._add_lexicon(f"inline:{rule_id}:{index}", terms, False)

    def _compile_rule(self, rule_id: str, raw: dict[str, Any], source: str, sources: _Sources) -> Rule:
        where = f"{source}: rule {rule_id!r}"
        action_name = raw.get("action", "flag")
        if action_name not in _ACTIONS:
            raise RuleError(f"{where}: action must be one of {sorted(_ACTIONS)}")
        category = raw.get("category", "")
        cue = raw.get("cue")
        if action_name == "cue":
            if not isinstance(cue, str) or not cue:
                raise RuleError(f'{where}: a cue rule needs `cue = "name"`')
        elif action_name != "allow" and category not in CATEGORIES:
            raise RuleError(f"{where}: category must be one of {list(CATEGORIES)}")
        scope = raw.get("scope", "all")
        scopes = frozenset(SCOPES if scope == "all" else _as_str_list(scope, where))
        if not scopes <= SCOPES:
            raise RuleError(f"{where}: scope must be 'all' or a list of {sorted(SCOPES)}")
        specs: list[Any] = list(raw.get("match", []))
        if "terms" in raw:
            specs.append(_as_str_list(raw["terms"], where))
        groups = [self._group(s, rule_id, i, sources, where) for i, s in enumerate(specs)]
        if "regex" in raw:
            if not isinstance(raw["regex"], str):
                raise RuleError(f"{where}: `regex` must be a string")
            groups.append(self._regex_group(f"inline-re:{rule_id}", raw["regex"], "plain", where))
        if not groups:
            raise RuleError(f"{where}: nothing to match (give `match`, `terms` or `regex`)")
        unless = [self._group(s, rule_id, 100 + i, sources, where) for i, s in enumerate(raw.get("unless", []))]
        suppress = frozenset(_as_str_list(raw.get("categories", []), where))
        if not suppress <= set(CATEGORIES):
            raise RuleError(f"{where}: unknown categories in `categories`")
        weight = raw.get("weight", 1.0)
        if not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise RuleError(f"{where}: weight must be a number from 0 to 1")
        return Rule(
            id=rule_id,
            category=category,
            action=None if action_name == "cue" else Action(action_name),
            cue=cue if action_name == "cue" else None,
            scopes=scopes,
            groups=tuple(groups),
            unless=tuple(unless),
            suppress=suppress,
            weight=float(weight),
            description=str(raw.get("description", "")),
            source=source,
        )

    def _build(self, *, squashed: bool) -> Any:
        entries: dict[str, list[tuple[int, str, int, int]]] = {}
        for gid, terms in enumerate(self._lexicon_terms):
            if squashed and not self._lexicon_squash[gid]:
                continue
            for term in terms:
                left = not term.startswith("*")
                right = not term.endswith("*")
                norm = normalize_term(term.strip("*"))
                if not norm:
                    continue
                if squashed:
                    if not (left and right):
                        continue
                    key = norm.replace(" ", "")
                    if len(key) < SQUASH_MIN_CHARS:
                        continue
                    entries.setdefault(key, []).append((gid, norm, 0, 0))
                else:
                    key = (" " if left else "") + norm + (" " if right else "")
                    # Offsets of the term inside the key: the span that allow rules compare.
                    entries.setdefault(key, []).append((gid, norm, 1 if left else 0, 1 if right else 0))
        if not squashed:
            self.pattern_count = len(entries)
        if not entries:
            return None
        automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            automaton.add_word(key, (len(key), tuple(values), frozenset(v[0] for v in values)))
        automaton.make_automaton()
        return automaton

    # -- matching

    def _scan(self, norm: Normalized) -> list[tuple[int, _Payload]]:
        """Every occurrence of every pattern: ``(end offset in the match form, payload)``."""
        found: list[tuple[int, _Payload]] = (
            list(self._automaton.iter(norm.match)) if self._automaton is not None else []
        )
        if self._squash_automaton is not None and len(norm.squashed) >= SQUASH_MIN_CHARS:
            positions: list[int] | None = None
            for end, (length, values, gids) in self._squash_automaton.iter(norm.squashed):
                if positions is None:
                    positions = [i for i, c in enumerate(norm.match) if c != " "]
                start = positions[end - length + 1]
                stop = positions[end] + 1
                # Only whole tokens joined across separators ("co.caine", "keta mine"), never a
                # piece of a longer word ("champi" in "champignons").
                if norm.match[start - 1] != " " or norm.match[stop] != " " or " " not in norm.match[start:stop]:
                    continue
                found.append((stop - 1, (stop - start, values, gids)))
        return found

    @staticmethod
    def _spans(found: list[tuple[int, _Payload]], gid: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for end, (length, values, gids) in found:
            if gid in gids:
                out.extend((end - length + 1 + lp, end + 1 - rp) for g, _, lp, rp in values if g == gid)
        return out

    def _regex_hit(self, gid: int, norm: Normalized, cache: dict[int, str | None]) -> str | None:
        if gid in cache:
            return cache[gid]
        rx = self._regexes[gid]
        text = norm.match if rx.on_match else norm.plain
        hit: str | None = None
        if rx.needs is None or rx.needs.search(text) is not None:
            m = rx.regex.search(text)
            hit = m.group().strip() if m else None
        cache[gid] = hit
        return hit

    def _satisfied(self, plan: _Plan, gids: set[int], norm: Normalized, cache: dict[int, str | None]) -> bool:
        # Word lists first (set look-ups), the regular expressions only when they all matched.
        if not plan.lexicons <= gids:
            return False
        for gid in plan.regexes:
            if self._regex_hit(gid, norm, cache) is None:
                return False
        if plan.unless_lexicons and not plan.unless_lexicons.isdisjoint(gids):
            return False
        return all(self._regex_hit(gid, norm, cache) is None for gid in plan.unless_regexes)

    def _matched(
        self,
        rule: Rule,
        found: list[tuple[int, _Payload]],
        norm: Normalized,
        cache: dict[int, str | None],
        by_group: dict[int, list[str]],
    ) -> tuple[str, ...]:
        if not by_group:
            for _, (_, values, _) in found:
                for g, term, _, _ in values:
                    lst = by_group.setdefault(g, [])
                    if term not in lst:
                        lst.append(term)
        terms: list[str] = []
        for gid in rule.groups:
            for term in by_group.get(gid, ()) if gid >= 0 else (self._regex_hit(gid, norm, cache) or "",):
                if term not in terms:
                    terms.append(term)
        return tuple(terms)

    def evaluate(self, norm: Normalized, scope: str) -> Evaluation:
        """Every rule that matches ``norm`` in ``scope`` (``rooms``, ``dms``, …)."""
        found = self._scan(norm)
        if not found and not self._always:
            return Evaluation()  # nothing matched: every rule needs one of its word lists (common case)
        out = Evaluation()
        gids: set[int] = set()
        for _, payload in found:
            gids |= payload[2]
        cache: dict[int, str | None] = {}
        by_group: dict[int, list[str]] = {}
        # 1. Exceptions first: they win over every other rule.
        if gids & self._allow_groups:
            spans: list[tuple[int, int]] = []
            for plan in self._allow_plans:
                rule = plan.rule
                if scope not in rule.scopes or not self._satisfied(plan, gids, norm, cache):
                    continue
                out.allowed.append(RuleHit(rule, self._matched(rule, found, norm, cache, by_group)))
                out.suppressed |= rule.suppress
                for gid in rule.groups:
                    if gid >= 0:
                        spans.extend(self._spans(found, gid))
            if spans:
                kept: list[tuple[int, _Payload]] = []
                for end, (length, values, _) in found:
                    keep = tuple(
                        v
                        for v in values
                        if v[0] in self._allow_groups
                        or not any(end - length + 1 + v[2] < e and s < end + 1 - v[3] for s, e in spans)
                    )
                    if keep:
                        kept.append((end, (length, keep, frozenset(v[0] for v in keep))))
                found = kept
                by_group = {}
                gids = set()
                for _, payload in found:
                    gids |= payload[2]
        # 2. Rules whose first word list matched, and rules made only of regexes.
        by_first = self._by_first_lexicon
        for gid in gids:
            plans = by_first.get(gid)
            if plans is None:
                continue
            for plan in plans:
                rule = plan.rule
                if scope not in rule.scopes or not plan.lexicons <= gids:
                    continue
                if plan.other and not self._satisfied(plan, gids, norm, cache):
                    continue
                self._fire(rule, norm, cache, found, by_group, out)
        for plan in self._always:
            if scope in plan.rule.scopes and self._satisfied(plan, gids, norm, cache):
                self._fire(plan.rule, norm, cache, found, by_group, out)
        return out

    def _fire(
        self,
        rule: Rule,
        norm: Normalized,
        cache: dict[int, str | None],
        found: list[tuple[int, _Payload]],
        by_group: dict[int, list[str]],
        out: Evaluation,
    ) -> None:
        if rule.cue is not None:
            cue = out.cues.setdefault(rule.cue, [])
            cue.extend(m for m in self._matched(rule, found, norm, cache, by_group) if m not in cue)
        elif rule.category not in out.suppressed:
            out.hits.append(RuleHit(rule, self._matched(rule, found, norm, cache, by_group)))


def load_ruleset(dirs: Sequence[Path]) -> RuleSet:
    """Read and compile the rule files of ``dirs`` (later folders extend and override earlier ones)."""
    files = rule_files(dirs)
    sources = _Sources()
    for path in files:
        if path.suffix == ".toml":
            _read_toml(path, sources)
        else:
            _read_txt(path, sources)
    return RuleSet(sources, files)
