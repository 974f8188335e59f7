"""Each action takes effect live, over real WebSockets, and each action on a user delivers a
statement of reasons (DSA art. 17) in the user's language."""

from __future__ import annotations

import time

import httpx

from support.client import Client
from support.names import nick

from .conftest import PASSWORD, Cast, login_token
from .helpers import act, barrier, close_code, new_room, ok, refused, say_many, texts

STATEMENT_FIELDS = ("decision", "facts", "source", "automated", "ground", "redress", "appeal_until", "rule")


async def test_a_removed_message_disappears_live_and_from_history(cast: Cast) -> None:
    author, reader, late = await cast.guest("au"), await cast.guest("re"), await cast.guest("la")
    admin = await cast.admin()
    room = await new_room(author)
    await author.join(room)
    await reader.join(room)
    keep, bad, keep2 = await say_many(author, room, ["bonjour", "horreur", "au revoir"])
    await reader.expect("message", room=room, seq=3)
    done = await act(admin, kind="remove_message", message_ids=[bad["id"]], reason="contenu haineux", rule="law.hate")
    for client in (reader, author):
        removed = await client.expect("removed", room=room)
        assert removed == {"type": "removed", "room": room, "seq": bad["seq"], "id": bad["id"]}
    # the author is told why (statement of reasons)
    statement = await author.expect("statement")
    assert statement["id"] == done["statements"][0]["id"] and statement["kind"] == "remove_message"
    assert all(field in statement for field in STATEMENT_FIELDS)
    assert "horreur" in statement["facts"] and statement["source"] == "own_initiative"
    assert statement["automated"] is False and "227" not in statement["ground"]
    # history (REST and WebSocket, and a resume) no longer has it, for anyone
    page = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert [m["text"] for m in page["messages"]] == ["bonjour", "au revoir"]
    await late.join(room, since=0)
    replay = await late.expect("history", room=room)
    assert [m["seq"] for m in replay["messages"]] == [keep["seq"], keep2["seq"]]
    # a reply to a removed message is refused, and no excerpt of it is shown
    await author.send({"type": "send", "room": room, "text": "re", "client_id": "r-1", "reply_to": bad["seq"]})
    assert (await author.expect_reply("r-1"))["code"] == "reply_not_found"
    # restoring brings it back (as a message event with its original seq)
    await act(admin, kind="restore_message", message_ids=[bad["id"]], reason="erreur")
    again = await reader.expect("message", room=room, seq=bad["seq"])
    assert again["text"] == "horreur"
    page = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert [m["text"] for m in page["messages"]] == ["bonjour", "horreur", "au revoir"]


async def test_bulk_removal_and_remove_recent_everywhere(cast: Cast) -> None:
    spammer, other, reader = await cast.guest("sp"), await cast.guest("ot"), await cast.guest("re")
    admin = await cast.admin()
    one, two = await new_room(reader), await new_room(reader)
    for c in (spammer, other, reader):
        await c.join(one)
        await c.join(two)
    a = await spammer.say(one, "promo 1")
    b = await other.say(one, "promo 2")
    done = await act(admin, kind="remove_message", message_ids=[a["id"], b["id"]], reason="spam", rule="rules.spam")
    assert len(done["actions"]) == 2 and len(done["statements"]) == 2  # one statement per author
    assert {s["kind"] for s in done["statements"]} == {"remove_message"}
    await spammer.expect("statement")
    await other.expect("statement")
    for m in (a, b):
        await reader.expect("removed", room=one, id=m["id"])
    # remove_recent: every recent message of the user, in every room
    x = await spammer.say(one, "achète")
    y = await spammer.say(two, "achète encore")
    z = await other.say(two, "moi je reste")
    await act(admin, kind="remove_recent", user=spammer.nick, reason="campagne de spam", rule="rules.spam")
    await reader.expect("removed", room=one, id=x["id"])
    await reader.expect("removed", room=two, id=y["id"])
    page = await ok(reader, "GET", f"/api/v1/rooms/{two}/messages")
    assert [m["id"] for m in page["messages"]] == [z["id"]]


async def test_a_muted_user_is_refused_with_until(cast: Cast) -> None:
    loud, reader = await cast.guest("lo"), await cast.guest("re")
    admin = await cast.admin()
    room = await new_room(reader)
    await loud.join(room)
    await reader.join(room)
    before = time.time()
    await act(admin, kind="mute", user=loud.nick, duration_seconds=600, reason="flood")
    statement = await loud.expect("statement")
    assert statement["kind"] == "mute" and statement["until"] >= (before + 590) * 1000
    refusal = await loud.say(room, "je parle encore")
    assert refusal["type"] == "error" and refusal["code"] == "muted"
    assert refusal["until"] == statement["until"]
    dm = await loud.dm(reader.nick, "et en privé ?")
    assert dm["code"] == "muted"
    await act(admin, kind="unmute", user=loud.nick, reason="levée")
    await loud.expect("notice", code="sanction_lifted")
    assert (await loud.say(room, "merci"))["type"] == "ack"


async def test_a_room_mute_applies_to_that_room_only(cast: Cast) -> None:
    owner, loud = await cast.registered("ow"), await cast.guest("lo")
    here, there = await new_room(owner), await new_room(owner)
    await loud.join(here)
    await loud.join(there)
    await act(owner, kind="mute", user=loud.nick, room=here, duration_seconds=60, reason="hors sujet")
    assert (await loud.say(here, "x"))["code"] == "muted"
    assert (await loud.say(there, "y"))["type"] == "ack"


async def test_a_kicked_user_leaves_the_room_live(cast: Cast) -> None:
    owner, troll, witness = await cast.registered("ow"), await cast.guest("tr"), await cast.guest("wi")
    room = await new_room(owner)
    await troll.join(room)
    await witness.join(room)
    done = await act(owner, kind="kick", user=troll.nick, room=room, duration_seconds=300, reason="provocations")
    kicked = await troll.expect("kicked", room=room)
    assert kicked["until"] == done["actions"][0]["until"]
    await troll.expect("left", room=room)
    while True:  # the others see them leave
        event = await witness.expect("presence", room=room, action="leave")
        if event["member"]["nick"] == troll.nick:
            break
    statement = await troll.expect("statement")
    assert statement["kind"] == "kick" and owner.nick not in statement["decision"]
    assert (await troll.say(room, "je suis encore là ?"))["code"] == "not_in_room"
    await troll.send({"type": "join", "room": room, "ref": "j"})
    refusal = await troll.expect("error", ref="j")
    assert refusal["code"] == "kicked" and refusal["until"] == kicked["until"]
    # the rest of the room carries on without them
    ack = await witness.say(room, "enfin tranquilles")
    assert ack["type"] == "ack"
    await troll.drain(0.1)
    assert "enfin tranquilles" not in texts(troll, room)


async def test_a_banned_user_is_disconnected_and_cannot_come_back(cast: Cast) -> None:
    admin = await cast.admin()
    villain = await cast.registered("vi")
    second_tab = Client(villain.base_url, villain.token, villain.me)
    await second_tab.connect()
    cast.opened.append(second_tab)
    done = await act(admin, kind="ban", user=villain.nick, duration_seconds=3600, reason="menaces", rule="law.threats")
    until = done["actions"][0]["until"]
    for tab in (villain, second_tab):
        statement = await tab.expect("statement")
        assert statement["kind"] == "ban" and statement["until"] == until
        assert await close_code(tab) == 4003
    # a new WebSocket with the same session is refused, saying until when
    again = Client(villain.base_url, villain.token, villain.me)
    import websockets

    again.ws = await websockets.connect(again.ws_url)
    await again.send({"type": "hello", "v": 1, "token": villain.token})
    refusal = await again.expect("error")
    assert refusal["code"] == "banned" and refusal["until"] == until
    assert await close_code(again) == 4003
    # a new login gets only a restricted session (statements, appeal, log out), saying until when;
    # chat APIs are refused
    response = httpx.post(
        f"{villain.base_url}/api/v1/session/login",
        json={"login": f"{villain.nick.lower()}@example.org", "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["banned"]["until"] == until
    restricted = httpx.get(
        f"{villain.base_url}/api/v1/rooms",
        headers={"Authorization": f"Bearer {response.json()['token']}"},
        timeout=10,
    )
    assert restricted.status_code == 403 and restricted.json()["error"]["until"] == until
    await refused(villain, "GET", "/api/v1/rooms", "banned", 403)
    # but the decision itself stays readable (to appeal it)
    mine = await ok(villain, "GET", "/api/v1/me/statements")
    assert mine["statements"][0]["kind"] == "ban"


async def test_a_permanent_ban_has_no_end(cast: Cast) -> None:
    admin = await cast.admin()
    villain = await cast.guest("vi", lang="en")
    await act(admin, kind="ban", user=villain.nick, reason="CSAM", rule="law.csam")
    statement = await villain.expect("statement")
    assert "until" not in statement and "(permanent)" in statement["decision"]
    assert "227-23" in statement["ground"] and "appeal" in statement["redress"]
    assert await close_code(villain) == 4003


async def test_an_ip_ban_stops_new_guest_entries_from_that_range(cast: Cast) -> None:
    admin = await cast.admin()
    address = "198.51.100.23"  # the server believes X-Forwarded-For from 127.0.0.1 (a trusted proxy)
    headers = {"X-Forwarded-For": address}
    entry = {"age": 30, "gender": "f", "region": "75", "accept_rules": True}
    async with httpx.AsyncClient(base_url=cast.base_url, timeout=10, headers=headers) as http:
        response = await http.post("/api/v1/session/guest", json={"nickname": nick("ip"), **entry})
        assert response.status_code == 201, response.text
        guest_token, guest_me = response.json()["token"], response.json()["me"]
    guest = Client(cast.base_url, guest_token, guest_me)
    await guest.connect()
    cast.opened.append(guest)
    # the case view shows where the guest came from; the ban covers their /24
    await act(admin, kind="ban", user=guest.nick, reason="évasion", rule="rules.evasion", also_ban_ip=True)
    assert await close_code(guest) == 4003
    await act(admin, kind="ban_ip", ip_range="198.51.100.0/24", duration_seconds=3600, reason="raid")
    async with httpx.AsyncClient(base_url=cast.base_url, timeout=10) as http:
        for forwarded in (address, "198.51.100.99"):
            response = await http.post(
                "/api/v1/session/guest",
                json={"nickname": nick("ip"), **entry},
                headers={"X-Forwarded-For": forwarded},
            )
            assert response.status_code == 403, response.text
            error = response.json()["error"]
            assert error["code"] == "banned" and "until" in error
        # registering from there is refused too; elsewhere, entry works
        response = await http.post(
            "/api/v1/accounts",
            json={"email": f"{nick('e')}@example.org", "password": PASSWORD, "nickname": nick("ip"), **entry},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert response.status_code == 403 and response.json()["error"]["code"] == "banned"
        response = await http.post(
            "/api/v1/session/guest",
            json={"nickname": nick("ok"), **entry},
            headers={"X-Forwarded-For": "198.51.101.1"},
        )
        assert response.status_code == 201
    # lifting the range ban reopens entry (the /32 ban of the first address stays)
    await act(admin, kind="lift_ip_ban", ip_range="198.51.100.0/24", reason="fin du raid")
    async with httpx.AsyncClient(base_url=cast.base_url, timeout=10) as http:
        response = await http.post(
            "/api/v1/session/guest",
            json={"nickname": nick("ip"), **entry},
            headers={"X-Forwarded-For": "198.51.100.99"},
        )
        assert response.status_code == 201, response.text
        response = await http.post(
            "/api/v1/session/guest", json={"nickname": nick("ip"), **entry}, headers={"X-Forwarded-For": address}
        )
        assert response.status_code == 403


async def test_shadow_hidden_messages_reach_their_author_only(cast: Cast) -> None:
    admin = await cast.admin()
    shady, reader, friend = await cast.guest("sh"), await cast.guest("re"), await cast.guest("fr")
    room = await new_room(reader)
    for c in (shady, reader, friend):
        await c.join(room)
    await act(admin, kind="shadow_hide", user=shady.nick, reason="spam discret", rule="rules.spam")
    await shady.expect("statement")  # DSA art. 17: a visibility restriction is stated too
    hidden = await shady.say(room, "venez sur mon site")
    assert hidden["type"] == "ack"
    echo = await shady.expect("message", room=room, seq=hidden["seq"])
    assert echo["text"] == "venez sur mon site"
    await barrier(reader, room, friend)
    assert "venez sur mon site" not in texts(reader, room)
    # DMs to others are swallowed too (no request, no message)
    dm = await shady.dm(friend.nick, "psst")
    assert dm["type"] == "ack"
    await barrier(friend, room, reader)
    assert not friend.received("dm_request") and "psst" not in [e.get("text") for e in friend.events]
    # history: the author sees it, nobody else does
    own = await ok(shady, "GET", f"/api/v1/rooms/{room}/messages")
    assert "venez sur mon site" in [m["text"] for m in own["messages"]]
    theirs = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert "venez sur mon site" not in [m["text"] for m in theirs["messages"]]
    # the room's sequence keeps going without a hole for the others
    after = await friend.say(room, "suite")
    assert after["seq"] == hidden["seq"] + 3  # after the hidden message and two barriers
    await reader.expect("message", room=room, seq=after["seq"])
    await act(admin, kind="unshadow", user=shady.nick, reason="fin")
    seen = await shady.say(room, "visible")
    await reader.expect("message", room=room, seq=seen["seq"])


async def test_statements_are_listed_in_the_users_language(cast: Cast) -> None:
    admin = await cast.admin()
    english = await cast.guest("en", lang="en")
    french = await cast.guest("fr", lang="fr")
    for target in (english, french):
        await act(admin, kind="warn", user=target.nick, reason="langage", rule="rules.respect")
    en = (await ok(english, "GET", "/api/v1/me/statements"))["statements"][0]
    fr = (await ok(french, "GET", "/api/v1/me/statements"))["statements"][0]
    assert en["lang"] == "en" and en["decision"].startswith("Warning") and "Causerie rules" in en["ground"]
    assert fr["lang"] == "fr" and fr["decision"].startswith("Avertissement") and "Règles" in fr["ground"]
    for st in (en, fr):
        assert all(st[field] is not None for field in STATEMENT_FIELDS)
        assert st["appeal_until"] - st["ts"] >= 183 * 86400 * 1000  # at least six months to appeal
        assert st["appeal"] is None
    # (e) redress names the internal appeal, out-of-court settlement and courts
    assert "appeal" in en["redress"] and "out-of-court" in en["redress"] and "court" in en["redress"]
    assert "extrajudiciaire" in fr["redress"] and "justice" in fr["redress"]


async def test_moderators_cannot_sanction_other_staff_and_need_a_reason(cast: Cast) -> None:
    one, two = await cast.moderator("m1"), await cast.moderator("m2")
    await refused(
        one,
        "POST",
        "/api/v1/moderation/actions",
        "forbidden",
        403,
        json={"kind": "mute", "user": two.nick, "duration_seconds": 60, "reason": "x"},
    )
    await refused(
        one,
        "POST",
        "/api/v1/moderation/actions",
        "bad_request",
        400,
        json={"kind": "warn", "user": two.nick, "reason": "   "},
    )
    await refused(
        one,
        "POST",
        "/api/v1/moderation/actions",
        "bad_request",
        400,
        json={"kind": "warn", "user": two.nick, "reason": "x", "rule": "no.such.rule"},
    )
    await refused(
        one,
        "POST",
        "/api/v1/moderation/actions",
        "bad_request",
        400,
        json={"kind": "explode", "user": two.nick, "reason": "x"},
    )
    token, _ = login_token(cast.base_url, f"{one.nick.lower()}@example.org")
    assert token
