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

from pydantic import Field, field_validator
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
