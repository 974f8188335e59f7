"""The DSA transparency report's figures match a scripted scenario (FakeClock: every delay is known),
every statement of reasons maps onto the EU Transparency Database fields, and the HTML page is
readable and escaped."""

from __future__ import annotations

import json

import pytest

from causerie.domain.moderation import Role
from causerie.services.moderation import ActionRequest, ReportForm
from causerie.services.transparency import render_html
from legal.conftest import Make, World

HOUR = 3600.0
DSA_FIELDS = {
    "decision_visibility",
    "decision_account",
    "decision_provision",
    "decision_monetary",
    "decision_ground",
    "category",
    "content_type",
    "automated_detection",
    "automated_decision",
    "source_type",
    "territorial_scope",
    "application_date",
    "decision_facts",
    "puid",
}


async def scenario(w: World) -> dict[str, int]:
    """Six notices from four sources, four decisions (one automated, for misuse), two appeals."""
    m = w.s.moderation
    owner, reporter, troll = await w.guest(), await w.guest(), await w.guest()
    authors = [await w.guest() for _ in range(6)]
    moderator = await w.registered()
    await m.set_role(w.admin, moderator.nickname, Role.MODERATOR, True)
    room = await w.room(owner)
    acks = [await w.say(a, room, f"message {i}") for i, a in enumerate(authors)]
    start = w.clock.now()
    # t=0 a user; t=60 the public form; t=120 the rules engine; t=180 a trusted flagger; t=240, 300 a troll
    _, c1 = await w.report(reporter, "harassment_hate", message_id=acks[0].id)
    w.clock.advance(60)
    _, c2 = await w.report(None, "scam_spam", message_id=acks[1].id)
    w.clock.advance(60)
    c3 = (await m.flag(category="drugs", details="rule drugs.sale", message_id=acks[2].id, account_id=None)).id
    w.clock.advance(60)
    _, key = await w.legal.register_flagger(w.admin, "e-Enfance", "alerte@e-enfance.example")
    _, c4 = await w.legal.trusted_notice(
        key, ReportForm(category="other_illegal", good_faith=True, message_id=acks[3].id)
    )
    w.clock.advance(60)
    _, c5 = await w.report(troll, "rules_breach", message_id=acks[4].id)
    w.clock.advance(60)
    _, c6 = await w.report(troll, "rules_breach", message_id=acks[5].id)
    # decisions: 3600 s, 7140 s and 10620 s after each case's first notice
    w.clock.advance(HOUR - 300)
    r1 = await m.act(
        w.admin,
        ActionRequest(kind="remove_message", reason="insulte", rule="law.hate", case_id=c1, message_ids=(acks[0].id,)),
    )
    w.clock.advance(HOUR)
    r2 = await m.act(
        w.admin, ActionRequest(kind="ban", reason="arnaque", rule="rules.spam", case_id=c2, user=authors[1].nickname)
    )
    await m.act(w.admin, ActionRequest(kind="dismiss", reason="rien", case_id=c3))
    w.clock.advance(HOUR)
    await m.act(
        w.admin,
        ActionRequest(
            kind="remove_message", reason="illicite", rule="law.other", case_id=c4, message_ids=(acks[3].id,)
        ),
    )
    await m.act(w.admin, ActionRequest(kind="dismiss", reason="infondé", case_id=c5, unfounded=True))
    await m.act(w.admin, ActionRequest(kind="dismiss", reason="infondé", case_id=c6, unfounded=True))  # 2nd strike
    # appeals: one upheld after a day, one reversed after two
    [st1] = r1.statements
    [st2] = r2.statements
    a1 = await m.appeal(authors[0], st1.id, "ce n'était pas une insulte")
    a2 = await m.appeal(authors[1], st2.id, "je ne suis pas un arnaqueur")
    w.clock.advance(24 * HOUR)
    await m.decide_appeal(moderator, a2.id, reverse=False, reason="confirmé")
    w.clock.advance(24 * HOUR)
    await m.decide_appeal(moderator, a1.id, reverse=True, reason="second degré")
    return {"start": int(start)}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_the_figures_match_the_scenario(make: Make, backend: str) -> None:
    w = await make(backend, misuse_notice_strikes=2)
    await scenario(w)
    report = await w.transparency.report(w.clock.now() - 30 * 86400, w.clock.now() + 1)
    n, a = report["notices"], report["actions"]
    assert n["total"] == 6
    assert n["by_source"] == {"user": 3, "anonymous": 1, "trusted_flagger": 1, "automated": 1}
    assert n["trusted_flaggers"] == 1
    assert n["by_category"] == {
        "drugs": 1,
        "harassment_hate": 1,
        "other_illegal": 1,
        "rules_breach": 2,
        "scam_spam": 1,
    }
    assert n["by_source_and_category"]["trusted_flagger"] == {"other_illegal": 1}
    assert n["automated_share"] == round(1 / 6, 4)
    assert a["by_type"] == {"ban": 1, "remove_message": 2, "suspend_reports": 1}
    assert a["total"] == 4
    assert a["by_ground"] == {"illegal_content": 2, "terms_and_conditions": 2}
    assert a["automated_decisions"] == 1 and a["automated_decision_share"] == 0.25
    assert a["statements_of_reasons"] == 4 and a["automated_detection_share"] == 0.25
    assert a["dismissed_cases"] == 3 and a["reversals"] == 1
    assert report["time_to_action_seconds"] == {"cases": 3, "median": 7140.0}
    assert report["appeals"] == {
        "received": 2,
        "open": 0,
        "upheld": 1,
        "reversed": 1,
        "median_decision_seconds": 36 * HOUR,
    }
    assert report["misuse_suspensions"]["total"] == 1 and report["misuse_suspensions"]["notices"] == 1
    # a period that ends before the scenario counts nothing
    empty = await w.transparency.report(w.clock.now() - 400 * 86400, w.clock.now() - 300 * 86400)
    assert empty["notices"]["total"] == 0 and empty["actions"]["total"] == 0
    assert empty["time_to_action_seconds"]["median"] is None


async def test_every_statement_maps_onto_the_transparency_database(make: Make) -> None:
    w = await make(misuse_notice_strikes=2)
    await scenario(w)
    records = await w.transparency.records(w.clock.now() - 30 * 86400, w.clock.now() + 1)
    assert len(records) == 4
    for record in records:
        assert set(record) >= DSA_FIELDS, DSA_FIELDS - set(record)
        assert record["territorial_scope"] and "FR" in record["territorial_scope"]
        json.dumps(record)  # JSON lines
    by_kind = {r["action_kind"]: r for r in records}
    removal = next(r for r in records if r["rule"] == "law.hate")
    assert removal["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert removal["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert removal["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert removal["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert removal["source_type"] == "SOURCE_ARTICLE_16"
    assert removal["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    trusted = next(r for r in records if r["rule"] == "law.other")
    assert trusted["source_type"] == "SOURCE_TRUSTED_NOTIFIER"
    ban = by_kind["ban"]
    assert ban["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert ban["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert ban["category"] == "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    misuse = by_kind["suspend_reports"]
    assert misuse["automated_detection"] == "Yes" and misuse["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert misuse["source_type"] == "SOURCE_VOLUNTARY"
    assert misuse["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"


async def test_the_html_page_is_escaped(world: World) -> None:
    report = await world.transparency.report(0, world.clock.now())
    report["notices"]["by_category"] = {"<script>alert(1)</script>": 3}
    page = render_html(report)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.startswith("<!doctype html>") and "Appeals" in page
