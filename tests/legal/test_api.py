"""The legal API on a live server: trusted flaggers (registered with the CLI, key shown once, notices
with ``Authorization: Bearer`` jump the queue, a revoked key is refused), the admin export, and the
user's own data export and account deletion (GDPR) — which respects legal holds."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from causerie.services.evidence import load_public_key, verify_bundle
from legal.conftest import PASSWORD, new_key
from support.client import Client
from support.names import nick
from support.server import LiveServer

ADMIN_EMAIL = "juriste@example.org"


def cli(server: LiveServer, *args: str) -> str:
    env = {
        **os.environ,
        **server.env,
        "CAUSERIE_CONFIG": str(server.folder / "none.toml"),
        "CAUSERIE_LOG_LEVEL": "warning",
    }
    result = subprocess.run(
        [sys.executable, "-m", "causerie", *args, "--database", f"sqlite:///{server.db_path}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class LegalServer:
    server: LiveServer
    admin_token: str
    flagger_key: str
    public_pem: bytes

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=20
        )


@pytest.fixture(scope="module")
def legal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LegalServer]:
    private, public = new_key()
    server = LiveServer(
        tmp_path_factory.mktemp("legal"),
        env={"CAUSERIE_LEGAL_SIGNING_KEY": private, "CAUSERIE_TRUSTED_NOTICES_PER_HOUR": "3"},
    )
    server.folder.mkdir(parents=True, exist_ok=True)
    cli(server, "admin", "create-admin", "--email", ADMIN_EMAIL, "--nickname", "Juriste", "--password", PASSWORD)
    out = cli(server, "legal", "flagger-add", "Point de Contact", "--email", "alerte@pointdecontact.example")
    key = out.strip().splitlines()[-1]
    assert key.startswith("ctf_")
    server.start()
    login = httpx.post(f"{server.base_url}/api/v1/session/login", json={"login": ADMIN_EMAIL, "password": PASSWORD})
    assert login.status_code == 200, login.text
    try:
        yield LegalServer(server, login.json()["token"], key, public)
    finally:
        server.stop()


@pytest.fixture
async def people(legal_server: LegalServer) -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        with contextlib.suppress(Exception):
            await client.close()


async def guest(ls: LegalServer, opened: list[Client]) -> Client:
    client = await Client.enter(ls.base_url, nick("g"))
    opened.append(client)
    return client


async def room_with_messages(owner: Client, *texts: str) -> tuple[str, list[dict[str, Any]]]:
    async with owner.http() as http:
        response = await http.post("/api/v1/rooms", json={"name": nick("Salon ")})
    assert response.status_code == 201, response.text
    slug: str = response.json()["slug"]
    await owner.join(slug)
    return slug, [await owner.say(slug, t) for t in texts]


async def queue(ls: LegalServer) -> list[dict[str, Any]]:
    async with ls.admin() as http:
        response = await http.get("/api/v1/moderation/cases", params={"limit": 200})
    assert response.status_code == 200, response.text
    cases: list[dict[str, Any]] = response.json()["cases"]
    return cases


async def test_a_trusted_flagger_notice_jumps_the_queue_but_not_child_safety(
    legal_server: LegalServer, people: list[Client]
) -> None:
    ls = legal_server
    author, reporter = await guest(ls, people), await guest(ls, people)
    _slug, acks = await room_with_messages(author, "insulte", "spam", "mineur")
    async with reporter.http() as http:
        for ack, category in ((acks[0], "harassment_hate"), (acks[2], "minor_at_risk")):
            response = await http.post(
                "/api/v1/reports", json={"category": category, "good_faith": True, "message_id": ack["id"]}
            )
            assert response.status_code == 201, response.text
    async with httpx.AsyncClient(base_url=ls.base_url, timeout=20) as http:
        response = await http.post(
            "/api/v1/notices",
            json={"category": "scam_spam", "message_id": acks[1]["id"], "details": "campagne d'arnaque"},
            headers={"Authorization": f"Bearer {ls.flagger_key}"},
        )
    assert response.status_code == 201, response.text
    trusted_case = response.json()["case"]
    assert response.json()["source"] == "trusted_flagger"
    order = [c["id"] for c in await queue(ls)]
    by_id = {c["id"]: c for c in await queue(ls)}
    harassment = next(c["id"] for c in by_id.values() if c.get("message_id") == acks[0]["id"])
    minor = next(c["id"] for c in by_id.values() if c.get("message_id") == acks[2]["id"])
    # scam_spam ranks below harassment for ordinary notices; from a trusted flagger it goes first,
    # but a child-safety case stays above it
    assert order.index(minor) < order.index(trusted_case) < order.index(harassment)
    assert 6000 <= by_id[trusted_case]["priority"] < 7000
    # the moderator sees where the notice came from
    async with ls.admin() as http:
        response = await http.get(f"/api/v1/moderation/cases/{trusted_case}")
    assert response.status_code == 200
    assert "Point de Contact" in response.text


async def test_keys_are_admin_business_shown_once_and_a_revoked_key_is_refused(
    legal_server: LegalServer, people: list[Client]
) -> None:
    ls = legal_server
    author = await guest(ls, people)
    _slug, acks = await room_with_messages(author, "contenu")
    async with author.http() as http:
        response = await http.post("/api/v1/legal/flaggers", json={"name": "Intrus"})
    assert response.status_code == 403
    async with ls.admin() as http:
        response = await http.post("/api/v1/legal/flaggers", json={"name": nick("Asso ")})
        assert response.status_code == 201, response.text
        flagger, key = response.json()["flagger"], response.json()["key"]
        listing = (await http.get("/api/v1/legal/flaggers")).json()["flaggers"]
        assert key not in str(listing) and key.startswith(flagger["key_prefix"])
    notice = {"category": "other_illegal", "message_id": acks[0]["id"]}
    async with httpx.AsyncClient(base_url=ls.base_url, timeout=20) as anon:
        ok = await anon.post("/api/v1/notices", json=notice, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 201, ok.text
        async with ls.admin() as http:
            revoked = await http.delete(f"/api/v1/legal/flaggers/{flagger['id']}")
        assert revoked.status_code == 200 and revoked.json()["flagger"]["revoked_at"] is not None
        refused = await anon.post("/api/v1/notices", json=notice, headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "flagger_key_invalid"
        forged = await anon.post("/api/v1/notices", json=notice, headers={"Authorization": f"Bearer {key[:-4]}AAAA"})
        assert forged.status_code == 401
        none = await anon.post("/api/v1/notices", json=notice)
        assert none.status_code == 401


async def test_a_flagger_key_has_a_notice_bucket_that_never_refuses_child_safety(
    legal_server: LegalServer, people: list[Client]
) -> None:
    ls = legal_server  # CAUSERIE_TRUSTED_NOTICES_PER_HOUR=3 on this server
    author = await guest(ls, people)
    _slug, acks = await room_with_messages(author, "un", "deux", "trois", "quatre")
    async with ls.admin() as http:
        response = await http.post("/api/v1/legal/flaggers", json={"name": nick("Vigie ")})
    assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {response.json()['key']}"}
    async with httpx.AsyncClient(base_url=ls.base_url, timeout=20) as anon:
        statuses = [
            (
                await anon.post(
                    "/api/v1/notices", json={"category": "scam_spam", "message_id": ack["id"]}, headers=headers
                )
            ).status_code
            for ack in acks
        ]
        assert statuses == [201, 201, 201, 429]
        refused = await anon.post(
            "/api/v1/notices", json={"category": "scam_spam", "message_id": acks[3]["id"]}, headers=headers
        )
        assert refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
        child = await anon.post(
            "/api/v1/notices", json={"category": "minor_at_risk", "message_id": acks[3]["id"]}, headers=headers
        )
        assert child.status_code == 201, child.text


async def test_the_admin_export_is_a_verifiable_bundle(legal_server: LegalServer, people: list[Client]) -> None:
    ls = legal_server
    author = await guest(ls, people)
    slug, _ = await room_with_messages(author, "pièce à conviction")
    body = {"room": slug, "from": "2000-01-01", "to": "2100-01-01", "request_ref": "réquisition 77"}
    async with author.http() as http:
        assert (await http.post("/api/v1/legal/exports", json=body)).status_code == 403
    async with ls.admin() as http:
        response = await http.post("/api/v1/legal/exports", json=body)
        assert response.status_code == 200, response.text
        pem = (await http.get("/api/v1/legal/public-key")).content
    assert pem == ls.public_pem
    assert response.headers["content-type"] == "application/zip"
    result = verify_bundle(response.content, load_public_key(pem))
    assert result.ok, result.lines()
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert "pièce à conviction" in zf.read("messages.json").decode()


async def test_a_user_downloads_their_own_data_and_not_others(legal_server: LegalServer, people: list[Client]) -> None:
    ls = legal_server
    me, other = await guest(ls, people), await guest(ls, people)
    slug, _ = await room_with_messages(me, "mon message à moi")
    await other.join(slug)
    await other.say(slug, "le message de quelqu'un d'autre")
    await me.dm(other.nick, "un secret privé")
    async with me.http() as http:
        response = await http.get("/api/me/export")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["account"][0]["nickname"] == me.nick
    texts = [m["text"] for m in data["messages"]]
    assert sorted(texts) == ["mon message à moi", "un secret privé"]
    assert "quelqu'un d'autre" not in response.text and other.nick not in response.text
    assert "password_hash" not in response.text
    async with httpx.AsyncClient(base_url=ls.base_url) as anon:
        assert (await anon.get("/api/me/export")).status_code == 401


async def registered(ls: LegalServer, opened: list[Client]) -> Client:
    client = await guest(ls, opened)
    async with client.http() as http:
        response = await http.post(
            "/api/v1/accounts", json={"email": f"{client.nick.lower()}@example.org", "password": PASSWORD}
        )
    assert response.status_code == 201, response.text
    return client


async def closed_with(client: Client, timeout: float = 5.0) -> int | None:
    """Read until the server closes the connection; its close code."""
    assert client.ws is not None
    try:
        async with asyncio.timeout(timeout):
            while True:
                await client.ws.recv()
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None


def db_rows(ls: LegalServer, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(ls.server.db_path) as conn:
        return conn.execute(query, args).fetchall()


async def test_deleting_an_account_erases_and_says_what_is_kept(
    legal_server: LegalServer, people: list[Client]
) -> None:
    ls = legal_server
    me = await registered(ls, people)
    account_id = me.me["id"]
    _slug, acks = await room_with_messages(me, "à effacer")
    async with me.http() as http:
        wrong = await http.request("DELETE", "/api/me", json={"password": "pas le bon mot de passe"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "login_failed"
        missing = await http.request("DELETE", "/api/me", json={})
        assert missing.status_code == 401
        response = await http.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deleted"] and not body["legal_hold"] and body["erased"]["messages"] == 1
    kept = {k["what"].split(" (")[0]: k for k in body["kept"]}
    assert kept["connection records"]["why"] == "law"
    year = 365 * 86400 * 1000
    assert abs(kept["connection records"]["until"] - (time.time() * 1000 + year)) < 120_000
    assert kept["account identification data"]["until"] is not None
    assert db_rows(ls, "SELECT text, state FROM messages WHERE id = ?", acks[0]["id"]) == [("", "removed")]
    [(nickname, email, password_hash, closed_at)] = db_rows(
        ls, "SELECT nickname, email, password_hash, closed_at FROM accounts WHERE id = ?", account_id
    )
    assert nickname == f"deleted-{account_id}" and email is None and password_hash is None and closed_at
    # identification data kept for the law, apart, until its date
    assert db_rows(ls, "SELECT nickname FROM closed_identities WHERE account_id = ?", account_id) == [(me.nick,)]
    async with me.http() as http:  # the session is gone
        assert (await http.get("/api/me/export")).status_code == 401
    assert await closed_with(me) == 4001  # and its open connections are closed
    # the nickname is free again
    again = await Client.enter(ls.base_url, me.nick)
    people.append(again)


async def test_deletion_under_legal_hold_keeps_everything(legal_server: LegalServer, people: list[Client]) -> None:
    ls = legal_server
    me = await guest(ls, people)
    account_id = me.me["id"]
    _slug, acks = await room_with_messages(me, "preuve sous scellé")
    with sqlite3.connect(ls.server.db_path) as conn:  # an administrator's hold (part A's API writes this row)
        conn.execute(
            "INSERT INTO legal_holds (target_kind, target_id, reason, source, created_at) VALUES (?, ?, ?, ?, ?)",
            ("account", str(account_id), "réquisition", "admin", time.time()),
        )
    async with me.http() as http:
        response = await http.request("DELETE", "/api/me", json={})  # a guest has no password
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["legal_hold"] is True and body["erased"]["messages"] == 0
    assert any(k["why"] == "legal_hold" and k["until"] is None for k in body["kept"])
    assert db_rows(ls, "SELECT text, state FROM messages WHERE id = ?", acks[0]["id"]) == [
        ("preuve sous scellé", "visible")
    ]
    [(nickname, closed_at)] = db_rows(ls, "SELECT nickname, closed_at FROM accounts WHERE id = ?", account_id)
    assert nickname == me.nick and closed_at is not None


async def test_the_command_line_exports_verifies_and_reports(
    legal_server: LegalServer, people: list[Client], tmp_path: Path
) -> None:
    ls = legal_server
    author = await guest(ls, people)
    slug, _ = await room_with_messages(author, "<b>sous réquisition</b>")
    bundle, html, pem = tmp_path / "b.zip", tmp_path / "t.html", tmp_path / "k.pem"
    out = cli(
        ls.server,
        "legal",
        "export",
        "--room",
        slug,
        "--from",
        "2000-01-01",
        "--to",
        "2100-01-01",
        "--request-ref",
        "CLI 1",
        "--output",
        str(bundle),
    )
    assert f"room:{slug}" in out
    pem.write_bytes(ls.public_pem)
    assert "bundle OK" in cli_plain(ls.server, "legal", "verify", str(bundle), "--public-key", str(pem))
    assert "CLI 1" in cli(ls.server, "legal", "exports")
    cli(ls.server, "transparency", "report", "--from", "2000-01-01", "--to", "2100-01-01", "--html", str(html))
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "Notices received by source" in page
    lines = cli(ls.server, "transparency", "export", "--from", "2000-01-01", "--to", "2100-01-01")
    for line in lines.splitlines():
        assert json.loads(line)["territorial_scope"]


def cli_plain(server: LiveServer, *args: str) -> str:
    """A command without ``--database`` (verify reads only the file)."""
    env = {**os.environ, "CAUSERIE_CONFIG": str(server.folder / "none.toml")}
    result = subprocess.run(
        [sys.executable, "-m", "causerie", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
