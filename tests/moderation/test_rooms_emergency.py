"""Room safety presets, slow mode, lock and close; the operator-wide emergency level."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from support.names import nick
from support.server import LiveServer

from .conftest import Cast, start_with_admin
from .helpers import act, new_room, ok, refused


async def test_owners_pick_a_preset_and_adjust_it(cast: Cast) -> None:
    owner, member = await cast.registered("ow"), await cast.guest("me")
    room = await new_room(owner)
    await member.join(room)
    assert (await ok(member, "GET", f"/api/v1/rooms/{room}/settings"))["settings"]["preset"] == "discussion"
    presets = (await ok(member, "GET", "/api/v1/moderation/presets"))["presets"]
    assert set(presets) == {"discussion", "rencontres", "region", "support"}
    await refused(member, "PUT", f"/api/v1/rooms/{room}/settings", "forbidden", 403, json={"preset": "support"})
    body = await ok(
        owner, "PUT", f"/api/v1/rooms/{room}/settings", json={"preset": "rencontres", "slow_mode_seconds": 30}
    )
    settings = body["settings"]
    assert settings["preset"] == "rencontres" and settings["slow_mode_seconds"] == 30
    assert settings["pictures"] is False and settings["hold_first_messages"] is True
    assert settings["min_account_age_minutes"] == presets["rencontres"]["min_account_age_minutes"] > 0
    assert "meetup_safety" in settings["rule_packs"]
    state = await member.expect("room_state", room=room)
    assert state["slow_mode"] == 30 and "pictures" in state
    # enforced: a guest who entered a minute ago may not speak in a "rencontres" room yet
    refusal = await member.say(room, "salut")
    assert refusal["code"] == "account_too_new" and refusal["retry_after"] > 0
    # adjust, without a preset: keeps the rest
    body = await ok(owner, "PUT", f"/api/v1/rooms/{room}/settings", json={"min_account_age_minutes": 0})
    assert body["settings"]["preset"] == "rencontres" and body["settings"]["slow_mode_seconds"] == 30
    await refused(owner, "PUT", f"/api/v1/rooms/{room}/settings", "bad_request", 400, json={"rule_packs": ["nope"]})
    # slow mode: one message, then wait
    assert (await member.say(room, "premier"))["type"] == "ack"
    refusal = await member.say(room, "deuxième")
    assert refusal["code"] == "slow_mode" and 0 < refusal["retry_after"] <= 30
    # the owner is not slowed down in their own room
    await owner.join(room)
    assert (await owner.say(room, "un"))["type"] == "ack"
    assert (await owner.say(room, "deux"))["type"] == "ack"


async def test_lock_and_close_a_room(cast: Cast) -> None:
    owner, helper, member = await cast.registered("ow"), await cast.registered("he"), await cast.guest("me")
    admin = await cast.admin()
    room = await new_room(owner)
    await ok(owner, "PUT", f"/api/v1/rooms/{room}/moderators/{helper.nick}")
    for c in (helper, member):
        await c.join(room)
    await act(helper, kind="lock_room", room=room, reason="raid en cours")
    state = await member.expect("room_state", room=room)
    assert state["locked"] is True
    assert (await member.say(room, "hé"))["code"] == "room_locked"
    assert (await helper.say(room, "on se calme"))["type"] == "ack"
    await act(helper, kind="reopen_room", room=room, reason="fini")
    assert (await member.say(room, "merci"))["type"] == "ack"
    # closing is for global staff; everyone leaves live and nobody may enter
    await refused(
        owner,
        "POST",
        "/api/v1/moderation/actions",
        "forbidden",
        403,
        json={"kind": "close_room", "room": room, "reason": "x"},
    )
    await act(admin, kind="close_room", room=room, reason="salon détourné")
    await member.expect("left", room=room)
    await helper.expect("left", room=room)
    await member.send({"type": "join", "room": room, "ref": "j1"})
    assert (await member.expect("error", ref="j1"))["code"] == "room_closed"
    await act(admin, kind="reopen_room", room=room, reason="repris en main")
    assert (await member.join(room))["room"]["slug"] == room


@pytest.fixture
async def emergency(fresh_server: LiveServer) -> AsyncIterator[Cast]:
    started = start_with_admin(fresh_server)
    people = Cast(started.base_url, started.admin_token, started.admin_me)
    try:
        yield people
    finally:
        await people.close()


async def guest_entry(base_url: str) -> httpx.Response:
    body = {"nickname": nick("g"), "age": 30, "gender": "m", "region": "13", "accept_rules": True}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        return await http.post("/api/v1/session/guest", json=body)


async def test_emergency_levels_tighten_everything_and_lowering_restores(emergency: Cast) -> None:
    cast = emergency
    admin = await cast.admin()
    moderator = await cast.moderator("mo")
    alice, bob = await cast.registered("al"), await cast.registered("bo")
    early_guest = await cast.guest("eg")
    room = await new_room(alice)
    for c in (alice, bob, early_guest):
        await c.join(room)
    async with httpx.AsyncClient(base_url=cast.base_url, timeout=10) as anonymous:
        assert (await anonymous.get("/api/v1/safety")).json()["level"] == 0
    await refused(moderator, "PUT", "/api/v1/moderation/emergency", "forbidden", 403, json={"level": 1, "reason": "x"})

    # level 1: new guests read only
    policy = await ok(admin, "PUT", "/api/v1/moderation/emergency", json={"level": 1, "reason": "raid de bots"})
    assert policy["new_guest_read_only_minutes"] == 30 and not policy["dm_strangers_off"]
    assert (await alice.expect("safety_level"))["level"] == 1
    refusal = await early_guest.say(room, "je suis nouveau")
    assert refusal["code"] == "emergency_read_only" and refusal["retry_after"] > 0
    assert (await alice.say(room, "les membres écrivent"))["type"] == "ack"
    assert (await guest_entry(cast.base_url)).status_code == 201  # entry stays open

    # level 2: no private message to someone who has not accepted you; pictures off
    policy = await ok(admin, "PUT", "/api/v1/moderation/emergency", json={"level": 2, "reason": "harcèlement en MP"})
    assert policy["dm_strangers_off"] and policy["pictures_off"]
    assert (await alice.dm(bob.nick, "bonjour inconnu"))["code"] == "emergency_dms_off"
    state = await ok(alice, "GET", "/api/v1/safety")
    assert state["level"] == 2

    # level 3: no new guest; members still log in
    await ok(admin, "PUT", "/api/v1/moderation/emergency", json={"level": 3, "reason": "attaque"})
    response = await guest_entry(cast.base_url)
    assert response.status_code == 503 and response.json()["error"]["code"] == "guest_entry_closed"
    assert (await alice.say(room, "toujours là"))["type"] == "ack"

    # lowering restores everything at once
    await ok(admin, "PUT", "/api/v1/moderation/emergency", json={"level": 0, "reason": "fin de l'attaque"})
    assert (await guest_entry(cast.base_url)).status_code == 201
    assert (await early_guest.say(room, "enfin"))["type"] == "ack"
    assert (await alice.dm(bob.nick, "bonjour"))["type"] == "ack"

    # every change is in the audit trail, with its reason
    entries = (await ok(admin, "GET", "/api/v1/moderation/audit"))["entries"]
    levels = [(e["details"]["level"], e["reason"]) for e in entries if e["action"] == "emergency.level"]
    assert levels == [(1, "raid de bots"), (2, "harcèlement en MP"), (3, "attaque"), (0, "fin de l'attaque")]
    verify = await ok(admin, "GET", "/api/v1/moderation/audit/verify")
    assert verify["ok"] is True and verify["checked"] == len(entries)
