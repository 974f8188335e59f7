"""Pictures through the real server: upload, serving, hash matches and their evidence, pictures in
messages (room settings, private conversations delivered blurred)."""

from __future__ import annotations

import asyncio
import io
import socket
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from causerie.domain.media import HashKind, UploadMeta
from causerie.media.hashing import byte_hashes, pdq_of
from causerie.storage.blobs import QuarantineVault, load_or_create_key
from media.conftest import MediaServer, Users
from media.images import encode, natural, png_bomb
from support.client import Client
from support.names import nick


async def upload(client: Client, data: bytes, content_type: str = "image/jpeg", **params: str) -> httpx.Response:
    async with client.http() as http:
        return await http.post("/api/v1/media", content=data, headers={"Content-Type": content_type}, params=params)


def read_response(s: socket.socket) -> bytes:
    """One HTTP response from a raw socket: head, then Content-Length bytes of body."""
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def db(ms: MediaServer) -> sqlite3.Connection:
    conn = sqlite3.connect(ms.server.db_path)
    conn.row_factory = sqlite3.Row
    return conn


async def test_upload_then_serve_with_strict_headers(media_server: MediaServer, people: Users) -> None:
    al = await people("al")
    r = await upload(al, encode(natural(30, (640, 480)), "PNG"), "image/png", name="holiday.png")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["width"], body["height"], body["content_type"]) == (640, 480, "image/jpeg")
    assert len(body["id"]) >= 20 and body["url"] == f"/media/{body['id']}"
    async with httpx.AsyncClient(base_url=media_server.base_url) as anonymous:  # the id is the capability
        picture = await anonymous.get(body["url"])
        thumb = await anonymous.get(body["thumb"])
        missing = await anonymous.get("/media/AAAAAAAAAAAAAAAAAAAAAA")
    assert picture.status_code == 200 and thumb.status_code == 200
    for response in (picture, thumb):
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert Image.open(io.BytesIO(picture.content)).size == (640, 480)
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "media_not_found"
    async with al.http() as http:
        status = (await http.get("/api/v1/media/status")).json()
    assert status["allowed"] is True and status["max_bytes"] == 8_000_000


async def test_oversize_is_refused_before_the_body_is_read(media_server: MediaServer, people: Users) -> None:
    al = await people("al")
    head = (
        "POST /api/v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
        f"Authorization: Bearer {al.token}\r\nContent-Length: 500000000\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", media_server.server.port), timeout=5) as s:
        s.sendall(head + b"\xff\xd8\xff\xe0")  # 4 bytes of a 500 MB body
        answer = read_response(s)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"image_too_large" in answer
    # chunked, no length announced: refused once past the cap, not read to the end
    sent = 0
    chunk = b"\x00" * 262_144
    with socket.create_connection(("127.0.0.1", media_server.server.port), timeout=5) as s:
        s.sendall(head.replace(b"Content-Length: 500000000", b"Transfer-Encoding: chunked"))
        try:
            while sent < 64_000_000:  # the server closes after about 8 MB
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        except OSError:
            pass
        answer = read_response(s)
    assert answer.startswith(b"HTTP/1.1 413") and b"image_too_large" in answer
    assert sent < 40_000_000


async def test_bombs_polyglots_and_other_formats_through_the_api(media_server: MediaServer, people: Users) -> None:
    al = await people("al")
    bomb = await upload(al, png_bomb(100_000, 100_000), "image/png")
    assert bomb.status_code == 413 and bomb.json()["error"]["code"] == "image_too_large"
    polyglot = encode(natural(31, (300, 200))) + b"<html><script>alert(1)</script></html>"
    ok = await upload(al, polyglot)
    assert ok.status_code == 201
    async with al.http() as http:
        stored = (await http.get(ok.json()["url"])).content
    assert stored.endswith(b"\xff\xd9") and b"<script" not in stored
    svg = await upload(al, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    assert svg.status_code == 415 and svg.json()["error"]["code"] == "unsupported_image"
    lying = await upload(al, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png")
    assert lying.status_code == 415


async def _bank(ms: MediaServer, name: str, lines: list[str], **options: Any) -> None:
    path = ms.folder / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n")
    async with ms.offline() as services:
        assert services.media is not None
        await services.media.banks.import_file(name, path, **options)
    async with ms.admin() as admin:
        r = await admin.post("/api/v1/moderation/media/banks/reload")
    assert r.status_code == 200, r.text


async def test_a_match_is_quarantined_recorded_and_never_delivered(media_server: MediaServer, people: Users) -> None:
    known = natural(40)
    undecodable = b"\xff\xd8\xff\xe0 this is not really a picture " * 20
    await _bank(media_server, "known-abuse", [pdq_of(known)[0], byte_hashes(undecodable)[1]])
    uploader, witness = await people("up"), await people("wi")
    await uploader.join("musique")
    await witness.join("musique")
    # a resized, re-compressed copy of a listed picture
    copy = encode(known.resize((700, 525), Image.Resampling.LANCZOS), "JPEG", quality=70)
    r = await upload(uploader, copy, name="copy.jpg")
    assert r.status_code == 422
    assert r.json() == {"error": {"code": "upload_failed", "message": "L'envoi a échoué."}}
    # from now on the account is restricted: an innocent picture fails the same way (no tip-off)
    innocent = await upload(uploader, encode(natural(41, (300, 200))))
    assert (innocent.status_code, innocent.json()) == (r.status_code, r.json())
    await witness.drain(0.3)
    assert witness.received("message") == []
    # an MD5-listed file is caught even though it does not decode
    other = await people("ot")
    raw = await upload(other, undecodable)
    assert (raw.status_code, raw.json()) == (r.status_code, r.json())

    with db(media_server) as conn:
        match = conn.execute(
            "SELECT * FROM media_matches WHERE account_id = ? ORDER BY id", (uploader.me["id"],)
        ).fetchone()
        assert match["bank_name"] == "known-abuse" and match["kind"] == "pdq"
        assert match["distance"] <= 31 and match["ip"] == "127.0.0.1" and match["port"] > 0
        md5_match = conn.execute("SELECT * FROM media_matches WHERE account_id = ?", (other.me["id"],)).fetchone()
        assert md5_match["kind"] == "md5" and md5_match["distance"] == 0
        assert (
            conn.execute(
                "SELECT count(*) FROM account_restrictions WHERE account_id = ? AND kind = 'media_upload'",
                (uploader.me["id"],),
            ).fetchone()[0]
            == 1
        )
        holds = {
            (h["target_kind"], h["target_id"])
            for h in conn.execute("SELECT * FROM legal_holds WHERE source = ?", (f"media_match:{match['id']}",))
        }
        assert holds == {("account", str(uploader.me["id"])), ("quarantine", match["quarantine_id"])}
        bundle_row = conn.execute("SELECT * FROM report_bundles WHERE match_id = ?", (match["id"],)).fetchone()
        assert (
            conn.execute("SELECT count(*) FROM media_items WHERE account_id = ?", (uploader.me["id"],)).fetchone()[0]
            == 0
        )
    import json

    bundle = json.loads(bundle_row["payload"])
    assert bundle["reported_person"]["nickname"] == uploader.nick
    assert bundle["ip_capture_event"]["ip"] == "127.0.0.1" and bundle["ip_capture_event"]["port"] == match["port"]
    assert bundle["file"]["md5"] == byte_hashes(copy)[1] and bundle["file"]["sha256"] == byte_hashes(copy)[0]
    assert bundle["file"]["original_filename"] == "copy.jpg" and bundle["file"]["viewed_by_staff"] is False
    assert bundle["incident"]["detection"]["best"]["bank"] == "known-abuse"
    assert bundle["case_id"] == match["case_id"] is not None

    # quarantined apart, encrypted: the plaintext is nowhere in the file, and it decrypts to the upload
    qfile = media_server.folder / "quarantine" / f"{match['quarantine_id']}.bin"
    sealed = qfile.read_bytes()
    assert copy[100:164] not in sealed and copy[:4] not in sealed
    vault = QuarantineVault(qfile.parent, load_or_create_key(qfile.parent / "quarantine.key"))
    assert vault.open(match["quarantine_id"], sealed) == copy
    assert not any(p.read_bytes() == copy for p in (media_server.folder / "media").rglob("*") if p.is_file())

    async with media_server.admin() as admin:
        cases = (await admin.get("/api/v1/moderation/cases")).json()["cases"]
        case = next(c for c in cases if c["id"] == match["case_id"])
        assert case["category"] == "child_sexual_abuse" and case["priority"] == max(c["priority"] for c in cases)
        listed = (await admin.get("/api/v1/moderation/media/matches")).json()["matches"]
        assert any(m["quarantine_id"] == match["quarantine_id"] for m in listed)
        # moderators do not see it unless they ask, with a reason; the view is audited
        no_reason = await admin.post(f"/api/v1/moderation/media/quarantine/{match['quarantine_id']}/view", json={})
        assert no_reason.status_code == 400
        seen = await admin.post(
            f"/api/v1/moderation/media/quarantine/{match['quarantine_id']}/view",
            json={"reason": "confirm the match before reporting to PHAROS"},
        )
        assert seen.status_code == 200 and seen.content == copy
        assert seen.headers["cache-control"] == "no-store" and seen.headers["x-content-type-options"] == "nosniff"
        audit = (await admin.get("/api/v1/moderation/audit", params={"limit": 1000})).json()["entries"]
        assert any(
            e["action"] == "view_quarantined_media" and e["target"] == f"quarantine:{match['quarantine_id']}"
            for e in audit
        )
        bundles = (await admin.get("/api/v1/moderation/media/bundles")).json()["bundles"]
        assert next(b for b in bundles if b["match_id"] == match["id"])["payload"]["file"]["viewed_by_staff"]
    async with witness.http() as http:
        forbidden = await http.post(
            f"/api/v1/moderation/media/quarantine/{match['quarantine_id']}/view", json={"reason": "curious"}
        )
    assert forbidden.status_code == 403
    # the normal route never serves quarantined material
    async with httpx.AsyncClient(base_url=media_server.base_url) as anonymous:
        assert (await anonymous.get(f"/media/{match['quarantine_id']}")).status_code == 404


async def test_mirrored_copies_match_when_the_bank_says_so(media_server: MediaServer, people: Users) -> None:
    from PIL import ImageOps

    known = natural(50)
    await _bank(media_server, "mirrors", [pdq_of(known)[0]], match_mirrored=True)
    r = await upload(await people("mi"), encode(ImageOps.mirror(known), "JPEG", quality=85))
    assert r.status_code == 422
    with db(media_server) as conn:
        row = conn.execute("SELECT * FROM media_matches WHERE bank_name = 'mirrors'").fetchone()
    assert row["mirrored"] == 1


async def test_pictures_in_rooms(media_server: MediaServer, people: Users) -> None:
    al, bo = await people("al"), await people("bo")
    for c in (al, bo):
        await c.join("sport")
    media = (await upload(al, encode(natural(60, (400, 300))))).json()
    ack = await al.say("sport", "regardez", media=media["id"])
    assert ack["type"] == "ack"
    seen = await bo.expect("message", room="sport")
    assert seen["media"] == {
        "id": media["id"],
        "width": 400,
        "height": 300,
        "url": media["url"],
        "thumb": media["thumb"],
    }
    only_picture = await al.say("sport", "", media=media["id"])
    assert only_picture["type"] == "ack"
    async with bo.http() as http:
        page = (await http.get("/api/v1/rooms/sport/messages")).json()
    assert [m.get("media", {}).get("id") for m in page["messages"][-2:]] == [media["id"]] * 2
    # someone else's picture, a private-only picture, an unknown id
    stolen = await bo.say("sport", "look", media=media["id"])
    assert stolen["code"] == "media_not_found"
    private = (await upload(bo, encode(natural(61, (200, 200))), scope="private")).json()
    assert (await bo.say("sport", "x", media=private["id"]))["code"] == "pictures_disabled"
    # a room whose settings turn pictures off
    async with media_server.admin() as admin:
        r = await admin.put("/api/v1/rooms/cinema-series/settings", json={"pictures": False})
        assert r.status_code == 200, r.text
    await al.join("cinema-series")
    assert (await al.say("cinema-series", "x", media=media["id"]))["code"] == "pictures_disabled"


async def test_pictures_from_strangers_arrive_blurred(media_server: MediaServer, people: Users) -> None:
    al, bo = await people("al"), await people("bo")
    media = (await upload(al, encode(natural(70, (300, 300))), scope="private")).json()
    await al.send({"type": "send", "to": bo.nick, "text": "", "client_id": "p1", "media": media["id"]})
    assert (await al.expect_reply("p1"))["type"] == "ack"
    first = await bo.expect("message")
    assert first["media"]["blurred"] is True
    await bo.send({"type": "dm_accept", "room": first["room"]})
    await asyncio.sleep(0.2)
    await al.send({"type": "send", "to": bo.nick, "text": "encore", "client_id": "p2", "media": media["id"]})
    await al.expect_reply("p2")
    second = await bo.expect("message", text="encore")
    assert "blurred" not in second["media"]
    await bo.send({"type": "history", "room": first["room"], "ref": "h"})
    history = await bo.expect("history", ref="h")
    assert [m["media"].get("blurred", False) for m in history["messages"]] == [False, False]


async def test_new_accounts_wait_for_pictures(tmp_path: Path) -> None:
    """Pictures unlock ``media_new_account_minutes`` after the account was created; the refusal
    says when (``retry_after`` seconds; ``until`` on the WebSocket; ``unlock_at`` in the status)."""
    from causerie.bootstrap import offline_services
    from causerie.clock import FakeClock
    from causerie.config import Settings
    from causerie.errors import CauserieError, ErrorCode
    from causerie.services.accounts import EntryForm

    clock = FakeClock()
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wait.db", media_new_account_minutes=30)
    async with offline_services(settings, clock) as services:
        assert services.media is not None
        _token, account = await services.accounts.enter_guest(EntryForm(nick("nw"), 30, "f", "75", True))
        clock.advance(60)
        with pytest.raises(CauserieError) as refused:
            services.media.check_pictures(account)
        assert refused.value.code is ErrorCode.PICTURES_DISABLED
        assert refused.value.retry_after == 29 * 60
        assert refused.value.data["until"] == int((account.created_at + 1800) * 1000)
        with pytest.raises(CauserieError):
            await services.media.upload(account, encode(natural(80, (100, 100))), UploadMeta())
        clock.advance(29 * 60)
        services.media.check_pictures(account)


def test_media_tables_match_the_migration(media_server: MediaServer) -> None:
    """Migration 0003 creates exactly what storage/sql/schema.py declares for pictures."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from causerie.storage.sql.schema import metadata

    mine = {
        "media_items",
        "hash_banks",
        "hash_bank_entries",
        "hash_bank_imports",
        "media_quarantine",
        "media_matches",
        "account_restrictions",
        "legal_holds",
        "report_bundles",
    }
    engine = create_engine(f"sqlite:///{media_server.server.db_path}")
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()

    def touches_media(diff: Any) -> bool:
        text = repr(diff)
        return any(f"'{t}'" in text for t in mine) or "'media'" in text

    assert [d for d in diffs if touches_media(d)] == []
    assert HashKind.PDQ.value == "pdq"
