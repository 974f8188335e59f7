"""Private messages, message requests, blocks, "who may message me", and friends."""

from __future__ import annotations

from typing import Any

from support.client import Client
from support.names import nick

from .conftest import Users


def dm_slug(a: Client, b: Client) -> str:
    lo, hi = sorted((a.me["id"], b.me["id"]))
    return f"dm-{lo}-{hi}"


async def rest(client: Client, method: str, path: str, **kwargs: Any) -> Any:
    async with client.http() as http:
        response = await http.request(method, f"/api/v1{path}", **kwargs)
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


async def conversations(client: Client) -> dict[str, dict[str, Any]]:
    body = await rest(client, "GET", "/dms")
    return {c["slug"]: c for c in body["conversations"]}


async def new_room(owner: Client) -> str:
    body = await rest(owner, "POST", "/rooms", json={"name": nick("Salon ")})
    slug: str = body["slug"]
    return slug


async def barrier(client: Client) -> None:
    """Everything pushed to ``client`` before this call has been received once it returns."""
    ref = nick("p")
    await client.send({"type": "ping", "ref": ref})
    await client.expect("pong", ref=ref)


def member(client: Client) -> dict[str, Any]:
    return {k: client.me[k] for k in ("id", "nick", "age", "gender", "region")}


# -- message requests -------------------------------------------------------------------------------


async def test_a_dm_to_a_stranger_is_a_message_request(users: Users) -> None:
    hugo = await users("hu", age=31, gender="m")
    elodie = await users("el", age=27, gender="f")
    slug = dm_slug(hugo, elodie)

    ack = await hugo.dm(elodie.nick, "Bonjour !")
    assert ack["type"] == "ack" and ack["room"] == slug and ack["seq"] == 1
    request = await elodie.expect("dm_request")
    assert request["room"]["slug"] == slug
    assert request["room"]["kind"] == "direct" and request["room"]["state"] == "request"
    assert request["room"]["peer"] == member(hugo)
    message = await elodie.expect("message", room=slug)
    assert message["text"] == "Bonjour !" and message["to"] == elodie.nick
    assert message["author"] == member(hugo) and message["id"] == ack["id"]
    echo = await hugo.expect("message", room=slug)  # the sender's other devices see it too
    assert echo["id"] == ack["id"]

    listed = await conversations(elodie)
    assert listed[slug]["state"] == "request" and listed[slug]["last_seq"] == 1
    assert listed[slug]["peer"]["nick"] == hugo.nick
    assert (await conversations(hugo))[slug]["state"] == "accepted"

    # accepting: the recipient sees the new state, the sender is not told
    await elodie.send({"type": "dm_accept", "room": slug})
    state = await elodie.expect("dm_state")
    assert state["room"]["slug"] == slug and state["room"]["state"] == "accepted"
    assert (await conversations(elodie))[slug]["state"] == "accepted"

    reply = await elodie.dm(hugo.nick, "Salut Hugo")
    assert reply["room"] == slug and reply["seq"] == 2
    back = await hugo.expect("message", room=slug, seq=2)
    assert back["text"] == "Salut Hugo" and back["to"] == hugo.nick
    by_slug = await hugo.say(slug, "par le slug")  # further messages may use the slug as room
    assert by_slug["type"] == "ack" and by_slug["seq"] == 3
    await elodie.expect("message", room=slug, seq=3)

    await barrier(hugo)
    assert hugo.received("dm_state") == [] and hugo.received("dm_request") == []
    assert len(elodie.received("dm_request")) == 0  # only the one consumed above

    history = await rest(elodie, "GET", f"/rooms/{slug}/messages")
    assert [(m["seq"], m["author"]["nick"]) for m in history["messages"]] == [
        (1, hugo.nick),
        (2, elodie.nick),
        (3, hugo.nick),
    ]
    assert [m["to"] for m in history["messages"]] == [elodie.nick, hugo.nick, elodie.nick]


async def test_replying_to_a_request_accepts_it(users: Users) -> None:
    a, b = await users("aa"), await users("bb")
    slug = dm_slug(a, b)
    await a.dm(b.nick, "coucou")
    await b.expect("message", room=slug)
    assert (await conversations(b))[slug]["state"] == "request"
    await b.dm(a.nick, "coucou toi")
    assert (await conversations(b))[slug]["state"] == "accepted"


async def test_ignored_requests_disappear_and_the_sender_is_not_told(users: Users) -> None:
    pest, target = await users("pe"), await users("ta")
    slug = dm_slug(pest, target)
    await pest.dm(target.nick, "salut")
    await target.expect("dm_request")
    await target.expect("message", room=slug)
    ignored = await rest(target, "POST", f"/dms/{slug}/ignore")
    assert ignored["state"] == "ignored"
    assert slug not in await conversations(target)

    for text in ("tu es là ?", "réponds", "allô"):
        ack = await pest.dm(target.nick, text)
        assert ack["type"] == "ack" and "duplicate" not in ack  # looks delivered
    assert (await conversations(pest))[slug]["last_seq"] == 4
    await barrier(target)
    assert target.received("message", room=slug) == []
    assert target.received("dm_request") == []


async def test_dm_errors(users: Users) -> None:
    alice = await users("al")
    missing = await alice.dm(nick("ghost"), "hello?")
    assert missing["type"] == "error" and missing["code"] == "user_not_found"
    myself = await alice.dm(alice.nick, "hello me")
    assert myself["code"] == "dm_self"
    bob, carol = await users("bo"), await users("ca")
    await bob.dm(carol.nick, "private")
    outsider = await alice.say(dm_slug(bob, carol), "let me in")
    assert outsider["code"] == "room_not_found"  # a conversation of others does not exist for you
    await alice.send({"type": "join", "room": dm_slug(bob, carol), "ref": "j"})
    assert (await alice.expect("error", ref="j"))["code"] == "room_not_found"


async def test_dm_resume_with_join_since(users: Users) -> None:
    a, b = await users("aa"), await users("bb")
    slug = dm_slug(a, b)
    first = await a.dm(b.nick, "one")
    await b.close()
    missed = [await a.dm(b.nick, f"missed {i}") for i in range(3)]
    await b.connect()
    await b.send({"type": "join", "room": slug, "since": first["seq"], "ref": "r"})
    joined = await b.expect("joined", ref="r")
    assert joined["room"]["peer"]["nick"] == a.nick and joined["last_seq"] == missed[-1]["seq"]
    replay = await b.expect("history", ref="r")
    assert replay["resume"] is True
    assert [m["seq"] for m in replay["messages"]] == [m["seq"] for m in missed]
    assert b.received("presence") == []  # joining a DM announces nothing


# -- blocks ---------------------------------------------------------------------------------------------


async def test_blocking(users: Users) -> None:
    blocker, blocked, third = await users("bl"), await users("bd"), await users("th")
    room = await new_room(third)
    for client in (blocker, blocked, third):
        await client.join(room)
    before = await blocked.say(room, "avant le blocage")
    await blocker.expect("message", room=room, seq=before["seq"])

    async with blocker.http() as http:
        response = await http.put(f"/api/v1/blocks/{blocked.nick}")
        assert response.status_code == 204
        listed = (await http.get("/api/v1/blocks")).json()["blocked"]
    assert [m["nick"] for m in listed] == [blocked.nick]

    # private messages, both ways
    refused = await blocked.dm(blocker.nick, "pourquoi ?")
    assert refused["type"] == "error" and refused["code"] == "blocked"
    assert (await blocker.dm(blocked.nick, "non"))["code"] == "blocked"

    # room messages: the third user gets them, the blocker does not
    after = await blocked.say(room, "après le blocage")
    await third.expect("message", room=room, seq=after["seq"])
    marker = await third.say(room, "marqueur")
    await blocker.expect("message", room=room, seq=marker["seq"])
    assert blocker.received("message", room=room) == []
    await blocked.send({"type": "typing", "room": room})
    await third.expect("typing", room=room, nick=blocked.nick)
    await third.say(room, "marqueur 2")
    await blocker.expect("message", room=room, text="marqueur 2")
    assert blocker.received("typing") == []

    # history leaves them out for the blocker only
    mine = await rest(blocker, "GET", f"/rooms/{room}/messages")
    theirs = await rest(third, "GET", f"/rooms/{room}/messages")
    assert [m["text"] for m in mine["messages"]] == ["marqueur", "marqueur 2"]
    assert [m["text"] for m in theirs["messages"]] == ["avant le blocage", "après le blocage", "marqueur", "marqueur 2"]
    await blocker.send({"type": "history", "room": room, "ref": "h"})
    assert [m["text"] for m in (await blocker.expect("history", ref="h"))["messages"]] == ["marqueur", "marqueur 2"]
    members = await rest(blocker, "GET", f"/rooms/{room}/members")
    assert blocked.nick not in [m["nick"] for m in members["members"]]

    # unblocking restores delivery
    async with blocker.http() as http:
        assert (await http.delete(f"/api/v1/blocks/{blocked.nick}")).status_code == 204
    again = await blocked.say(room, "de retour")
    await blocker.expect("message", room=room, seq=again["seq"])


async def test_blocking_yourself_or_nobody(users: Users) -> None:
    alice = await users("al")
    async with alice.http() as http:
        me = await http.put(f"/api/v1/blocks/{alice.nick}")
        assert me.status_code == 400 and me.json()["error"]["code"] == "dm_self"
        ghost = await http.put(f"/api/v1/blocks/{nick('ghost')}")
        assert ghost.status_code == 404 and ghost.json()["error"]["code"] == "user_not_found"


# -- who may message me ---------------------------------------------------------------------------------


async def test_policy_nobody_refuses_strangers(users: Users) -> None:
    quiet, stranger = await users("qu"), await users("st")
    policy = await rest(quiet, "PUT", "/me/privacy", json={"dm": "nobody"})
    assert policy["dm"] == "nobody"
    assert (await rest(quiet, "GET", "/me/privacy"))["dm"] == "nobody"
    refused = await stranger.dm(quiet.nick, "hello")
    assert refused["type"] == "error" and refused["code"] == "dm_refused"
    await barrier(quiet)
    assert quiet.received("dm_request") == [] and quiet.received("message") == []
    await rest(quiet, "PUT", "/me/privacy", json={"dm": "everyone"})
    assert (await stranger.dm(quiet.nick, "hello again"))["type"] == "ack"


async def test_policy_filtered_by_gender_and_age(users: Users) -> None:
    picky = await users("pi", age=30)
    await rest(
        picky, "PUT", "/me/privacy", json={"dm": "filtered", "genders": ["f", "nb"], "age_min": 25, "age_max": 35}
    )
    stored = await rest(picky, "GET", "/me/privacy")
    assert stored == {"dm": "filtered", "genders": ["f", "nb"], "age_min": 25, "age_max": 35}
    for age, gender, admitted in [
        (30, "f", True),
        (25, "nb", True),
        (35, "f", True),
        (30, "m", False),
        (24, "f", False),
        (40, "f", False),
    ]:
        sender = await users("se", age=age, gender=gender)
        reply = await sender.dm(picky.nick, "bonjour")
        if admitted:
            assert reply["type"] == "ack", (age, gender, reply)
        else:
            assert reply["type"] == "error" and reply["code"] == "dm_refused", (age, gender)


# -- friends --------------------------------------------------------------------------------------------


async def test_friends_always_pass_and_see_each_other_online(users: Users) -> None:
    anna, bruno = await users("an"), await users("br")
    assert (await rest(anna, "PUT", f"/friends/{bruno.nick}")) == {"friends": False}
    request = await bruno.expect("friend", action="request")
    assert request["member"] == member(anna)
    pending = await rest(bruno, "GET", "/friends")
    assert [m["nick"] for m in pending["incoming"]] == [anna.nick] and pending["friends"] == []
    assert [m["nick"] for m in (await rest(anna, "GET", "/friends"))["outgoing"]] == [bruno.nick]

    await rest(bruno, "PUT", "/me/privacy", json={"dm": "nobody"})
    assert (await anna.dm(bruno.nick, "pas encore amis"))["code"] == "dm_refused"

    assert (await rest(bruno, "PUT", f"/friends/{anna.nick}")) == {"friends": True}
    accepted = await anna.expect("friend", action="accepted")
    assert accepted["member"]["nick"] == bruno.nick
    assert (await bruno.expect("friend", action="accepted"))["member"]["nick"] == anna.nick

    # friends pass "nobody", and the conversation is not a request
    ack = await anna.dm(bruno.nick, "maintenant oui")
    assert ack["type"] == "ack"
    message = await bruno.expect("message", room=dm_slug(anna, bruno))
    assert message["text"] == "maintenant oui"
    await barrier(bruno)
    assert bruno.received("dm_request") == []
    assert (await conversations(bruno))[dm_slug(anna, bruno)]["state"] == "accepted"

    listed = await rest(anna, "GET", "/friends")
    assert listed["friends"] == [{"member": member(bruno), "online": True}]
    assert listed["incoming"] == [] and listed["outgoing"] == []

    await bruno.close()
    offline = await anna.expect("friend", action="offline")
    assert offline["member"]["nick"] == bruno.nick
    assert (await rest(anna, "GET", "/friends"))["friends"][0]["online"] is False
    await bruno.connect()
    online = await anna.expect("friend", action="online")
    assert online["member"]["nick"] == bruno.nick
    assert (await rest(anna, "GET", "/friends"))["friends"][0]["online"] is True

    async with bruno.http() as http:
        assert (await http.delete(f"/api/v1/friends/{anna.nick}")).status_code == 204
    removed = await anna.expect("friend", action="removed")
    assert removed["member"]["nick"] == bruno.nick
    assert (await rest(anna, "GET", "/friends"))["friends"] == []


async def test_blocked_users_cannot_befriend(users: Users) -> None:
    anna, bruno = await users("an"), await users("br")
    await rest(anna, "PUT", f"/friends/{bruno.nick}")
    await rest(bruno, "PUT", f"/friends/{anna.nick}")
    await rest(anna, "PUT", f"/blocks/{bruno.nick}")
    assert (await rest(bruno, "GET", "/friends"))["friends"] == []  # blocking ends the friendship
    async with bruno.http() as http:
        response = await http.put(f"/api/v1/friends/{anna.nick}")
    assert response.status_code == 403 and response.json()["error"]["code"] == "blocked"
