"""legal: transparency records, trusted flaggers, exports (issue 7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "trusted_flaggers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=256), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.Column("revoked_by", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_flaggers")),
        sa.UniqueConstraint("key_prefix", name=op.f("uq_trusted_flaggers_key_prefix")),
        sa.UniqueConstraint("name", name=op.f("uq_trusted_flaggers_name")),
    )
    op.create_table(
        "notice_sources",
        sa.Column("report_id", _ID, autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("flagger_id", _ID, nullable=True),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_notice_sources")),
    )
    with op.batch_alter_table("notice_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_sources_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_sources_flagger_id"), ["flagger_id"], unique=False)
    op.create_table(
        "authority_reports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("authority", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_reports")),
    )
    with op.batch_alter_table("authority_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authority_reports_case_id"), ["case_id"], unique=False)
    op.create_table(
        "legal_exports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_ref", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("period_from", sa.Float(), nullable=False),
        sa.Column("period_to", sa.Float(), nullable=False),
        sa.Column("include_quarantine", sa.Boolean(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("actor_id", _ID, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_exports")),
    )
    op.create_table(
        "closed_identities",
        sa.Column("account_id", _ID, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nickname", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=False),
        sa.Column("keep_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_closed_identities")),
    )
    with op.batch_alter_table("closed_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closed_identities_keep_until"), ["keep_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("closed_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_identities_keep_until"))
    op.drop_table("closed_identities")
    op.drop_table("legal_exports")
    with op.batch_alter_table("authority_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authority_reports_case_id"))
    op.drop_table("authority_reports")
    with op.batch_alter_table("notice_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_sources_flagger_id"))
        batch_op.drop_index(batch_op.f("ix_notice_sources_case_id"))
    op.drop_table("notice_sources")
    op.drop_table("trusted_flaggers")
