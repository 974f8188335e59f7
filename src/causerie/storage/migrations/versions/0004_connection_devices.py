"""connection records: device id and end time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connection_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ended_at", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_connection_records_device_id"), ["device_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("connection_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_records_device_id"))
        batch_op.drop_column("ended_at")
        batch_op.drop_column("device_id")
