"""Automated safety on a live server: join and report buckets, progressive privileges as the user
sees them, the human check on guest entry, and rule packs edited by an admin without a restart."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from causerie.services.humancheck import leading_zero_bits, solve
from support.client import unique_nick
from support.server import LiveServer

from .conftest import Cast, ModServer, start_with_admin
from .helpers import call, ok, refused

SAFETY_ENV = {
    "CAUSERIE_ROOM_JOINS_PER_ACCOUNT": "3",
    "CAUSERIE_ROOM_JOINS_WINDOW": "600",
    "CAUSERIE_REPORT_BURST_PER_ACCOUNT": "2",
    "CAUSERIE_REPORTS_PER_HOUR": "30",
    "CAUSERIE_PRIVILEGE_LINKS_MINUTES": "20",
    "CAUSERIE_PRIVILEGE_DM_STRANGERS_MINUTES": "10",
    "CAUSERIE_MEDIA_NEW_ACCOUNT_MINUTES": "20",
}


@pytest.fixture(scope="module")
def safety_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModServer]:
    folder = tmp_path_factory.mktemp("safety-live")
    env = {**SAFETY_ENV, "CAUSERIE_SAFETY_RULES_DIR": str(folder / "rules")}
    server = LiveServer(folder, env=env)
    started = start_with_admin(server)
    try:
        yield started
    finally:
        server.stop()


@pytest.fixture
async def people(safety_server: ModServer) -> AsyncIterator[Cast]:
    cast = Cast(safety_server.base_url, safety_server.admin_token, safety_server.admin_me)
    try:
        yield cast
    finally:
        await cast.close()


# -- buckets ------------------------------------------------------------------------------------


async def test_room_joins_per_account_are_a_bucket_with_the_time_to_wait(people: Cast) -> None:
    user = await people.guest("jn")
    for room in ("sport", "musique", "cinema-series"):
        assert (await user.join(room))["type"] == "joined"
    await user.send({"type": "join", "room": "tech", "ref": "fourth"})
    error = await user.expect_reply("fourth")
    assert error["type"] == "error" and error["code"] == "too_many_joins"
    assert 0 < error["retry_after"] <= 200
    other = await people.guest("jn")  # per account: someone else still enters
    assert (await other.join("tech"))["type"] == "joined"


async def test_reports_per_account_are_a_bucket_and_child_safety_reports_always_pass(people: Cast) -> None:
    reporter, target = await people.guest("rp"), await people.guest("tg")
    for _ in range(2):
        await ok(
            reporter,
            "POST",
            "/api/v1/reports",
            201,
            json={"category": "scam_spam", "user": target.nick, "good_faith": True},
        )
    response = await call(
        reporter, "POST", "/api/v1/reports", json={"category": "scam_spam", "user": target.nick, "good_faith": True}
    )
    assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_reports"
    assert int(response.headers["Retry-After"]) > 0 and response.json()["error"]["retry_after"] > 0
    child = {"category": "child_sexual_abuse", "user": target.nick, "good_faith": True}
    await ok(reporter, "POST", "/api/v1/reports", 201, json=child)


# -- progressive privileges -----------------------------------------------------------------


async def test_a_new_account_sees_its_privileges_and_the_server_enforces_them(people: Cast) -> None:
    newcomer, stranger = await people.guest("nw"), await people.guest("st")
    body = await ok(newcomer, "GET", "/api/v1/me/privileges")
    state = {p["name"]: p for p in body["privileges"]}
    assert set(state) == {"dm_strangers", "links", "pictures", "room_creation"}
    assert not state["links"]["unlocked"] and state["links"]["minutes"] == 20
    assert state["links"]["until"] == body["created"] + 20 * 60_000 and state["links"]["reason"] == "new_account"
    assert not state["pictures"]["unlocked"] and state["room_creation"]["unlocked"]

    await newcomer.join("sport")
    assert (await newcomer.say("sport", "salut tout le monde"))["type"] == "ack"  # public rooms at once
    error = await newcomer.say("sport", "venez sur www.mon-site.fr")
    assert error["code"] == "privilege_locked" and error["retry_after"] > 1100
    assert error["until"] == state["links"]["until"]
    error = await newcomer.dm(stranger.nick, "coucou")
    assert error["code"] == "privilege_locked" and 0 < error["retry_after"] <= 600


# -- rules edited by an admin -----------------------------------------------------------------


async def test_an_admin_adds_a_rule_and_the_next_matching_message_is_blocked_without_a_restart(people: Cast) -> None:
    admin, user, moderator = await people.admin(), await people.guest("ru"), await people.moderator("mr")
    await user.join("musique")
    word = f"zorblax{unique_nick('')[:6]}"
    assert (await user.say("musique", f"qui veut du {word} ?"))["type"] == "ack"

    packs = await ok(admin, "GET", "/api/v1/admin/safety/rules")
    assert any(p["origin"] == "packaged" and p["name"] == "drugs.toml" for p in packs["packs"])
    packaged = await ok(admin, "GET", "/api/v1/admin/safety/rules/packaged/drugs.toml")
    assert "[[rules]]" in packaged["content"]
    await refused(moderator, "GET", "/api/v1/admin/safety/rules", "forbidden", 403)

    bad = '[[rules]]\nid = "local.x"\ncategory = "spam"\naction = "block"\nterms = ["a"\n'
    error = await refused(
        admin, "PUT", "/api/v1/admin/safety/rules/local.toml", "rule_file_invalid", 422, json={"content": bad}
    )
    assert "local.toml, line" in error["message"]
    unknown = '[[rules]]\nid = "local.y"\ncategory = "spam"\naction = "block"\nterms = ["b"]\ncolour = "red"\n'
    error = await refused(
        admin, "PUT", "/api/v1/admin/safety/rules/local.toml", "rule_file_invalid", 422, json={"content": unknown}
    )
    assert "line 1" in error["message"] or "line 2" in error["message"], error

    rule = f'[[rules]]\nid = "local.{word}"\ncategory = "spam"\naction = "block"\nterms = ["{word}"]\n'
    await ok(
        admin, "PUT", "/api/v1/admin/safety/rules/local.toml", json={"content": rule, "reason": "nouvelle arnaque"}
    )
    blocked = await user.say("musique", f"qui veut du {word} ?")
    assert blocked["type"] == "error" and blocked["code"] == "message_blocked"

    listed = await ok(admin, "GET", "/api/v1/admin/safety/rules")
    assert {k: v for k, v in next(p for p in listed["packs"] if p["name"] == "local.toml").items() if k != "size"} == {
        "name": "local.toml",
        "origin": "operator",
        "enabled": True,
    }
    await ok(admin, "PUT", "/api/v1/admin/safety/rules/local.toml/enabled", json={"enabled": False, "reason": "test"})
    assert (await user.say("musique", f"qui veut du {word} ?!"))["type"] == "ack"
    await ok(admin, "PUT", "/api/v1/admin/safety/rules/local.toml/enabled", json={"enabled": True})
    assert (await user.say("musique", f"du {word} ici"))["code"] == "message_blocked"

    entries = (await ok(admin, "GET", "/api/v1/moderation/audit"))["entries"]
    actions = [e["action"] for e in entries if e["target"] == "rules:local.toml"]
    assert actions == ["safety.rules.create", "safety.rules.disable", "safety.rules.enable"], actions


# -- the human check ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("human-check"),
        env={"CAUSERIE_HUMAN_CHECK": "true", "CAUSERIE_HUMAN_CHECK_DIFFICULTY": "10"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _entry(**extra: object) -> dict[str, object]:
    return {"nickname": unique_nick("pw"), "age": 30, "gender": "f", "region": "75", "accept_rules": True, **extra}


async def test_guest_entry_needs_a_solved_single_use_challenge(checked_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=checked_server.base_url, timeout=10) as http:
        response = await http.post("/api/v1/session/guest", json=_entry())
        assert response.status_code == 403 and response.json()["error"]["code"] == "human_check_required"

        issued = (await http.get("/api/v1/session/challenge")).json()
        assert issued["required"] and issued["difficulty"] == 10
        challenge = issued["challenge"]
        nonce = solve(challenge, 10)
        wrong = next(
            str(n) for n in range(1000) if leading_zero_bits(hashlib.sha256(f"{challenge}:{n}".encode()).digest()) < 10
        )
        response = await http.post("/api/v1/session/guest", json=_entry(challenge=challenge, nonce=wrong))
        assert response.status_code == 403 and response.json()["error"]["code"] == "human_check_failed"
        forged = challenge.replace(".10.", ".1.", 1)
        response = await http.post("/api/v1/session/guest", json=_entry(challenge=forged, nonce=solve(forged, 1)))
        assert response.json()["error"]["code"] == "human_check_failed"  # the difficulty is signed

        response = await http.post("/api/v1/session/guest", json=_entry(challenge=challenge, nonce=nonce))
        assert response.status_code == 201, response.text
        replay = await http.post("/api/v1/session/guest", json=_entry(challenge=challenge, nonce=nonce))
        assert replay.status_code == 403 and replay.json()["error"]["code"] == "human_check_failed"


def test_the_solver_and_the_bit_count_agree() -> None:
    assert leading_zero_bits(bytes([0, 0, 0x10]) + bytes(29)) == 19
    assert leading_zero_bits(bytes([0x80]) + bytes(31)) == 0
    assert leading_zero_bits(bytes(32)) == 256
