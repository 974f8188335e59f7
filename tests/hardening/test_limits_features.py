"""The limits of moderation and pictures (docs/limits.md), over the real API of one server started
with small values: reasons, appeals, page sizes, ``remove_recent`` and bulk sizes, the upload bucket
and the number of pictures decoded at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from media.images import encode, natural
from moderation.conftest import Cast, ModServer, start_with_admin
from moderation.helpers import act, call, new_room, ok, refused
from support.client import Client
from support.server import LiveServer

from .conftest import metric

FEATURES_ENV = {
    "CAUSERIE_MODERATION_REASON_MAX_CHARS": "20",
    "CAUSERIE_APPEAL_TEXT_MAX_CHARS": "30",
    "CAUSERIE_MODERATION_PAGE_MAX": "2",
    "CAUSERIE_REMOVE_RECENT_MAX": "3",
    "CAUSERIE_BULK_MAX_MESSAGES": "2",
    "CAUSERIE_MEDIA_NEW_ACCOUNT_MINUTES": "0",
    "CAUSERIE_MEDIA_UPLOAD_BURST": "2",
    "CAUSERIE_MEDIA_UPLOADS_PER_MINUTE": "0.6",  # one token every 100 s
    "CAUSERIE_MEDIA_DECODE_CONCURRENCY": "1",
}


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModServer]:
    server = LiveServer(tmp_path_factory.mktemp("features"), env=FEATURES_ENV)
    started = start_with_admin(server)
    try:
        yield started
    finally:
        server.stop()


@pytest.fixture
async def cast(features: ModServer) -> AsyncIterator[Cast]:
    people = Cast(features.base_url, features.admin_token, features.admin_me)
    try:
        yield people
    finally:
        await people.close()


async def upload(client: Client, data: bytes) -> httpx.Response:
    async with client.http() as http:
        http.timeout = httpx.Timeout(60)
        return await http.post("/api/v1/media", content=data, headers={"Content-Type": "image/jpeg"})


async def warned(cast: Cast, admin: Client) -> tuple[Client, int]:
    """A user with a warning (a statement of reasons they may appeal)."""
    user = await cast.guest("wa")
    done = await act(admin, kind="warn", user=user.nick, reason="attention")
    return user, int(done["statements"][0]["id"])


async def test_moderation_reason_and_appeal_text_lengths(cast: Cast) -> None:
    """moderation_reason_max_chars 20, appeal_text_max_chars 30: one over is refused, the limit fits."""
    admin = await cast.admin()
    target = await cast.guest("rs")
    error = await refused(
        admin, "POST", "/api/v1/moderation/actions", "bad_request", 400,
        json={"kind": "warn", "user": target.nick, "reason": "r" * 21},
    )  # fmt: skip
    assert "20" in error["message"]
    await act(admin, kind="warn", user=target.nick, reason="r" * 20)
    user, statement = await warned(cast, admin)
    await refused(
        user, "POST", "/api/v1/appeals", "bad_request", 400, json={"statement_id": statement, "text": "a" * 31}
    )
    filed = await ok(user, "POST", "/api/v1/appeals", 201, json={"statement_id": statement, "text": "a" * 30})
    assert filed["appeal"]["text"] == "a" * 30


async def test_moderation_pages_are_capped(cast: Cast) -> None:
    """moderation_page_max 2: the queue, the appeals and the audit trail give at most 2 entries a page,
    whatever the client asks, though there are more."""
    admin = await cast.admin()
    reporter = await cast.guest("rp")
    for _ in range(3):
        target = await cast.guest("tg")
        await ok(
            reporter, "POST", "/api/v1/reports", 201,
            json={"category": "harassment_hate", "user": target.nick, "good_faith": True, "details": "insultes"},
        )  # fmt: skip
        user, statement = await warned(cast, admin)
        await ok(user, "POST", "/api/v1/appeals", 201, json={"statement_id": statement, "text": "erreur"})
    cases = await ok(admin, "GET", "/api/v1/moderation/cases", params={"limit": 1000})
    appeals = await ok(admin, "GET", "/api/v1/moderation/appeals", params={"limit": 1000})
    audit = await ok(admin, "GET", "/api/v1/moderation/audit", params={"limit": 1000})
    assert len(cases["cases"]) == 2 and len(appeals["appeals"]) == 2 and len(audit["entries"]) == 2
    # there are more: the next audit page goes on after the last entry shown
    after = audit["entries"][-1]["id"]
    more = await ok(admin, "GET", "/api/v1/moderation/audit", params={"after": after, "limit": 1000})
    assert len(more["entries"]) == 2 and more["entries"][0]["id"] > after


async def test_remove_recent_and_bulk_removal_are_capped(cast: Cast) -> None:
    """remove_recent_max 3: 5 recent messages, 3 removed; bulk_max_messages 2: 3 ids refused, 2 taken."""
    admin = await cast.admin()
    spammer, reader = await cast.guest("sp"), await cast.guest("re")
    room = await new_room(reader)
    await spammer.join(room)
    await reader.join(room)
    sent = [await spammer.say(room, f"promo {i}") for i in range(5)]
    assert all(a["type"] == "ack" for a in sent)
    done = await act(admin, kind="remove_recent", user=spammer.nick, reason="spam", rule="rules.spam")
    assert done["statements"][0]["scope"].startswith("3 messages")
    page = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert len(page["messages"]) == 2
    ids = [m["id"] for m in page["messages"]]
    third = (await spammer.say(room, "promo 6"))["id"]
    response = await call(
        admin, "POST", "/api/v1/moderation/actions",
        json={"kind": "remove_message", "message_ids": [*ids, third], "reason": "spam", "rule": "rules.spam"},
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    assert "2" in response.json()["error"]["message"]
    await act(admin, kind="remove_message", message_ids=ids, reason="spam", rule="rules.spam")
    page = await ok(reader, "GET", f"/api/v1/rooms/{room}/messages")
    assert [m["id"] for m in page["messages"]] == [third]


async def test_uploads_per_account_are_a_bucket(cast: Cast) -> None:
    """media_upload_burst 2, media_uploads_per_minute 0.6: two uploads, then ``rate_limited`` with the
    wait for the next token (100 s); another account has a bucket of its own."""
    first, other = await cast.guest("up"), await cast.guest("uo")
    picture = encode(natural(90, (64, 48)))
    assert [(await upload(first, picture)).status_code for _ in range(2)] == [201, 201]
    third = await upload(first, picture)
    assert third.status_code == 429, third.text
    error: dict[str, Any] = third.json()["error"]
    assert error["code"] == "rate_limited" and 90 <= error["retry_after"] <= 101
    assert 90 <= int(third.headers["Retry-After"]) <= 101
    assert (await upload(other, picture)).status_code == 201


async def test_pictures_beyond_the_decode_concurrency_wait_their_turn(cast: Cast, features: ModServer) -> None:
    """media_decode_concurrency 1: four large pictures sent at once are all accepted (none refused),
    never more than one decoded at a time, and the others waited for the slot."""
    base = features.base_url
    waits_before = await metric(base, "causerie_media_decode_waits_total")
    uploaders = [await cast.guest("dc") for _ in range(4)]
    pictures = [encode(natural(100 + i, (2400, 1800)), quality=95) for i in range(4)]
    responses = await asyncio.gather(*(upload(u, p) for u, p in zip(uploaders, pictures, strict=True)))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert await metric(base, "causerie_media_decodes_peak") == 1
    assert await metric(base, "causerie_media_decode_waits_total") >= waits_before + 1
