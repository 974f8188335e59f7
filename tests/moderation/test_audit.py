"""The audit trail: every moderator action is an entry chained by SHA-256; ``causerie audit verify``
checks the whole chain and names the first broken entry after a row is edited in the database."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from causerie.bootstrap import offline_services
from causerie.cli import app
from causerie.config import Settings
from causerie.domain.audit import AuditDraft, entry_hash, verify_chain
from causerie.domain.entities import RoomKind
from causerie.services.accounts import EntryForm
from causerie.services.moderation import ActionRequest
from causerie.storage import migrate
from causerie.storage.sql.moderation_store import SqlModerationStore
from causerie.storage.sql.store import SqlStore
from support.names import nick
from support.require import POSTGRES_URL, require_postgres

from .conftest import Cast
from .helpers import act, new_room, ok

PASSWORD = "un mot de passe assez long"


async def fill(db: Path) -> int:
    """Real moderation work on a fresh database; the number of audit entries it wrote."""
    settings = Settings(database_url=f"sqlite:///{db}", seed_rooms=False)
    async with offline_services(settings) as s:
        admin, _ = await s.moderation.create_admin("chef@example.org", nick("Chef"), PASSWORD)
        _, user = await s.accounts.enter_guest(EntryForm(nick("u"), 30, "f", "75", True))
        room = await s.rooms.create(admin, name=nick("Salon "), topic="", kind=RoomKind.PUBLIC)
        await s.moderation.act(admin, ActionRequest(kind="warn", reason="premier avertissement", user=user.nickname))
        await s.moderation.act(
            admin, ActionRequest(kind="mute", reason="flood", user=user.nickname, duration_seconds=600)
        )
        await s.moderation.set_room_settings(admin, room.slug, "region", {})
        await s.moderation.set_emergency(admin, 1, "raid")
        head, _ = await s.audit.head()
        return head


def verify(db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", "--database", f"sqlite:///{db}"])
    return result.exit_code, result.output


def run_sql(db: Path, statement: str) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


async def test_verify_passes_then_names_the_first_edited_entry(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    entries = await fill(db)
    assert entries == 5  # role grant, warn, mute, room settings, emergency level
    code, output = await asyncio.to_thread(verify, db)
    assert code == 0 and f"OK: {entries} entries" in output
    # someone edits the reason of entry 3 directly in the database
    run_sql(db, "UPDATE audit_log SET reason = 'rien à signaler' WHERE id = 3")
    code, output = await asyncio.to_thread(verify, db)
    assert code == 1
    assert "BROKEN at entry 3" in output and "modified" in output


async def test_verify_detects_a_recomputed_hash_a_deleted_entry_and_a_cut_tail(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    await fill(db)
    # an edit whose own hash is recomputed still breaks the link from the next entry
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT * FROM audit_log WHERE id = 2")).mappings().one()
        forged = entry_hash(
            id=2,
            ts_ms=row["ts_ms"],
            actor_id=row["actor_id"],
            action=row["action"],
            target=row["target"],
            reason="(effacé)",
            details=row["details"],
            prev_hash=row["prev_hash"],
        )
        conn.execute(sa.text("UPDATE audit_log SET reason = '(effacé)', hash = :h WHERE id = 2"), {"h": forged})
    engine.dispose()
    code, output = await asyncio.to_thread(verify, db)
    assert code == 1 and "BROKEN at entry 3" in output and "previous-hash" in output

    db2 = tmp_path / "audit2.db"
    await fill(db2)
    run_sql(db2, "DELETE FROM audit_log WHERE id = 4")
    code, output = await asyncio.to_thread(verify, db2)
    assert code == 1 and "BROKEN at entry 4" in output and "missing" in output

    db3 = tmp_path / "audit3.db"
    await fill(db3)
    run_sql(db3, "DELETE FROM audit_log WHERE id = 5")  # the last entry: only the recorded head shows it
    code, output = await asyncio.to_thread(verify, db3)
    assert code == 1 and "BROKEN" in output and "head" in output


async def test_head_prints_the_last_hash(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    entries = await fill(db)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["audit", "head", "--database", f"sqlite:///{db}"])
    last_id, last_hash = result.output.split()
    assert int(last_id) == entries and len(last_hash) == 64


async def test_the_live_servers_chain_verifies_after_moderation_work(cast: Cast) -> None:
    admin = await cast.admin()
    user = await cast.guest("us")
    room = await new_room(admin)
    await act(admin, kind="warn", user=user.nick, reason="audit")
    await act(admin, kind="slow_mode", room=room, slow_mode_seconds=5, reason="audit")
    entries = (await ok(admin, "GET", "/api/v1/moderation/audit", params={"limit": 1000}))["entries"]
    mine = [e for e in entries if e["actor_id"] == admin.me["id"] and e["reason"] == "audit"]
    assert [e["action"] for e in mine[-2:]] == ["action.warn", "action.slow_mode"]
    assert mine[-1]["details"]["action_id"] > 0 and mine[-1]["target"].startswith("room:")
    for before, after in itertools.pairwise(entries):
        assert after["prev_hash"] == before["hash"] and after["id"] == before["id"] + 1
    report = await ok(admin, "GET", "/api/v1/moderation/audit/verify")
    assert report["ok"] is True and report["broken_id"] is None


@pytest.mark.postgres
async def test_concurrent_appends_from_two_nodes_keep_one_chain_on_postgresql() -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    args = {"server_settings": {"search_path": schema}}
    stores = [SqlStore(POSTGRES_URL, connect_args=args) for _ in range(2)]
    try:
        await migrate.upgrade(POSTGRES_URL, connect_args=args)
        nodes = [SqlModerationStore(s) for s in stores]

        async def append(node: SqlModerationStore, n: int) -> None:
            await node.append_audit(AuditDraft(action="test", target=f"n:{n}", reason="parallel"), 1_800_000_000.0 + n)

        await asyncio.gather(*(append(nodes[n % 2], n) for n in range(40)))
        entries = await nodes[0].audit_entries(0, 1000)
        assert [e.id for e in entries] == list(range(1, 41))
        assert verify_chain(entries, head=await nodes[1].audit_head()).ok
    finally:
        for s in stores:
            await s.close()
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
