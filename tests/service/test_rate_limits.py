"""Rate limits over HTTP: issuance per API key and per address, verification and challenges
per address, and failed authentications per address (API keys, console sign-ins, share
tokens), each answered 429 problem+json with Retry-After, without touching the rest; and the
failures logged without the secret."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import ADMIN, HOLDER, Hub, make_settings, register
from tests.service.test_passports import share

from passport_vc.api.app import create_app
from passport_vc.keys import SigningKey
from passport_vc.services.context import ServiceContext, open_service

SMALL = {
    "issue_per_key": {"per_minute": 60, "burst": 3},
    "issue_per_address": {"per_minute": 60, "burst": 5},
    "verify_per_address": {"per_minute": 60, "burst": 2},
    "challenge_per_address": {"per_minute": 60, "burst": 2},
    "auth_failures_per_address": {"per_minute": 6, "burst": 3},
}
BADGE = {"holder": HOLDER, "skill": "LASER-CUT", "level": 2}


@pytest.fixture
def limited(tmp_path: Path, database_url: str) -> Iterator[ServiceContext]:
    opened = open_service(make_settings(tmp_path, database_url, rate_limits=SMALL))
    yield opened
    opened.close()


def client_at(ctx: ServiceContext, address: str) -> TestClient:
    return TestClient(create_app(ctx=ctx), raise_server_exceptions=False, client=(address, 4000))


@pytest.fixture
def alice(limited: ServiceContext) -> Iterator[TestClient]:
    with client_at(limited, "203.0.113.7") as client:
        yield client


def assert_limited(response: Any, limit: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["status"] == 429 and body["limit"] == limit
    assert limit in body["detail"]


def issue(client: TestClient, hub: Hub) -> Any:
    return client.post(f"/makerspaces/{hub.slug}/badges", json=BADGE, headers=hub.auth)


def test_issuance_is_limited_per_api_key_then_per_address(
    alice: TestClient, limited: ServiceContext
) -> None:
    first = register(alice, "Fablab Kumasi")
    second = register(alice, "Fablab Lomé")
    assert [issue(alice, first).status_code for _ in range(3)] == [201] * 3
    assert_limited(issue(alice, first), "issue_per_key")
    # Another key from the same address still issues, until the address's own limit.
    assert [issue(alice, second).status_code for _ in range(2)] == [201] * 2
    assert_limited(issue(alice, second), "issue_per_address")
    # Nothing refused was written: five badges in all.
    listed = alice.get(f"/makerspaces/{first.slug}/credentials", headers=first.auth).json()
    assert listed["total"] == 3
    # Reading is never limited.
    assert alice.get("/skills").status_code == 200


def test_verification_and_challenges_are_limited_per_address(
    alice: TestClient, limited: ServiceContext
) -> None:
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"]}
    codes = [alice.post("/credentials/verify", json={"verifiableCredential": document})]
    codes.append(alice.post("/presentations/verify", json={"verifiablePresentation": document}))
    assert all(r.status_code in (200, 400, 422) for r in codes)
    assert_limited(alice.post("/credentials/verify", json={}), "verify_per_address")
    assert [alice.post("/challenges").status_code for _ in range(2)] == [201, 201]
    assert_limited(alice.post("/challenges"), "challenge_per_address")
    # Another address is not affected.
    with client_at(limited, "198.51.100.9") as bob:
        assert bob.post("/challenges").status_code == 201


def test_failed_api_keys_lock_the_address_out_and_are_logged(
    alice: TestClient, limited: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    hub = register(alice, "Fablab Dakar")
    wrong = {"Authorization": "Bearer pvc_not-a-key-at-all-0000000000000000000000"}
    caplog.set_level(logging.WARNING, logger="passport_vc.security")
    for _ in range(3):
        response = alice.get(f"/makerspaces/{hub.slug}/credentials", headers=wrong)
        assert response.status_code == 401
    # The address is out of failures: even the right key waits now...
    assert_limited(
        alice.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth),
        "auth_failures_per_address",
    )
    # ...and the admin token too; requests without a credential still pass.
    assert_limited(alice.get("/admin/audit", headers=ADMIN), "auth_failures_per_address")
    assert alice.get("/skills").status_code == 200
    # Another address with the right key is served.
    with client_at(limited, "198.51.100.9") as bob:
        ok = bob.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth)
        assert ok.status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "passport_vc.security"]
    assert sum("authentication failed from 203.0.113.7" in m for m in messages) == 3
    assert any("too many failed authentications" in m for m in messages)
    assert not any("pvc_" in m for m in messages)


def test_console_sign_in_guessing_is_limited(alice: TestClient) -> None:
    for _ in range(3):
        response = alice.post("/console/login", data={"api_key": "pvc_guess"})
        assert response.status_code == 401
    assert_limited(
        alice.post("/console/login", data={"api_key": "pvc_guess"}), "auth_failures_per_address"
    )


def test_share_token_guessing_is_limited(alice: TestClient) -> None:
    url = "/passports/did%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    for n in range(3):
        assert alice.get(url, params={"token": f"guess-{n}"}).status_code == 404
    assert_limited(alice.get(url, params={"token": "guess-3"}), "auth_failures_per_address")


def test_limits_can_be_switched_off(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, rate_limits=SMALL, rate_limits_enabled=False)
    opened = open_service(settings)
    try:
        with client_at(opened, "203.0.113.7") as client:
            assert {client.post("/challenges").status_code for _ in range(6)} == {201}
    finally:
        opened.close()


def test_guessable_secrets_have_256_bits(alice: TestClient) -> None:
    """Guessing is throttled above; what there is to guess is 256 random bits per API key and
    per share token (32 bytes of base64url), which no rate makes feasible."""
    hubs = [register(alice, f"Fablab {n}") for n in range(2)]
    keys = [hub.api_key for hub in hubs]
    assert keys[0] != keys[1]
    for key in keys:
        assert key.startswith("pvc_")
        assert len(base64.urlsafe_b64decode(key[4:] + "=")) == 32
    maker = SigningKey.generate()
    alice.post(
        f"/makerspaces/{hubs[0].slug}/badges",
        json={**BADGE, "holder": maker.did_key},
        headers=hubs[0].auth,
    )
    token = share(alice, maker)["url"].split("token=", 1)[1]
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
