"""The relational schema, shared by SQLite and PostgreSQL (SQLAlchemy Core).

May import: stdlib, sqlalchemy.

Times are seconds since the Unix epoch (UTC) as double precision. Migrations under
``storage/migrations`` create exactly this (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY = rowid

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("nickname", sa.String(64), nullable=False),
    # the nickname's skeleton while the nickname is held; NULL once a guest's nickname is released
    sa.Column("nick_skel", sa.String(128), nullable=True, unique=True),
    sa.Column("email", sa.String(320), nullable=True, unique=True),
    sa.Column("password_hash", sa.String(256), nullable=True),
    sa.Column("age", sa.Integer, nullable=False),
    sa.Column("gender", sa.String(8), nullable=False),
    sa.Column("region", sa.String(8), nullable=False),
    sa.Column("lang", sa.String(8), nullable=False, server_default="fr"),
    sa.Column("dm_policy", sa.JSON, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=True),  # guests: nickname released after this
    sa.Column("closed_at", sa.Float, nullable=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("slug", sa.String(96), nullable=False, unique=True),
    sa.Column("name", sa.String(96), nullable=False),
    sa.Column("name_skel", sa.String(192), nullable=True, unique=True),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("topic", sa.String(512), nullable=False, server_default=""),
    sa.Column("min_age", sa.Integer, nullable=False, server_default="18"),
    sa.Column("max_age", sa.Integer, nullable=True),
    sa.Column("owner_id", Id, sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True),
    sa.Column("position", sa.Integer, nullable=False, server_default="1000"),
    # last sequence number given in this room; advanced in the insert's transaction (gap-free)
    sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("dm_a", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    sa.Column("dm_b", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    sa.Column("dm_state_a", sa.String(16), nullable=True),
    sa.Column("dm_state_b", sa.String(16), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("dm_a", "dm_b"),
)

room_members = sa.Table(
    "room_members",
    metadata,
    sa.Column("room_id", Id, sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),  # owner | member
    sa.Column("created_at", sa.Float, nullable=False),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("room_id", Id, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("author_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("reply_seq", sa.BigInteger, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("room_id", "seq"),
    sa.UniqueConstraint("author_id", "client_id"),  # a retried client_id is stored once
)

blocks = sa.Table(
    "blocks",
    metadata,
    sa.Column("blocker_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("blocked_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

friends = sa.Table(
    "friends",
    metadata,
    sa.Column("requester_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("target_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("accepted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.Float, nullable=False),
)
