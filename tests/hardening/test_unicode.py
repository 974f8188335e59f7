"""Unicode abuse, end to end through the live server, with real examples: bidirectional overrides
(Trojan Source), invisible characters, Hangul fillers, combining-mark stacking (zalgo) and
homoglyph nicknames. The rules are unit-tested in tests/unit/domain/test_text.py; here we check
that every way in applies them."""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx
import pytest

from support.client import Client
from support.names import nick
from support.server import LiveServer

GUEST = "/api/v1/session/guest"
BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C, 0x200E, 0x200F]}
INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3164", "\uffa0", "\u115f", "\u1160"}


def form(nickname: str) -> dict[str, Any]:
    return {"nickname": nickname, "age": 30, "gender": "m", "region": "75", "accept_rules": True}


def max_marks_in_a_row(text: str) -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me", "Mc") else 0
        longest = max(longest, run)
    return longest


@pytest.mark.parametrize(
    ("nickname", "code"),
    [
        ("Аdmin", "nickname_reserved"),  # Cyrillic А
        ("ΑDMIN", "nickname_reserved"),  # Greek Alpha
        ("ad\u200bmin", "nickname_chars"),  # zero-width space
        ("admin\u202e", "nickname_chars"),  # right-to-left override
        ("Bob\u202egnp.exe", "nickname_chars"),  # Trojan-Source style file name
        ("Zoé\u2066x\u2069", "nickname_chars"),  # isolates
        ("\u3164\u3164\u3164", "nickname_chars"),  # Hangul fillers only
        ("Léa\u3164", "nickname_chars"),  # a filler at the end
        ("\u2800\u2800\u2800", "nickname_chars"),  # braille blanks
        ("Lou\ufeffise", "nickname_chars"),  # BOM
        ("Z\u0336\u0334\u0337\u0338\u0321a", "nickname_chars"),  # zalgo
    ],
)
async def test_abusive_nicknames_are_refused(live_server: LiveServer, nickname: str, code: str) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        response = await http.post(GUEST, json=form(nickname))
    assert response.status_code in (400, 409), response.text
    assert response.json()["error"]["code"] == code
    assert "set-cookie" not in response.headers


async def test_homoglyph_nicknames_collide(live_server: LiveServer) -> None:
    suffix = nick("", 8)  # consonants only: no accidental lookalike in the suffix
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        first = await http.post(GUEST, json=form(f"Pierre{suffix}"))
        assert first.status_code == 201, first.text
        for variant in (
            f"Ріеrrе{suffix}",  # Cyrillic Р, і, е
            f"ＰＩＥＲＲＥ{suffix}",  # fullwidth, upper case
            f"P1erre{suffix}",  # leetspeak digit
            f"Piérre{suffix}",  # an accent
            f"P\u0131erre{suffix}",  # dotless i
        ):
            clash = await http.post(GUEST, json=form(variant))
            assert clash.status_code == 409, (variant, clash.text)
            assert clash.json()["error"]["code"] == "nickname_taken", variant


async def test_room_names_and_topics_lose_bidi_and_invisible_characters(live_server: LiveServer) -> None:
    owner = await Client.enter(live_server.base_url, nick("rn"))
    try:
        async with owner.http() as http:
            evil = f"Salon {nick('', 6)}\u202e\u2066txt.exe\u2069\u200b\ufeff"
            created = await http.post(
                "/api/v1/rooms", json={"name": evil, "topic": "Sujet \u202eesrever\u202c \u200bcaché"}
            )
            assert created.status_code == 201, created.text
            room = created.json()
            for text in (room["name"], room["topic"], room["slug"]):
                assert not set(text) & (BIDI | INVISIBLE), text
            assert room["name"].endswith("txt.exe") and "esrever" in room["topic"]
            # a name made only of invisible characters is no name
            empty = await http.post("/api/v1/rooms", json={"name": "\u200b\u3164\u202e\u2066\u2069\u200b"})
            assert empty.status_code == 400
            assert empty.json()["error"]["code"] in ("room_name_length", "room_name_chars")
    finally:
        await owner.close()


async def test_messages_are_neutralised_and_zalgo_is_capped(live_server: LiveServer) -> None:
    alice = await Client.enter(live_server.base_url, nick("ua"))
    bob = await Client.enter(live_server.base_url, nick("ub"))
    try:
        await alice.join("accueil")
        await bob.join("accueil")
        trojan = "if (isAdmin\u202e \u2066// check later\u2069\u2066) {"
        zalgo = "Z" + "\u0336\u0334\u0337\u0338\u0321" * 40 + "algo" + "\u0301" * 200
        hidden = "cli\u200bck h\u200cere\ufeff \u2060now"
        for text in (trojan, zalgo, hidden):
            ack = await alice.say("accueil", text)
            assert ack["type"] == "ack", ack
            shown = (await bob.expect("message", seq=ack["seq"]))["text"]
            assert not set(shown) & (BIDI | INVISIBLE), repr(shown)
            assert max_marks_in_a_row(shown) <= 3  # max_combining_marks
        async with bob.http() as http:
            page = (await http.get("/api/v1/rooms/accueil/messages", params={"limit": 3})).json()["messages"]
        texts = [m["text"] for m in page]
        assert texts[0].startswith("if (isAdmin") and "// check later" in texts[0]
        assert texts[1].startswith("Z") and "alg" in texts[1] and max_marks_in_a_row(texts[1]) <= 3
        assert texts[2] == "click here now"
        # nothing left after neutralising: an empty message is refused, never stored
        empty = await alice.say("accueil", "\u202e\u200b\u2066\u2069\ufeff")
        assert empty["type"] == "error" and empty["code"] == "message_empty"
    finally:
        await alice.close()
        await bob.close()
