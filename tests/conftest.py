"""Shared fixtures: a real server process on a free loopback port, and real WebSocket clients.

A test that needs PostgreSQL, Redis or a browser skips with a reason when it is absent, except
under ``CI=true``, where it fails instead (see ``support.require``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import LiveServer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in this thread
    until the session ends, and no asyncio test after it could start its own loop."""
    items.sort(key=lambda item: "browser" in item.path.parts)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the session (SQLite in a temporary folder). Tests use unique nicknames."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own, for tests that kill or restart it, or change its settings."""
    server = LiveServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()
