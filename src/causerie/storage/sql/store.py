"""The storage port implemented with SQLAlchemy Core, for SQLite (aiosqlite) and PostgreSQL (asyncpg).

May import: stdlib, sqlalchemy, ``causerie.storage.base``, ``causerie.domain``, ``causerie.ids``,
``causerie.errors``.

SQLite: WAL journal with ``synchronous=FULL`` (an acknowledged commit survives power loss), one
writer connection whose transactions start with ``BEGIN IMMEDIATE`` (no lock-upgrade failures),
and a pool of readers. PostgreSQL: one pool; ``synchronous_commit`` is left at its default (on).
Every query is parameterised.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from causerie.domain.entities import (
    Account,
    AccountKind,
    AuthorView,
    DmPolicy,
    DmPolicyMode,
    DmState,
    InsertResult,
    MessageView,
    NewMessage,
    Room,
    RoomCategory,
    RoomKind,
)
from causerie.domain.media import MediaRef
from causerie.errors import CauserieError, ErrorCode
from causerie.ids import AccountId, RoomId
from causerie.storage.sql.schema import (
    accounts,
    blocks,
    connection_records,
    friends,
    messages,
    metadata,
    room_members,
    rooms,
    sessions,
)

_SQLITE_WRITE_BEGIN = "BEGIN IMMEDIATE"
_T = TypeVar("_T")


def _unavailable(exc: Exception) -> CauserieError:
    return CauserieError(ErrorCode.SERVICE_UNAVAILABLE, data={"reason": type(exc).__name__})


class SqlStore:
    """All persistence. Methods are grouped by table family; each is one transaction."""

    def __init__(
        self,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        pool_size: int = 5,
        connect_args: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # no rollback on return to the pool: every connection ends its own transaction (SQLAlchemy's
            # on close, _sqlite_run's in its function), and the reset would be one more thread hop
            self._write = create_async_engine(url, pool_size=1, max_overflow=0, pool_reset_on_return=None)
            self._read = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_reset_on_return=None
            )
            for engine, begin in ((self._write, _SQLITE_WRITE_BEGIN), (self._read, "BEGIN")):
                _sqlite_setup(engine, sqlite_synchronous, begin)
        else:
            self._write = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, connect_args=connect_args or {}
            )
            self._read = self._write
        # SQLite through aiosqlite: hot transactions run whole on the driver's thread (_sqlite_run)
        self._one_hop = self.is_sqlite and "aiosqlite" in url
        # point reads on the event loop's own thread (_sqlite_read): the database file, or None
        database = sa.engine.make_url(url).database if self._one_hop else None
        self._point_path = database if database and database != ":memory:" and "mode=memory" not in url else None
        self._point_reader: sqlite3.Connection | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def close(self) -> None:
        if self._point_reader is not None:
            with contextlib.suppress(sqlite3.ProgrammingError):  # opened by another thread
                self._point_reader.close()
            self._point_reader = None
        await self._write.dispose()
        if self._read is not self._write:
            await self._read.dispose()

    async def create_all(self) -> None:
        """Create the schema directly (tests); production uses the Alembic migrations."""
        async with self._write.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def ping(self) -> bool:
        try:
            async with self._read.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._write.begin() as conn:
                yield conn
        except (OperationalError, DBAPIError, OSError, ConnectionError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise _unavailable(exc) from exc

    @asynccontextmanager
    async def _ro(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._read.connect() as conn:
                yield conn
        except (OperationalError, DBAPIError, OSError, ConnectionError) as exc:
            raise _unavailable(exc) from exc

    async def _sqlite_run(self, fn: Callable[..., _T], *args: Any, write: bool = True) -> _T:
        """Run ``fn(sqlite3_connection, *args)`` as ONE transaction on the driver's own thread.

        Through SQLAlchemy and aiosqlite every statement is several round trips between the event
        loop and the driver's thread (begin, execute, fetch, commit), each a thread hand-off that
        costs far more CPU than SQLite itself: they were the cost of a stored message and of a
        guest entry (docs/performance.md). Here a whole transaction is one hand-off; it still runs
        on the pooled connection (the single writer for ``write``), so it is serialised with every
        other write as ``_tx`` is. ``fn`` gets plain sqlite3 and must only use parameterised SQL.
        """
        engine = self._write if write else self._read
        try:
            async with engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                assert driver is not None
                result: _T = await driver._execute(  # aiosqlite: run on its connection thread
                    _sqlite_transaction, driver._conn, _SQLITE_WRITE_BEGIN if write else "BEGIN", fn, args
                )
                return result
        except sqlite3.IntegrityError:
            raise
        except (sqlite3.Error, OperationalError, DBAPIError, OSError, ConnectionError) as exc:
            raise _unavailable(exc) from exc

    async def insert_row(self, table: sa.Table, values: dict[str, Any]) -> None:
        """INSERT one row in a transaction of its own: on SQLite in one hop (see ``_sqlite_run``).

        For plain columns only (text, numbers, NULL): the SQLite path binds the values as they are,
        without SQLAlchemy's type processing (a JSON column would need it).
        """
        if self._one_hop:
            _check_plain(table, values)
            columns = ", ".join(values)
            marks = ", ".join("?" * len(values))
            query = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608 (schema names)
            await self._sqlite_run(_sqlite_execute, query, tuple(values.values()))
            return
        async with self._tx() as conn:
            await conn.execute(table.insert().values(values))

    async def _sqlite_read(self, query: str, params: tuple[Any, ...]) -> list[Any]:
        """One parameterised SELECT by an index (a point read).

        Run on the event loop's thread itself, on a read-only connection of its own: in WAL mode a
        reader never waits for the writer, and an indexed look-up in the page cache takes a few
        microseconds, where the hand-off to a driver thread costs hundreds (~0.4 ms of CPU per
        hop measured on a busy machine: docs/performance.md). If the database is busy all the
        same (a schema change), or on another thread, it falls back to a pooled reader in one hop.
        """
        if self._point_path is not None:
            try:
                return self._point_conn().execute(query, params).fetchall()
            except (sqlite3.OperationalError, sqlite3.ProgrammingError):
                pass  # busy, locked, or not this connection's thread: the pooled reader
        return await self._sqlite_run(_sqlite_fetchall, query, params, write=False)

    def _point_conn(self) -> sqlite3.Connection:
        conn = self._point_reader
        if conn is None:
            assert self._point_path is not None
            conn = sqlite3.connect(self._point_path, isolation_level=None)
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=20")  # milliseconds: never hold the event loop longer
            self._point_reader = conn
        return conn

    # -- accounts -------------------------------------------------------------------------------

    async def create_account(
        self,
        *,
        kind: AccountKind,
        nickname: str,
        nick_skel: str,
        age: int,
        gender: str,
        region: str,
        lang: str,
        created_at: float,
        expires_at: float | None,
        email: str | None = None,
        password_hash: str | None = None,
    ) -> Account:
        """Insert an account; raises ``nickname_taken`` if a live account holds the skeleton.

        An expired guest holding the skeleton releases it in the same transaction.
        """
        async with self._tx() as conn:
            await conn.execute(
                accounts.update()
                .where(accounts.c.nick_skel == nick_skel)
                .where(accounts.c.kind == AccountKind.GUEST.value)
                .where(accounts.c.expires_at < created_at)
                .values(nick_skel=None)
            )
            try:
                result = await conn.execute(
                    accounts.insert().values(
                        kind=kind.value,
                        nickname=nickname,
                        nick_skel=nick_skel,
                        email=email,
                        password_hash=password_hash,
                        age=age,
                        gender=gender,
                        region=region,
                        lang=lang,
                        created_at=created_at,
                        expires_at=expires_at,
                    )
                )
            except IntegrityError as exc:
                if email is not None and "email" in str(exc.orig).lower():
                    raise CauserieError(ErrorCode.EMAIL_TAKEN) from None
                raise CauserieError(ErrorCode.NICKNAME_TAKEN) from None
            pk = result.inserted_primary_key
            assert pk is not None
            account_id = AccountId(int(pk[0]))
        account = await self.get_account(account_id)
        assert account is not None
        return account

    async def create_guest_session(
        self,
        *,
        nickname: str,
        nick_skel: str,
        age: int,
        gender: str,
        region: str,
        lang: str,
        created_at: float,
        expires_at: float,
        token_hash: str,
        session_expires_at: float,
        record: Mapping[str, Any] | None = None,
    ) -> Account:
        """A guest account and its first session, in ONE transaction (guest entry).

        Same rules as ``create_account``: ``nickname_taken`` if a live account holds the skeleton,
        and an expired guest holding it releases it in the same transaction. ``record``: the entry's
        connection record (plain column values, without ``account_id``), in the same transaction —
        one commit (one fsync) per entry instead of two.
        """
        values = (
            AccountKind.GUEST.value, nickname, nick_skel, age, gender, region, lang, created_at, expires_at,
        )  # fmt: skip
        session = (token_hash, created_at, session_expires_at)
        if self._one_hop:
            row = None
            if record:
                _check_plain(connection_records, record)
                columns = ", ".join(("account_id", *record))
                marks = ", ".join("?" * (len(record) + 1))
                query = f"INSERT INTO connection_records ({columns}) VALUES ({marks})"  # noqa: S608 (schema names)
                row = (query, tuple(record.values()))
            account_id = await self._sqlite_run(_sqlite_create_guest, values, session, row)
        else:
            async with self._tx() as conn:
                await conn.execute(
                    accounts.update()
                    .where(accounts.c.nick_skel == nick_skel)
                    .where(accounts.c.kind == AccountKind.GUEST.value)
                    .where(accounts.c.expires_at < created_at)
                    .values(nick_skel=None)
                )
                try:
                    result = await conn.execute(
                        accounts.insert().values(dict(zip(_GUEST_COLUMNS, values, strict=True)))
                    )
                except IntegrityError:
                    raise CauserieError(ErrorCode.NICKNAME_TAKEN) from None
                pk = result.inserted_primary_key
                assert pk is not None
                account_id = int(pk[0])
                await conn.execute(
                    sessions.insert().values(
                        token_hash=token_hash,
                        account_id=account_id,
                        created_at=created_at,
                        expires_at=session_expires_at,
                    )
                )
                if record:
                    await conn.execute(connection_records.insert().values({**record, "account_id": account_id}))
        return Account(
            id=AccountId(account_id),
            kind=AccountKind.GUEST,
            nickname=nickname,
            age=age,
            gender=gender,
            region=region,
            created_at=created_at,
            lang=lang,
        )

    async def nickname_holder(self, nick_skel: str, now: float) -> AccountId | None:
        """The live account holding this skeleton, if any (expired guests do not hold)."""
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(accounts.c.id, accounts.c.kind, accounts.c.expires_at).where(
                        accounts.c.nick_skel == nick_skel
                    )
                )
            ).first()
        if row is None:
            return None
        if row.kind == AccountKind.GUEST.value and row.expires_at is not None and row.expires_at < now:
            return None
        return AccountId(row.id)

    async def get_account(self, account_id: AccountId) -> Account | None:
        if self._one_hop:
            rows = await self._sqlite_read(_SQLITE_ACCOUNT + "WHERE a.id = ?", (account_id,))
            return _account(_AccountRow(*rows[0])) if rows else None
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).first()
        return _account(row) if row is not None else None

    async def get_accounts(self, ids: Iterable[AccountId]) -> dict[AccountId, Account]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        async with self._ro() as conn:
            rows = (await conn.execute(sa.select(accounts).where(accounts.c.id.in_(wanted)))).all()
        return {AccountId(r.id): _account(r) for r in rows}

    async def find_account_by_skeleton(self, nick_skel: str) -> Account | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(accounts).where(accounts.c.nick_skel == nick_skel))).first()
        return _account(row) if row is not None else None

    async def find_login(self, *, email: str | None, nick_skel: str | None) -> tuple[Account, str] | None:
        """A registered account by email or nickname skeleton, with its password hash."""
        query = sa.select(accounts).where(accounts.c.kind == AccountKind.REGISTERED.value)
        if email is not None:
            query = query.where(accounts.c.email == email)
        elif nick_skel is not None:
            query = query.where(accounts.c.nick_skel == nick_skel)
        else:
            return None
        async with self._ro() as conn:
            row = (await conn.execute(query.where(accounts.c.closed_at.is_(None)))).first()
        if row is None or row.password_hash is None:
            return None
        return _account(row), row.password_hash

    async def register_account(self, account_id: AccountId, *, email: str, password_hash: str) -> None:
        """Turn a guest into a registered account (keeps its nickname)."""
        async with self._tx() as conn:
            try:
                await conn.execute(
                    accounts.update()
                    .where(accounts.c.id == account_id)
                    .values(
                        kind=AccountKind.REGISTERED.value, email=email, password_hash=password_hash, expires_at=None
                    )
                )
            except IntegrityError:
                raise CauserieError(ErrorCode.EMAIL_TAKEN) from None

    async def set_password_hash(self, account_id: AccountId, password_hash: str) -> None:
        async with self._tx() as conn:
            await conn.execute(accounts.update().where(accounts.c.id == account_id).values(password_hash=password_hash))

    async def extend_guest(self, account_id: AccountId, expires_at: float) -> None:
        async with self._tx() as conn:
            await conn.execute(
                accounts.update()
                .where(accounts.c.id == account_id)
                .where(accounts.c.kind == AccountKind.GUEST.value)
                .values(expires_at=expires_at)
            )

    async def set_dm_policy(self, account_id: AccountId, policy: DmPolicy) -> None:
        async with self._tx() as conn:
            await conn.execute(
                accounts.update().where(accounts.c.id == account_id).values(dm_policy=_policy_json(policy))
            )

    # -- sessions -------------------------------------------------------------------------------

    async def create_session(
        self, token_hash: str, account_id: AccountId, now: float, expires_at: float, max_sessions: int
    ) -> list[str]:
        async with self._tx() as conn:
            await conn.execute(
                sessions.insert().values(
                    token_hash=token_hash, account_id=account_id, created_at=now, expires_at=expires_at
                )
            )
            # keep at most max_sessions per account: end the oldest
            old = (
                await conn.execute(
                    sa.select(sessions.c.token_hash)
                    .where(sessions.c.account_id == account_id)
                    .order_by(sessions.c.created_at.desc())
                    .offset(max_sessions)
                )
            ).all()
            ended = [str(r[0]) for r in old]
            if ended:
                await conn.execute(sessions.delete().where(sessions.c.token_hash.in_(ended)))
        return ended

    async def session_account(self, token_hash: str, now: float) -> Account | None:
        if self._one_hop:
            rows = await self._sqlite_read(
                _SQLITE_ACCOUNT + "JOIN sessions s ON s.account_id = a.id "
                "WHERE s.token_hash = ? AND s.expires_at > ? AND a.closed_at IS NULL",
                (token_hash, now),
            )
            return _account(_AccountRow(*rows[0])) if rows else None
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(accounts)
                    .join(sessions, sessions.c.account_id == accounts.c.id)
                    .where(sessions.c.token_hash == token_hash)
                    .where(sessions.c.expires_at > now)
                    .where(accounts.c.closed_at.is_(None))
                )
            ).first()
        return _account(row) if row is not None else None

    async def touch_session(self, token_hash: str, expires_at: float) -> None:
        async with self._tx() as conn:
            await conn.execute(
                sessions.update().where(sessions.c.token_hash == token_hash).values(expires_at=expires_at)
            )

    async def refresh_session(
        self, token_hash: str, expires_at: float, guest_id: AccountId | None, guest_expires_at: float
    ) -> None:
        """``touch_session`` and, for a guest, ``extend_guest``, in one transaction."""
        if self._one_hop:
            await self._sqlite_run(_sqlite_refresh_session, token_hash, expires_at, guest_id, guest_expires_at)
            return
        async with self._tx() as conn:
            await conn.execute(
                sessions.update().where(sessions.c.token_hash == token_hash).values(expires_at=expires_at)
            )
            if guest_id is not None:
                await conn.execute(
                    accounts.update()
                    .where(accounts.c.id == guest_id)
                    .where(accounts.c.kind == AccountKind.GUEST.value)
                    .values(expires_at=guest_expires_at)
                )

    async def delete_session(self, token_hash: str) -> None:
        async with self._tx() as conn:
            await conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash))

    # -- rooms ----------------------------------------------------------------------------------

    async def create_room(
        self,
        *,
        slug: str,
        name: str,
        name_skel: str | None,
        category: RoomCategory,
        kind: RoomKind,
        topic: str,
        min_age: int,
        max_age: int | None,
        owner_id: AccountId | None,
        position: int,
        created_at: float,
    ) -> Room:
        async with self._tx() as conn:
            try:
                result = await conn.execute(
                    rooms.insert().values(
                        slug=slug,
                        name=name,
                        name_skel=name_skel,
                        category=category.value,
                        kind=kind.value,
                        topic=topic,
                        min_age=min_age,
                        max_age=max_age,
                        owner_id=owner_id,
                        position=position,
                        created_at=created_at,
                    )
                )
            except IntegrityError:
                raise CauserieError(ErrorCode.ROOM_NAME_TAKEN) from None
            pk = result.inserted_primary_key
            assert pk is not None
            room_id = RoomId(int(pk[0]))
            if owner_id is not None:
                await conn.execute(
                    room_members.insert().values(
                        room_id=room_id, account_id=owner_id, role="owner", created_at=created_at
                    )
                )
        room = await self.get_room(room_id)
        assert room is not None
        return room

    async def get_room(self, room_id: RoomId) -> Room | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(rooms).where(rooms.c.id == room_id))).first()
        return _room(row) if row is not None else None

    async def get_room_by_slug(self, slug: str) -> Room | None:
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(rooms).where(rooms.c.slug == slug))).first()
        return _room(row) if row is not None else None

    async def list_rooms(self, *, include_kinds: Sequence[RoomKind]) -> list[Room]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(rooms)
                    .where(rooms.c.kind.in_([k.value for k in include_kinds]))
                    .order_by(rooms.c.position, rooms.c.name)
                )
            ).all()
        return [_room(r) for r in rows]

    async def update_room_seed(
        self,
        slug: str,
        *,
        name: str,
        topic: str,
        category: RoomCategory,
        min_age: int,
        max_age: int | None,
        position: int,
    ) -> None:
        async with self._tx() as conn:
            await conn.execute(
                rooms.update()
                .where(rooms.c.slug == slug)
                .values(
                    name=name, topic=topic, category=category.value, min_age=min_age, max_age=max_age, position=position
                )
            )

    async def count_rooms_owned(self, owner_id: AccountId) -> int:
        async with self._ro() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(rooms)
                    .where(rooms.c.owner_id == owner_id)
                    .where(rooms.c.kind != RoomKind.DIRECT.value)
                )
            ).scalar_one()
        return int(value)

    async def add_room_member(self, room_id: RoomId, account_id: AccountId, role: str, now: float) -> None:
        async with self._tx() as conn:
            exists = (
                await conn.execute(
                    sa.select(room_members.c.role)
                    .where(room_members.c.room_id == room_id)
                    .where(room_members.c.account_id == account_id)
                )
            ).first()
            if exists is None:
                await conn.execute(
                    room_members.insert().values(room_id=room_id, account_id=account_id, role=role, created_at=now)
                )

    async def is_room_member(self, room_id: RoomId, account_id: AccountId) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(room_members.c.role)
                    .where(room_members.c.room_id == room_id)
                    .where(room_members.c.account_id == account_id)
                )
            ).first()
        return row is not None

    async def rooms_of_member(self, account_id: AccountId) -> list[Room]:
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(rooms)
                    .join(room_members, room_members.c.room_id == rooms.c.id)
                    .where(room_members.c.account_id == account_id)
                    .where(rooms.c.kind == RoomKind.INVITE.value)
                )
            ).all()
        return [_room(r) for r in rows]

    async def last_seqs(self, room_ids: Iterable[RoomId]) -> dict[RoomId, int]:
        wanted = list(set(room_ids))
        if not wanted:
            return {}
        if self._one_hop and len(wanted) <= 500:
            marks = ", ".join("?" * len(wanted))  # placeholders only
            found = await self._sqlite_read(f"SELECT id, last_seq FROM rooms WHERE id IN ({marks})", tuple(wanted))  # noqa: S608
            return {RoomId(r[0]): int(r[1]) for r in found}
        async with self._ro() as conn:
            rows = (await conn.execute(sa.select(rooms.c.id, rooms.c.last_seq).where(rooms.c.id.in_(wanted)))).all()
        return {RoomId(r.id): int(r.last_seq) for r in rows}

    # -- direct conversations ---------------------------------------------------------------------

    async def get_or_create_dm(
        self, a: AccountId, b: AccountId, *, slug: str, state_a: DmState, state_b: DmState, now: float
    ) -> tuple[Room, bool]:
        """The direct conversation of a and b (a < b), created with the given states if new."""
        lo, hi = (a, b) if a < b else (b, a)
        async with self._ro() as conn:
            row = (await conn.execute(sa.select(rooms).where(rooms.c.dm_a == lo).where(rooms.c.dm_b == hi))).first()
        if row is not None:
            return _room(row), False
        try:
            async with self._tx() as conn:
                await conn.execute(
                    rooms.insert().values(
                        slug=slug,
                        name=slug,
                        name_skel=None,
                        category=RoomCategory.DIRECT.value,
                        kind=RoomKind.DIRECT.value,
                        topic="",
                        min_age=0,
                        dm_a=lo,
                        dm_b=hi,
                        dm_state_a=(state_a if lo == a else state_b).value,
                        dm_state_b=(state_b if lo == a else state_a).value,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # created concurrently: read it below
        room = await self.get_room_by_slug(slug)
        assert room is not None
        return room, True

    async def set_dm_state(self, room_id: RoomId, account_id: AccountId, state: DmState) -> Room:
        async with self._tx() as conn:
            row = (await conn.execute(sa.select(rooms.c.dm_a).where(rooms.c.id == room_id))).first()
            if row is None:
                raise CauserieError(ErrorCode.ROOM_NOT_FOUND)
            column = "dm_state_a" if row.dm_a == account_id else "dm_state_b"
            await conn.execute(rooms.update().where(rooms.c.id == room_id).values({column: state.value}))
        room = await self.get_room(room_id)
        assert room is not None
        return room

    async def list_dms(self, account_id: AccountId) -> list[tuple[Room, int]]:
        """Direct conversations of an account with their last sequence number."""
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(rooms)
                    .where(rooms.c.kind == RoomKind.DIRECT.value)
                    .where(sa.or_(rooms.c.dm_a == account_id, rooms.c.dm_b == account_id))
                    .where(rooms.c.last_seq > 0)
                    .order_by(rooms.c.id.desc())
                    .limit(500)
                )
            ).all()
        return [(_room(r), int(r.last_seq)) for r in rows]

    # -- messages -------------------------------------------------------------------------------

    async def insert_messages(self, batch: Sequence[NewMessage]) -> list[InsertResult]:
        """Store a batch in ONE transaction (group commit); returns one result per input, in order.

        A ``(author, client_id)`` already stored (or repeated inside the batch) is not stored again:
        its result is the original one with ``duplicate=True``. Each room's ``last_seq`` is advanced
        in the same transaction as the inserts, so sequence numbers have no gaps. If another node
        stored the same client_id concurrently, the unique index fires and the batch is retried.
        """
        for attempt in range(3):
            try:
                if self._one_hop:
                    existing, stored = await self._sqlite_run(_sqlite_insert_messages, batch)
                    return _insert_results(batch, existing, stored)
                return await self._insert_messages_once(batch)
            except (IntegrityError, sqlite3.IntegrityError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _insert_messages_once(self, batch: Sequence[NewMessage]) -> list[InsertResult]:
        async with self._tx() as conn:
            keys = {(m.author_id, m.client_id) for m in batch}
            existing: dict[tuple[int, str], InsertResult] = {}
            # one query per 500 messages, on the exact (author, client id) pairs: one index probe each
            # (an IN list per column would probe every author × client id combination)
            pairs = sorted(keys)
            for i in range(0, len(pairs), 500):
                rows = (
                    await conn.execute(
                        sa.select(
                            messages.c.id,
                            messages.c.room_id,
                            messages.c.seq,
                            messages.c.created_at,
                            messages.c.author_id,
                            messages.c.client_id,
                        ).where(sa.tuple_(messages.c.author_id, messages.c.client_id).in_(pairs[i : i + 500]))
                    )
                ).all()
                for r in rows:
                    key = (int(r.author_id), str(r.client_id))
                    if key in keys:
                        existing[key] = InsertResult(
                            id=int(r.id),
                            room_id=RoomId(r.room_id),
                            seq=int(r.seq),
                            created_at=float(r.created_at),
                            duplicate=True,
                        )
            fresh: list[NewMessage] = []
            seen: set[tuple[int, str]] = set()
            for m in batch:
                key = (m.author_id, m.client_id)
                if key in existing or key in seen:
                    continue
                seen.add(key)
                fresh.append(m)
            per_room: dict[RoomId, int] = {}
            for m in fresh:
                per_room[m.room_id] = per_room.get(m.room_id, 0) + 1
            next_seq: dict[RoomId, int] = {}
            for room_id, count in sorted(per_room.items()):  # fixed order: no deadlock across nodes
                last = (
                    await conn.execute(
                        rooms.update()
                        .where(rooms.c.id == room_id)
                        .values(last_seq=rooms.c.last_seq + count)
                        .returning(rooms.c.last_seq)
                    )
                ).scalar_one()
                next_seq[room_id] = int(last) - count + 1
            rows_in: list[dict[str, Any]] = []
            for m in fresh:
                seq = next_seq[m.room_id]
                next_seq[m.room_id] = seq + 1
                rows_in.append(
                    {
                        "room_id": m.room_id,
                        "seq": seq,
                        "author_id": m.author_id,
                        "client_id": m.client_id,
                        "text": m.text,
                        "reply_seq": m.reply_seq,
                        "created_at": m.created_at,
                        "state": m.state,
                        "media": m.media.to_json() if m.media is not None else None,
                    }
                )
            stored: dict[tuple[int, str], InsertResult] = {}
            if rows_in:
                # a plain executemany (RETURNING with a guaranteed order is slow on SQLite); the ids
                # are then read back by (room, seq range), which the unique index answers directly
                await conn.execute(messages.insert(), rows_in)
                by_seq: dict[tuple[int, int], int] = {}
                for room_id, count in per_room.items():
                    first = next_seq[room_id] - count
                    id_rows = (
                        await conn.execute(
                            sa.select(messages.c.id, messages.c.seq)
                            .where(messages.c.room_id == room_id)
                            .where(messages.c.seq >= first)
                            .where(messages.c.seq < next_seq[room_id])
                        )
                    ).all()
                    for id_row in id_rows:
                        by_seq[(room_id, int(id_row.seq))] = int(id_row.id)
                for row_in in rows_in:
                    stored[(row_in["author_id"], row_in["client_id"])] = InsertResult(
                        id=by_seq[(row_in["room_id"], row_in["seq"])],
                        room_id=row_in["room_id"],
                        seq=row_in["seq"],
                        created_at=row_in["created_at"],
                    )
        return _insert_results(batch, existing, stored)

    def _message_query(self) -> sa.Select[Any]:
        author = accounts.alias("author")
        reply = messages.alias("reply")
        reply_author = accounts.alias("reply_author")
        return (
            sa.select(
                messages.c.id,
                messages.c.room_id,
                messages.c.seq,
                messages.c.text,
                messages.c.created_at,
                messages.c.reply_seq,
                messages.c.author_id,
                messages.c.state,
                messages.c.media,
                author.c.nickname.label("a_nick"),
                author.c.age.label("a_age"),
                author.c.gender.label("a_gender"),
                author.c.region.label("a_region"),
                author.c.kind.label("a_kind"),
                reply.c.text.label("r_text"),
                reply_author.c.nickname.label("r_nick"),
            )
            .join(author, author.c.id == messages.c.author_id)
            .outerjoin(
                reply,
                sa.and_(
                    reply.c.room_id == messages.c.room_id,
                    reply.c.seq == messages.c.reply_seq,
                    reply.c.state == "visible",  # no excerpt of a removed or shadow-hidden message
                ),
            )
            .outerjoin(reply_author, reply_author.c.id == reply.c.author_id)
        )

    async def messages_before(
        self,
        room_id: RoomId,
        before: int | None,
        limit: int,
        exclude_authors: Iterable[AccountId] = (),
        viewer: AccountId | None = None,
    ) -> tuple[list[MessageView], bool]:
        """A page of history, oldest first, and whether older messages exist (as ``viewer`` sees it)."""
        query = self._message_query().where(messages.c.room_id == room_id).where(_visible_to(viewer))
        if before is not None:
            query = query.where(messages.c.seq < before)
        excluded = list(exclude_authors)
        if excluded:
            query = query.where(messages.c.author_id.not_in(excluded))
        query = query.order_by(messages.c.seq.desc()).limit(limit + 1)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        more = len(rows) > limit
        return [_message(r) for r in reversed(rows[:limit])], more

    async def messages_between(
        self,
        room_id: RoomId,
        after: int,
        upto: int,
        limit: int,
        exclude_authors: Iterable[AccountId] = (),
        viewer: AccountId | None = None,
        all_states: bool = False,
    ) -> tuple[list[MessageView], bool]:
        """Messages with ``after < seq <= upto`` in order, at most ``limit``; ``more`` if cut.

        Only what ``viewer`` may see (visible messages, and their own shadow-hidden ones), unless
        ``all_states`` (the hub's gap filler, which needs every sequence number).
        """
        query = (
            self._message_query()
            .where(messages.c.room_id == room_id)
            .where(messages.c.seq > after)
            .where(messages.c.seq <= upto)
        )
        if not all_states:
            query = query.where(_visible_to(viewer))
        excluded = list(exclude_authors)
        if excluded:
            query = query.where(messages.c.author_id.not_in(excluded))
        query = query.order_by(messages.c.seq).limit(limit + 1)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        return [_message(r) for r in rows[:limit]], len(rows) > limit

    async def message_by_seq(self, room_id: RoomId, seq: int) -> MessageView | None:
        query = self._message_query().where(messages.c.room_id == room_id).where(messages.c.seq == seq)
        async with self._ro() as conn:
            row = (await conn.execute(query)).first()
        return _message(row) if row is not None else None

    async def messages_by_ids(self, ids: Sequence[int]) -> list[MessageView]:
        if not ids:
            return []
        query = self._message_query().where(messages.c.id.in_(list(ids))).order_by(messages.c.seq)
        async with self._ro() as conn:
            rows = (await conn.execute(query)).all()
        return [_message(r) for r in rows]

    # -- blocks and friends ---------------------------------------------------------------------

    async def add_block(self, blocker: AccountId, blocked: AccountId, now: float, limit: int) -> None:
        async with self._tx() as conn:
            count = (
                await conn.execute(sa.select(sa.func.count()).select_from(blocks).where(blocks.c.blocker_id == blocker))
            ).scalar_one()
            exists = (
                await conn.execute(
                    sa.select(blocks.c.created_at)
                    .where(blocks.c.blocker_id == blocker)
                    .where(blocks.c.blocked_id == blocked)
                )
            ).first()
            if exists is not None:
                return
            if int(count) >= limit:
                raise CauserieError(ErrorCode.TOO_MANY_BLOCKS)
            await conn.execute(blocks.insert().values(blocker_id=blocker, blocked_id=blocked, created_at=now))
            # blocking also ends any friendship
            await conn.execute(
                friends.delete().where(
                    sa.or_(
                        sa.and_(friends.c.requester_id == blocker, friends.c.target_id == blocked),
                        sa.and_(friends.c.requester_id == blocked, friends.c.target_id == blocker),
                    )
                )
            )

    async def remove_block(self, blocker: AccountId, blocked: AccountId) -> None:
        async with self._tx() as conn:
            await conn.execute(
                blocks.delete().where(blocks.c.blocker_id == blocker).where(blocks.c.blocked_id == blocked)
            )

    async def blocked_by(self, blocker: AccountId) -> set[AccountId]:
        """Accounts this account blocks."""
        if self._one_hop:
            found = await self._sqlite_read("SELECT blocked_id FROM blocks WHERE blocker_id = ?", (blocker,))
            return {AccountId(r[0]) for r in found}
        async with self._ro() as conn:
            rows = (await conn.execute(sa.select(blocks.c.blocked_id).where(blocks.c.blocker_id == blocker))).all()
        return {AccountId(r[0]) for r in rows}

    async def is_blocked_either_way(self, a: AccountId, b: AccountId) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(blocks.c.blocker_id).where(
                        sa.or_(
                            sa.and_(blocks.c.blocker_id == a, blocks.c.blocked_id == b),
                            sa.and_(blocks.c.blocker_id == b, blocks.c.blocked_id == a),
                        )
                    )
                )
            ).first()
        return row is not None

    async def friend_request(self, requester: AccountId, target: AccountId, now: float, limit: int) -> bool:
        """Request friendship, or accept the target's pending request. Returns True when now friends."""
        async with self._tx() as conn:
            reverse = (
                await conn.execute(
                    sa.select(friends.c.accepted)
                    .where(friends.c.requester_id == target)
                    .where(friends.c.target_id == requester)
                )
            ).first()
            if reverse is not None:
                await conn.execute(
                    friends.update()
                    .where(friends.c.requester_id == target)
                    .where(friends.c.target_id == requester)
                    .values(accepted=True)
                )
                return True
            mine = (
                await conn.execute(
                    sa.select(friends.c.accepted)
                    .where(friends.c.requester_id == requester)
                    .where(friends.c.target_id == target)
                )
            ).first()
            if mine is not None:
                return bool(mine.accepted)
            count = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(friends)
                    .where(sa.or_(friends.c.requester_id == requester, friends.c.target_id == requester))
                )
            ).scalar_one()
            if int(count) >= limit:
                raise CauserieError(ErrorCode.TOO_MANY_FRIENDS)
            await conn.execute(
                friends.insert().values(requester_id=requester, target_id=target, accepted=False, created_at=now)
            )
            return False

    async def remove_friend(self, a: AccountId, b: AccountId) -> None:
        async with self._tx() as conn:
            await conn.execute(
                friends.delete().where(
                    sa.or_(
                        sa.and_(friends.c.requester_id == a, friends.c.target_id == b),
                        sa.and_(friends.c.requester_id == b, friends.c.target_id == a),
                    )
                )
            )

    async def friendships(self, account_id: AccountId) -> list[tuple[AccountId, AccountId, bool]]:
        """(requester, target, accepted) rows that involve this account."""
        if self._one_hop:
            found = await self._sqlite_read(
                "SELECT requester_id, target_id, accepted FROM friends WHERE requester_id = ? OR target_id = ?",
                (account_id, account_id),
            )
            return [(AccountId(r[0]), AccountId(r[1]), bool(r[2])) for r in found]
        async with self._ro() as conn:
            rows = (
                await conn.execute(
                    sa.select(friends.c.requester_id, friends.c.target_id, friends.c.accepted).where(
                        sa.or_(friends.c.requester_id == account_id, friends.c.target_id == account_id)
                    )
                )
            ).all()
        return [(AccountId(r[0]), AccountId(r[1]), bool(r[2])) for r in rows]

    async def are_friends(self, a: AccountId, b: AccountId) -> bool:
        async with self._ro() as conn:
            row = (
                await conn.execute(
                    sa.select(friends.c.accepted).where(
                        sa.or_(
                            sa.and_(friends.c.requester_id == a, friends.c.target_id == b),
                            sa.and_(friends.c.requester_id == b, friends.c.target_id == a),
                        )
                    )
                )
            ).first()
        return row is not None and bool(row.accepted)


class SqlStoreExtension:
    """Persistence of one feature (moderation, media) on the same database as a ``SqlStore``.

    It borrows the store's transaction helpers, so it shares the single SQLite writer and the
    mapping of connection failures to ``service_unavailable``.
    """

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def _tx(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._store._tx()

    def _ro(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._store._ro()


# ---------------------------------------------------------------------------------------------


def _visible_to(viewer: AccountId | None) -> sa.ColumnElement[bool]:
    """Moderation: removed messages are shown to nobody; shadow-hidden and held ones to their author only."""
    if viewer is None:
        return messages.c.state == "visible"
    return sa.or_(
        messages.c.state == "visible",
        sa.and_(messages.c.state.in_(("shadow", "held")), messages.c.author_id == viewer),
    )


def _insert_results(
    batch: Sequence[NewMessage],
    existing: dict[tuple[int, str], InsertResult],
    stored: dict[tuple[int, str], InsertResult],
) -> list[InsertResult]:
    """One result per message of ``batch``, in order: stored now, or the original of a duplicate."""
    out: list[InsertResult] = []
    first_seen: set[tuple[int, str]] = set()
    for m in batch:
        key = (m.author_id, m.client_id)
        if key in stored and key not in first_seen:
            first_seen.add(key)
            out.append(stored[key])
        elif key in stored:
            original = stored[key]
            out.append(
                InsertResult(
                    id=original.id,
                    room_id=original.room_id,
                    seq=original.seq,
                    created_at=original.created_at,
                    duplicate=True,
                )
            )
        else:
            out.append(existing[key])
    return out


def _sqlite_fetchall(conn: sqlite3.Connection, query: str, params: tuple[Any, ...]) -> list[Any]:
    return conn.execute(query, params).fetchall()


def _sqlite_execute(conn: sqlite3.Connection, query: str, params: tuple[Any, ...]) -> None:
    conn.execute(query, params)


_AccountRow = namedtuple(  # what _account reads, by name
    "_AccountRow", "id kind nickname age gender region created_at email lang dm_policy"
)
_SQLITE_ACCOUNT = (
    "SELECT a.id, a.kind, a.nickname, a.age, a.gender, a.region, a.created_at, a.email, a.lang, a.dm_policy "
    "FROM accounts a "
)


def _sqlite_transaction(conn: sqlite3.Connection, begin: str, fn: Callable[..., _T], args: tuple[Any, ...]) -> _T:
    """On the driver's thread: BEGIN, ``fn``, COMMIT; ROLLBACK if anything fails. A reader runs one
    SELECT, which is consistent by itself: no transaction for it."""
    if fn is _sqlite_fetchall:
        return fn(conn, *args)
    conn.execute(begin)
    try:
        result = fn(conn, *args)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


_SQLITE_INSERT_MESSAGE = (
    "INSERT INTO messages (room_id, seq, author_id, client_id, text, reply_seq, created_at, state, media) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _sqlite_insert_messages(
    conn: sqlite3.Connection, batch: Sequence[NewMessage]
) -> tuple[dict[tuple[int, str], InsertResult], dict[tuple[int, str], InsertResult]]:
    """``SqlStore._insert_messages_once`` for SQLite, on the driver's thread: (duplicates, stored)."""
    keys = {(m.author_id, m.client_id) for m in batch}
    existing: dict[tuple[int, str], InsertResult] = {}
    # the exact (author, client id) pairs, each one probe of the unique index (an IN list per column
    # would probe every author × client id combination: 100,000 probes for a batch of 500)
    pairs = sorted(keys)
    for i in range(0, len(pairs), 400):
        chunk = pairs[i : i + 400]
        values = ",".join(["(?, ?)"] * len(chunk))  # placeholders only
        query = (
            f"WITH k(a, c) AS (VALUES {values}) "  # noqa: S608
            "SELECT m.id, m.room_id, m.seq, m.created_at, m.author_id, m.client_id "
            "FROM k JOIN messages m ON m.author_id = k.a AND m.client_id = k.c"
        )
        for r in conn.execute(query, [v for pair in chunk for v in pair]).fetchall():
            key = (int(r[4]), str(r[5]))
            existing[key] = InsertResult(
                id=int(r[0]), room_id=RoomId(r[1]), seq=int(r[2]), created_at=float(r[3]), duplicate=True
            )
    fresh: list[NewMessage] = []
    seen: set[tuple[int, str]] = set()
    per_room: dict[RoomId, int] = {}
    for m in batch:
        key = (m.author_id, m.client_id)
        if key in existing or key in seen:
            continue
        seen.add(key)
        fresh.append(m)
        per_room[m.room_id] = per_room.get(m.room_id, 0) + 1
    next_seq: dict[RoomId, int] = {}
    for room_id, count in sorted(per_room.items()):
        row = conn.execute(
            "UPDATE rooms SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq", (count, room_id)
        ).fetchone()
        if row is None:
            raise LookupError(f"room {room_id} does not exist")
        next_seq[room_id] = int(row[0]) - count + 1
    rows_in: list[tuple[Any, ...]] = []
    for m in fresh:
        seq = next_seq[m.room_id]
        next_seq[m.room_id] = seq + 1
        media = json.dumps(m.media.to_json()) if m.media is not None else None
        rows_in.append((m.room_id, seq, m.author_id, m.client_id, m.text, m.reply_seq, m.created_at, m.state, media))
    stored: dict[tuple[int, str], InsertResult] = {}
    if rows_in:
        conn.executemany(_SQLITE_INSERT_MESSAGE, rows_in)
        by_seq: dict[tuple[int, int], int] = {}
        for room_id, count in per_room.items():
            first = next_seq[room_id] - count
            for id_, seq in conn.execute(
                "SELECT id, seq FROM messages WHERE room_id = ? AND seq >= ? AND seq < ?",
                (room_id, first, next_seq[room_id]),
            ):
                by_seq[(room_id, int(seq))] = int(id_)
        for r in rows_in:
            stored[(r[2], r[3])] = InsertResult(id=by_seq[(r[0], r[1])], room_id=r[0], seq=r[1], created_at=r[6])
    return existing, stored


_GUEST_COLUMNS = ("kind", "nickname", "nick_skel", "age", "gender", "region", "lang", "created_at", "expires_at")


def _check_plain(table: sa.Table, values: Mapping[str, Any]) -> None:
    """Values bound as they are on the SQLite path (no SQLAlchemy type processing): plain columns only."""
    for column, value in values.items():
        if column not in table.c or not (value is None or isinstance(value, str | int | float)):
            raise TypeError(f"insert_row: {table.name}.{column} is not a plain column value")


def _sqlite_create_guest(
    conn: sqlite3.Connection,
    values: tuple[Any, ...],
    session: tuple[Any, ...],
    record: tuple[str, tuple[Any, ...]] | None = None,
) -> int:
    """``SqlStore.create_guest_session`` for SQLite, on the driver's thread: the new account's id."""
    kind, _, nick_skel, *_, created_at, _ = values
    conn.execute(
        "UPDATE accounts SET nick_skel = NULL WHERE nick_skel = ? AND kind = ? AND expires_at < ?",
        (nick_skel, kind, created_at),
    )
    try:
        cursor = conn.execute(
            "INSERT INTO accounts (kind, nickname, nick_skel, age, gender, region, lang, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
    except sqlite3.IntegrityError:
        raise CauserieError(ErrorCode.NICKNAME_TAKEN) from None
    account_id = cursor.lastrowid
    assert account_id is not None
    token_hash, now, expires_at = session
    conn.execute(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, account_id, now, expires_at),
    )
    if record is not None:  # the entry's connection record (the query is built from schema names only)
        conn.execute(record[0], (account_id, *record[1]))
    return account_id


def _sqlite_refresh_session(
    conn: sqlite3.Connection, token_hash: str, expires_at: float, guest_id: int | None, guest_expires_at: float
) -> None:
    conn.execute("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", (expires_at, token_hash))
    if guest_id is not None:
        conn.execute(
            "UPDATE accounts SET expires_at = ? WHERE id = ? AND kind = ?",
            (guest_expires_at, guest_id, AccountKind.GUEST.value),
        )


def _sqlite_setup(engine: AsyncEngine, synchronous: str, begin: str) -> None:
    """Pragmas on every connection, and explicit BEGIN (the driver's own is disabled)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def _policy_json(policy: DmPolicy) -> dict[str, Any]:
    return {
        "mode": policy.mode.value,
        "genders": sorted(policy.genders),
        "age_min": policy.age_min,
        "age_max": policy.age_max,
    }


def _policy(value: Any) -> DmPolicy:
    if not value:
        return DmPolicy()
    if isinstance(value, str):
        value = json.loads(value)
    return DmPolicy(
        mode=DmPolicyMode(value.get("mode", "everyone")),
        genders=frozenset(value.get("genders") or ()),
        age_min=value.get("age_min"),
        age_max=value.get("age_max"),
    )


def _account(row: Row[Any] | _AccountRow) -> Account:
    return Account(
        id=AccountId(row.id),
        kind=AccountKind(row.kind),
        nickname=row.nickname,
        age=row.age,
        gender=row.gender,
        region=row.region,
        created_at=row.created_at,
        email=row.email,
        lang=row.lang,
        dm_policy=_policy(row.dm_policy),
    )


def _room(row: Row[Any]) -> Room:
    return Room(
        id=RoomId(row.id),
        slug=row.slug,
        name=row.name,
        category=RoomCategory(row.category),
        kind=RoomKind(row.kind),
        topic=row.topic,
        min_age=row.min_age,
        max_age=row.max_age,
        owner_id=AccountId(row.owner_id) if row.owner_id is not None else None,
        dm_a=AccountId(row.dm_a) if row.dm_a is not None else None,
        dm_b=AccountId(row.dm_b) if row.dm_b is not None else None,
        dm_state_a=DmState(row.dm_state_a) if row.dm_state_a else None,
        dm_state_b=DmState(row.dm_state_b) if row.dm_state_b else None,
    )


def _message(row: Row[Any]) -> MessageView:
    return MessageView(
        id=int(row.id),
        room_id=RoomId(row.room_id),
        seq=int(row.seq),
        author=AuthorView(
            id=AccountId(row.author_id),
            nick=row.a_nick,
            age=row.a_age,
            gender=row.a_gender,
            region=row.a_region,
            registered=row.a_kind == AccountKind.REGISTERED.value,
        ),
        text=row.text,
        created_at=float(row.created_at),
        reply_seq=row.reply_seq,
        reply_nick=row.r_nick,
        reply_text=row.r_text,
        state=row.state,
        media=MediaRef.from_json(row.media),
    )
