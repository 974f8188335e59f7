"""Appeals (DSA art. 20): the user contests from the statement, a different moderator decides, and
a reversal undoes the action (unban, restore)."""

from __future__ import annotations

import httpx

from support.client import Client

from .conftest import PASSWORD, Cast
from .helpers import act, close_code, new_room, ok, refused


async def test_an_appeal_decided_by_another_moderator_reverses_a_ban(cast: Cast) -> None:
    strict, fair = await cast.moderator("st"), await cast.moderator("fa")
    user = await cast.registered("us")
    done = await act(strict, kind="ban", user=user.nick, duration_seconds=7 * 86400, reason="propos menaçants")
    statement = await user.expect("statement")
    assert statement["id"] == done["statements"][0]["id"]
    assert await close_code(user) == 4003
    # the banned user contests it with the session they still have
    filed = await ok(
        user,
        "POST",
        "/api/v1/appeals",
        201,
        json={"statement_id": statement["id"], "text": "C'était une citation de film."},
    )
    appeal = filed["appeal"]
    assert appeal["status"] == "open" and appeal["acted_by"] == strict.me["id"]
    await refused(
        user, "POST", "/api/v1/appeals", "appeal_exists", 409, json={"statement_id": statement["id"], "text": "encore"}
    )
    listed = (await ok(user, "GET", "/api/v1/me/statements"))["statements"][0]
    assert listed["appeal"]["id"] == appeal["id"]
    # the queue of appeals is for global staff; the moderator who banned may not decide
    queue = await ok(fair, "GET", "/api/v1/moderation/appeals")
    assert appeal["id"] in [a["id"] for a in queue["appeals"]]
    view = await ok(fair, "GET", f"/api/v1/moderation/appeals/{appeal['id']}")
    assert view["action"]["kind"] == "ban" and view["statement"]["id"] == statement["id"]
    await refused(
        strict,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['id']}/decision",
        "appeal_same_moderator",
        403,
        json={"decision": "reverse", "reason": "je me suis trompé"},
    )
    await refused(  # (and a banned account may do nothing else than read and appeal)
        user,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['id']}/decision",
        "banned",
        403,
        json={"decision": "reverse", "reason": "moi-même"},
    )
    decided = await ok(
        fair,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['id']}/decision",
        json={"decision": "reverse", "reason": "citation, pas une menace"},
    )
    assert decided["appeal"]["status"] == "reversed" and decided["appeal"]["decided_by"] == fair.me["id"]
    await refused(
        fair,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['id']}/decision",
        "appeal_decided",
        409,
        json={"decision": "uphold", "reason": "x"},
    )
    # unbanned: the old session connects again, and a new login works
    back = Client(user.base_url, user.token, user.me)
    welcome = await back.connect()
    cast.opened.append(back)
    assert welcome["me"]["nick"] == user.nick
    response = httpx.post(
        f"{user.base_url}/api/v1/session/login",
        json={"login": f"{user.nick.lower()}@example.org", "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    # the ban action is marked as reversed by the unban
    history = await ok(fair, "GET", f"/api/v1/moderation/users/{user.nick}")
    by_kind = {a["kind"]: a for a in history["actions"]}
    assert by_kind["ban"]["reversed_by"] == by_kind["unban"]["id"]
    assert by_kind["unban"]["reverses"] == by_kind["ban"]["id"]
    assert not [s for s in history["sanctions"] if s["kind"] == "ban"]


async def test_a_reversed_removal_restores_the_message(cast: Cast) -> None:
    strict, fair = await cast.moderator("st"), await cast.moderator("fa")
    author, reader = await cast.guest("au"), await cast.guest("re")
    room = await new_room(reader)
    await author.join(room)
    await reader.join(room)
    ack = await author.say(room, "un avis tranché mais légal")
    await act(strict, kind="remove_message", message_ids=[ack["id"]], reason="insulte")
    await reader.expect("removed", room=room, id=ack["id"])
    statement = await author.expect("statement")
    appeal = (
        await ok(
            author,
            "POST",
            "/api/v1/appeals",
            201,
            json={"statement_id": statement["id"], "text": "ce n'est pas une insulte"},
        )
    )["appeal"]
    await ok(
        fair,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['id']}/decision",
        json={"decision": "reverse", "reason": "opinion légitime"},
    )
    decided = await author.expect("appeal_decided", appeal=appeal["id"])
    assert decided["status"] == "reversed"
    restored = await reader.expect("message", room=room, seq=ack["seq"])
    assert restored["text"] == "un avis tranché mais légal"
    page = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert [m["id"] for m in page["messages"]] == [ack["id"]]


async def test_an_upheld_appeal_changes_nothing(cast: Cast) -> None:
    strict, fair = await cast.moderator("st"), await cast.moderator("fa")
    loud = await cast.guest("lo", lang="en")
    room = await new_room(fair)
    await loud.join(room)
    await act(strict, kind="mute", user=loud.nick, duration_seconds=3600, reason="flood")
    statement = await loud.expect("statement")
    appeal = (
        await ok(
            loud, "POST", "/api/v1/appeals", 201, json={"statement_id": statement["id"], "text": "I was only excited"}
        )
    )["appeal"]
    await ok(
        fair,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['id']}/decision",
        json={"decision": "uphold", "reason": "flood avéré"},
    )
    decided = await loud.expect("appeal_decided", appeal=appeal["id"])
    assert decided["status"] == "upheld" and "stands" in decided["message"]
    assert (await loud.say(room, "still muted?"))["code"] == "muted"


async def test_only_the_user_can_appeal_their_statement(cast: Cast) -> None:
    admin = await cast.admin()
    target, other = await cast.guest("ta"), await cast.guest("ot")
    done = await act(admin, kind="warn", user=target.nick, reason="attention")
    statement_id = done["statements"][0]["id"]
    await refused(
        other,
        "POST",
        "/api/v1/appeals",
        "statement_not_found",
        404,
        json={"statement_id": statement_id, "text": "pas moi"},
    )
    await refused(
        target, "POST", "/api/v1/appeals", "bad_request", 400, json={"statement_id": statement_id, "text": "   "}
    )
