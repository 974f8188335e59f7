"""Guest entry: one transaction, and the new session cached without outliving itself.

Real SQLite store and a fake clock. The store is wrapped only to count the session look-ups the
service makes (the database still answers every one of them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import Account
from causerie.domain.text import skeleton
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId
from causerie.services.accounts import (
    REFRESH_MIN_SECONDS,
    SESSION_CACHE_SECONDS,
    AccountService,
    EntryForm,
    hash_token,
)
from causerie.storage.migrate import upgrade
from causerie.storage.sql.store import SqlStore


class CountingStore(SqlStore):
    lookups = 0
    refreshes = 0

    async def session_account(self, token_hash: str, now: float) -> Account | None:
        self.lookups += 1
        return await super().session_account(token_hash, now)

    async def refresh_session(
        self, token_hash: str, expires_at: float, guest_id: AccountId | None, guest_expires_at: float
    ) -> None:
        self.refreshes += 1
        await super().refresh_session(token_hash, expires_at, guest_id, guest_expires_at)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountingStore]:
    url = f"sqlite+aiosqlite:///{tmp_path}/entry.db"
    await upgrade(url)
    opened = CountingStore(url)
    yield opened
    await opened.close()


def form(nick: str) -> EntryForm:
    return EntryForm(nick, 30, "f", "75", True)


async def test_the_hello_after_entry_needs_no_lookup(store: CountingStore) -> None:
    clock = FakeClock()
    accounts = AccountService(store, Settings(), clock)
    token, account = await accounts.enter_guest(form("Ines"))
    assert await store.session_account(hash_token(token), clock.now()) == account  # stored, committed
    store.lookups = 0
    assert await accounts.authenticate(token) == account
    assert store.lookups == 0
    clock.advance(SESSION_CACHE_SECONDS + 1)  # past the cache deadline: asked again...
    assert await accounts.authenticate(token) == account
    assert (store.lookups, store.refreshes) == (1, 0)  # ... but written a moment ago: no write
    clock.advance(REFRESH_MIN_SECONDS)
    assert await accounts.authenticate(token) == account
    assert (store.lookups, store.refreshes) == (2, 1)


async def test_a_cached_entry_session_ends_at_its_own_expiry(store: CountingStore) -> None:
    """A guest lifetime shorter than the cache deadline: the cache must not keep the session alive."""
    clock = FakeClock()
    ttl_hours = (SESSION_CACHE_SECONDS / 2) / 3600
    accounts = AccountService(store, Settings(guest_ttl_hours=ttl_hours), clock)
    token, account = await accounts.enter_guest(form("Jade"))
    assert await accounts.authenticate(token) == account
    clock.advance(SESSION_CACHE_SECONDS / 2 + 0.1)
    assert await accounts.authenticate(token) is None


async def test_a_refused_entry_leaves_nothing(store: CountingStore) -> None:
    clock = FakeClock()
    accounts = AccountService(store, Settings(), clock)
    await accounts.enter_guest(form("Kenza"))
    with pytest.raises(CauserieError) as refused:
        await accounts.enter_guest(form("KENZA"))
    assert refused.value.code is ErrorCode.NICKNAME_TAKEN
    assert await store.nickname_holder(skeleton("Kenza"), clock.now()) is not None


async def test_use_extends_the_session_and_the_guest_together(store: CountingStore) -> None:
    """guest_ttl is two cache deadlines; used every 1.2 deadlines, the session outlives it many times."""
    clock = FakeClock()
    ttl_hours = (2 * SESSION_CACHE_SECONDS) / 3600
    accounts = AccountService(store, Settings(guest_ttl_hours=ttl_hours), clock)
    token, account = await accounts.enter_guest(form("Lola"))
    for _ in range(5):
        clock.advance(1.2 * SESSION_CACHE_SECONDS)
        assert await accounts.authenticate(token) == account
    assert await store.nickname_holder(skeleton("Lola"), clock.now()) == account.id
    clock.advance(2 * SESSION_CACHE_SECONDS + 1)  # unused for longer than guest_ttl: gone
    assert await accounts.authenticate(token) is None
    assert await store.nickname_holder(skeleton("Lola"), clock.now()) is None
