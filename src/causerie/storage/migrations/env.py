"""Alembic environment: runs on the connection handed over by ``causerie.storage.migrate``."""

from __future__ import annotations

from alembic import context

from causerie.storage.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `causerie migrate` (causerie.storage.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
