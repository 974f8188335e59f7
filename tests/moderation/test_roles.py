"""Roles are checked on the server for every moderation call: members, room moderators, global
moderators and admins each get exactly their powers."""

from __future__ import annotations

from .conftest import Cast
from .helpers import act, call, new_room, ok, refused


async def test_first_admin_comes_from_the_cli_and_grants_roles(cast: Cast) -> None:
    admin = await cast.admin()
    mine = await ok(admin, "GET", "/api/v1/me/roles")
    assert mine["roles"] == ["admin"]
    member = await cast.registered("mo")
    assert (await ok(member, "GET", "/api/v1/me/roles"))["roles"] == []
    assert (await ok(admin, "PUT", f"/api/v1/moderation/roles/{member.nick}", json={"role": "moderator"})) == {
        "changed": True
    }
    assert (await ok(member, "GET", "/api/v1/me/roles"))["roles"] == ["moderator"]
    staff = await ok(admin, "GET", "/api/v1/moderation/staff")
    assert {"nick": member.nick, "role": "moderator"}.items() <= next(
        s for s in staff["staff"] if s["nick"] == member.nick
    ).items()
    assert (await ok(admin, "DELETE", f"/api/v1/moderation/roles/{member.nick}/moderator"))["changed"] is True
    assert (await ok(member, "GET", "/api/v1/me/roles"))["roles"] == []


async def test_roles_go_to_registered_accounts_only(cast: Cast) -> None:
    admin = await cast.admin()
    guest = await cast.guest("gu")
    await refused(
        admin, "PUT", f"/api/v1/moderation/roles/{guest.nick}", "bad_request", 400, json={"role": "moderator"}
    )


async def test_a_member_cannot_call_moderator_apis(cast: Cast) -> None:
    member = await cast.registered("me")  # owns no room, moderates none
    victim = await cast.guest("vi")
    room = await new_room(victim)
    await member.join(room)
    ack = await member.say(room, "bonjour")
    for method, path, body in [
        ("GET", "/api/v1/moderation/cases", None),
        ("GET", "/api/v1/moderation/cases/1", None),
        ("POST", "/api/v1/moderation/cases/1/claim", None),
        ("GET", "/api/v1/moderation/appeals", None),
        ("GET", "/api/v1/moderation/staff", None),
        ("GET", f"/api/v1/moderation/users/{victim.nick}", None),
        ("GET", "/api/v1/moderation/audit", None),
        ("GET", "/api/v1/moderation/audit/verify", None),
        ("PUT", f"/api/v1/moderation/roles/{member.nick}", {"role": "admin"}),
        ("PUT", "/api/v1/moderation/emergency", {"level": 3, "reason": "x"}),
        ("POST", "/api/v1/moderation/actions", {"kind": "ban", "user": victim.nick, "reason": "x"}),
        ("POST", "/api/v1/moderation/actions", {"kind": "remove_message", "message_ids": [ack["id"]], "reason": "x"}),
    ]:
        response = await call(member, method, path, json=body) if body else await call(member, method, path)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"


async def test_a_room_moderator_acts_in_their_room_only(cast: Cast) -> None:
    owner = await cast.registered("ow")
    helper = await cast.registered("he")
    troll = await cast.guest("tr")
    mine = await new_room(owner)
    other_owner = await cast.registered("oo")
    other = await new_room(other_owner)
    # the owner appoints a room moderator; a stranger cannot
    await refused(troll, "PUT", f"/api/v1/rooms/{mine}/moderators/{troll.nick}", "forbidden", 403)
    assert (await ok(owner, "PUT", f"/api/v1/rooms/{mine}/moderators/{helper.nick}"))["changed"] is True
    roles = await ok(helper, "GET", "/api/v1/me/roles")
    assert roles["moderated_rooms"] == [mine] and roles["roles"] == []
    await troll.join(mine)
    await troll.join(other)
    in_mine = await troll.say(mine, "spam ici")
    in_other = await troll.say(other, "spam là")
    # inside their room: remove, warn, kick
    done = await act(helper, kind="remove_message", message_ids=[in_mine["id"]], reason="spam")
    assert done["actions"][0]["kind"] == "remove_message"
    await act(helper, kind="warn", user=troll.nick, room=mine, reason="calme-toi")
    # outside it: refused, whatever the action
    for body in (
        {"kind": "remove_message", "message_ids": [in_other["id"]]},
        {"kind": "kick", "user": troll.nick, "room": other},
        {"kind": "mute", "user": troll.nick, "room": other, "duration_seconds": 60},
        {"kind": "slow_mode", "room": other, "slow_mode_seconds": 10},
        {"kind": "lock_room", "room": other},
        {"kind": "mute", "user": troll.nick, "duration_seconds": 60},  # everywhere: global staff only
        {"kind": "ban", "user": troll.nick},
        {"kind": "shadow_hide", "user": troll.nick},
        {"kind": "remove_recent", "user": troll.nick},
    ):
        response = await call(helper, "POST", "/api/v1/moderation/actions", json={**body, "reason": "non"})
        assert response.status_code == 403, (body, response.text)
    # the owner may also act in their own room, not in someone else's
    await act(owner, kind="slow_mode", room=mine, slow_mode_seconds=0, reason="test")
    await refused(
        owner,
        "POST",
        "/api/v1/moderation/actions",
        "forbidden",
        403,
        json={"kind": "slow_mode", "room": other, "slow_mode_seconds": 5, "reason": "x"},
    )
    # the room moderator is removed: no more power
    assert (await ok(owner, "DELETE", f"/api/v1/rooms/{mine}/moderators/{helper.nick}"))["changed"] is True
    await refused(
        helper,
        "POST",
        "/api/v1/moderation/actions",
        "forbidden",
        403,
        json={"kind": "warn", "user": troll.nick, "room": mine, "reason": "x"},
    )


async def test_a_room_moderator_sees_only_cases_of_their_room(cast: Cast) -> None:
    owner = await cast.registered("ow")
    reporter = await cast.guest("rp")
    troll = await cast.guest("tr")
    room = await new_room(owner)
    elsewhere = await new_room(await cast.registered("xx"))
    for slug in (room, elsewhere):
        await troll.join(slug)
        await reporter.join(slug)
    here = await troll.say(room, "insulte ici")
    there = await troll.say(elsewhere, "insulte là")
    case_here = (
        await ok(
            reporter,
            "POST",
            "/api/v1/reports",
            201,
            json={"category": "harassment_hate", "room": room, "seq": here["seq"], "good_faith": True},
        )
    )["report"]
    await ok(
        reporter,
        "POST",
        "/api/v1/reports",
        201,
        json={"category": "harassment_hate", "room": elsewhere, "seq": there["seq"], "good_faith": True},
    )
    queue = await ok(owner, "GET", "/api/v1/moderation/cases")
    assert {c["room"] for c in queue["cases"]} == {room}
    assert queue["cases"][0]["message_id"] == here["id"]
    assert case_here["id"] > 0
    other_case = (await ok(await cast.admin(), "GET", "/api/v1/moderation/cases"))["cases"]
    foreign = next(c for c in other_case if c["room"] == elsewhere and c["message_id"] == there["id"])
    await refused(owner, "GET", f"/api/v1/moderation/cases/{foreign['id']}", "forbidden", 403)
    await refused(owner, "POST", f"/api/v1/moderation/cases/{foreign['id']}/claim", "forbidden", 403)
