"""records: retention runs, legal holds on rooms and cases (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("created_by", Id, nullable=True))
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_id", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("base_hash", sa.String(length=64), server_default="0" * 64, nullable=False))
    op.create_table(
        "retention_tombstones",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_tombstones")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("deleted", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("connection_records", schema=None) as batch_op:
        batch_op.create_index("ix_connection_records_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("connection_records", schema=None) as batch_op:
        batch_op.drop_index("ix_connection_records_created_at")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_created_at")
    op.drop_table("retention_runs")
    op.drop_table("retention_tombstones")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("base_hash")
        batch_op.drop_column("base_id")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_column("created_by")
        batch_op.drop_column("expires_at")
