"""moderation: device bans, strike ledger (issue 4)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("sanctions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_sanctions_device_id"), ["device_id"], unique=False)
    op.create_table(
        "misuse_strikes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("report_id", _ID, nullable=True),
        sa.Column("action_id", _ID, nullable=True),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_misuse_strikes")),
    )
    with op.batch_alter_table("misuse_strikes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_misuse_strikes_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_misuse_strikes_ip"), ["ip"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("misuse_strikes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_misuse_strikes_ip"))
        batch_op.drop_index(batch_op.f("ix_misuse_strikes_account_id"))
    op.drop_table("misuse_strikes")
    with op.batch_alter_table("sanctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanctions_device_id"))
        batch_op.drop_column("device_id")
