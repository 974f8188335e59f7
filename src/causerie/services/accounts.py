"""Accounts and sessions: guest entry, registration, login, logout, session lookup.

May import: ``causerie.domain``, ``causerie.storage.base``, ``causerie.broker.base``, ``causerie.clock``,
``causerie.config``, ``causerie.errors``, ``causerie.ids``.

Sessions are opaque random tokens; only their SHA-256 is stored, so a leaked database holds no
usable token. Passwords are hashed with Argon2id (argon2-cffi), in a worker thread so that hashing
never blocks the event loop. Login answers the same for an unknown account and a wrong password,
and verifies against a dummy hash when the account is unknown (no enumeration by timing).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from causerie.broker.base import Broker
from causerie.clock import Clock
from causerie.config import Settings
from causerie.domain.entities import Account, AccountKind
from causerie.domain.regions import is_valid_gender, is_valid_region
from causerie.domain.text import DEFAULT_RESERVED, is_reserved, reserved_skeletons, skeleton, validate_nickname
from causerie.errors import CauserieError, ErrorCode
from causerie.storage.base import Store

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
# A few of the most common breached passwords of 15+ characters; the length rule does the rest.
_COMMON_PASSWORDS = frozenset(
    {
        "123456789012345",
        "1234567890123456",
        "qwertyuiopasdfgh",
        "aaaaaaaaaaaaaaa",
        "passwordpassword",
        "motdepassemotdepasse",
        "azertyuiopqsdfgh",
        "iloveyouiloveyou",
        "000000000000000",
        "111111111111111",
    }
)


# A session found in the database is trusted this long on this node without asking again. A session
# that ends (logout, the oldest beyond max_sessions_per_account) is announced on SESSIONS_TOPIC and
# dropped from every node's cache at once; the deadline only bounds what a lost broker note costs.
SESSION_CACHE_SECONDS = 5.0
# A session whose expiry this node wrote less than this long ago (and less than 1 % of its
# lifetime ago) is not written again on use: the hello that follows a guest entry costs no write.
REFRESH_MIN_SECONDS = 60.0
# {"account": id, "tokens": [token hashes that ended]}; no tokens: the account changed, reload it.
SESSIONS_TOPIC = "sessions.ended"

log = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class EntryForm:
    nickname: str
    age: int
    gender: str
    region: str
    accept_rules: bool
    lang: str = "fr"


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """Where a guest entry came from: its connection record (the same row as
    ``ModerationService.record_entry`` keeps), written in the entry's own transaction."""

    ip: str | None
    port: int | None
    user_agent: str | None
    device_id: str | None


class AccountService:
    def __init__(self, store: Store, settings: Settings, clock: Clock, broker: Broker | None = None) -> None:
        self._store = store
        self._broker = broker
        self._settings = settings
        self._clock = clock
        self._hasher = PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._reserved = reserved_skeletons((*DEFAULT_RESERVED, *settings.reserved_nicknames))
        # token hash -> (account, refresh deadline): avoids a database read per WebSocket hello
        self._cache: dict[str, tuple[Account, float]] = {}
        # token hash -> until when: sessions that ended lately, never cached again (a lookup that
        # started before the end may finish after the note)
        self._ended: dict[str, float] = {}
        # token hash -> when this node last wrote the session's expiry (entry or refresh)
        self._refreshed: dict[str, float] = {}
        if broker is not None:
            broker.subscribe(SESSIONS_TOPIC, self._on_sessions_note)

    # -- checks ---------------------------------------------------------------------------------

    def check_entry(self, form: EntryForm) -> tuple[str, str]:
        """Validate an entry form; returns (display nickname, skeleton) or raises the first refusal."""
        if not form.accept_rules:
            raise CauserieError(ErrorCode.RULES_NOT_ACCEPTED)
        if form.age < self._settings.min_age:
            raise CauserieError(ErrorCode.UNDERAGE)
        if form.age > self._settings.max_age:
            raise CauserieError(ErrorCode.INVALID_AGE)
        nickname = validate_nickname(
            form.nickname, min_len=self._settings.nickname_min_chars, max_len=self._settings.nickname_max_chars
        )
        skel = skeleton(nickname)
        if is_reserved(skel, self._reserved):
            raise CauserieError(ErrorCode.NICKNAME_RESERVED)
        if not is_valid_gender(form.gender):
            raise CauserieError(ErrorCode.INVALID_GENDER)
        if not is_valid_region(form.region):
            raise CauserieError(ErrorCode.INVALID_REGION)
        return nickname, skel

    def check_password(self, password: str) -> None:
        if not self._settings.password_min_chars <= len(password) <= self._settings.password_max_chars:
            raise CauserieError(ErrorCode.PASSWORD_WEAK)
        if password.lower() in _COMMON_PASSWORDS or len(set(password)) < 4:
            raise CauserieError(ErrorCode.PASSWORD_WEAK)

    @staticmethod
    def normalise_email(email: str) -> str:
        email = email.strip()
        if not _EMAIL.match(email):
            raise CauserieError(ErrorCode.EMAIL_INVALID)
        local, _, domain = email.rpartition("@")
        return f"{local}@{domain.lower()}"

    # -- actions --------------------------------------------------------------------------------

    async def enter_guest(self, form: EntryForm, record: EntryRecord | None = None) -> tuple[str, Account]:
        """The account and its session in ONE transaction; the session is cached at once (the
        ``hello`` that follows needs no database), never past its own expiry.

        ``record``: the entry's connection record, in the same transaction (one commit per entry).
        """
        nickname, skel = self.check_entry(form)
        now = self._clock.now()
        token = secrets.token_urlsafe(32)
        digest = hash_token(token)
        expires_at = now + self._settings.guest_ttl_hours * 3600  # the guest and its session alike
        account = await self._store.create_guest_session(
            nickname=nickname,
            nick_skel=skel,
            age=form.age,
            gender=form.gender,
            region=form.region,
            lang=form.lang if form.lang in ("fr", "en") else self._settings.default_lang,
            created_at=now,
            expires_at=expires_at,
            token_hash=digest,
            session_expires_at=expires_at,
            record=None
            if record is None
            else {
                "event": "guest",
                "ip": record.ip,
                "port": record.port,
                "user_agent": (record.user_agent or "")[:256] or None,
                "created_at": now,
                "device_id": record.device_id,
            },
        )
        self._remember(digest, account, now, expires_at)
        return token, account

    async def register(
        self, current: Account | None, email: str, password: str, form: EntryForm | None
    ) -> tuple[str, Account]:
        """Register: upgrade the current guest (keeping its nickname), or create a new account."""
        email = self.normalise_email(email)
        self.check_password(password)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        if current is not None:
            if current.registered:
                raise CauserieError(ErrorCode.ALREADY_REGISTERED)
            await self._store.register_account(current.id, email=email, password_hash=password_hash)
            account = await self._store.get_account(current.id)
            assert account is not None
            self.forget(current.id)
            return await self._new_session(account), account
        if form is None:
            raise CauserieError(ErrorCode.BAD_REQUEST, "nickname, age, gender and region are required")
        nickname, skel = self.check_entry(form)
        now = self._clock.now()
        account = await self._store.create_account(
            kind=AccountKind.REGISTERED,
            nickname=nickname,
            nick_skel=skel,
            age=form.age,
            gender=form.gender,
            region=form.region,
            lang=form.lang if form.lang in ("fr", "en") else self._settings.default_lang,
            created_at=now,
            expires_at=None,
            email=email,
            password_hash=password_hash,
        )
        return await self._new_session(account), account

    async def login(self, login: str, password: str) -> tuple[str, Account]:
        login = login.strip()
        if "@" in login:
            try:
                found = await self._store.find_login(email=self.normalise_email(login), nick_skel=None)
            except CauserieError:
                found = None
        else:
            found = await self._store.find_login(email=None, nick_skel=skeleton(login))
        stored_hash = found[1] if found is not None else self._dummy_hash
        ok = await asyncio.to_thread(self._verify, stored_hash, password)
        if found is None or not ok:
            raise CauserieError(ErrorCode.LOGIN_FAILED)
        account = found[0]
        if self._hasher.check_needs_rehash(stored_hash):
            await self._store.set_password_hash(account.id, await asyncio.to_thread(self._hasher.hash, password))
        return await self._new_session(account), account

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def authenticate(self, token: str | None) -> Account | None:
        """The account of a session token, or None. Extends guest and session lifetimes on use."""
        if not token or len(token) > 128:
            return None
        digest = hash_token(token)
        now = self._clock.now()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        account = await self._store.session_account(digest, now)
        if account is None or digest in self._ended:
            self._cache.pop(digest, None)
            return None
        ttl = self._ttl(account)
        last = self._refreshed.get(digest)
        if last is not None and now - last < min(REFRESH_MIN_SECONDS, ttl / 100):
            # written moments ago (the hello right after entry): the lifetime it lost is < 1 %
            self._remember(digest, account, now, last + ttl, refreshed=False)
            return account
        guest = account.kind is AccountKind.GUEST
        await self._store.refresh_session(
            digest, now + ttl, account.id if guest else None, now + self._settings.guest_ttl_hours * 3600
        )
        self._remember(digest, account, now, now + ttl)
        return account

    def _remember(
        self, digest: str, account: Account, now: float, session_expires_at: float, *, refreshed: bool = True
    ) -> None:
        """Cache a session until SESSION_CACHE_SECONDS from now, or its own expiry if sooner."""
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[digest] = (account, min(now + SESSION_CACHE_SECONDS, session_expires_at))
        if refreshed:
            if len(self._refreshed) > 50_000:
                self._refreshed.clear()
            self._refreshed[digest] = now

    async def logout(self, token: str) -> None:
        digest = hash_token(token)
        self._mark_ended([digest])
        account = await self._store.session_account(digest, self._clock.now())  # whose sockets to close
        await self._store.delete_session(digest)
        self._announce(int(account.id) if account is not None else None, [digest])

    def forget(self, account_id: int) -> None:
        """Drop cached sessions of an account (after a change to it), on every node."""
        self._drop_account(account_id)
        self._announce(account_id, [])

    def _mark_ended(self, digests: list[str]) -> None:
        now = self._clock.now()
        if len(self._ended) > 10_000:
            self._ended = {d: until for d, until in self._ended.items() if until > now}
        for digest in digests:
            self._cache.pop(digest, None)
            self._ended[digest] = now + 2 * SESSION_CACHE_SECONDS

    def _drop_account(self, account_id: int) -> None:
        for key in [k for k, (a, _) in self._cache.items() if a.id == account_id]:
            del self._cache[key]

    def _announce(self, account_id: int | None, digests: list[str]) -> None:
        """Tell every node (this one included) that these sessions ended, or that the account changed."""
        if self._broker is not None:
            note = {"account": account_id, "tokens": digests}
            self._broker.publish(SESSIONS_TOPIC, json.dumps(note).encode())

    def _on_sessions_note(self, data: bytes) -> None:
        try:
            note = json.loads(data)
            digests = [str(d) for d in note["tokens"]]
            account = note["account"]
        except (ValueError, KeyError, TypeError):
            log.warning("malformed session note ignored")
            return
        self._mark_ended(digests)
        if not digests and account is not None:
            self._drop_account(int(account))

    async def _new_session(self, account: Account) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        ended = await self._store.create_session(
            hash_token(token), account.id, now, now + self._ttl(account), self._settings.max_sessions_per_account
        )
        if ended:  # the oldest sessions beyond the limit: refused at once on every node
            self._mark_ended(ended)
            self._announce(int(account.id), ended)
        return token

    def _ttl(self, account: Account) -> float:
        if account.kind is AccountKind.GUEST:
            return self._settings.guest_ttl_hours * 3600
        return self._settings.session_ttl_days * 86400
