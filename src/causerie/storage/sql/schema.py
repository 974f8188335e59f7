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
    # visible | removed (kept as evidence, shown to nobody) | shadow (shown to its author only)
    sa.Column("state", sa.String(16), nullable=False, server_default="visible"),
    sa.Column("media", sa.JSON(none_as_null=True), nullable=True),  # a picture: {"id", "w", "h"} (migration 0003)
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


# --- moderation (issue 4; migration 0002) ------------------------------------------------------

account_roles = sa.Table(
    "account_roles",
    metadata,
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),  # admin | moderator
    sa.Column("granted_by", Id, nullable=True),
    sa.Column("granted_at", sa.Float, nullable=False),
)

# IP address (and source port when known) of every entry: guest entry, login, registration.
connection_records = sa.Table(
    "connection_records",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("event", sa.String(16), nullable=False),  # guest | login | register
    sa.Column("ip", sa.String(64), nullable=True, index=True),
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("user_agent", sa.String(256), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # the browser's long-lived device id (cookie ``causerie_device``), for device bans and the law
    sa.Column("device_id", sa.String(64), nullable=True, index=True),
    # when the connection ended (WebSocket connections; NULL for one-shot HTTP entries)
    sa.Column("ended_at", sa.Float, nullable=True),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    # "message:12" while the case is open, NULL once closed: reports on one target merge
    sa.Column("open_key", sa.String(64), nullable=True, unique=True),
    sa.Column("target_kind", sa.String(16), nullable=False),
    sa.Column("message_id", Id, nullable=True, index=True),
    sa.Column("account_id", Id, nullable=True, index=True),
    sa.Column("room_id", Id, nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False),  # open | closed
    sa.Column("category", sa.String(32), nullable=False),  # the most severe of its reports
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("reporters", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reports", sa.Integer, nullable=False, server_default="0"),
    sa.Column("flags", sa.Integer, nullable=False, server_default="0"),
    sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("assigned_to", Id, nullable=True),
    sa.Column("resolution", sa.String(32), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("closed_at", sa.Float, nullable=True),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("case_id", Id, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("reporter_id", Id, nullable=True, index=True),  # NULL: anonymous public form
    sa.Column("reporter_name", sa.String(200), nullable=True),
    sa.Column("reporter_email", sa.String(320), nullable=True),
    sa.Column("reporter_ip", sa.String(64), nullable=True),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default=""),
    sa.Column("good_faith", sa.Boolean, nullable=False),
    sa.Column("target_kind", sa.String(16), nullable=False),
    sa.Column("message_id", Id, nullable=True),
    sa.Column("account_id", Id, nullable=True),
    sa.Column("room_id", Id, nullable=True),
    sa.Column("outcome", sa.String(16), nullable=True),  # action_taken | no_action
    sa.Column("outcome_at", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# The messages around a reported one, copied at report time: kept even if the originals are removed.
report_context = sa.Table(
    "report_context",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("report_id", Id, sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("message_id", Id, nullable=False),
    sa.Column("room_id", Id, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("author_id", Id, nullable=False),
    sa.Column("author_nick", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("is_target", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

moderation_actions = sa.Table(
    "moderation_actions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("actor_id", Id, nullable=True),  # NULL: automated
    sa.Column("case_id", Id, nullable=True, index=True),
    sa.Column("account_id", Id, nullable=True, index=True),
    sa.Column("room_id", Id, nullable=True),
    sa.Column("message_ids", sa.JSON, nullable=True),
    sa.Column("ip_range", sa.String(64), nullable=True),
    sa.Column("until", sa.Float, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("automated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reverses", Id, nullable=True),
    sa.Column("reversed_by", Id, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Sanctions in force (mute, ban, room ban after a kick, shadow-hide, IP ban); lifted ones keep their row.
sanctions = sa.Table(
    "sanctions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("action_id", Id, sa.ForeignKey("moderation_actions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("account_id", Id, nullable=True, index=True),
    sa.Column("room_id", Id, nullable=True),
    sa.Column("ip_range", sa.String(64), nullable=True),
    sa.Column("starts_at", sa.Float, nullable=False),
    sa.Column("until", sa.Float, nullable=True),  # NULL: permanent
    sa.Column("lifted_at", sa.Float, nullable=True),
    sa.Column("lifted_by", Id, nullable=True),
    sa.Column("device_id", sa.String(64), nullable=True, index=True),  # device bans (cookie causerie_device)
)

# DSA art. 23 strike ledger: manifestly unfounded notices (per reporter: account, or entry IP for the
# public form) and manifestly illegal content (per author); also the transparency report's counts.
misuse_strikes = sa.Table(
    "misuse_strikes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # notice | content
    sa.Column("account_id", Id, nullable=True, index=True),
    sa.Column("ip", sa.String(64), nullable=True, index=True),
    sa.Column("report_id", Id, nullable=True),
    sa.Column("action_id", Id, nullable=True),  # the action that recorded it (a reversal voids it)
    sa.Column("case_id", Id, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Statements of reasons (DSA art. 17), stored as shown to the user.
statements = sa.Table(
    "statements",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("action_id", Id, sa.ForeignKey("moderation_actions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("account_id", Id, nullable=False, index=True),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("scope", sa.String(200), nullable=False, server_default=""),
    sa.Column("until", sa.Float, nullable=True),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # notice | own_initiative
    sa.Column("automated", sa.Boolean, nullable=False),
    sa.Column("ground", sa.Text, nullable=False),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("redress", sa.Text, nullable=False),
    sa.Column("appeal_until", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

appeals = sa.Table(
    "appeals",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("statement_id", Id, sa.ForeignKey("statements.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("action_id", Id, nullable=False),
    sa.Column("account_id", Id, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | upheld | reversed
    sa.Column("acted_by", Id, nullable=True),
    sa.Column("decided_by", Id, nullable=True),
    sa.Column("decided_at", sa.Float, nullable=True),
    sa.Column("decision_reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

room_safety = sa.Table(
    "room_safety",
    metadata,
    sa.Column("room_id", Id, sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("updated_by", Id, nullable=True),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Operator-wide state: key "emergency" holds {"level": n}.
operator_state = sa.Table(
    "operator_state",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_by", Id, nullable=True),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# The audit trail: append-only, hash-chained (causerie.domain.audit). Ids are contiguous; the single
# row of audit_head serialises appends across nodes (SELECT … FOR UPDATE on PostgreSQL).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ts_ms", sa.BigInteger, nullable=False),
    sa.Column("actor_id", Id, nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
    # issue 7 (migration 0006): the retention purge deletes a whole prefix of the chain; the chain then
    # verifies from the last deleted entry (id, hash) instead of the genesis
    sa.Column("base_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("base_hash", sa.String(64), nullable=False, server_default="0" * 64),
)


# --- media (issue 6; migration 0003) -----------------------------------------------------------

# A stored picture (re-encoded, no metadata). ``id`` is random and unguessable (the capability to see
# it); the files are content-addressed by ``sha256`` / ``thumb_sha256`` (storage.blobs).
media_items = sa.Table(
    "media_items",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("thumb_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("thumb_content_type", sa.String(32), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("thumb_width", sa.Integer, nullable=False),
    sa.Column("thumb_height", sa.Integer, nullable=False),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("orig_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("orig_md5", sa.String(32), nullable=False, index=True),
    sa.Column("pdq", sa.String(64), nullable=True),
    sa.Column("pdq_quality", sa.Integer, nullable=False, server_default="0"),
    sa.Column("scanned", sa.Boolean, nullable=False),  # matched against the banks at upload
    sa.Column("scope", sa.String(16), nullable=False),  # public | private (direct conversations only)
    sa.Column("state", sa.String(16), nullable=False, server_default="visible"),  # visible | removed
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

hash_banks = sa.Table(
    "hash_banks",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("description", sa.String(400), nullable=False, server_default=""),
    sa.Column("pdq_threshold", sa.Integer, nullable=False, server_default="31"),
    sa.Column("match_mirrored", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"),  # bumped on every change
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# One row per (bank, kind, hash): importing the same list twice adds nothing.
hash_bank_entries = sa.Table(
    "hash_bank_entries",
    metadata,
    sa.Column("bank_id", Id, sa.ForeignKey("hash_banks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),  # md5 | pdq
    sa.Column("value", sa.String(64), primary_key=True),
)

# Import progress per (bank, file digest): an interrupted import resumes after its last committed row.
hash_bank_imports = sa.Table(
    "hash_bank_imports",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("bank_id", Id, sa.ForeignKey("hash_banks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),  # SHA-256 of the imported file
    sa.Column("source", sa.String(400), nullable=False),
    sa.Column("lines_done", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("added", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("invalid", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("bank_id", "digest"),
)

# The original bytes of a matched upload, encrypted at rest (storage.blobs.QuarantineVault), never
# served by the media routes. Evidence tables have no foreign keys: they outlive accounts and banks.
media_quarantine = sa.Table(
    "media_quarantine",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("account_id", Id, nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("declared_type", sa.String(100), nullable=True),
    sa.Column("filename", sa.String(256), nullable=True),
    sa.Column("legal_hold", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.Float, nullable=False),
)

# One row per bank hit of a quarantined upload.
media_matches = sa.Table(
    "media_matches",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("quarantine_id", sa.String(32), nullable=False, index=True),
    sa.Column("account_id", Id, nullable=False, index=True),
    sa.Column("bank_id", Id, nullable=False),
    sa.Column("bank_name", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # md5 | pdq
    sa.Column("matched_hash", sa.String(64), nullable=False),
    sa.Column("distance", sa.Integer, nullable=False),
    sa.Column("threshold", sa.Integer, nullable=False),
    sa.Column("mirrored", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("pdq", sa.String(64), nullable=True),
    sa.Column("pdq_quality", sa.Integer, nullable=False, server_default="0"),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("user_agent", sa.String(256), nullable=True),
    sa.Column("case_id", Id, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

account_restrictions = sa.Table(
    "account_restrictions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),  # media_upload
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),  # e.g. "media_match:12"
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("lifted_at", sa.Float, nullable=True),
    sa.Column("lifted_by", Id, nullable=True),
)

# Data kept beyond its retention period for the law (an account, a quarantined file).
legal_holds = sa.Table(
    "legal_holds",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("target_kind", sa.String(16), nullable=False),  # account | quarantine
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("released_at", sa.Float, nullable=True),
    sa.Column("released_by", Id, nullable=True),
    sa.Index("ix_legal_holds_target", "target_kind", "target_id"),
    # issue 7 (migration 0006): holds on rooms and cases too, an optional end, who placed it
    sa.Column("expires_at", sa.Float, nullable=True),  # NULL: until released
    sa.Column("created_by", Id, nullable=True),  # NULL: automatic (hash match, child-safety case)
)

# A report prepared for the authorities (NCMEC CyberTipline / PHAROS fields), for the compliance export.
report_bundles = sa.Table(
    "report_bundles",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),  # apparent_csam_hash_match
    sa.Column("match_id", Id, nullable=True, index=True),
    sa.Column("quarantine_id", sa.String(32), nullable=True),
    sa.Column("account_id", Id, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),  # ready | exported
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("exported_at", sa.Float, nullable=True),
)


# --- records and retention (issue 7, part A; migration 0006) -----------------------------------

# Files whose rows the purge deleted, written in the same transaction as the deletion and removed once
# the file is gone: a crash between the two leaves a tombstone, never an orphaned file.
retention_tombstones = sa.Table(
    "retention_tombstones",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # blob | quarantine
    sa.Column("ref", sa.String(64), nullable=False),  # sha256 of a picture file, or a quarantine id
    sa.Column("created_at", sa.Float, nullable=False),
)

# One row per purge: when, and how many rows of each kind it deleted.
retention_runs = sa.Table(
    "retention_runs",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=True),  # NULL: interrupted (the next run finishes its work)
    sa.Column("deleted", sa.JSON, nullable=False),
)

# The purge selects by age.
sa.Index("ix_messages_created_at", messages.c.created_at)
sa.Index("ix_connection_records_created_at", connection_records.c.created_at)


# --- legal: trusted flaggers, reports to authorities, exports, closed identities (issue 7B; 0007) --

# Organisations with trusted flagger status (DSA art. 22). The API key is shown once; only its argon2
# hash is kept, found by its public prefix.
trusted_flaggers = sa.Table(
    "trusted_flaggers",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("contact_email", sa.String(320), nullable=True),
    sa.Column("key_prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(256), nullable=False),
    sa.Column("created_by", Id, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
    sa.Column("revoked_by", Id, nullable=True),
)

# Where a notice came from when it is not a user's own report: one row per trusted flagger notice.
notice_sources = sa.Table(
    "notice_sources",
    metadata,
    sa.Column("report_id", Id, primary_key=True, autoincrement=False),
    sa.Column("source", sa.String(16), nullable=False),  # trusted_flagger
    sa.Column("flagger_id", Id, nullable=True, index=True),
    sa.Column("case_id", Id, nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Reports to the authorities (DSA art. 18; NCMEC CyberTipline / PHAROS fields), made from a case.
authority_reports = sa.Table(
    "authority_reports",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("case_id", Id, nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),  # child_sexual_abuse | threat_to_life_or_safety
    sa.Column("authority", sa.String(32), nullable=False),  # ncmec | pharos
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_by", Id, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Evidence bundles handed over (who, what, for which request): the audit trail has the same entry.
legal_exports = sa.Table(
    "legal_exports",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("request_ref", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("period_from", sa.Float, nullable=False),
    sa.Column("period_to", sa.Float, nullable=False),
    sa.Column("include_quarantine", sa.Boolean, nullable=False),
    sa.Column("manifest_sha256", sa.String(64), nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("actor_id", Id, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Identification data of a closed account (GDPR erasure), kept for the law until ``keep_until``.
closed_identities = sa.Table(
    "closed_identities",
    metadata,
    sa.Column("account_id", Id, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("nickname", sa.String(64), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("age", sa.Integer, nullable=False),
    sa.Column("gender", sa.String(8), nullable=False),
    sa.Column("region", sa.String(8), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("closed_at", sa.Float, nullable=False),
    sa.Column("keep_until", sa.Float, nullable=False, index=True),
)
