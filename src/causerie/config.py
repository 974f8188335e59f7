"""One frozen settings object, read once at start-up; every limit is named, typed and documented.

May import: stdlib, pydantic, pydantic-settings.

Sources, highest priority first: arguments given to ``Settings(...)`` (the CLI's flags), environment
variables ``CAUSERIE_<NAME>``, the TOML file named by ``CAUSERIE_CONFIG`` (default ``causerie.toml``
in the working directory, if present), then the defaults below. Nothing else in Causerie reads the
environment. ``docs/configuration.md`` is generated from this class (``causerie config-doc``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ROOMS_FILE = PACKAGE_DIR / "seed_rooms.toml"


def config_file() -> Path:
    return Path(os.environ.get("CAUSERIE_CONFIG", "causerie.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAUSERIE_", frozen=True, extra="forbid")

    # --- serving ---------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8080, description="TCP port to listen on.")
    database_url: str = Field(
        "sqlite:///./data/causerie.db",
        description="`sqlite:///path` (default, embedded) or `postgresql://user@host/db`.",
    )
    redis_url: str | None = Field(None, description="`redis://host:port/db`; unset = one node, in-process broker.")
    redis_prefix: str = Field(
        "causerie", description="Prefix of every Redis key and channel (several deployments, one Redis)."
    )
    database_schema: str | None = Field(
        None, description="PostgreSQL schema to use (search_path); unset = the default."
    )
    node_id: str | None = Field(None, description="This node's name in logs and presence; unset = random per start.")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins (scheme://host:port) allowed to open the WebSocket; the server's own origin is always allowed.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Peers whose X-Forwarded-For / X-Forwarded-Proto are believed. Never `*`.",
    )
    cookie_secure: bool = Field(False, description="Mark the session cookie Secure (set true behind TLS).")
    default_lang: Literal["fr", "en"] = Field(
        "fr", description="Language of server texts when the client does not say."
    )
    rooms_file: Path = Field(DEFAULT_ROOMS_FILE, description="TOML file of the rooms seeded at start-up.")
    seed_rooms: bool = Field(True, description="Create the rooms of `rooms_file` that do not exist yet.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level.")
    log_json: bool = Field(True, description="Structured JSON logs (false: human-readable).")

    # --- entry and accounts ------------------------------------------------------------------
    min_age: int = Field(18, description="Minimum declared age to enter (years).")
    max_age: int = Field(99, description="Maximum declared age accepted (years).")
    nickname_min_chars: int = Field(2, description="Minimum nickname length (Unicode code points).")
    nickname_max_chars: int = Field(24, description="Maximum nickname length (Unicode code points).")
    reserved_nicknames: list[str] = Field(
        default_factory=list, description="Nicknames reserved in addition to the built-in list (admin, modo, …)."
    )
    password_min_chars: int = Field(15, description="Minimum password length (code points; NIST SP 800-63B-4).")
    password_max_chars: int = Field(256, description="Maximum password length (code points).")
    guest_ttl_hours: float = Field(
        24.0, description="A guest session (and its nickname) lasts this long after last use (hours)."
    )
    session_ttl_days: float = Field(30.0, description="A registered session lasts this long after last use (days).")
    max_sessions_per_account: int = Field(
        10, description="Concurrent sessions per account; the oldest is ended beyond."
    )

    # --- rooms -------------------------------------------------------------------------------
    room_name_min_chars: int = Field(3, description="Minimum room name length (code points).")
    room_name_max_chars: int = Field(40, description="Maximum room name length (code points).")
    room_topic_max_chars: int = Field(200, description="Maximum room topic length (code points).")
    max_rooms_joined: int = Field(20, description="Rooms one connection may be in at once.")
    max_rooms_created: int = Field(3, description="Rooms one account may own.")

    # --- messages ----------------------------------------------------------------------------
    max_message_chars: int = Field(
        1000, description="Maximum message length (Unicode code points); longer is refused, never truncated."
    )
    max_combining_marks: int = Field(3, description="Combining marks kept per base character (zalgo cap).")
    rate_message_burst: int = Field(8, description="Messages a user may send in a burst (token bucket size).")
    rate_message_per_second: float = Field(
        1.0, description="Sustained messages per second per user (bucket refill rate)."
    )
    typing_min_interval: float = Field(2.0, description="Seconds between two relayed typing events per user and room.")
    history_page_max: int = Field(100, description="Maximum messages per history page.")
    resume_max_messages: int = Field(1000, description="Maximum messages replayed on resume; beyond, `more` is true.")
    group_commit_max_batch: int = Field(512, description="Maximum messages committed in one transaction.")

    # --- social ------------------------------------------------------------------------------
    max_blocks: int = Field(500, description="Accounts one account may block.")
    max_friends: int = Field(500, description="Friends (and pending requests) per account.")

    # --- realtime ----------------------------------------------------------------------------
    ws_max_frame_bytes: int = Field(
        65536, description="Largest client WebSocket message (bytes); larger closes with 1009."
    )
    ws_hello_timeout: float = Field(10.0, description="Seconds a new WebSocket has to send `hello` (close 4008).")
    ws_max_bad_frames: int = Field(10, description="Malformed frames tolerated per connection before close 1008.")
    ws_send_queue_bytes: int = Field(
        1_048_576, description="Unread output buffered per connection before close 1013 (bytes)."
    )
    ws_ping_interval: float = Field(20.0, description="Seconds between WebSocket pings.")
    ws_ping_timeout: float = Field(20.0, description="Seconds to wait for a pong before closing.")
    ws_transport: Literal["fast", "asgi"] = Field(
        "fast",
        description="WebSocket transport on `/ws`: `fast` (own asyncio protocol under uvicorn, no ASGI; "
        "docs/performance.md) or `asgi` (the FastAPI route, the fallback).",
    )
    presence_grace_seconds: float = Field(20.0, description="A disconnected member stays listed this long (seconds).")
    counts_interval_seconds: float = Field(2.0, description="Seconds between room member count broadcasts.")
    presence_heartbeat_seconds: float = Field(
        2.0, description="Seconds between presence heartbeats between nodes; a node silent for 3 is dropped."
    )
    gap_check_seconds: float = Field(
        5.0, description="Seconds between checks of each open room against the database (missed broker events)."
    )

    # --- storage -----------------------------------------------------------------------------
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="SQLite `synchronous` pragma; FULL survives power loss (durable acks)."
    )
    db_pool_size: int = Field(5, description="Database connections for reads (PostgreSQL: per node).")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("database_url must start with sqlite:// or postgresql://")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def async_database_url(self) -> str:
        """The URL with the async driver SQLAlchemy needs (aiosqlite or asyncpg)."""
        url = self.database_url
        for prefix, driver in (
            ("sqlite+aiosqlite://", "sqlite+aiosqlite://"),
            ("sqlite://", "sqlite+aiosqlite://"),
            ("postgresql+asyncpg://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix) :]
        return url

    def public_limits(self) -> dict[str, int]:
        """Limits a client needs to know (sent in `welcome` and `/api/v1/meta`)."""
        return {
            "max_message_chars": self.max_message_chars,
            "max_rooms_joined": self.max_rooms_joined,
            "history_page_max": self.history_page_max,
            "nickname_min_chars": self.nickname_min_chars,
            "nickname_max_chars": self.nickname_max_chars,
            "room_name_min_chars": self.room_name_min_chars,
            "room_name_max_chars": self.room_name_max_chars,
            "room_topic_max_chars": self.room_topic_max_chars,
            "password_min_chars": self.password_min_chars,
            "min_age": self.min_age,
            "ws_max_frame_bytes": self.ws_max_frame_bytes,
        }

    # --- moderation --------------------------------------------------------------------------
    report_details_max_chars: int = Field(
        2000, description="Longest free-text details in a report (code points); longer is refused."
    )
    report_context_before: int = Field(
        20, description="Messages before a reported one copied into the report's frozen context."
    )
    report_context_after: int = Field(5, description="Messages after a reported one copied into the frozen context.")
    reports_per_hour: int = Field(
        30, description="Reports one account (or one IP address, for anonymous reports) may file per hour."
    )
    moderation_reason_max_chars: int = Field(
        1000, description="Longest reason a moderator gives for an action (code points)."
    )
    mute_default_minutes: float = Field(60.0, description="Mute duration when the moderator gives none (minutes).")
    kick_default_minutes: float = Field(
        10.0, description="After a kick, minutes before the user may enter the room again."
    )
    remove_recent_hours: float = Field(
        24.0, description="`remove_recent` removes the user's messages of the last this many hours, everywhere."
    )
    remove_recent_max: int = Field(500, description="At most this many messages removed by one `remove_recent`.")
    bulk_max_messages: int = Field(200, description="Messages one bulk action may select.")
    appeal_days: int = Field(
        183, description="Days a user has to contest a decision (DSA art. 20: at least six months)."
    )
    appeal_text_max_chars: int = Field(4000, description="Longest appeal text (code points).")
    emergency_read_only_minutes: float = Field(
        30.0, description="Emergency level ≥ 1: guests younger than this may read but not post (minutes)."
    )
    moderation_refresh_seconds: float = Field(
        10.0, description="Seconds between reloads of sanctions and room settings from the database (several nodes)."
    )
    moderation_page_max: int = Field(200, description="Most cases, appeals or audit entries per page.")
    device_cookie_days: float = Field(
        395.0, description="Lifetime of the browser's device-id cookie `causerie_device` (days; device bans)."
    )
    hold_first_messages_count: int = Field(
        3,
        description="Rooms with `hold_first_messages`: an account's first this many messages there are held "
        "for review until a moderator restores them.",
    )
    misuse_notice_strikes: int = Field(
        5,
        description="DSA art. 23(2): manifestly unfounded reports within `misuse_window_days` that suspend a "
        "reporter's reports (0: never).",
    )
    misuse_content_strikes: int = Field(
        3,
        description="DSA art. 23(1): upheld actions on manifestly illegal content within `misuse_window_days` "
        "that suspend the author's account automatically (0: never).",
    )
    misuse_window_days: float = Field(90.0, description="Window over which DSA art. 23 strikes are counted (days).")
    misuse_notice_suspension_days: float = Field(
        30.0, description="How long a reporter's reports stay suspended for misuse (days)."
    )
    misuse_content_suspension_days: float = Field(
        7.0, description="How long an account is suspended for frequent manifestly illegal content (days)."
    )

    # --- hardening ---------------------------------------------------------------------------
    ip_limits_exempt: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="Client networks (CIDR) exempt from the per-address limits (connections, login, entry); "
        "loopback by default. `[]` limits everyone.",
    )
    ws_max_connections_per_ip: int = Field(
        16,
        description="Concurrent WebSockets per client address (IPv4 /32, IPv6 /64) on one node; beyond, the "
        "upgrade is refused with HTTP 429 `too_many_connections`.",
    )
    ws_new_connections_per_ip: int = Field(
        32,
        description="New WebSockets per client address (IPv4 /32, IPv6 /64) per `ws_new_connections_window` "
        "(token bucket, shared by nodes with Redis); beyond, HTTP 429 with Retry-After.",
    )
    ws_new_connections_window: float = Field(
        600.0, description="Window of `ws_new_connections_per_ip` (seconds): the bucket refills over it."
    )
    ws_max_connections_per_account: int = Field(
        8,
        description="Concurrent WebSockets per account on one node; beyond, the new one gets "
        "`too_many_connections` and close 1008.",
    )
    login_per_account_per_minute: int = Field(
        3,
        description="Login attempts per login name per minute (token bucket); beyond, HTTP 429 `rate_limited` "
        "with Retry-After. Counted for unknown names too.",
    )
    login_per_account_per_hour: int = Field(
        30, description="Login attempts per login name per hour (second bucket: the delay grows, no lockout)."
    )
    login_per_ip_per_minute: int = Field(
        10, description="Login attempts per client address (IPv4 /32, IPv6 /64) per minute; beyond, HTTP 429."
    )
    login_per_ip_per_hour: int = Field(
        100, description="Login attempts per client address (IPv4 /32, IPv6 /64) per hour; beyond, HTTP 429."
    )
    registrations_per_ip_per_hour: int = Field(
        10, description="Account registrations per client address (IPv4 /32, IPv6 /64) per hour; beyond, HTTP 429."
    )
    guest_entries_per_ip_per_hour: int = Field(
        30, description="Guest entries per client address (IPv4 /32, IPv6 /64) per hour; beyond, HTTP 429."
    )
    ws_frame_burst: int = Field(
        100, description="Client frames one connection may send in a burst (token bucket size); beyond, `rate_limited`."
    )
    ws_frames_per_second: float = Field(
        10.0, description="Sustained client frames per second per connection (bucket refill rate)."
    )
    ws_max_refused_frames: int = Field(
        20,
        description="Frames refused in a row for rate before the connection is closed with 1008 (`frame_flood`).",
    )
    http_max_body_bytes: int = Field(
        65536,
        description="Largest HTTP request body (bytes); larger is refused with 413 `request_too_large` before "
        "it is read. 0 = no limit.",
    )
    http_keep_alive_seconds: int = Field(
        5, description="Seconds an idle HTTP keep-alive connection stays open (uvicorn `timeout_keep_alive`)."
    )
    http_limit_concurrency: int = Field(
        0,
        description="Open connections (HTTP and WebSocket) plus running tasks beyond which new HTTP requests get "
        "503 (uvicorn `limit_concurrency`); 0 = no limit.",
    )
    ws_close_timeout: float = Field(
        10.0,
        description="Seconds a closing WebSocket (slow consumer, flood, bad frames) has to take the close frame and "
        "answer it; then the server drops the session (seconds).",
    )

    # --- media -------------------------------------------------------------------------------
    media_enabled: bool = Field(True, description="Pictures on or off for the whole service.")
    media_max_bytes: int = Field(
        8_000_000, description="Largest picture upload (bytes); refused with `image_too_large` before it is read."
    )
    media_max_pixels: int = Field(
        40_000_000,
        description="Largest picture (width × height, pixels), checked on the header before decoding "
        "(decompression bombs); Pillow's own guard is set to the same value.",
    )
    media_store_max_side: int = Field(
        2560, description="Stored pictures are scaled down to at most this many pixels on their long side."
    )
    media_thumb_side: int = Field(320, description="Thumbnails fit in a square of this many pixels.")
    media_dir: Path | None = Field(
        None, description="Folder of the stored pictures; unset: `media/` beside the SQLite database (or ./data/media)."
    )
    media_quarantine_dir: Path | None = Field(
        None,
        description="Folder of quarantined originals (encrypted, never served); unset: `quarantine/` beside the "
        "media folder. Put it on a different volume from the served pictures if you can.",
    )
    media_quarantine_key: SecretStr | None = Field(
        None,
        description="AES-256-GCM key of the quarantine (64 hex characters or base64). Unset: a key file is created "
        "in the quarantine folder on first use; set it (and keep it apart from the data) in production.",
    )
    media_public_url: str = Field(
        "",
        description="Base URL the pictures are served from (e.g. `https://media.example.org`); empty = this origin. "
        "A separate, cookieless origin is recommended (docs/media.md).",
    )
    media_pdq_threshold: int = Field(
        31, description="PDQ Hamming distance threshold of a new hash bank (bits out of 256; per bank after that)."
    )
    media_pdq_min_quality: int = Field(
        50, description="Uploads whose PDQ quality is below this are matched by MD5 only (PDQ is unreliable there)."
    )
    media_new_account_minutes: float = Field(
        60.0, description="A new account may upload and send pictures only this many minutes after it was created."
    )
    # Hash-matching private messages rested on EU Reg. 2021/1232 (the interim ePrivacy derogation,
    # extended by 2024/1307), which lapsed on 3 April 2026 (SAFETY.md §4). Without a legal basis in force
    # private pictures are not matched: turn this on only on counsel's advice.
    media_scan_private: bool = Field(
        False,
        description="Also match pictures uploaded for private conversations against the hash banks. Off by "
        "default: EU Reg. 2021/1232, which allowed it, lapsed on 3 April 2026 (counsel).",
    )
    media_upload_burst: int = Field(10, description="Uploads one account may make in a burst (token bucket size).")
    media_uploads_per_minute: float = Field(5.0, description="Sustained uploads per minute per account.")
    media_decode_concurrency: int = Field(
        2, description="Pictures decoded at once per node (each may need ~4 bytes per pixel of memory)."
    )
    media_bank_check_seconds: float = Field(
        30.0, description="Seconds between checks for changed hash banks (imports from the CLI or another node)."
    )

    # --- legal: evidence exports, reports to authorities, transparency (issue 7B) --------------
    legal_signing_key: SecretStr | None = Field(
        None,
        description="Ed25519 private key that signs evidence bundles: base64 of the 32 raw bytes, or PEM "
        "(`causerie legal keygen`). Wins over `legal_signing_key_file`.",
    )
    legal_signing_key_file: Path | None = Field(
        None, description="PEM file of the Ed25519 key that signs evidence bundles (`causerie legal keygen`)."
    )
    legal_platform_url: str = Field(
        "", description="The service's public address, written in reports to the authorities and bundles."
    )
    legal_contact_name: str = Field(
        "", description="Point of contact for the authorities (DSA art. 11), written in reports to them."
    )
    legal_contact_email: str = Field("", description="Email of the point of contact for the authorities.")
    legal_contact_phone: str = Field("", description="Phone number of the point of contact for the authorities.")
    legal_export_context: int = Field(
        10, description="Messages before and after each of an account's room messages included in its evidence export."
    )
    transparency_territorial_scope: list[str] = Field(
        default_factory=lambda: [
            *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE"),
            *("IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"),
        ],
        description="Countries where moderation decisions apply (DSA Transparency Database `territorial_scope`).",
    )

    # --- safety ------------------------------------------------------------------------------
    safety_enabled: bool = Field(True, description="Run the automated safety engine (rules and risk signals).")
    safety_rules_dir: Path | None = Field(
        None,
        description="Operator folder of extra rule files (`*.toml`, `<category>.<action>.txt`) read after the packaged defaults; reloaded without a restart.",
    )
    safety_phone_regions: list[str] = Field(
        default_factory=lambda: ["FR", "BE", "CH", "GB", "US", "CA"],
        description="Regions (ISO 3166 codes) whose phone numbers are recognised in messages.",
    )
    safety_grooming_age_gap: int = Field(
        10, description="Age gap (years) that makes grooming cues towards someone aged 21 or less weigh."
    )
    safety_new_account_hours: float = Field(
        24.0, description="An account younger than this (hours) makes meet-up proposals weigh more."
    )
    safety_bot_min_recipients: int = Field(
        8, description="Near-identical openers to this many different people within the window flag a bot farm."
    )
    safety_bot_window_seconds: float = Field(
        3600.0, description="Window (seconds) of the behaviour analyser (openers, rooms, meet-up proposals)."
    )
    safety_bot_similarity: float = Field(
        0.7, description="Character-trigram Jaccard similarity (0–1) from which two messages are near-duplicates."
    )
    safety_bot_regular_cv: float = Field(
        0.15,
        description="Sends to different people whose intervals vary less than this (coefficient of variation) are machine-regular.",
    )
    safety_meetup_proposals: int = Field(
        3, description="Proposals to meet sent to this many different people within the window are flagged."
    )
    safety_tracked_senders: int = Field(
        10000, description="Senders whose recent behaviour is kept in memory per node (least recent dropped first)."
    )
    safety_risk_half_life_hours: float = Field(72.0, description="A user's risk score halves every this many hours.")
    safety_risk_flag_threshold: float = Field(
        3.0, description="A risk score at or above this is noted on the user's flags (sum of finding weights, decayed)."
    )
    safety_dm_window: int = Field(
        30, description="Messages of a private conversation read by the post-send grooming analysis."
    )

    # --- flood control and progressive privileges (issue 5) ------------------------------------
    rate_message_per_ip_burst: int = Field(
        30,
        description="Messages all accounts of one client address (IPv4 /32, IPv6 /64) may send in a burst "
        "(bucket size, shared); beyond, `rate_limited` + retry_after.",
    )
    rate_message_per_ip_per_second: float = Field(
        4.0, description="Sustained messages per second per client address (refill of the bucket above)."
    )
    new_dms_per_account: int = Field(
        10,
        description="Private conversations one account may open with people it never exchanged with, per "
        "`new_dms_window` (bucket, shared); beyond, `too_many_new_dms` + retry_after.",
    )
    new_dms_per_ip: int = Field(
        30, description="New private conversations per client address per `new_dms_window` (bucket, shared)."
    )
    new_dms_window: float = Field(
        3600.0,
        description="Window of `new_dms_per_account` and `new_dms_per_ip` (seconds): the buckets refill over it.",
    )
    room_joins_per_account: int = Field(
        60,
        description="Room joins one account may make per `room_joins_window` (bucket, shared; a reconnect "
        "rejoining its rooms counts); beyond, `too_many_joins` + retry_after.",
    )
    room_joins_per_ip: int = Field(
        200, description="Room joins per client address per `room_joins_window` (bucket, shared)."
    )
    room_joins_window: float = Field(
        600.0, description="Window of `room_joins_per_account` and `room_joins_per_ip` (seconds)."
    )
    report_burst_per_account: int = Field(
        10,
        description="Reports one account may file in a burst (bucket, shared, refilled at `reports_per_hour`); "
        "beyond, `too_many_reports` + retry_after. Never applied to child-safety reports.",
    )
    reports_per_ip_per_hour: int = Field(
        60,
        description="Reports per client address per hour (bucket, shared); beyond, `too_many_reports`. Never "
        "applied to child-safety reports.",
    )
    trusted_notices_per_hour: int = Field(
        600,
        description="Notices one trusted flagger's API key may send per hour (bucket, shared); beyond, HTTP 429 "
        "`rate_limited` + Retry-After. Child-safety notices are never refused.",
    )
    repeat_message_max: int = Field(
        5,
        description="Times one account may send the same text (normalised: case, accents, leetspeak, "
        "separators) within `repeat_message_window`, across rooms and private messages; beyond, "
        "`repeated_message` + retry_after. 0 = off.",
    )
    repeat_message_window: float = Field(600.0, description="Window of `repeat_message_max` (seconds).")
    repeat_message_min_chars: int = Field(
        8, description="Texts shorter than this (normalised) are not counted as repeats (`ok`, `lol`, `+1`)."
    )
    privilege_dm_strangers_minutes: float = Field(
        10.0,
        description="A new account may write privately to someone who has not accepted it (not a friend, no "
        "accepted conversation) this many minutes after creation with a clean record; before, "
        "`privilege_locked` with when it unlocks.",
    )
    privilege_links_minutes: float = Field(
        30.0, description="A new account may send links this many minutes after creation with a clean record."
    )
    privilege_room_creation_minutes: float = Field(
        60.0, description="A new account may create rooms this many minutes after creation with a clean record."
    )
    privilege_clean_record: bool = Field(
        True,
        description="A sanction or an automated flag against a new account restarts its privilege clocks "
        "(pictures: `media_new_account_minutes`).",
    )
    human_check: bool = Field(
        False,
        description="Guest entry needs a solved proof-of-work challenge (self-hosted; also required while the "
        "emergency level is at least `human_check_emergency_level`).",
    )
    human_check_emergency_level: int = Field(
        2, description="Emergency level from which guest entry needs the human check even when `human_check` is off."
    )
    human_check_difficulty: int = Field(
        16,
        description="Leading zero bits the SHA-256 of challenge + nonce must have (each bit doubles the client's "
        "work: 16 ≈ 65,000 hashes, under a second in a browser).",
    )
    human_check_ttl_seconds: float = Field(120.0, description="Seconds a human-check challenge stays valid.")
    safety_rules_check_seconds: float = Field(
        30.0, description="Seconds between checks of the operator rule folder for files changed by hand (reload)."
    )
    human_check_secret: SecretStr | None = Field(
        None,
        description="HMAC key that signs challenges (set the same on every node); unset: random per process "
        "(one node only).",
    )

    # --- records and retention (issue 7, part A; docs/privacy.md) ------------------------------
    retention_enabled: bool = Field(
        True, description="Run the retention purge inside the server every `retention_run_interval` seconds."
    )
    retention_run_interval: float = Field(3600.0, description="Seconds between two scheduled purges (per node).")
    retention_batch_size: int = Field(
        500, description="Rows deleted per transaction by the purge (each batch commits on its own: resumable)."
    )
    retention_room_messages_days: int = Field(
        365, description="Room messages are deleted this many days after they were sent (operator policy; 0 = kept)."
    )
    retention_direct_messages_days: int = Field(
        365, description="Private messages are deleted this many days after they were sent (0 = kept)."
    )
    retention_pictures_days: int = Field(
        365,
        description="Pictures (rows and files) are deleted this many days after upload, once no kept message "
        "shows them (0 = kept).",
    )
    retention_quarantine_days: int = Field(
        365,
        description="Quarantined uploads not under legal hold are deleted this many days after upload (0 = kept).",
    )
    retention_cases_days: int = Field(
        1095, description="Closed cases and their reports are deleted this many days after closing (0 = kept)."
    )
    retention_moderation_days: int = Field(
        1095,
        description="Moderation actions, statements of reasons and appeals are deleted this many days after the "
        "action, once no sanction of it is in force (0 = kept).",
    )
    retention_audit_days: int = Field(
        1825,
        description="Audit entries older than this many days are deleted as a whole prefix of the chain, which "
        "still verifies from the recorded purge point (0 = kept).",
    )
    retention_connection_records_days: int = Field(
        365,
        description="Connection records (IP, port, times, user agent, device, account) are kept this many days "
        "after the connection ended (LCEN art. 6, décret 2021-1362: one year).",
    )
    retention_closed_accounts_days: int = Field(
        365,
        description="Account identification data is deleted this many days after the account was closed or the "
        "guest expired (décret 2021-1362: one year) (0 = kept).",
    )
    records_flush_interval: float = Field(
        1.0, description="Seconds between two writes of queued WebSocket connection records (one transaction each)."
    )
    records_batch_max: int = Field(1000, description="Connection records written per transaction at most.")
    records_queue_max: int = Field(
        100_000,
        description="Connection records waiting to be written beyond which new ones are dropped and counted "
        "(`causerie_connection_records_dropped_total`).",
    )
