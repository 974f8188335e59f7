"""Rule files: loading, scopes, allow exceptions, word lists, errors, Aho–Corasick at scale."""

from __future__ import annotations

from pathlib import Path

import pytest

from causerie.safety.normalize import normalize
from causerie.safety.rules import DEFAULT_RULES_DIR, RuleError, load_ruleset
from causerie.safety.verdict import Action


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ids(rules_dir: Path, text: str, scope: str = "rooms") -> list[str]:
    rs = load_ruleset([rules_dir])
    return [h.rule.id for h in rs.evaluate(normalize(text), scope).hits]


def test_defaults_load(engine: object) -> None:
    rs = load_ruleset([DEFAULT_RULES_DIR])
    assert rs.pattern_count > 1000
    assert {r.category for r in rs.rules if r.action is not None} >= {
        "drug_sale",
        "solicitation",
        "child_abuse_trade",
        "contact_off_platform",
        "harassment",
        "spam",
    }


def test_groups_must_all_match_and_unless_cancels(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.toml",
        """
[lexicons]
fruit = ["pomme", "poire"]
sale = ["vends"]
[[rules]]
id = "t.fruit_sale"
category = "spam"
action = "hold"
match = ["@fruit", "@sale"]
unless = [["compote"]]
""",
    )
    assert ids(tmp_path, "je vends des pommes") == []  # whole words only: "pommes" is not "pomme"
    assert ids(tmp_path, "je vends une pomme") == ["t.fruit_sale"]
    assert ids(tmp_path, "une pomme") == []
    assert ids(tmp_path, "je vends une pomme en compote") == []


def test_prefix_and_suffix_terms(tmp_path: Path) -> None:
    write(tmp_path, "r.toml", '[[rules]]\nid = "t"\ncategory = "spam"\nterms = ["pomm*", "*ketamine"]\n')
    assert ids(tmp_path, "des pommes") == ["t"]
    assert ids(tmp_path, "de la esketamine") == ["t"]
    assert ids(tmp_path, "des apommes") == []


def test_scopes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.toml",
        '[[rules]]\nid = "t"\ncategory = "spam"\nscope = ["dms", "nicknames"]\nterms = ["zorglub"]\n',
    )
    assert ids(tmp_path, "zorglub", "dms") == ["t"]
    assert ids(tmp_path, "zorglub", "nicknames") == ["t"]
    assert ids(tmp_path, "zorglub", "rooms") == []


def test_allow_exceptions_win(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.toml",
        """
[[rules]]
id = "t.coke"
category = "drug_sale"
action = "block"
terms = ["coke"]
[[rules]]
id = "t.allow.zero"
action = "allow"
terms = ["coke zero"]
[[rules]]
id = "t.allow.category"
action = "allow"
categories = ["drug_sale"]
terms = ["pharmacie"]
""",
    )
    assert ids(tmp_path, "de la coke") == ["t.coke"]
    assert ids(tmp_path, "un coke zero") == []  # the words an exception matched count for nothing
    assert ids(tmp_path, "un coke zero et de la coke") == ["t.coke"]  # other occurrences still count
    assert ids(tmp_path, "coke à la pharmacie") == []  # the category is dropped from the message


def test_plain_text_word_lists(tmp_path: Path) -> None:
    write(tmp_path, "drug_sale.block.txt", "# one term per line\nzorglub\nplan zorg  # comment\n")
    write(tmp_path, "ok.allow.txt", "zorglub gentil\n")
    rs = load_ruleset([tmp_path])
    hits = rs.evaluate(normalize("un plan zorg"), "rooms").hits
    assert [(h.rule.category, h.rule.action) for h in hits] == [("drug_sale", Action.BLOCK)]
    assert rs.evaluate(normalize("zorglub gentil"), "rooms").hits == []


def test_later_folders_extend_lexicons_and_replace_rules(tmp_path: Path) -> None:
    write(tmp_path, "extra.toml", '[lexicons]\ndrug_named = ["zorglubine"]\n')
    rs = load_ruleset([DEFAULT_RULES_DIR, tmp_path])
    assert "drug_sale.named" in [h.rule.id for h in rs.evaluate(normalize("vends zorglubine"), "rooms").hits]
    write(tmp_path, "off.toml", '[[rules]]\nid = "drug_sale.named"\nenabled = false\nterms = ["x"]\n')
    rs = load_ruleset([DEFAULT_RULES_DIR, tmp_path])
    assert "drug_sale.named" not in [h.rule.id for h in rs.evaluate(normalize("vends zorglubine"), "rooms").hits]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[rules]]\nid = 'x'\ncategory = 'nope'\nterms = ['a']\n", "category must be one of"),
        ("[[rules]]\nid = 'x'\ncategory = 'spam'\naction = 'zap'\nterms = ['a']\n", "action must be one of"),
        ("[[rules]]\nid = 'x'\ncategory = 'spam'\nmatch = ['@missing']\n", "unknown lexicon"),
        ("[[rules]]\nid = 'x'\ncategory = 'spam'\nregex = '('\n", "bad regex"),
        ("[[rules]]\nid = 'x'\ncategory = 'spam'\nscope = ['moon']\nterms = ['a']\n", "scope must be"),
        ("[[rules]]\nid = 'x'\ncategory = 'spam'\nterms = ['a']\ncolour = 'red'\n", "unknown key"),
        (
            "[regexes]\nr = {pattern = ' whatsapp ', on = 'match'}\n[[rules]]\nid = 'x'\ncategory = 'spam'\nmatch = ['re:r']\n",
            "doubled letter",
        ),
        ("not toml = [", "r.toml"),
    ],
)
def test_bad_rule_files_are_refused_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path, "r.toml", content)
    with pytest.raises(RuleError, match=message):
        load_ruleset([tmp_path])


def test_squashed_matching_joins_whole_tokens_only() -> None:
    rs = load_ruleset([DEFAULT_RULES_DIR])
    hits = {h.rule.id for h in rs.evaluate(normalize("co.caine dispo"), "rooms").hits}
    assert "drug_sale.named" in hits
    # "champi" is a drug word, but not as the start of "champignons"
    hits = {h.rule.id for h in rs.evaluate(normalize("je vends des champignons"), "rooms").hits}
    assert "drug_sale.named" not in hits


def test_ten_thousand_patterns_in_one_automaton(tmp_path: Path) -> None:
    syllables = [c + v for c in "bcdfghjklmnprstvwxyz" for v in "aeiou"]  # no doubled letters
    words = [f"zq{a}{b}" for a in syllables for b in syllables]
    body = "".join(f'    "{w}",\n' for w in words)
    write(tmp_path, "big.toml", f'[[rules]]\nid = "big"\ncategory = "spam"\nterms = [\n{body}]\n')
    rs = load_ruleset([tmp_path])
    assert rs.pattern_count == 10_000
    hits = rs.evaluate(normalize("hello ZQzuzu and zqbaba, not zqbab"), "rooms").hits
    assert [sorted(h.matched) for h in hits] == [["zqbaba", "zqzuzu"]]
