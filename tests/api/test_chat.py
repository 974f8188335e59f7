"""Rooms over real WebSocket connections to the shared live server.

Negative checks ("X did not arrive") use a barrier instead of a sleep: a later event that the
server sends through the same path after X would have been sent, so once the barrier arrives, X
would already be in the buffer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
import websockets

from support.client import Client
from support.names import nick
from support.server import LiveServer

from .conftest import Users


def cid(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def new_room(owner: Client, kind: str = "public", **fields: Any) -> str:
    async with owner.http() as http:
        response = await http.post("/api/v1/rooms", json={"name": nick("Salon "), "kind": kind, **fields})
    assert response.status_code == 201, response.text
    slug: str = response.json()["slug"]
    return slug


async def send_raw(client: Client, data: str | bytes) -> None:
    assert client.ws is not None
    await client.ws.send(data)


async def close_code(client: Client, timeout: float = 5.0) -> int | None:
    """Read until the server closes the connection; its close code."""
    assert client.ws is not None
    try:
        async with asyncio.timeout(timeout):
            while True:
                await client.ws.recv()
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None
    raise AssertionError("unreachable")


async def history(client: Client, room: str, before: int | None = None, limit: int = 50) -> dict[str, Any]:
    ref = cid("h")
    frame: dict[str, Any] = {"type": "history", "room": room, "limit": limit, "ref": ref}
    if before is not None:
        frame["before"] = before
    await client.send(frame)
    return await client.expect("history", ref=ref)


async def rest_history(client: Client, room: str, **params: Any) -> dict[str, Any]:
    async with client.http() as http:
        response = await http.get(f"/api/v1/rooms/{room}/messages", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def send_many(client: Client, room: str, texts: list[str]) -> list[dict[str, Any]]:
    """Send every frame first, then collect the replies (the server processes them in order)."""
    ids = [cid("m") for _ in texts]
    for client_id, text in zip(ids, texts, strict=True):
        await client.send({"type": "send", "room": room, "text": text, "client_id": client_id})
    return [await client.expect_reply(i, timeout=10) for i in ids]


async def expect_presence(client: Client, room: str, action: str, who: Client) -> dict[str, Any]:
    """The presence event about ``who`` (a joiner also sees its own arrival: skipped here)."""
    while True:
        event = await client.expect("presence", room=room, action=action)
        if event["member"]["nick"] == who.nick:
            return event


def author_of(client: Client) -> dict[str, Any]:
    return {k: client.me[k] for k in ("id", "nick", "age", "gender", "region")}


# -- chatting ---------------------------------------------------------------------------------------


async def test_two_users_chat_both_ways(users: Users) -> None:
    alice = await users("al", age=27, gender="f", region="69")
    bob = await users("bo", age=31, gender="m", region="75")
    room = await new_room(alice)
    joined = await alice.join(room)
    assert joined["room"]["slug"] == room and joined["room"]["kind"] == "public"
    assert joined["last_seq"] == 0
    assert [m["nick"] for m in joined["members"]] == [alice.nick]
    joined = await bob.join(room)
    assert {m["nick"] for m in joined["members"]} == {alice.nick, bob.nick}
    assert next(m for m in joined["members"] if m["nick"] == alice.nick) == author_of(alice)
    seen = await expect_presence(alice, room, "join", bob)
    assert seen["member"] == author_of(bob)

    ack = await alice.say(room, "salut Bob")
    assert ack["type"] == "ack" and ack["room"] == room and ack["seq"] == 1
    assert isinstance(ack["id"], int) and isinstance(ack["ts"], int) and "duplicate" not in ack
    message = await bob.expect("message", room=room, seq=1)
    assert message["id"] == ack["id"] and message["ts"] == ack["ts"]
    assert message["text"] == "salut Bob"
    assert message["author"] == author_of(alice)

    ack2 = await bob.say(room, "salut Alice")
    assert ack2["seq"] == 2 and ack2["id"] > ack["id"]
    reply = await alice.expect("message", room=room, seq=2)
    assert reply["author"]["nick"] == bob.nick and reply["text"] == "salut Alice"
    assert "reply" not in reply and "mentions" not in reply  # defaults are omitted


async def test_presence_join_leave_and_disconnect(users: Users) -> None:
    alice, bob, carol = await users("al"), await users("bo"), await users("ca")
    room = await new_room(alice)
    await alice.join(room)
    await bob.join(room)
    await expect_presence(alice, room, "join", bob)
    await bob.send({"type": "leave", "room": room})
    await bob.expect("left", room=room)
    await expect_presence(alice, room, "leave", bob)
    await carol.join(room)
    await expect_presence(alice, room, "join", carol)
    await carol.close()  # presence_grace_seconds is 0 on test servers
    await expect_presence(alice, room, "leave", carol)
    async with alice.http() as http:
        members = (await http.get(f"/api/v1/rooms/{room}/members")).json()["members"]
    assert [m["nick"] for m in members] == [alice.nick]
    await bob.send({"type": "leave", "room": room})
    error = await bob.expect("error")
    assert error["code"] == "not_in_room"


async def test_typing_is_relayed_and_throttled(users: Users) -> None:
    alice, bob = await users("al"), await users("bo")
    room = await new_room(alice)
    await alice.join(room)
    await bob.join(room)
    for _ in range(3):
        await alice.send({"type": "typing", "room": room})
    typing = await bob.expect("typing", room=room)
    assert typing == {"type": "typing", "room": room, "nick": alice.nick}
    await alice.say(room, "barrier")  # published after the typing frames were handled
    await bob.expect("message", room=room, text="barrier")
    assert bob.received("typing") == []  # the two others were dropped (the first was consumed)
    await bob.send({"type": "typing", "room": "accueil"})  # not joined
    assert (await bob.expect("error"))["code"] == "not_in_room"


async def test_mentions(users: Users) -> None:
    alice, bob, carol = await users("al"), await users("bo"), await users("ca")
    room = await new_room(alice)
    for client in (alice, bob, carol):
        await client.join(room)
    ack = await alice.say(room, f"@{bob.nick.upper()} tu écoutes quoi ? @nobodyhere")
    message = await bob.expect("message", room=room, seq=ack["seq"])
    assert message["mentions"] == [bob.nick]
    mention = await bob.expect("mention")
    assert mention == {"type": "mention", "room": room, "seq": ack["seq"], "id": ack["id"], "by": alice.nick}
    await alice.say(room, "barrier")
    await carol.expect("message", text="barrier")
    assert carol.received("mention") == []


async def test_reply_carries_an_excerpt(users: Users) -> None:
    alice, bob = await users("al"), await users("bo")
    room = await new_room(alice)
    await alice.join(room)
    await bob.join(room)
    original = "x" * 60 + "y" * 240
    first = await alice.say(room, original)
    ack = await bob.say(room, "d'accord", reply_to=first["seq"])
    assert ack["type"] == "ack"
    message = await alice.expect("message", seq=ack["seq"])
    assert message["reply"] == {"seq": first["seq"], "nick": alice.nick, "excerpt": original[:120]}
    page = await history(alice, room)
    assert page["messages"][-1]["reply"] == message["reply"]

    error = await bob.say(room, "hein ?", reply_to=999)
    assert error["type"] == "error" and error["code"] == "reply_not_found"
    other = await new_room(bob)
    await bob.join(other)
    error = await bob.say(other, "wrong room", reply_to=first["seq"] + 5)
    assert error["code"] == "reply_not_found"


# -- history and resume -------------------------------------------------------------------------------


async def test_history_paging_over_websocket_and_rest(users: Users) -> None:
    alice = await users("al")
    room = await new_room(alice)
    await alice.join(room)
    acks = await send_many(alice, room, [f"message {i}" for i in range(1, 121)])
    assert [a["seq"] for a in acks] == list(range(1, 121))

    seen: list[int] = []
    before: int | None = None
    pages = 0
    while True:
        page = await history(alice, room, before=before, limit=50)
        seqs = [m["seq"] for m in page["messages"]]
        assert seqs == sorted(seqs)
        assert all(m["text"] == f"message {m['seq']}" for m in page["messages"])
        seen = seqs + seen
        pages += 1
        if not page.get("more"):
            break
        before = seqs[0]
    assert seen == list(range(1, 121))
    assert pages == 3

    clipped = await history(alice, room, limit=500)
    assert len(clipped["messages"]) == 100 and clipped["more"] is True  # history_page_max

    rest_seen: list[int] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        body = await rest_history(alice, room, **params)
        seqs = [m["seq"] for m in body["messages"]]
        rest_seen = seqs + rest_seen
        if not body["more"]:
            break
        params["before"] = seqs[0]
    assert rest_seen == list(range(1, 121))
    middle = await rest_history(alice, room, before=61, limit=10)
    assert [m["seq"] for m in middle["messages"]] == list(range(51, 61)) and middle["more"] is True


async def test_resume_after_reconnect_has_no_hole_and_no_duplicate(users: Users) -> None:
    alice, bob = await users("al"), await users("bo")
    room = await new_room(alice)
    await alice.join(room)
    await bob.join(room)
    for text in ("one", "two"):
        await bob.say(room, text)
    last = (await alice.expect("message", room=room, text="two"))["seq"]

    await alice.close()
    missed = await send_many(bob, room, [f"missed {i}" for i in range(5)])
    await alice.connect()
    await alice.send({"type": "join", "room": room, "since": last, "ref": "j1"})
    joined = await alice.expect("joined", ref="j1")
    assert joined["last_seq"] == last + 5
    replay = await alice.expect("history", room=room)
    assert replay["resume"] is True and replay.get("more", False) is False
    assert [m["seq"] for m in replay["messages"]] == [a["seq"] for a in missed] == list(range(last + 1, last + 6))
    assert [m["text"] for m in replay["messages"]] == [f"missed {i}" for i in range(5)]
    live = await send_many(bob, room, ["live 1", "live 2"])
    for ack in live:
        await alice.expect("message", seq=ack["seq"])
    messages = [m["seq"] for m in alice.received("message", room=room)]
    assert messages == []  # everything was consumed exactly once above
    await alice.say(room, "barrier")
    await alice.expect("message", text="barrier")
    assert alice.received("message", room=room) == []  # no late duplicate of the replayed ones


async def test_join_with_since_under_traffic_misses_nothing(users: Users) -> None:
    """A reader resumes while a writer keeps sending: every seq arrives once, in order."""
    writer, reader = await users("wr"), await users("rd")
    room = await new_room(writer)
    await writer.join(room)
    await send_many(writer, room, [f"before {i}" for i in range(10)])
    ids = [cid("t") for _ in range(40)]

    async def write() -> None:
        for i, client_id in enumerate(ids):
            await writer.send({"type": "send", "room": room, "text": f"during {i}", "client_id": client_id})
            if i % 5 == 0:
                await asyncio.sleep(0)  # interleave with the reader's join

    task = asyncio.create_task(write())
    await reader.send({"type": "join", "room": room, "since": 3})
    await task
    acks = [await writer.expect_reply(i, timeout=10) for i in ids]
    last = max(a["seq"] for a in acks)
    assert last == 50
    seqs: list[int] = []
    while not seqs or seqs[-1] < last:
        await reader._read(5)
        seqs = []
        for event in reader.events:
            if event["type"] == "history":
                seqs += [m["seq"] for m in event["messages"]]
            elif event["type"] == "message":
                seqs.append(event["seq"])
    assert seqs == list(range(4, last + 1))


async def test_duplicate_client_id_is_acked_again_and_stored_once(users: Users) -> None:
    alice, bob = await users("al"), await users("bo")
    room = await new_room(alice)
    await alice.join(room)
    await bob.join(room)
    client_id = cid("retry")
    first = await alice.say(room, "une fois", client_id=client_id)
    again = await alice.say(room, "une fois", client_id=client_id)
    changed = await alice.say(room, "autre texte", client_id=client_id)
    for ack in (again, changed):
        assert ack["type"] == "ack" and ack["duplicate"] is True
        assert (ack["seq"], ack["id"], ack["ts"], ack["room"], ack["ref"]) == (
            first["seq"],
            first["id"],
            first["ts"],
            room,
            client_id,
        )
    await alice.say(room, "barrier")
    await bob.expect("message", text="barrier")
    assert [m["text"] for m in bob.received("message")] == ["une fois"]
    page = await history(bob, room)
    assert [m["text"] for m in page["messages"]] == ["une fois", "barrier"]
    assert [m["seq"] for m in page["messages"]] == [1, 2]


async def test_a_client_id_reused_in_another_room_repeats_the_original_ack(users: Users) -> None:
    alice = await users("al")
    first_room, second_room = await new_room(alice), await new_room(alice)
    await alice.join(first_room)
    await alice.join(second_room)
    client_id = cid("reused")
    first = await alice.say(first_room, "ici", client_id=client_id)
    again = await alice.say(second_room, "là", client_id=client_id)
    assert again["duplicate"] is True
    assert (again["room"], again["seq"], again["id"]) == (first_room, first["seq"], first["id"])
    assert (await history(alice, second_room))["messages"] == []


# -- refusals -------------------------------------------------------------------------------------------


async def test_message_length_limits(users: Users) -> None:
    alice = await users("al")
    room = await new_room(alice)
    await alice.join(room)
    too_long = await alice.say(room, "é" * 1001)
    assert too_long["type"] == "error" and too_long["code"] == "message_too_long"
    ok = await alice.say(room, "é" * 1000)  # code points, not bytes
    assert ok["type"] == "ack"
    page = await history(alice, room)
    assert [m["text"] for m in page["messages"]] == ["é" * 1000]  # never truncated
    for empty in ("", "   ", "\n\n", "\u200b\u200b"):
        refused = await alice.say(room, empty)
        assert refused["type"] == "error" and refused["code"] == "message_empty", empty
    assert (await history(alice, room))["messages"][-1]["seq"] == 1


async def test_sending_needs_a_joined_room(users: Users) -> None:
    alice = await users("al")
    refused = await alice.say("accueil", "hello")
    assert refused["type"] == "error" and refused["code"] == "not_in_room"
    missing = await alice.say("no-such-room-" + nick(), "hello")
    assert missing["code"] == "room_not_found"
    await alice.send({"type": "join", "room": "no-such-room", "ref": "j"})
    assert (await alice.expect("error", ref="j"))["code"] == "room_not_found"
    bad_id = await alice.say("accueil", "hello", client_id="x" * 65)
    assert bad_id["code"] == "bad_frame"


async def test_bad_frame_keeps_the_session_open(users: Users) -> None:
    alice = await users("al")
    for raw in ("not json", '{"type": "send", "room": "accueil"}', '{"type": "ping", "colour": "blue"}', "[1]"):
        await send_raw(alice, raw)
        error = await alice.expect("error")
        assert error["code"] == "bad_frame" and error["message"]
    await alice.send({"type": "ping", "ref": "still-there"})
    assert await alice.expect("pong", ref="still-there")
    await alice.send({"type": "hello", "v": 1})  # a second hello is a protocol error, not fatal
    assert (await alice.expect("error"))["code"] == "bad_frame"
    await alice.send({"type": "ping", "ref": "again"})
    await alice.expect("pong", ref="again")


async def test_integers_beyond_64_bits_are_bad_frames(users: Users) -> None:
    alice = await users("al")
    room = await new_room(alice)
    await alice.join(room)
    huge = 10**30
    for frame in (
        {"type": "history", "room": room, "before": huge, "ref": "h"},
        {"type": "send", "room": room, "text": "x", "client_id": cid(), "reply_to": huge},
        {"type": "join", "room": room, "since": huge, "ref": "j"},
    ):
        await alice.send(frame)
        assert (await alice.expect("error"))["code"] == "bad_frame"
    ack = await alice.say(room, "still connected")
    assert ack["type"] == "ack"
    async with alice.http() as http:
        response = await http.get(f"/api/v1/rooms/{room}/messages", params={"before": huge})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


async def test_too_many_bad_frames_close_with_1008(users: Users) -> None:
    alice = await users("al")
    for _ in range(10):  # ws_max_bad_frames
        await send_raw(alice, "{")
    await alice.send({"type": "ping", "ref": "p"})
    await alice.expect("pong", ref="p")
    assert len(alice.received("error", code="bad_frame")) == 10
    await send_raw(alice, "{")
    assert await close_code(alice) == 1008


async def test_frame_over_the_limit_closes_with_1009(users: Users) -> None:
    alice = await users("al")
    text = "a" * 70_000
    await send_raw(alice, json.dumps({"type": "send", "room": "accueil", "text": text, "client_id": "big"}))
    assert await close_code(alice) == 1009


async def test_handshake_and_hello_refusals(live_server: LiveServer) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        await websockets.connect(live_server.ws_url, origin=websockets.Origin("http://evil.example"))
    assert info.value.response.status_code == 403
    own = websockets.Origin(live_server.base_url)
    for hello, code in [
        ({"type": "hello", "v": 1}, 4001),
        ({"type": "hello", "v": 1, "token": "not-a-session"}, 4001),
        ({"type": "hello", "v": 2}, 4002),
        ({"type": "ping"}, 4001),
    ]:
        async with websockets.connect(live_server.ws_url, origin=own) as ws:
            await ws.send(json.dumps(hello))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code, hello


async def test_browser_cookie_authenticates_the_websocket(live_server: LiveServer, users: Users) -> None:
    alice = await users("al")
    headers = {"Cookie": f"causerie_session={alice.token}"}
    async with websockets.connect(
        live_server.ws_url, origin=websockets.Origin(live_server.base_url), additional_headers=headers
    ) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1, "lang": "en"}))
        welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome" and welcome["me"]["nick"] == alice.nick
    assert welcome["lang"] == "en" and welcome["limits"]["max_message_chars"] == 1000


# -- rooms ------------------------------------------------------------------------------------------------


async def test_age_gated_room(users: Users) -> None:
    older = await users("ol", age=40)
    await older.send({"type": "join", "room": "18-25-ans", "ref": "gate"})
    error = await older.expect("error", ref="gate")
    assert error["code"] == "room_age_gate"
    young = await users("yo", age=25)
    joined = await young.join("18-25-ans")
    assert joined["room"].get("min_age", 18) == 18 and joined["room"]["max_age"] == 25  # 18 is the default: omitted
    async with older.http() as http:
        response = await http.get("/api/v1/rooms/18-25-ans/messages")
    assert response.status_code == 403 and response.json()["error"]["code"] == "room_age_gate"
    await older.send({"type": "history", "room": "18-25-ans", "ref": "h"})
    assert (await older.expect("error", ref="h"))["code"] == "room_age_gate"


async def test_public_and_invite_only_rooms(users: Users) -> None:
    owner, guest, other = await users("ow"), await users("gu"), await users("ot")
    public = await new_room(owner, topic="Un sujet")
    joined = await guest.join(public)
    assert joined["room"]["category"] == "user" and joined["room"]["topic"] == "Un sujet"

    club = await new_room(owner, kind="invite")
    await owner.join(club)
    await guest.send({"type": "join", "room": club, "ref": "j1"})
    assert (await guest.expect("error", ref="j1"))["code"] == "room_invite_only"
    async with guest.http() as http:
        listed = [r["slug"] for r in (await http.get("/api/v1/rooms")).json()["rooms"]]
        assert public in listed and club not in listed
        denied = await http.post(f"/api/v1/rooms/{club}/invites", json={"nickname": other.nick})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_room_owner"
    async with owner.http() as http:
        invited = await http.post(f"/api/v1/rooms/{club}/invites", json={"nickname": guest.nick})
        assert invited.status_code == 204
        nobody = await http.post(f"/api/v1/rooms/{club}/invites", json={"nickname": nick("ghost")})
        assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "user_not_found"
    joined = await guest.join(club)
    assert joined["room"]["kind"] == "invite"
    async with guest.http() as http:
        assert club in [r["slug"] for r in (await http.get("/api/v1/rooms")).json()["rooms"]]
    ack = await guest.say(club, "merci pour l'invitation")
    await owner.expect("message", room=club, seq=ack["seq"])
    await other.send({"type": "history", "room": club, "ref": "h"})
    assert (await other.expect("error", ref="h"))["code"] == "room_invite_only"


async def test_room_creation_limits(users: Users) -> None:
    owner = await users("ow")
    async with owner.http() as http:
        names = [nick("Limite ") for _ in range(4)]
        for name in names[:3]:
            assert (await http.post("/api/v1/rooms", json={"name": name})).status_code == 201
        fourth = await http.post("/api/v1/rooms", json={"name": names[3]})
        assert fourth.status_code == 429 and fourth.json()["error"]["code"] == "too_many_rooms_created"
    other = await users("ot")
    async with other.http() as http:
        same = await http.post("/api/v1/rooms", json={"name": names[0].upper()})
        assert same.status_code == 409 and same.json()["error"]["code"] == "room_name_taken"
        short = await http.post("/api/v1/rooms", json={"name": "ab"})
        assert short.status_code == 400 and short.json()["error"]["code"] == "room_name_length"


async def test_counts_reach_connections(users: Users) -> None:
    alice, bob = await users("al"), await users("bo")
    room = await new_room(alice)
    await alice.join(room)
    counts = await bob.expect("counts", timeout=5)
    while room not in counts["rooms"]:
        counts = await bob.expect("counts", timeout=5)
    assert counts["rooms"][room] == 1
    await bob.join(room)
    counts = await alice.expect("counts", timeout=5)
    while counts["rooms"].get(room) != 2:
        counts = await alice.expect("counts", timeout=5)


async def test_ping(users: Users) -> None:
    alice = await users("al")
    await alice.send({"type": "ping", "ref": "p1"})
    assert await alice.expect("pong", ref="p1") == {"type": "pong", "ref": "p1"}


# -- rate limit (a server of its own) -------------------------------------------------------------------


async def test_rate_limit(fresh_server: LiveServer) -> None:
    fresh_server.start(CAUSERIE_RATE_MESSAGE_BURST="5", CAUSERIE_RATE_MESSAGE_PER_SECOND="0.001")
    alice = await Client.enter(fresh_server.base_url, nick("al"))
    try:
        await alice.join("accueil")
        replies = await send_many(alice, "accueil", [f"vite {i}" for i in range(20)])
        acks = [r for r in replies if r["type"] == "ack"]
        refused = [r for r in replies if r["type"] == "error"]
        assert len(acks) == 5 and replies[:5] == acks
        assert len(refused) == 15
        for error in refused:
            assert error["code"] == "rate_limited"
            assert 0 < error["retry_after"] <= 1000
        assert refused[0]["retry_after"] > 900  # one token at 0.001/s
        page = await rest_history(alice, "accueil")
        assert [m["text"] for m in page["messages"]] == [f"vite {i}" for i in range(5)]
        async with httpx.AsyncClient(base_url=fresh_server.base_url) as http:
            metrics = (await http.get("/metrics")).text
        assert "causerie_messages_stored_total 5.0" in metrics
    finally:
        await alice.close()


async def test_no_hello_in_time_closes_with_4008(fresh_server: LiveServer) -> None:
    fresh_server.start(CAUSERIE_WS_HELLO_TIMEOUT="0.3")
    async with websockets.connect(fresh_server.ws_url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008


async def test_a_join_batched_with_others_still_comes_before_the_members_first_message(users: Users) -> None:
    alice, bob, carol = await users("al"), await users("bo"), await users("ca")
    room = await new_room(alice)
    await alice.join(room)
    await bob.join(room)  # within the room's presence window: these joins wait for its batch...
    await carol.join(room)
    await carol.say(room, "coucou")  # ...unless a message comes first: the batch goes out before it
    await alice.say(room, "barrier")
    await alice.expect("message", text="barrier")
    seen = [
        ("message", e["text"]) if e["type"] == "message" else ("join", e["member"]["nick"])
        for e in alice.events
        if e["type"] == "message" or (e["type"] == "presence" and e["action"] == "join")
    ]
    assert seen.index(("join", carol.nick)) < seen.index(("message", "coucou")), seen
    assert seen.index(("join", bob.nick)) < seen.index(("join", carol.nick)), seen
