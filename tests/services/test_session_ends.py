"""A session that ends is dropped from every node's session cache at once (broker topic
``sessions.ended``). Two account services on one real SQLite store and one in-process broker
stand for two nodes; the clock never moves, so nothing here is the 5 s cache deadline running out.
(The same over two real nodes and Redis: tests/cluster/test_sessions.py.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from causerie.broker.memory import MemoryBroker
from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.services.accounts import SESSIONS_TOPIC, AccountService, EntryForm, hash_token
from causerie.storage.migrate import upgrade
from causerie.storage.sql.store import SqlStore

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path}/sessions.db"
    await upgrade(url)
    opened = SqlStore(url)
    yield opened
    await opened.close()


def two_nodes(store: SqlStore, **settings: int) -> tuple[AccountService, AccountService, MemoryBroker, FakeClock]:
    broker, clock = MemoryBroker(), FakeClock()
    config = Settings(**settings)  # type: ignore[arg-type]
    return AccountService(store, config, clock, broker), AccountService(store, config, clock, broker), broker, clock


async def test_a_logout_on_one_node_is_refused_at_once_on_the_other(store: SqlStore) -> None:
    a, b, _, _ = two_nodes(store)
    token, account = await a.enter_guest(EntryForm("Nadia", 30, "f", "75", True))
    other, _ = await a.register(account, "nadia@example.org", PASSWORD, None)  # a second session
    for node in (a, b):
        assert await node.authenticate(token) is not None  # cached on both nodes
        assert await node.authenticate(other) is not None
    await a.logout(token)
    assert await b.authenticate(token) is None
    assert await b.authenticate(other) is not None  # the account's other session goes on


async def test_the_oldest_session_pushed_out_is_refused_at_once_on_every_node(store: SqlStore) -> None:
    a, b, _, clock = two_nodes(store, max_sessions_per_account=1)
    first, account = await a.enter_guest(EntryForm("Oriane", 30, "f", "75", True))
    assert await b.authenticate(first) is not None
    clock.advance(1)  # (well within the cache deadline) so that "oldest" means something
    second, _ = await a.register(account, "oriane@example.org", PASSWORD, None)  # pushes the first out
    assert await a.authenticate(first) is None and await b.authenticate(first) is None
    assert await b.authenticate(second) is not None


async def test_a_lookup_finishing_after_the_note_does_not_bring_the_session_back(store: SqlStore) -> None:
    """The note can overtake a database read that started before the session ended: the node must
    not cache (nor accept) what the read returns."""
    a, b, broker, _ = two_nodes(store)
    token, account = await a.enter_guest(EntryForm("Paola", 30, "f", "75", True))
    # the note arrives while the row is still there (as seen by a read that started earlier)
    broker.publish(SESSIONS_TOPIC, json.dumps({"account": int(account.id), "tokens": [hash_token(token)]}).encode())
    assert await store.session_account(hash_token(token), 0.0) is not None
    assert await b.authenticate(token) is None
