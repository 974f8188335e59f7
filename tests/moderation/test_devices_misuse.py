"""Device ids and device bans, DSA art. 23 misuse suspensions, the restricted session of a banned
account, held first messages, and the console's smaller needs (issue 4), against a live server.

The server here has low art. 23 thresholds (two strikes) and holds one first message, so that the
flows stay short; its other settings are the test defaults.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from support.client import Client
from support.names import nick
from support.server import LiveServer

from .conftest import PASSWORD, Cast, ModServer, start_with_admin
from .helpers import act, barrier, close_code, new_room, ok, refused, report, texts

ENTRY = {"age": 30, "gender": "f", "region": "75", "accept_rules": True}
DAY_MS = 86400 * 1000


@pytest.fixture(scope="module")
def misuse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("misuse"),
        env={
            "CAUSERIE_MODERATION_REFRESH_SECONDS": "1",
            "CAUSERIE_MISUSE_NOTICE_STRIKES": "2",
            "CAUSERIE_MISUSE_CONTENT_STRIKES": "2",
            "CAUSERIE_HOLD_FIRST_MESSAGES_COUNT": "1",
        },
    )
    started = start_with_admin(server)
    try:
        yield started
    finally:
        server.stop()


@pytest.fixture
async def people(misuse_server: ModServer) -> AsyncIterator[Cast]:
    cast = Cast(misuse_server.base_url, misuse_server.admin_token, misuse_server.admin_me)
    try:
        yield cast
    finally:
        await cast.close()


def device() -> str:
    return uuid.uuid4().hex


async def enter(base_url: str, device_id: str | None, prefix: str = "d", **headers: str) -> httpx.Response:
    cookies = {"causerie_device": device_id} if device_id else None
    async with httpx.AsyncClient(base_url=base_url, timeout=10, cookies=cookies, headers=headers) as http:
        return await http.post("/api/v1/session/guest", json={"nickname": nick(prefix), **ENTRY})


async def connected(people: Cast, response: httpx.Response) -> Client:
    assert response.status_code == 201, response.text
    client = Client(people.base_url, response.json()["token"], response.json()["me"])
    await client.connect()
    people.opened.append(client)
    return client


def banned_until(response: httpx.Response) -> Any:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "banned", error
    return error["until"]


async def case_of(admin: Client, target_nick: str) -> dict[str, Any]:
    cases = (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"]
    found: list[dict[str, Any]] = [c for c in cases if c["nick"] == target_nick]
    assert found, cases
    return found[0]


# -- device ids and device bans -----------------------------------------------------------------------


async def test_the_device_cookie_is_set_once_and_recorded(people: Cast) -> None:
    admin = await people.admin()
    async with httpx.AsyncClient(base_url=people.base_url, timeout=10) as http:
        first = await http.post("/api/v1/session/guest", json={"nickname": nick("dv"), **ENTRY})
        assert first.status_code == 201
        header = next(h for h in first.headers.get_list("set-cookie") if h.startswith("causerie_device="))
        device_id = header.split(";")[0].split("=", 1)[1]
        assert len(device_id) == 32 and int(device_id, 16) >= 0
        lowered = header.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered and f"max-age={395 * 86400}" in lowered
        assert "secure" not in lowered  # plain HTTP test server
        # the jar sends it back: the same browser keeps its id, no new cookie
        second = await http.post("/api/v1/session/guest", json={"nickname": nick("dv"), **ENTRY})
        assert second.status_code == 201
        assert not [h for h in second.headers.get_list("set-cookie") if h.startswith("causerie_device=")]
    one, two = first.json()["me"]["nick"], second.json()["me"]["nick"]
    history = await ok(admin, "GET", f"/api/v1/moderation/users/{one}")
    assert history["devices"] == [device_id]
    assert two in [n["nick"] for n in history["device_nicknames"]]
    # a cookie we did not issue is ignored (a fresh id is set)
    forged = await enter(people.base_url, "not-a-device-id")
    assert forged.status_code == 201
    assert [h for h in forged.headers.get_list("set-cookie") if h.startswith("causerie_device=")]


async def test_a_device_ban_refuses_guest_entry_login_and_registration(people: Cast) -> None:
    admin, fair = await people.admin(), await people.moderator("fa")
    shared = device()
    villain = await connected(people, await enter(people.base_url, shared, "vi"))
    alias = await connected(people, await enter(people.base_url, shared, "al"))
    reporter = await people.guest("rp")
    # the case view shows the other nicknames from the same device
    await report(reporter, user=villain.nick, category="harassment_hate", details="insultes")
    case = await case_of(admin, villain.nick)
    view = await ok(admin, "GET", f"/api/v1/moderation/cases/{case['id']}")
    assert view["case"]["nick"] == villain.nick
    assert alias.nick in [n["nick"] for n in view["history"]["device_nicknames"]]
    # ban the devices seen for the villain, for a day, from the case
    done = await ok(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{case['id']}/actions",
        201,
        json={"kind": "ban_device", "duration_seconds": 86400, "reason": "harcèlement", "rule": "rules.respect"},
    )
    until = done["actions"][0]["until"]
    statement = await villain.expect("statement")
    assert statement["kind"] == "ban_device" and statement["until"] == until and not statement["automated"]
    # a new guest session from that browser is refused, saying until when; elsewhere it works
    assert banned_until(await enter(people.base_url, shared)) == until
    assert (await enter(people.base_url, device())).status_code == 201
    # registration and login from the banned device are refused too
    member = await people.registered("me")
    cookies = {"causerie_device": shared}
    async with httpx.AsyncClient(base_url=people.base_url, timeout=10, cookies=cookies) as http:
        registration = await http.post(
            "/api/v1/accounts",
            json={"email": f"{nick('e')}@example.org", "password": PASSWORD, "nickname": nick("rg"), **ENTRY},
        )
        assert banned_until(registration) == until
        login = await http.post(
            "/api/v1/session/login", json={"login": f"{member.nick.lower()}@example.org", "password": PASSWORD}
        )
        assert banned_until(login) == until
    # audited
    audit = (await ok(admin, "GET", "/api/v1/moderation/audit?limit=1000"))["entries"]
    assert any(e["action"] == "action.ban_device" and e["target"] == f"device:{shared}" for e in audit)
    # an explicit device id, permanent; then lifted
    other = device()
    await act(admin, kind="ban_device", device_id=other, reason="raid")
    assert banned_until(await enter(people.base_url, other)) is None
    await act(admin, kind="lift_device_ban", device_id=other, reason="erreur")
    assert (await enter(people.base_url, other)).status_code == 201
    # the villain appeals (with the session they still have); another moderator reverses the ban
    appeal = await ok(
        villain, "POST", "/api/v1/appeals", 201, json={"statement_id": statement["id"], "text": "ce n'était pas moi"}
    )
    await ok(
        fair,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['appeal']['id']}/decision",
        json={"decision": "reverse", "reason": "appareil partagé"},
    )
    assert (await enter(people.base_url, shared)).status_code == 201


async def test_a_ban_can_also_ban_the_accounts_devices(people: Cast) -> None:
    admin = await people.admin()
    browser = device()
    evader = await connected(people, await enter(people.base_url, browser, "ev"))
    done = await act(
        admin, kind="ban", user=evader.nick, duration_seconds=7200, reason="contournement", also_ban_device=True
    )
    until = done["actions"][0]["until"]
    assert await close_code(evader) == 4003
    assert banned_until(await enter(people.base_url, browser)) == until
    history = await ok(admin, "GET", f"/api/v1/moderation/users/{evader.nick}")
    assert {(x["kind"], x["device_id"]) for x in history["sanctions"]} >= {("ban", None), ("device_ban", browser)}
    # a device ban names a device or a user; a device id is 32 hexadecimal digits
    for body in ({}, {"device_id": "../../etc"}):
        await refused(
            admin,
            "POST",
            "/api/v1/moderation/actions",
            "bad_request",
            400,
            json={"kind": "ban_device", "reason": "x", **body},
        )


# -- the restricted session of a banned account -----------------------------------------------------------


async def test_a_banned_account_logs_in_to_a_restricted_session_and_can_log_out(people: Cast) -> None:
    admin = await people.admin()
    user = await people.registered("bn")
    await act(admin, kind="ban", user=user.nick, duration_seconds=3600, reason="menaces", rule="rules.respect")
    statement = await user.expect("statement")
    assert await close_code(user) == 4003
    async with httpx.AsyncClient(base_url=people.base_url, timeout=10) as http:
        login = await http.post(
            "/api/v1/session/login", json={"login": f"{user.nick.lower()}@example.org", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        body = login.json()
        assert body["banned"]["until"] == statement["until"]
        auth = {"Authorization": f"Bearer {body['token']}"}
        # it may read its statements and appeal…
        mine = (await http.get("/api/v1/me/statements", headers=auth)).json()["statements"]
        assert [s["id"] for s in mine] == [statement["id"]]
        filed = await http.post(
            "/api/v1/appeals", headers=auth, json={"statement_id": statement["id"], "text": "je conteste"}
        )
        assert filed.status_code == 201, filed.text
        # …but not chat: HTTP and WebSocket say banned, with until when
        rooms = await http.get("/api/v1/rooms", headers=auth)
        assert rooms.status_code == 403 and rooms.json()["error"]["until"] == statement["until"]
        ws = await websockets.connect(people.base_url.replace("http", "ws", 1) + "/ws")
        probe = Client(people.base_url, body["token"], body["me"])
        probe.ws = ws
        await probe.send({"type": "hello", "v": 1, "token": body["token"]})
        refusal = await probe.expect("error")
        assert refusal["code"] == "banned" and refusal["until"] == statement["until"]
        assert await close_code(probe) == 4003
        # the browser logs out with its HttpOnly cookie (and the CSRF header)
        cookie_client = httpx.AsyncClient(
            base_url=people.base_url,
            timeout=10,
            cookies={"causerie_session": body["token"]},
            headers={"X-Causerie-CSRF": "1"},
        )
        async with cookie_client:
            out = await cookie_client.delete("/api/v1/session")
            assert out.status_code == 204
            assert any(h.startswith("causerie_session=") for h in out.headers.get_list("set-cookie"))
        gone = await http.get("/api/v1/me/statements", headers=auth)
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "not_authenticated"


# -- DSA art. 23 -------------------------------------------------------------------------------------------


async def _dismiss_unfounded(admin: Client, target_nick: str) -> None:
    case = await case_of(admin, target_nick)
    await ok(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{case['id']}/actions",
        201,
        json={"kind": "dismiss", "reason": "signalement manifestement infondé", "unfounded": True},
    )


async def test_manifestly_unfounded_reports_suspend_the_reporter(people: Cast) -> None:
    admin, fair = await people.admin(), await people.moderator("fa")
    accuser = await people.registered("ac")
    # marking is for dismissals only
    await report(accuser, user=(await people.guest("t0")).nick, category="scam_spam")
    case = await case_of(admin, people.opened[-1].nick)
    await refused(
        admin,
        "POST",
        f"/api/v1/moderation/cases/{case['id']}/actions",
        "bad_request",
        400,
        json={"kind": "warn", "reason": "x", "unfounded": True},
    )
    await _dismiss_unfounded(admin, people.opened[-1].nick)
    assert not accuser.received("statement")
    target = await people.guest("t1")
    await report(accuser, user=target.nick, category="harassment_hate")
    await _dismiss_unfounded(admin, target.nick)
    # two strikes: the reporter's reports are suspended, automatically, with a statement of reasons
    statement = await accuser.expect("statement")
    assert statement["kind"] == "suspend_reports" and statement["automated"] is True
    assert statement["rule"] == "dsa.misuse_notices" and "23" in statement["ground"]
    assert 29 * DAY_MS < statement["until"] - statement["ts"] <= 30 * DAY_MS + 1000
    error = await refused(
        accuser,
        "POST",
        "/api/v1/reports",
        "reports_suspended",
        403,
        json={"category": "drugs", "user": target.nick, "good_faith": True},
    )
    assert error["until"] == statement["until"]
    # a child-safety report is never turned away
    await report(accuser, user=target.nick, category="minor_at_risk")
    # audited, counted for the transparency report
    audit = (await ok(admin, "GET", "/api/v1/moderation/audit?limit=1000"))["entries"]
    assert any(e["action"] == "misuse.suspend_reports" and e["target"] == f"account:{accuser.me['id']}" for e in audit)
    totals = (await ok(admin, "GET", "/api/v1/moderation/misuse"))["totals"]
    assert totals["suspensions_notice"] >= 1 and totals["strikes_notice"] >= 2
    await refused(accuser, "GET", "/api/v1/moderation/misuse", "forbidden", 403)
    # appealed and reversed by a moderator: reports are accepted again
    appeal = await ok(
        accuser, "POST", "/api/v1/appeals", 201, json={"statement_id": statement["id"], "text": "de bonne foi"}
    )
    await ok(
        fair,
        "POST",
        f"/api/v1/moderation/appeals/{appeal['appeal']['id']}/decision",
        json={"decision": "reverse", "reason": "signalements plausibles"},
    )
    await report(accuser, user=target.nick, category="drugs")


async def test_unfounded_anonymous_reports_suspend_the_address(people: Cast) -> None:
    admin = await people.admin()
    room = await new_room(await people.guest("ow"))
    address = "203.0.113.77"

    async def public(slug: str, forwarded: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=people.base_url, timeout=10) as http:
            return await http.post(
                "/api/v1/reports/public",
                json={"category": "rules_breach", "room": slug, "good_faith": True},
                headers={"X-Forwarded-For": forwarded},
            )

    for _ in range(2):
        assert (await public(room, address)).status_code == 201
        cases = (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"]
        case = next(c for c in cases if c["room"] == room and c["target"] == "room")
        await act(admin, case_id=case["id"], kind="dismiss", reason="infondé", unfounded=True)
    refusal = await public(room, address)
    assert refusal.status_code == 403 and refusal.json()["error"]["code"] == "reports_suspended"
    assert refusal.json()["error"]["until"] is not None
    assert (await public(room, "203.0.113.78")).status_code == 201


async def test_frequent_illegal_content_suspends_the_author_automatically(people: Cast) -> None:
    admin = await people.admin()
    author = await people.guest("au")
    # a breach of the rules is no strike; one decision on illegal content is not enough
    await act(admin, kind="warn", user=author.nick, reason="hors sujet", rule="rules.topic")
    await act(admin, kind="warn", user=author.nick, reason="menace", rule="law.threats")
    for _ in range(2):
        await author.expect("statement", kind="warn")
    room = await new_room(await people.guest("ow"))
    await author.join(room)
    assert (await author.say(room, "toujours là"))["type"] == "ack"
    # the second decision on illegal content: suspended for 7 days, automatically
    await act(admin, kind="warn", user=author.nick, reason="propos haineux", rule="law.hate")
    await author.expect("statement", kind="warn")
    ban = await author.expect("statement", kind="ban")
    assert ban["automated"] is True and ban["rule"] == "dsa.misuse_content"
    assert 7 * DAY_MS - 1000 <= ban["until"] - ban["ts"] <= 7 * DAY_MS + 1000
    assert await close_code(author) == 4003
    history = await ok(admin, "GET", f"/api/v1/moderation/users/{author.nick}")
    automatic = [a for a in history["actions"] if a["kind"] == "ban"]
    assert automatic and automatic[0]["automated"] is True and automatic[0]["actor_id"] is None
    totals = (await ok(admin, "GET", "/api/v1/moderation/misuse"))["totals"]
    assert totals["suspensions_content"] >= 1 and totals["strikes_content"] >= 2


# -- held first messages ------------------------------------------------------------------------------------


async def test_first_messages_are_held_and_queued_in_a_room_that_holds_them(people: Cast) -> None:
    admin = await people.admin()
    owner, newcomer, reader = await people.registered("ow"), await people.guest("nw"), await people.guest("rd")
    room = await new_room(owner)
    await ok(owner, "PUT", f"/api/v1/rooms/{room}/settings", json={"hold_first_messages": True})
    for c in (owner, newcomer, reader):
        await c.join(room)
    held = await newcomer.say(room, "bonjour à tous")
    assert held["type"] == "ack"
    echo = await newcomer.expect("message", room=room, seq=held["seq"])  # the author sees it as sent
    assert echo["text"] == "bonjour à tous"
    await barrier(reader, room, owner)  # the owner is not held in their own room
    assert "bonjour à tous" not in texts(reader, room)
    theirs = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert "bonjour à tous" not in [m["text"] for m in theirs["messages"]]
    # it is in the queue, as an automated notice on the message; restoring it shows it to everyone
    cases = (await ok(admin, "GET", "/api/v1/moderation/cases"))["cases"]
    case = next(c for c in cases if c["message_id"] == held["id"])
    assert case["nick"] == newcomer.nick
    await act(admin, case_id=case["id"], kind="restore_message", message_ids=[held["id"]], reason="message correct")
    shown = await reader.expect("message", room=room, seq=held["seq"])
    assert shown["text"] == "bonjour à tous"
    # one approved message (hold_first_messages_count = 1): the next ones go through
    ack = await newcomer.say(room, "deuxième message")
    assert (await reader.expect("message", room=room, seq=ack["seq"]))["text"] == "deuxième message"


# -- the console's smaller needs ----------------------------------------------------------------------------


async def test_room_moderators_change_their_rooms_settings_and_no_other(people: Cast) -> None:
    owner, helper, member, stranger = (
        await people.registered("ow"),
        await people.registered("he"),
        await people.guest("me"),
        await people.registered("st"),
    )
    room, elsewhere = await new_room(owner), await new_room(stranger)
    await ok(owner, "PUT", f"/api/v1/rooms/{room}/moderators/{helper.nick}")
    body = await ok(helper, "PUT", f"/api/v1/rooms/{room}/settings", json={"preset": "support"})
    assert body["settings"]["preset"] == "support" and body["settings"]["hold_first_messages"] is True
    await refused(helper, "PUT", f"/api/v1/rooms/{elsewhere}/settings", "forbidden", 403, json={"preset": "support"})
    await refused(member, "PUT", f"/api/v1/rooms/{room}/settings", "forbidden", 403, json={"preset": "discussion"})
    audit_actor = await people.admin()
    entries = (await ok(audit_actor, "GET", "/api/v1/moderation/audit?limit=1000"))["entries"]
    assert any(e["action"] == "room.settings" and e["actor_id"] == helper.me["id"] for e in entries)


async def test_cases_name_their_target_categories_have_labels_and_the_public_form_lists_rooms(
    people: Cast,
) -> None:
    admin = await people.admin()
    reporter, target = await people.guest("rp"), await people.guest("tg")
    await report(reporter, user=target.nick, category="scam_spam")
    event = await admin.expect("case", nick=target.nick)
    assert event["category"] == "scam_spam"
    case = await case_of(admin, target.nick)
    assert case["id"] == event["id"]
    english = await ok(admin, "GET", "/api/v1/moderation/categories?lang=en")
    labels = {c["code"]: c for c in english["labels"]}
    assert labels["scam_spam"]["label"] == "Scams or spam" and labels["scam_spam"]["fr"] == "Arnaque ou spam"
    assert set(labels) == set(english["categories"])
    room = await new_room(reporter)
    async with httpx.AsyncClient(base_url=people.base_url, timeout=10) as http:  # no session
        listed = (await http.get("/api/v1/reports/rooms")).json()["rooms"]
    assert room in [r["slug"] for r in listed]
