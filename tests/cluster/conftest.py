"""Several real nodes sharing the machine's PostgreSQL (a schema of their own) and a Redis.

Each test gets a fresh PostgreSQL schema and a unique Redis prefix, so runs repeat and can run side
by side. Tests that restart Redis start a private ``redis-server`` on a free port; tests that cut
PostgreSQL put a TCP proxy between the nodes and the database.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from support.require import POSTGRES_URL, REDIS_URL, in_ci, require_postgres, require_redis
from support.server import LiveServer, free_port

PG_PLAIN = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


class Cluster:
    def __init__(self, folder: Path, schema: str, redis_url: str, database_url: str = PG_PLAIN) -> None:
        self.folder = folder
        self.schema = schema
        self.redis_url = redis_url
        self.database_url = database_url
        self.prefix = f"t{uuid.uuid4().hex[:10]}"
        self.nodes: list[LiveServer] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "CAUSERIE_REDIS_URL": self.redis_url,
            "CAUSERIE_REDIS_PREFIX": self.prefix,
            "CAUSERIE_DATABASE_SCHEMA": self.schema,
            "CAUSERIE_PRESENCE_HEARTBEAT_SECONDS": "0.5",
            "CAUSERIE_GAP_CHECK_SECONDS": "1",
            **extra,
        }

    def start_node(self, **extra: str) -> LiveServer:
        folder = self.folder / f"node{len(self.nodes)}"
        folder.mkdir()
        node = LiveServer(folder, env=self.env(**extra), database_url=self.database_url)
        node.start()
        self.nodes.append(node)
        return node

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


async def _create_schema(schema: str) -> None:
    engine = create_async_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    await engine.dispose()


async def _drop_schema(schema: str) -> None:
    engine = create_async_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await engine.dispose()


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    require_postgres()
    schema = f"c_{uuid.uuid4().hex[:12]}"
    await _create_schema(schema)
    try:
        yield schema
    finally:
        await _drop_schema(schema)


@pytest.fixture
def cluster(tmp_path: Path, pg_schema: str) -> Iterator[Cluster]:
    require_redis()
    c = Cluster(tmp_path, pg_schema, REDIS_URL)
    try:
        yield c
    finally:
        c.stop()


class PrivateRedis:
    """A redis-server of our own on a free port, which a test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        if in_ci():
            pytest.fail("redis-server is not installed (CI=true: cluster tests must run)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class TcpProxy:
    """Forwards a local port to PostgreSQL; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target_port: int = 5432) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for w in list(self._writers):
            w.close()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()
