"""Records on a live server: WebSocket connection records (address, source port, user agent, device,
account, start and end) written in batches; a room's display window hides old history from users
while the rows stay; legal holds through the admin API and the CLI; the purge through the API, counted
in the metrics."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from support.client import Client
from support.names import nick
from support.server import LiveServer

PASSWORD = "un mot de passe assez long"
ADMIN_EMAIL = "gardienne@example.org"
DEVICE = "0123456789abcdef0123456789abcdef"


def cli(db_path: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAUSERIE_CONFIG": str(folder / "none.toml"), "CAUSERIE_LOG_LEVEL": "warning"}
    return subprocess.run(
        [sys.executable, "-m", "causerie", *args, "--database", f"sqlite:///{db_path}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Server:
    live: LiveServer
    admin_token: str

    @property
    def base_url(self) -> str:
        return self.live.base_url

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=10
        )

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.live.db_path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("records")
    live = LiveServer(folder, env={"CAUSERIE_RECORDS_FLUSH_INTERVAL": "0.1"})
    made = cli(
        live.db_path,
        folder,
        "admin",
        "create-admin",
        "--email",
        ADMIN_EMAIL,
        "--nickname",
        "Gardienne",
        "--password",
        PASSWORD,
    )
    assert made.returncode == 0, made.stderr
    live.start()
    response = httpx.post(f"{live.base_url}/api/v1/session/login", json={"login": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 200, response.text
    try:
        yield Server(live, response.json()["token"])
    finally:
        live.stop()


async def wait_for(check: Any, timeout: float = 10.0) -> Any:
    """Poll the server's database until the background writer has done its part."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_websocket_connections_are_recorded_with_their_end(server: Server) -> None:
    guest = await Client.enter(server.base_url, nick("rec"))
    await guest.close()
    ws = await websockets.connect(
        guest.ws_url,
        additional_headers={"Cookie": f"causerie_device={DEVICE}"},
        user_agent_header="RecordsTest/1.0",
    )
    port = ws.local_address[1]
    await ws.send(f'{{"type": "hello", "v": 1, "token": "{guest.token}"}}')
    await ws.recv()  # welcome
    account = guest.me["id"]

    def row(ended: bool) -> sqlite3.Row | None:
        with server.db() as conn:
            found: sqlite3.Row | None = conn.execute(
                "SELECT * FROM connection_records WHERE account_id = ? AND event = 'websocket' AND port = ? "
                + ("AND ended_at IS NOT NULL" if ended else ""),
                (account, port),
            ).fetchone()
        return found

    opened = await wait_for(lambda: row(False))
    assert opened is not None and opened["ended_at"] is None  # written while the connection is open
    await ws.close()
    closed = await wait_for(lambda: row(True))
    assert closed is not None
    assert closed["ip"] == "127.0.0.1"
    assert closed["user_agent"] == "RecordsTest/1.0"
    assert closed["device_id"] == DEVICE
    assert closed["created_at"] <= closed["ended_at"] <= time.time() + 1
    with server.db() as conn:  # the first connection (no device cookie) has its record too
        count = conn.execute(
            "SELECT count(*) FROM connection_records WHERE account_id = ? AND event = 'websocket' "
            "AND ended_at IS NOT NULL",
            (account,),
        ).fetchone()[0]
    assert count == 2


async def test_a_display_window_hides_old_history_from_users_but_keeps_the_rows(server: Server) -> None:
    alice = await Client.enter(server.base_url, nick("win"))
    room = "musique"
    await alice.join(room)
    for text in ("ancien un", "ancien deux", "récent"):
        await alice.say(room, text)
    with server.db() as conn:  # two of them were sent two hours ago
        texts = ("ancien un", "ancien deux")
        conn.execute(
            "UPDATE messages SET created_at = created_at - 7200 WHERE text IN (?, ?) AND author_id = ?",
            (*texts, alice.me["id"]),
        )
    async with server.admin() as admin:
        response = await admin.put(f"/api/v1/rooms/{room}/settings", json={"display_window_hours": 1})
        assert response.status_code == 200, response.text
        assert response.json()["settings"]["display_window_hours"] == 1

    def mine(messages: list[dict[str, Any]]) -> list[str]:
        return [m["text"] for m in messages if m["author"]["nick"] == alice.nick]

    ref = "h-window"
    await alice.send({"type": "history", "room": room, "limit": 50, "ref": ref})
    page = await alice.expect("history", ref=ref)
    assert mine(page["messages"]) == ["récent"] and not page.get("more")
    async with alice.http() as http:
        rest = (await http.get(f"/api/v1/rooms/{room}/messages")).json()
    assert mine(rest["messages"]) == ["récent"] and not rest.get("more")
    with server.db() as conn:  # retained for the law
        kept = conn.execute("SELECT count(*) FROM messages WHERE author_id = ?", (alice.me["id"],)).fetchone()[0]
    assert kept == 3
    async with server.admin() as admin:
        response = await admin.put(f"/api/v1/rooms/{room}/settings", json={"display_window_hours": 0})
        assert response.status_code == 200, response.text
    await alice.send({"type": "history", "room": room, "limit": 50, "ref": "h-all"})
    page = await alice.expect("history", ref="h-all")
    assert mine(page["messages"]) == ["ancien un", "ancien deux", "récent"]
    await alice.close()


async def test_legal_holds_through_the_api_and_the_cli(server: Server) -> None:
    bob = await Client.enter(server.base_url, nick("held"))
    async with bob.http() as http:  # not an admin
        refused = await http.post(
            "/api/v1/moderation/legal/holds", json={"kind": "account", "target": bob.nick, "reason": "x"}
        )
        assert refused.status_code == 403
    async with server.admin() as admin:
        placed = await admin.post(
            "/api/v1/moderation/legal/holds",
            json={"kind": "account", "target": bob.nick, "reason": "réquisition 2026-42"},
        )
        assert placed.status_code == 201, placed.text
        hold = placed.json()["hold"]
        assert hold["target_id"] == str(bob.me["id"]) and hold["expires_at"] is None
        missing = await admin.post(
            "/api/v1/moderation/legal/holds", json={"kind": "room", "target": "no-such-room", "reason": "x"}
        )
        assert missing.status_code == 404
        listed = (await admin.get("/api/v1/moderation/legal/holds")).json()["holds"]
        assert hold["id"] in [h["id"] for h in listed]
    shown = cli(server.live.db_path, server.live.folder, "legal", "holds")
    assert shown.returncode == 0 and "réquisition 2026-42" in shown.stdout
    released = cli(server.live.db_path, server.live.folder, "legal", "release", str(hold["id"]), "--reason", "done")
    assert released.returncode == 0, released.stderr
    async with server.admin() as admin:
        listed = (await admin.get("/api/v1/moderation/legal/holds")).json()["holds"]
        assert hold["id"] not in [h["id"] for h in listed]
        everything = (await admin.get("/api/v1/moderation/legal/holds", params={"released": "true"})).json()["holds"]
        assert next(h for h in everything if h["id"] == hold["id"])["released_at"] is not None
        audit = (await admin.get("/api/v1/moderation/audit", params={"limit": 1000})).json()["entries"]
        actions = [(e["action"], e["target"]) for e in audit]
        assert ("legal.hold", f"account:{bob.me['id']}") in actions
        assert ("legal.release", f"account:{bob.me['id']}") in actions
        verified = (await admin.get("/api/v1/moderation/audit/verify")).json()
        assert verified["ok"], verified
    await bob.close()


async def test_the_purge_runs_from_the_api_and_is_counted(server: Server) -> None:
    carol = await Client.enter(server.base_url, nick("old"))
    await carol.join("cinema-series")
    await carol.say("cinema-series", "il y a longtemps")
    with server.db() as conn:
        conn.execute("UPDATE messages SET created_at = created_at - 400 * 86400 WHERE author_id = ?", (carol.me["id"],))
    async with server.admin() as admin:
        ran = await admin.post("/api/v1/moderation/retention/run")
        assert ran.status_code == 200, ran.text
        assert ran.json()["deleted"]["room_messages"] >= 1
        policy = (await admin.get("/api/v1/moderation/retention")).json()["days"]
        assert policy["connection_records"] == 365
        metrics = (await admin.get("/metrics")).text
    assert 'causerie_retention_deleted_total{kind="room_messages"}' in metrics
    with server.db() as conn:
        left = conn.execute("SELECT count(*) FROM messages WHERE author_id = ?", (carol.me["id"],)).fetchone()[0]
    assert left == 0
    await carol.close()


async def test_a_child_safety_report_holds_the_case_and_the_reported_account(server: Server) -> None:
    reporter = await Client.enter(server.base_url, nick("sig"))
    suspect = await Client.enter(server.base_url, nick("sus"))
    async with reporter.http() as http:
        filed = await http.post(
            "/api/v1/reports",
            json={"category": "minor_at_risk", "user": suspect.nick, "good_faith": True, "details": "il a 13 ans"},
        )
        assert filed.status_code == 201, filed.text
    async with server.admin() as admin:
        holds = (await admin.get("/api/v1/moderation/legal/holds")).json()["holds"]
    mine = [h for h in holds if h["source"].startswith("case:")]
    account_holds = [h for h in mine if h["kind"] == "account" and h["target_id"] == str(suspect.me["id"])]
    assert len(account_holds) == 1
    case_id = account_holds[0]["source"].split(":")[1]
    assert any(h["kind"] == "case" and h["target_id"] == case_id for h in mine)
    await reporter.close()
    await suspect.close()
