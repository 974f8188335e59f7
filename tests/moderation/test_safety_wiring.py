"""The rules engine and risk signals on the live message path: block, hold, flag, nudge."""

from __future__ import annotations

import asyncio
from typing import Any

from support.client import Client

from .conftest import Cast
from .helpers import barrier, ok, texts


async def _cases_mentioning(admin: Client, needle: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Open cases whose reports' details mention ``needle`` (automated flags write their evidence there)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        queue = await ok(admin, "GET", "/api/v1/moderation/cases")
        found = []
        for case in queue["cases"]:
            view = await ok(admin, "GET", f"/api/v1/moderation/cases/{case['id']}")
            if needle in str(view):
                found.append(view)
        if found or loop.time() > deadline:
            return found
        await asyncio.sleep(0.1)  # the flag is filed after the commit, off the hot path


async def test_a_blocked_message_is_refused_stored_nowhere_and_flagged(cast: Cast) -> None:
    author, witness, admin = await cast.guest("blk"), await cast.guest("wit"), await cast.admin()
    room = "discussions-generales"
    await author.join(room)
    await witness.join(room)
    refused = await author.say(room, "échange pedo vids, mp moi")
    assert refused["type"] == "error" and refused["code"] == "message_blocked"
    await barrier(witness, room, author)
    assert not any("pedo" in t for t in texts(witness, room))
    history = await ok(author, "GET", f"/api/v1/rooms/{room}/messages", params={"limit": 100})
    assert not any("pedo" in m["text"] for m in history["messages"])
    cases = await _cases_mentioning(admin, "automated: block")
    assert cases, "the blocked attempt reaches moderators as an automated flag"


async def test_a_held_message_is_seen_only_by_its_author_until_a_moderator_restores_it(cast: Cast) -> None:
    dealer, witness, admin = await cast.guest("hld"), await cast.guest("wit"), await cast.admin()
    room = "sport"
    await dealer.join(room)
    await witness.join(room)
    held = await dealer.say(room, "vends md3a et c0ke, livraison rapide")
    assert held["type"] == "ack", "the author sees it as sent"
    await barrier(witness, room, dealer)
    assert not any("livraison" in t for t in texts(witness, room)), "nobody else receives it"
    mine = await ok(dealer, "GET", f"/api/v1/rooms/{room}/messages", params={"limit": 100})
    theirs = await ok(witness, "GET", f"/api/v1/rooms/{room}/messages", params={"limit": 100})
    assert any(m["id"] == held["id"] for m in mine["messages"])
    assert not any(m["id"] == held["id"] for m in theirs["messages"])

    cases = await _cases_mentioning(admin, "automated: hold")
    assert cases, "the held message is in the moderation queue"
    await ok(
        admin,
        "POST",
        "/api/v1/moderation/actions",
        status=201,
        json={"kind": "restore_message", "reason": "faux positif", "message_ids": [held["id"]]},
    )
    released = await witness.expect("message", room=room, seq=held["seq"])
    assert released["id"] == held["id"]


async def test_the_target_of_a_risky_meetup_proposal_gets_a_safety_nudge(cast: Cast) -> None:
    lurer, target = await cast.guest("lur", age=35), await cast.guest("tgt", age=22)
    sent = await lurer.dm(target.nick, "viens seul ce soir à minuit derrière la gare, ramène du liquide")
    assert sent["type"] == "ack"
    nudge = await target.expect("nudge")
    assert nudge["kind"] == "meetup_safety" and nudge["room"] == sent["room"] and nudge["peer"] == lurer.nick
    await lurer.drain(0.3)
    assert not lurer.received("nudge"), "the proposer is not tipped off"
