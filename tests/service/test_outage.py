"""Our own database failing in the middle of a verification is no property of the credential:
the answer is 503 with Retry-After (retry), never a "not verified" verdict about a badge that
is fine. (bench/fault_pg_restart.py found the verdict during a real PostgreSQL restart, when
the database came back between the DID lookup and the rest of the request.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from tests.service.conftest import Hub, issue_badge

from passport_vc.services.context import ServiceContext
from passport_vc.store import StoreUnavailableError


def fail_first_sessions(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """The next `count` database sessions fail as an outage does; later ones work."""
    real = ctx.db.session
    left = [count]

    @contextlib.contextmanager
    def flaky(*args: Any, **kwargs: Any) -> Iterator[Session]:
        if left[0] > 0:
            left[0] -= 1
            raise StoreUnavailableError("the database is unavailable (test); retry shortly")
        with real(*args, **kwargs) as session:
            yield session

    monkeypatch.setattr(ctx.db, "session", flaky)


@pytest.mark.parametrize("failures", [1, 2])
def test_an_outage_during_verification_is_a_503(
    client: TestClient,
    ctx: ServiceContext,
    hub: Hub,
    monkeypatch: pytest.MonkeyPatch,
    failures: int,
) -> None:
    badge = issue_badge(client, hub)
    fail_first_sessions(ctx, monkeypatch, failures)
    response = client.post("/credentials/verify", json={"verifiableCredential": badge})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert response.headers["content-type"] == "application/problem+json"
    # Once the database is back, the same badge verifies.
    again = client.post("/credentials/verify", json={"verifiableCredential": badge})
    assert again.status_code == 200 and again.json()["verified"] is True
