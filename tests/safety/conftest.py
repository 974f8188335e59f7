"""Fixtures for the safety engine tests: one engine with the packaged rules, shared by a module."""

from __future__ import annotations

import pytest

from causerie.clock import FakeClock
from causerie.safety import SafetyConfig, SafetyEngine


@pytest.fixture(scope="session")
def engine() -> SafetyEngine:
    """The packaged rules only (no operator folder). Read-only use: it is shared."""
    return SafetyEngine(SafetyConfig(), clock=FakeClock())


@pytest.fixture
def fresh_engine() -> SafetyEngine:
    """An engine of its own, for tests that feed the behaviour tracker or the risk ledger."""
    return SafetyEngine(SafetyConfig(), clock=FakeClock())
