"""Reports (DSA art. 16): frozen context, merging into cases, priority order, acknowledgement and
outcome, the anonymous public form."""

from __future__ import annotations

from .conftest import Cast
from .helpers import call, new_room, ok, refused, report, say_many


async def test_a_report_opens_a_case_with_its_context_frozen(cast: Cast) -> None:
    author = await cast.guest("au")
    reporter = await cast.guest("rp")
    admin = await cast.admin()
    room = await new_room(author)
    await author.join(room)
    await reporter.join(room)
    acks = await say_many(author, room, [f"message {n}" for n in range(1, 31)])  # seq 1..30
    target = acks[21]  # seq 22: 20 before (2..21) and 5 after (23..27) are frozen with it
    filed = await report(reporter, category="harassment_hate", room=room, seq=22, details="il insulte")
    assert filed["message"]  # the acknowledgement text
    ack_event = await reporter.expect("report_ack")
    assert ack_event["report"] == filed["report"]["id"]

    cases = (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"]
    case = next(c for c in cases if c["message_id"] == target["id"])
    # the message is removed from the case (kept open): the frozen copy stays in the case
    await ok(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{case['id']}/actions",
        201,
        json={"kind": "remove_message", "reason": "insulte", "keep_open": True},
    )
    assert case["status"] == "open" and case["category"] == "harassment_hate" and case["room"] == room
    view = await ok(admin, "GET", f"/api/v1/moderation/cases/{case['id']}")
    context = view["context"][str(filed["report"]["id"])]
    assert [m["seq"] for m in context] == list(range(2, 28))
    assert [m["text"] for m in context] == [f"message {n}" for n in range(2, 28)]
    assert [m["seq"] for m in context if m["reported"]] == [22]
    assert all(m["state"] == "visible" for m in context)  # as it was when reported
    assert view["reports"][0]["details"] == "il insulte" and view["reports"][0]["reporter_id"] == reporter.me["id"]
    assert view["target"]["member"]["nick"] == author.nick
    assert view["target"]["account_age_seconds"] >= 0
    assert view["history"]["account_id"] == author.me["id"]
    assert [a["kind"] for a in view["actions"]] == ["remove_message"]


async def test_reports_on_one_target_merge_into_one_case(cast: Cast) -> None:
    author = await cast.guest("au")
    first, second = await cast.guest("r1"), await cast.guest("r2")
    admin = await cast.admin()
    room = await new_room(author)
    for c in (author, first, second):
        await c.join(room)
    ack = await author.say(room, "arnaque : envoie-moi 50 €")
    one = await report(first, category="scam_spam", message_id=ack["id"])
    two = await report(second, category="other_illegal", room=room, seq=ack["seq"])
    again = await report(first, category="scam_spam", message_id=ack["id"])  # the same reporter twice
    cases = [c for c in (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"] if c["message_id"] == ack["id"]]
    assert len(cases) == 1
    case = cases[0]
    assert case["reports"] == 3 and case["reporters"] == 2
    assert case["category"] == "other_illegal"  # the most severe category of its reports
    view = await ok(admin, "GET", f"/api/v1/moderation/cases/{case['id']}")
    assert {r["id"] for r in view["reports"]} == {one["report"]["id"], two["report"]["id"], again["report"]["id"]}
    # a report on the author (a user, not the message) is another target: another case
    await report(first, category="scam_spam", user=author.nick)
    by_user = [
        c
        for c in (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"]
        if c["target"] == "user" and c["account_id"] == author.me["id"]
    ]
    assert len(by_user) == 1


async def test_the_queue_puts_child_safety_first_then_threats(cast: Cast) -> None:
    author = await cast.guest("au")
    reporters = [await cast.guest(f"r{n}") for n in range(4)]
    admin = await cast.admin()
    room = await new_room(author)
    for c in (author, *reporters):
        await c.join(room)
    spam, threat, minor, hate = await say_many(author, room, ["spam", "menace", "mineur", "haine"])
    for r in reporters:  # four people report the hate message
        await report(r, category="harassment_hate", message_id=hate["id"])
    await report(reporters[0], category="scam_spam", message_id=spam["id"])
    await report(reporters[1], category="violence_threat_ambush", message_id=threat["id"])
    await report(reporters[2], category="minor_at_risk", message_id=minor["id"])
    queue = await ok(admin, "GET", "/api/v1/moderation/cases", params={"limit": 1000})
    ours = [c for c in queue["cases"] if c["room"] == room]
    assert [c["message_id"] for c in ours] == [minor["id"], threat["id"], hate["id"], spam["id"]]
    assert ours == sorted(ours, key=lambda c: -c["priority"])
    by_category = {q["category"]: q for q in queue["queues"]}
    assert by_category["minor_at_risk"]["open"] >= 1 and by_category["minor_at_risk"]["oldest_age_seconds"] >= 0
    only_threats = await ok(admin, "GET", "/api/v1/moderation/cases", params={"category": "violence_threat_ambush"})
    assert {c["category"] for c in only_threats["cases"]} == {"violence_threat_ambush"}


async def test_reporters_learn_the_outcome(cast: Cast) -> None:
    author = await cast.guest("au")
    reporter = await cast.guest("rp", lang="en")
    admin = await cast.admin()
    room = await new_room(author)
    await author.join(room)
    await reporter.join(room)
    bad, fine = await say_many(author, room, ["va te faire", "il fait beau"])
    on_bad = (await report(reporter, category="harassment_hate", message_id=bad["id"]))["report"]
    on_fine = (await report(reporter, category="rules_breach", message_id=fine["id"]))["report"]
    cases = (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"]
    bad_case = next(c for c in cases if c["message_id"] == bad["id"])
    fine_case = next(c for c in cases if c["message_id"] == fine["id"])
    done = await ok(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{bad_case['id']}/actions",
        201,
        json={"kind": "remove_message", "reason": "insulte"},
    )
    assert done["case"]["status"] == "closed" and done["case"]["resolution"] == "remove_message"
    outcome = await reporter.expect("report_outcome", report=on_bad["id"])
    assert outcome["outcome"] == "action_taken" and "action was taken" in outcome["message"]
    await ok(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{fine_case['id']}/actions",
        201,
        json={"kind": "dismiss", "reason": "rien d'illicite"},
    )
    outcome = await reporter.expect("report_outcome", report=on_fine["id"])
    assert outcome["outcome"] == "no_action"
    mine = {r["id"]: r for r in (await ok(reporter, "GET", "/api/v1/reports/mine"))["reports"]}
    assert mine[on_bad["id"]]["outcome"] == "action_taken" and mine[on_fine["id"]]["outcome"] == "no_action"
    assert "reporter_id" not in mine[on_bad["id"]]
    # a closed case takes no more actions; a new report on the same message opens a new case
    await refused(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{fine_case['id']}/actions",
        "case_closed",
        409,
        json={"kind": "dismiss", "reason": "encore"},
    )
    await report(reporter, category="rules_breach", message_id=fine["id"])
    reopened = [
        c for c in (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"] if c["message_id"] == fine["id"]
    ]
    assert len(reopened) == 1 and reopened[0]["id"] != fine_case["id"]


async def test_report_form_rules(cast: Cast) -> None:
    author = await cast.guest("au")
    reporter = await cast.guest("rp")
    room = await new_room(author)
    await author.join(room)
    ack = await author.say(room, "bonjour")
    # good faith is required (except for child sexual abuse reports)
    await refused(
        reporter,
        "POST",
        "/api/v1/reports",
        "good_faith_required",
        400,
        json={"category": "drugs", "message_id": ack["id"], "good_faith": False},
    )
    await ok(
        reporter,
        "POST",
        "/api/v1/reports",
        201,
        json={"category": "child_sexual_abuse", "message_id": ack["id"], "good_faith": False},
    )
    # unknown targets, unknown categories, too long details
    await refused(
        reporter,
        "POST",
        "/api/v1/reports",
        "report_target_not_found",
        404,
        json={"category": "drugs", "message_id": 10**12, "good_faith": True},
    )
    await refused(
        reporter,
        "POST",
        "/api/v1/reports",
        "report_target_not_found",
        404,
        json={"category": "drugs", "user": "personne-de-ce-nom", "good_faith": True},
    )
    response = await call(reporter, "POST", "/api/v1/reports", json={"category": "nope", "message_id": ack["id"]})
    assert response.status_code == 400
    await refused(
        reporter,
        "POST",
        "/api/v1/reports",
        "bad_request",
        400,
        json={"category": "drugs", "message_id": ack["id"], "good_faith": True, "details": "x" * 2001},
    )
    await refused(
        reporter, "POST", "/api/v1/reports", "bad_request", 400, json={"category": "drugs", "good_faith": True}
    )
    # a private conversation can be reported by its participants only
    dm = await author.dm(reporter.nick, "coucou")
    outsider = await cast.guest("ou")
    await refused(
        outsider,
        "POST",
        "/api/v1/reports",
        "report_target_not_found",
        404,
        json={"category": "minor_at_risk", "message_id": dm["id"], "good_faith": True},
    )
    await ok(
        reporter,
        "POST",
        "/api/v1/reports",
        201,
        json={"category": "minor_at_risk", "message_id": dm["id"], "good_faith": True},
    )


async def test_the_public_form_takes_anonymous_reports(cast: Cast) -> None:
    import httpx

    author = await cast.guest("au")
    admin = await cast.admin()
    room = await new_room(author)
    await author.join(room)
    ack = await author.say(room, "image illégale")
    async with httpx.AsyncClient(base_url=cast.base_url, timeout=10) as anon:
        response = await anon.post("/api/v1/reports/public", json={"category": "drugs", "message_id": ack["id"]})
        assert response.status_code == 400 and response.json()["error"]["code"] == "good_faith_required"
        # child sexual abuse: no name, no email, no good-faith statement needed
        response = await anon.post(
            "/api/v1/reports/public", json={"category": "child_sexual_abuse", "message_id": ack["id"]}
        )
        assert response.status_code == 201, response.text
        csam = response.json()["report"]
        response = await anon.post(
            "/api/v1/reports/public",
            json={
                "category": "drugs",
                "room": room,
                "seq": ack["seq"],
                "good_faith": True,
                "name": "Jeanne",
                "email": "jeanne@example.org",
                "details": "vente",
            },
        )
        assert response.status_code == 201, response.text
        # the public form reaches public rooms only
        private = await new_room(author, kind="invite")
        await author.join(private)
        hidden = await author.say(private, "entre nous")
        response = await anon.post(
            "/api/v1/reports/public", json={"category": "child_sexual_abuse", "message_id": hidden["id"]}
        )
        assert response.status_code == 404
    case = next(
        c for c in (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"] if c["message_id"] == ack["id"]
    )
    assert case["category"] == "child_sexual_abuse" and case["reporters"] == 1  # one address, anonymous
    view = await ok(admin, "GET", f"/api/v1/moderation/cases/{case['id']}")
    by_id = {r["id"]: r for r in view["reports"]}
    assert by_id[csam["id"]]["anonymous"] is True and by_id[csam["id"]]["reporter_name"] is None
    named = next(r for r in view["reports"] if r["id"] != csam["id"])
    assert named["reporter_name"] == "Jeanne" and named["reporter_email"] == "jeanne@example.org"


async def test_claim_assign_release_and_escalate(cast: Cast) -> None:
    owner, one, two = await cast.registered("ow"), await cast.moderator("m1"), await cast.moderator("m2")
    admin = await cast.admin()
    author, reporter = await cast.guest("au"), await cast.guest("rp")
    room = await new_room(owner)
    await author.join(room)
    await reporter.join(room)
    ack = await author.say(room, "rdv ce soir seul, viens avec du liquide")
    await report(reporter, category="harassment_hate", message_id=ack["id"])
    case = next(c for c in (await ok(one, "GET", "/api/v1/moderation/cases"))["cases"] if c["message_id"] == ack["id"])
    live = await owner.expect("case", id=case["id"])  # the room's staff see new cases live
    assert live["status"] == "open" and live["room"] == room
    claimed = await ok(one, "POST", f"/api/v1/moderation/cases/{case['id']}/claim")
    assert claimed["case"]["assigned_to"] == one.me["id"]
    await refused(two, "POST", f"/api/v1/moderation/cases/{case['id']}/claim", "case_claimed", 409)
    # a room owner may not take a case out of a moderator's hands; global staff may reassign it
    await refused(owner, "POST", f"/api/v1/moderation/cases/{case['id']}/assign", "forbidden", 403, json={})
    moved = await ok(admin, "POST", f"/api/v1/moderation/cases/{case['id']}/assign", json={"nickname": two.nick})
    assert moved["case"]["assigned_to"] == two.me["id"]
    await refused(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{case['id']}/assign",
        "bad_request",
        400,
        json={"nickname": reporter.nick},
    )  # not a moderator of this case
    released = await ok(two, "POST", f"/api/v1/moderation/cases/{case['id']}/assign", json={"nickname": None})
    assert released["case"]["assigned_to"] is None
    # the room owner escalates to the administrators: flagged and moved up the queue
    up = await ok(
        owner,
        "POST",
        f"/api/v1/moderation/cases/{case['id']}/actions",
        201,
        json={"kind": "escalate", "reason": "ressemble à un guet-apens"},
    )
    assert up["case"]["escalated"] is True and up["case"]["status"] == "open"
    assert up["case"]["priority"] > case["priority"]
    escalated = await ok(admin, "GET", "/api/v1/moderation/cases", params={"escalated": "true"})
    assert case["id"] in [c["id"] for c in escalated["cases"]]
    assert all(c["escalated"] for c in escalated["cases"])
