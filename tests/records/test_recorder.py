"""The connection recorder on a real SQLite database: queued in memory, written in batches (one
transaction each, at most ``records_batch_max`` rows), end times applied whether the connection
closed before or after its row was written, a full queue drops and counts, and a failed write keeps
the records for the next try. The scheduled purge runs on its interval, and not when disabled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from causerie.clock import FakeClock
from causerie.config import Settings
from causerie.domain.entities import AccountKind
from causerie.domain.text import skeleton
from causerie.ids import AccountId
from causerie.observability import CONNECTION_RECORDS_DROPPED
from causerie.services.records import ConnectionRecorder, Peer
from causerie.services.retention import RetentionService
from causerie.storage.sql.retention_store import SqlRetentionStore
from causerie.storage.sql.schema import connection_records, retention_runs
from causerie.storage.sql.store import SqlStore
from support.require import POSTGRES_URL, require_postgres

START = 1_800_000_000.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    s = SqlStore(f"sqlite+aiosqlite:///{tmp_path}/c.db")
    await s.create_all()
    try:
        yield s
    finally:
        await s.close()


async def account(store: SqlStore, nick: str) -> AccountId:
    made = await store.create_account(
        kind=AccountKind.GUEST,
        nickname=nick,
        nick_skel=skeleton(nick),
        age=30,
        gender="f",
        region="75",
        lang="fr",
        created_at=START,
        expires_at=START + 3600,
    )
    return made.id


async def rows(store: SqlStore) -> list[Any]:
    async with store._ro() as conn:
        return list((await conn.execute(sa.select(connection_records).order_by(connection_records.c.id))).all())


async def test_records_are_written_in_batches_with_their_end_times(store: SqlStore) -> None:
    clock = FakeClock(START)
    recorder = ConnectionRecorder(SqlRetentionStore(store), Settings(records_batch_max=2), clock)
    alice = await account(store, "Alice")
    peer = Peer(ip="2001:db8::1", port=51000, user_agent="UA/1", device_id="d" * 32)
    first = recorder.opened(alice, peer)
    second = recorder.opened(alice, Peer(ip="192.0.2.7", port=40000))
    third = recorder.opened(alice, None)
    assert await rows(store) == []  # nothing written on the connection's path
    clock.advance(5)
    recorder.closed(first)  # closed before its row was written: written with its end at once
    assert await recorder.flush() == 2  # records_batch_max
    assert recorder.batches == 1
    written = await rows(store)
    assert [(r.ip, r.port, r.user_agent, r.device_id, r.event) for r in written] == [
        ("2001:db8::1", 51000, "UA/1", "d" * 32, "websocket"),
        ("192.0.2.7", 40000, None, None, "websocket"),
    ]
    assert written[0].created_at == START and written[0].ended_at == START + 5
    assert written[1].ended_at is None
    clock.advance(10)
    recorder.closed(second)  # closed after: its end goes with the next batch
    recorder.closed(third)
    await recorder.drain()
    written = await rows(store)
    assert [(r.account_id, r.ended_at) for r in written] == [
        (alice, START + 5),
        (alice, START + 15),
        (alice, START + 15),
    ]
    assert recorder.queued == 0
    assert await recorder.flush() == 0


async def test_a_full_queue_drops_and_counts_and_a_failed_write_is_retried(store: SqlStore, tmp_path: Path) -> None:
    clock = FakeClock(START)
    alice = await account(store, "Alice")
    broken = SqlStore(f"sqlite+aiosqlite:///{tmp_path}/missing/no.db")  # its folder does not exist
    recorder = ConnectionRecorder(SqlRetentionStore(broken), Settings(records_queue_max=2), clock)
    before = CONNECTION_RECORDS_DROPPED._value.get()
    keys = [recorder.opened(alice, None) for _ in range(3)]
    assert keys[2] == 0 and CONNECTION_RECORDS_DROPPED._value.get() == before + 1
    recorder.closed(keys[2])  # a dropped record's close is ignored
    with pytest.raises(Exception):  # noqa: B017, PT011 (the database is unreachable)
        await recorder.flush()
    await broken.close()
    assert recorder.queued == 2  # kept for the next try
    recorder.closed(keys[0])
    recorder._store = SqlRetentionStore(store)  # the database is back
    await recorder.drain()
    written = await rows(store)
    assert len(written) == 2 and written[0].ended_at == START and written[1].ended_at is None


async def test_the_scheduled_purge_runs_on_its_interval_unless_disabled(store: SqlStore) -> None:
    clock = FakeClock(START)
    records = SqlRetentionStore(store)
    off = RetentionService(records, Settings(retention_enabled=False, retention_run_interval=0.01), clock)
    off.start()
    assert off._task is None
    on = RetentionService(records, Settings(retention_run_interval=0.01), clock)
    on.start()
    try:

        async def finished_runs() -> int:
            async with store._ro() as conn:
                return int(
                    (
                        await conn.execute(
                            sa.select(sa.func.count())
                            .select_from(retention_runs)
                            .where(retention_runs.c.finished_at.is_not(None))
                        )
                    ).scalar_one()
                )

        async with asyncio.timeout(10):
            while await finished_runs() < 2:
                await asyncio.sleep(0.01)
    finally:
        await on.stop()
    assert on._task is None


@pytest.mark.postgres
async def test_records_on_postgresql() -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    store = SqlStore(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await store.create_all()
        clock = FakeClock(START)
        recorder = ConnectionRecorder(SqlRetentionStore(store), Settings(), clock)
        alice, bob = await account(store, "Alice"), await account(store, "Bob")
        keys = [recorder.opened(who, Peer(ip="192.0.2.1", port=1000 + i)) for i, who in enumerate((alice, bob, alice))]
        clock.advance(1)
        recorder.closed(keys[1])
        await recorder.flush()
        clock.advance(1)
        recorder.closed(keys[2])
        await recorder.drain()
        written = await rows(store)
        assert [(r.account_id, r.port, r.ended_at) for r in written] == [
            (alice, 1000, None),
            (bob, 1001, START + 1),
            (alice, 1002, START + 2),
        ]
    finally:
        await store.close()
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
