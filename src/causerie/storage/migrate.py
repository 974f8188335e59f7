"""Create or upgrade the database schema with Alembic, on SQLite or PostgreSQL.

May import: stdlib, alembic, sqlalchemy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _run(connection: Connection, action: str, *args: Any) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    getattr(command, action)(cfg, *args)


async def upgrade(async_url: str, revision: str = "head", connect_args: dict[str, Any] | None = None) -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    if async_url.startswith("sqlite"):
        _ensure_sqlite_dir(async_url)
    engine = create_async_engine(async_url, connect_args=connect_args or {})
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run, "upgrade", revision)
    finally:
        await engine.dispose()


async def revision(async_url: str, message: str) -> None:
    """Autogenerate a new migration from the difference between the schema and the database."""
    engine = create_async_engine(async_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run, "revision", message, True)
    finally:
        await engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
