"""The service fixtures (a fresh database per test, on SQLite and on PostgreSQL when
PASSPORT_VC_TEST_POSTGRES_URL is set), and a guard that fails a test on any network access."""

# Importing the service fixtures here makes them this folder's fixtures too.
# ruff: noqa: F401

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.hostile.network import NetworkGuard, install
from tests.service.conftest import (
    client,
    ctx,
    database_url,
    hub,
    postgres_database,
    settings,
)


@pytest.fixture
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Refuses and records every connection (but the test database's) and every name lookup,
    in any thread; the test fails at teardown if anything was attempted, and tests assert
    `guard.attempts == []` after each request to say which one tried."""
    guard = install(monkeypatch)
    yield guard
    assert guard.attempts == [], f"network access was attempted: {guard.attempts}"
