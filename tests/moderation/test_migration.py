"""Migration 0002 creates exactly the moderation tables of ``storage/sql/schema.py`` (SQLite and
PostgreSQL), starts the audit chain at its genesis, and upgrades a 0001 database that has messages."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from causerie.domain.audit import GENESIS_HASH
from causerie.storage import migrate
from causerie.storage.sql.schema import metadata
from support.require import POSTGRES_URL, require_postgres


async def differences(url: str, args: dict[str, Any] | None = None) -> list[Any]:
    engine = create_async_engine(url, connect_args=args or {})
    try:
        async with engine.connect() as conn:
            diff: list[Any] = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), metadata)
            )
            head = (await conn.execute(sa.text("SELECT last_id, last_hash FROM audit_head"))).one()
    finally:
        await engine.dispose()
    assert tuple(head) == (0, GENESIS_HASH)
    return diff


async def test_migrations_match_the_schema_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    await migrate.upgrade(url, "0001")
    engine = create_async_engine(url)
    async with engine.begin() as conn:  # a 0001 database with a message in it
        await conn.execute(
            sa.text(
                "INSERT INTO accounts (id, kind, nickname, age, gender, region, lang, created_at) "
                "VALUES (1, 'guest', 'Zoé', 30, 'f', '75', 'fr', 0)"
            )
        )
        await conn.execute(
            sa.text(
                "INSERT INTO rooms (id, slug, name, category, kind, created_at) VALUES (1, 'r', 'R', 'topic', 'public', 0)"
            )
        )
        await conn.execute(
            sa.text(
                "INSERT INTO messages (room_id, seq, author_id, client_id, text, created_at) VALUES (1, 1, 1, 'c', 'x', 0)"
            )
        )
    await engine.dispose()
    await migrate.upgrade(url)
    assert await differences(url) == []
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT state FROM messages"))).scalar_one() == "visible"
    await engine.dispose()


@pytest.mark.postgres
async def test_migrations_match_the_schema_on_postgresql() -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    args = {"server_settings": {"search_path": schema}}
    try:
        await migrate.upgrade(POSTGRES_URL, connect_args=args)
        assert await differences(POSTGRES_URL, args) == []
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
