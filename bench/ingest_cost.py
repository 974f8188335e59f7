#!/usr/bin/env python3
"""CPU time per message on the ingest path and per guest entry, in one process (no network).

    .venv/bin/python bench/ingest_cost.py                 # SQLite synchronous=FULL in a temp dir
    .venv/bin/python bench/ingest_cost.py --messages 20000 --entries 2000

What is timed, each as process CPU time (user + system, all threads: the SQLite driver's thread
included) divided by the count, which survives a shared machine far better than wall time:

- ``sanitize``: ``sanitize_message`` on benchmark-like chat lines (printable ASCII) and on French
  lines with accents and an emoji;
- ``safety``: ``SafetyEngine.check_text`` (pre-send) then ``post_send`` (behaviour tracker, risk)
  for 200 senders in 20 rooms, the load generator's message shape;
- ``insert``: ``SqlStore.insert_messages`` (group commit, one transaction per batch) for batches of
  16, 128 and 512 messages, by the one-hop SQLite path and, for comparison, by the SQLAlchemy
  path (the one PostgreSQL uses, and the one SQLite used before);
- ``entry``: ``AccountService.enter_guest`` (account + session), 32 at a time, both paths.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

from causerie.clock import SystemClock
from causerie.config import Settings
from causerie.domain.entities import AccountKind, NewMessage, RoomCategory, RoomKind
from causerie.domain.text import sanitize_message
from causerie.safety import SafetyConfig, SafetyEngine
from causerie.services.accounts import AccountService, EntryForm
from causerie.storage.sql.store import SqlStore


def cpu() -> float:
    return time.process_time()


def report(name: str, seconds: float, count: int, unit: str = "µs") -> None:
    scale = 1e6 if unit == "µs" else 1e3
    print(f"{name:58s} {seconds / count * scale:9.1f} {unit} CPU each  ({count} runs)")


def bench_text(n: int) -> None:
    settings = Settings()
    ascii_lines = [f"bench {i} ~T{1_700_000_000_000_000 + i:016d}~ lorem ipsum dolor sit amet" for i in range(n)]
    french = [f"Salut à tous 😀 ça va ? On se retrouve où ce soir, à la gare n°{i} ?" for i in range(n)]
    for name, lines in (("sanitize, printable ASCII", ascii_lines), ("sanitize, French + emoji", french)):
        t0 = cpu()
        for line in lines:
            sanitize_message(line, max_combining=settings.max_combining_marks)
        report(name, cpu() - t0, n)
    engine = SafetyEngine(SafetyConfig.from_settings(settings))
    t0 = cpu()
    for i, line in enumerate(ascii_lines):
        engine.check_text(line, "room", sender_age=30, account_age_seconds=600.0)
        engine.post_send(f"u{i % 200}", line, room=f"r{i % 20}", at=1000.0 + i / 1000, sender_age=30)
    report("safety: check_text + post_send (200 senders, 20 rooms)", cpu() - t0, n)


async def make_store(tmp: Path, name: str, one_hop: bool) -> SqlStore:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp / name}", sqlite_synchronous="FULL")
    await store.create_all()
    store._one_hop = one_hop  # False: the SQLAlchemy path (PostgreSQL's, and SQLite's before)
    return store


async def bench_store(tmp: Path, messages: int, entries: int) -> None:
    for one_hop in (True, False):
        path = "one hop" if one_hop else "SQLAlchemy"
        store = await make_store(tmp, f"m{int(one_hop)}.db", one_hop)
        rooms = [
            await store.create_room(
                slug=f"r{i}",
                name=f"R{i}",
                name_skel=f"r{i}",
                category=RoomCategory.TOPIC,
                kind=RoomKind.PUBLIC,
                topic="",
                min_age=18,
                max_age=None,
                owner_id=None,
                position=i,
                created_at=0.0,
            )
            for i in range(20)
        ]
        authors = [
            await store.create_account(
                kind=AccountKind.GUEST,
                nickname=f"n{i}",
                nick_skel=f"n{i}",
                age=30,
                gender="m",
                region="75",
                lang="fr",
                created_at=0.0,
                expires_at=1e12,
            )
            for i in range(200)
        ]
        n = 0
        for size in (16, 128, 512):
            count = 0
            t0 = cpu()
            for _ in range(max(2, messages // size // (4 if not one_hop else 1))):
                batch = []
                for _ in range(size):
                    n += 1
                    batch.append(
                        NewMessage(
                            room_id=rooms[n % 20].id,
                            author_id=authors[n % 200].id,
                            client_id=f"c{n}",
                            text=f"bench {n} lorem ipsum dolor sit amet",
                            created_at=time.time(),
                        )
                    )
                count += len(await store.insert_messages(batch))
            report(f"insert_messages, batches of {size}, {path}", cpu() - t0, count)
        await store.close()

        store = await make_store(tmp, f"e{int(one_hop)}.db", one_hop)
        accounts = AccountService(store, Settings(), SystemClock())
        total = entries if one_hop else max(64, entries // 4)

        def enter(
            i: int, accounts: AccountService = accounts, store: SqlStore = store, one_hop: bool = one_hop
        ) -> Awaitable[object]:
            if one_hop:
                return accounts.enter_guest(EntryForm(f"invite{i}x", 30, "m", "75", True))
            return _enter_before(accounts, store, i)  # as before: two transactions and a read

        t0 = cpu()
        for start in range(0, total, 32):
            await asyncio.gather(*(enter(i) for i in range(start, min(total, start + 32))))
        report(f"guest entry (32 in flight), {path}", cpu() - t0, total, "ms")
        await store.close()


async def _enter_before(accounts: AccountService, store: SqlStore, i: int) -> object:
    """Guest entry as it was: create_account (a transaction), get_account, create_session (another)."""
    now = time.time()
    account = await store.create_account(
        kind=AccountKind.GUEST,
        nickname=f"invite{i}x",
        nick_skel=f"invite{i}x",
        age=30,
        gender="m",
        region="75",
        lang="fr",
        created_at=now,
        expires_at=now + 86400,
    )
    return await accounts._new_session(account)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=8000)
    p.add_argument("--entries", type=int, default=1000)
    args = p.parse_args()
    bench_text(args.messages)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench_store(Path(tmp), args.messages, args.entries))


if __name__ == "__main__":
    main()
