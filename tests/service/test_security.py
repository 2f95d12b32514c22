"""Security over HTTP: authentication, makerspaces kept apart, body size limits, and no private
key or API key ever leaving the key store (responses, logs, database columns)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from tests.service.conftest import ADMIN, HOLDER, Hub, issue_badge

from passport_vc.keystore import open_private_key
from passport_vc.services.context import ServiceContext
from passport_vc.store import Makerspace, SigningKeyRecord

PROBLEM_JSON = "application/problem+json"
BADGE = {"holder": HOLDER, "skill": "LASER-CUT", "level": 3}
VC = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:maker"},
}
STATUS = {
    "credentialId": "https://hub.example/credentials/00000000-0000-0000-0000-000000000000",
    "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
    "status": True,
}


def _makerspace_calls(slug: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every endpoint that needs a makerspace API key, with a body it would accept."""
    return [
        ("POST", "/credentials/issue", {"json": {"credential": VC}}),
        ("POST", f"/makerspaces/{slug}/badges", {"json": BADGE}),
        ("POST", f"/makerspaces/{slug}/badges/batch", {"json": {"rows": [BADGE]}}),
        ("POST", "/credentials/status", {"json": STATUS}),
        ("GET", f"/makerspaces/{slug}/credentials", {}),
        ("GET", f"/makerspaces/{slug}/audit", {}),
        ("POST", f"/makerspaces/{slug}/keys/rotate", {}),
        ("POST", f"/makerspaces/{slug}/keys/retire", {"json": {"key": "key-1"}}),
    ]


BAD_CREDENTIALS = {
    "missing": {},
    "basic scheme": {"Authorization": "Basic x"},
    "bearer without token": {"Authorization": "Bearer "},
    "wrong key": {"Authorization": "Bearer pvc_" + "x" * 43},
    "not a pvc key": {"Authorization": "Bearer some-random-token"},
    "admin token": ADMIN,
}


def _assert_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["detail"]


def _stored_total(client: TestClient, hub: Hub) -> int:
    response = client.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS), ids=list(BAD_CREDENTIALS))
def test_makerspace_endpoints_need_a_valid_api_key(
    client: TestClient, hub: Hub, credentials: str
) -> None:
    """Missing, malformed or wrong API keys are 401 problem+json with WWW-Authenticate on
    every makerspace endpoint, and nothing is issued."""
    headers = BAD_CREDENTIALS[credentials]
    for method, path, kwargs in _makerspace_calls(hub.slug):
        response = client.request(method, path, headers=headers, **kwargs)
        _assert_401(response)
    assert _stored_total(client, hub) == 0
    keys = client.get(f"/makerspaces/{hub.slug}").json()["keys"]
    assert len(keys) == 1


def test_registering_a_makerspace_needs_the_admin_token(client: TestClient, hub: Hub) -> None:
    """POST /makerspaces without the admin token (none, wrong, or a makerspace key) is 401."""
    for headers in ({}, hub.auth, {"Authorization": "Bearer wrong-admin-token"}):
        _assert_401(client.post("/makerspaces", json={"name": "Intruder Lab"}, headers=headers))
    assert [m["slug"] for m in client.get("/makerspaces").json()["makerspaces"]] == [hub.slug]


def test_admin_endpoints_need_the_admin_token(client: TestClient, hub: Hub) -> None:
    """Every /admin endpoint refuses a makerspace key, a wrong token and no token (401)."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/admin/audit", {}),
        ("GET", "/admin/trusted-issuers", {}),
        ("POST", "/admin/trusted-issuers", {"json": {"did": "did:web:x.example", "name": "X"}}),
        ("DELETE", "/admin/trusted-issuers/did:web:x.example", {}),
    ]
    for headers in ({}, hub.auth, {"Authorization": "Basic x"}, {"Authorization": "Bearer no"}):
        for method, path, kwargs in calls:
            _assert_401(client.request(method, path, headers=headers, **kwargs))
    assert client.get("/admin/trusted-issuers", headers=ADMIN).json()["trustedIssuers"] == []


# --- makerspaces are kept apart ----------------------------------------------------------


def test_a_makerspace_cannot_issue_as_another(client: TestClient, hub: Hub, other_hub: Hub) -> None:
    """Issuing on another makerspace's path with one's own key is 403 (single and batch)."""
    single = client.post(f"/makerspaces/{other_hub.slug}/badges", json=BADGE, headers=hub.auth)
    assert single.status_code == 403, single.text
    assert single.headers["content-type"].startswith(PROBLEM_JSON)
    batch = client.post(
        f"/makerspaces/{other_hub.slug}/badges/batch", json={"rows": [BADGE]}, headers=hub.auth
    )
    assert batch.status_code == 403, batch.text
    assert _stored_total(client, hub) == 0
    assert _stored_total(client, other_hub) == 0


def test_a_makerspace_cannot_revoke_anothers_badge(
    client: TestClient, hub: Hub, other_hub: Hub
) -> None:
    """Revoking or suspending another makerspace's badge is 404 and leaves it valid."""
    badge = issue_badge(client, other_hub)
    for purpose in ("revocation", "suspension"):
        response = client.post(
            "/credentials/status",
            json={
                "credentialId": badge["id"],
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": purpose,
                },
                "status": True,
            },
            headers=hub.auth,
        )
        assert response.status_code == 404, response.text
    verified = client.post("/credentials/verify", json={"verifiableCredential": badge})
    assert verified.status_code == 200, verified.text


def test_a_makerspace_cannot_read_anothers_credentials_or_audit(
    client: TestClient, hub: Hub, other_hub: Hub
) -> None:
    """Another makerspace's credential list and audit log are 403."""
    issue_badge(client, other_hub)
    for path in ("credentials", "audit"):
        response = client.get(f"/makerspaces/{other_hub.slug}/{path}", headers=hub.auth)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert "items" not in response.json() and "events" not in response.json()


def test_a_makerspace_cannot_rotate_or_retire_anothers_keys(
    client: TestClient, hub: Hub, other_hub: Hub
) -> None:
    """Rotating or retiring another makerspace's keys is 403 and changes nothing."""
    rotate = client.post(f"/makerspaces/{other_hub.slug}/keys/rotate", headers=hub.auth)
    assert rotate.status_code == 403, rotate.text
    retire = client.post(
        f"/makerspaces/{other_hub.slug}/keys/retire", json={"key": "key-1"}, headers=hub.auth
    )
    assert retire.status_code == 403, retire.text
    keys = client.get(f"/makerspaces/{other_hub.slug}").json()["keys"]
    assert [(k["id"], k["state"]) for k in keys] == [(f"{other_hub.did}#key-1", "active")]


# --- body size limits --------------------------------------------------------------------

BIG = b'{"padding": "' + b"a" * 1_100_000 + b'"}'


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _assert_413(response: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 413


@pytest.mark.parametrize("path", ["/credentials/issue", "/credentials/verify"])
def test_a_body_over_the_limit_with_content_length_is_413(
    client: TestClient, hub: Hub, path: str
) -> None:
    """A declared body over 1 MiB is refused 413 problem+json before it is read."""
    headers = {**hub.auth, "Content-Type": "application/json"}
    _assert_413(client.post(path, content=BIG, headers=headers))
    assert _stored_total(client, hub) == 0


@pytest.mark.parametrize("path", ["/credentials/issue", "/credentials/verify"])
def test_a_chunked_body_over_the_limit_is_413(client: TestClient, hub: Hub, path: str) -> None:
    """A chunked body (no Content-Length) that grows past 1 MiB is refused 413 problem+json."""
    headers = {**hub.auth, "Content-Type": "application/json"}
    _assert_413(client.post(path, content=_chunks(BIG), headers=headers))
    assert _stored_total(client, hub) == 0


def test_a_chunked_body_over_the_limit_is_never_processed(client: TestClient, hub: Hub) -> None:
    """Whatever its status, a chunked body past the limit is a 4xx problem and issues nothing."""
    credential = {"credential": {**VC, "description": "x" * 1_100_000}}
    data = json.dumps(credential).encode()
    response = client.post(
        "/credentials/issue",
        content=_chunks(data),
        headers={**hub.auth, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert _stored_total(client, hub) == 0


def test_a_body_under_the_limit_is_accepted_chunked(client: TestClient, hub: Hub) -> None:
    """A chunked body under the limit is read normally."""
    data = json.dumps({"credential": VC}).encode()
    response = client.post(
        "/credentials/issue",
        content=_chunks(data, 16),
        headers={**hub.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


# --- secrets never leave the key store ---------------------------------------------------


def _secret_forms(ctx: ServiceContext) -> dict[str, str]:
    """Every private key of every makerspace, in each form it could leak in."""
    forms: dict[str, str] = {}
    with ctx.db.session() as session:
        records = list(session.execute(select(SigningKeyRecord)).scalars())
    assert records
    for record in records:
        key = open_private_key(ctx.master_key, record.sealed_private, record.verification_method)
        seed = key.seed()
        name = record.verification_method
        forms[f"{name} secret multibase"] = key.secret_multibase()
        forms[f"{name} seed hex"] = seed.hex()
        forms[f"{name} seed HEX"] = seed.hex().upper()
        forms[f"{name} seed base64"] = base64.b64encode(seed).decode().rstrip("=")
        forms[f"{name} seed base64url"] = base64.urlsafe_b64encode(seed).decode().rstrip("=")
    return forms


def _all_rows(ctx: ServiceContext) -> str:
    """Every stored value of every table, as text."""
    out = []
    with ctx.db.session() as session:
        for table in (
            "makerspace",
            "signing_key",
            "credential",
            "status_list",
            "status_entry",
            "audit_event",
            "challenge",
            "trusted_issuer",
        ):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def test_no_private_key_or_api_key_leaves_the_key_store(
    client: TestClient, ctx: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    """Through a full session (register, issue, batch, verify, rotate, revoke, reads) no
    private key appears in any response, any log record or the API key hash column, and the
    API key is stored only as its SHA-256."""
    caplog.set_level(logging.DEBUG)
    for name in ("passport_vc", "sqlalchemy", "httpx", "fastapi", "uvicorn", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    bodies: list[str] = []

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        assert response.status_code < 500, response.text
        bodies.append(path + " " + response.text + " " + repr(dict(response.headers)))
        return response

    created = call("POST", "/makerspaces", json={"name": "Fablab Cotonou"}, headers=ADMIN)
    assert created.status_code == 201
    slug, api_key = created.json()["slug"], created.json()["api_key"]
    auth = {"Authorization": f"Bearer {api_key}"}
    keyed = call(
        "POST", "/makerspaces", json={"name": "Key Lab", "didMethod": "key"}, headers=ADMIN
    )
    assert keyed.status_code == 201
    badge = call("POST", f"/makerspaces/{slug}/badges", json=BADGE, headers=auth).json()[
        "verifiableCredential"
    ]
    call("POST", "/credentials/issue", json={"credential": VC}, headers=auth)
    call(
        "POST",
        f"/makerspaces/{slug}/badges/batch?includeCredentials=true",
        json={"rows": [BADGE, {**BADGE, "level": 9}]},
        headers=auth,
    )
    call("POST", "/credentials/verify", json={"verifiableCredential": badge})
    call("POST", f"/makerspaces/{slug}/keys/rotate", headers=auth)
    call("POST", f"/makerspaces/{slug}/badges", json=BADGE, headers=auth)
    call("POST", f"/makerspaces/{slug}/keys/retire", json={"key": "key-1"}, headers=auth)
    call(
        "POST",
        "/credentials/status",
        json={**STATUS, "credentialId": badge["id"]},
        headers=auth,
    )
    call("POST", "/challenges")
    call("GET", f"/makerspaces/{slug}/did.json")
    call("GET", f"/makerspaces/{slug}")
    call("GET", "/makerspaces")
    call("GET", f"/makerspaces/{slug}/credentials", headers=auth)
    call("GET", f"/makerspaces/{slug}/audit", headers=auth)
    call("GET", "/admin/audit", headers=ADMIN)
    for entry in badge["credentialStatus"]:
        call("GET", entry["statusListCredential"].removeprefix("https://hub.example"))
    call("GET", f"/credentials/{badge['id'].rsplit('/', 1)[1]}")
    call("GET", "/openapi.json")
    call("GET", "/health")
    call("POST", "/credentials/issue", content=b"{broken", headers=auth)

    secrets = _secret_forms(ctx)
    assert len(secrets) == 3 * 5  # key-1, key-2 and the did:key makerspace's key
    logs = caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    everything = "\n".join(bodies)
    assert "INSERT INTO signing_key" in logs  # the check covers SQL logged with parameters
    with ctx.db.session() as session:
        hashes = [m.api_key_hash for m in session.execute(select(Makerspace)).scalars()]
    for name, secret in secrets.items():
        assert secret not in everything, f"{name} in a response"
        assert secret not in logs, f"{name} in the logs"
        assert all(secret not in h for h in hashes), f"{name} in api_key_hash"

    # The API key: shown once at registration, stored only as its SHA-256.
    assert sum(api_key in body for body in bodies) == 1
    assert api_key not in _all_rows(ctx)
    assert hashlib.sha256(api_key.encode()).hexdigest() in hashes
    assert api_key not in logs


def test_makerspace_views_never_show_key_material(client: TestClient, hub: Hub) -> None:
    """GET /makerspaces/{slug} and /makerspaces never include the API key, its hash or a
    sealed private key."""
    client.post(f"/makerspaces/{hub.slug}/keys/rotate", headers=hub.auth)
    digest = hashlib.sha256(hub.api_key.encode()).hexdigest()
    forbidden = {"api_key", "api_key_hash", "apiKeyHash", "sealed_private", "sealedPrivate"}

    def keys_of(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | set().union(*(keys_of(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(keys_of(v) for v in node))
        return set()

    for path in (f"/makerspaces/{hub.slug}", "/makerspaces", f"/makerspaces/{hub.slug}/did.json"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert not keys_of(response.json()) & forbidden, path
        assert digest not in response.text
        assert hub.api_key not in response.text
        assert "secretKeyMultibase" not in response.text
