"""`causerie safety check` and `causerie safety eval`, operator rules and reload without restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from causerie.cli import app
from causerie.safety import RuleError, SafetyConfig, SafetyEngine
from causerie.safety.evaluation import TARGETS, evaluate, load_items

runner = CliRunner()


def test_check_round_trip() -> None:
    lines = [
        {"text": "vends c0c@ine 60 le g", "where": "room"},
        {"text": "salut tout le monde", "where": "room", "sender_age": 30, "recipient_age": None},
        {"id": "q3", "text": "tu es en quelle classe ?", "where": "dm", "sender_age": 40, "recipient_age": 14},
        {
            "text": "envoie une photo",
            "where": "dm",
            "sender_age": 40,
            "recipient_age": 19,
            "history": [{"by": "recipient", "text": "j'ai 13 ans"}],
        },
    ]
    result = runner.invoke(app, ["safety", "check"], input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["verdict"] for o in out] == ["hold", "allow", "flag", "hold"]
    assert out[0]["categories"] == ["drug_sale"] and out[0]["evidence"][0]["matched"]
    assert out[2]["id"] == "q3" and out[2]["categories"] == ["grooming"]
    assert out[3]["categories"] == ["grooming"]


def test_check_reports_bad_lines_and_exits_1() -> None:
    result = runner.invoke(app, ["safety", "check"], input='nope\n{"where": "room"}\n{"text": "ok", "where": "moon"}\n')
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3 and all("error" in o for o in out)


def test_check_uses_the_operator_folder(tmp_path: Path) -> None:
    (tmp_path / "spam.flag.txt").write_text("zorglub\n", encoding="utf-8")
    result = runner.invoke(app, ["safety", "check", "--rules-dir", str(tmp_path)], input='{"text": "ZORGLUB !"}\n')
    assert json.loads(result.stdout)["categories"] == ["spam"]
    (tmp_path / "broken.toml").write_text("[[rules]]\nid = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["safety", "check", "--rules-dir", str(tmp_path)], input='{"text": "x"}\n')
    assert result.exit_code == 2


def test_eval_command_prints_precision_and_recall() -> None:
    result = runner.invoke(app, ["safety", "eval", "--split", "heldout", "--check"])
    assert result.exit_code == 0, result.output
    assert "heldout" in result.output and "precision" in result.output and "grooming" in result.output


def test_heldout_targets_hold(engine: SafetyEngine) -> None:
    """Regression: the held-out set (written before the rules were tuned) meets the issue's targets."""
    items = load_items("heldout")
    assert len(items) >= 150
    report = evaluate(engine, items, "heldout")
    assert report.failures() == []
    by_cat = {s.category: s for s in report.scores}
    for category in TARGETS:
        assert by_cat[category].support >= 10  # enough examples for the figure to mean something
    for s in report.scores:
        assert s.precision is None or s.precision >= 0.80


def test_eval_set_size_and_languages() -> None:
    items = load_items("dev") + load_items("heldout") + load_items("blind")
    assert len(items) >= 400
    assert {i.lang for i in items} == {"fr", "en"}
    negatives = [i for i in items if not i.labels and i.note.startswith("hard negative")]
    assert len(negatives) >= 100


def test_reload_picks_up_operator_rules_without_restart(tmp_path: Path) -> None:
    engine = SafetyEngine(SafetyConfig(rules_dir=tmp_path))
    assert engine.check_text("le zorglub est là").allowed
    assert engine.reload_if_changed() is False
    (tmp_path / "local.toml").write_text(
        '[[rules]]\nid = "local.zorglub"\ncategory = "harassment"\naction = "block"\nterms = ["zorglub"]\n',
        encoding="utf-8",
    )
    assert engine.reload_if_changed() is True
    v = engine.check_text("le z0rglub est là")
    assert v.blocked and v.evidence[0].source == "local.zorglub"
    # a broken edit is refused and the rules in force stay
    (tmp_path / "local.toml").write_text("[[rules]]\nid = 'x'\ncategory = 'moon'\nterms = ['a']\n", encoding="utf-8")
    with pytest.raises(RuleError):
        engine.reload()
    assert engine.check_text("le zorglub est là").blocked
    assert engine.reload_if_changed() is False  # logged, old rules kept
